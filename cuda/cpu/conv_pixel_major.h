// The input gradient of a stride-1 convolution whose images are too narrow for the direct loop's
// 8-pixel vectors (the DVS nets' 4 × 4 convolutions): conv_pixel_major.cc.
#pragma once
#include "exodus/backend.h"

namespace exo {
namespace cpu {

// dx [count, C, H, W] for dy [count, cout, Ho, Wo], w [cout, C, kh, kw]; stride 1. The same bits as GEMM (Wᵀ·dy per image) + col2im: each column element the sum over co
// in order, each pixel its taps added in (ki, kj) order from 0.
void conv_pixel_major_input_grad(const float* w, const float* dy, float* dx, const k::ConvGeom& g, int cout,
                                 int count);

}  // namespace cpu
}  // namespace exo
