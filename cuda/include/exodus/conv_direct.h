// The CPU's direct input gradient of a stride-1 convolution (cpu/conv_direct.cc), for the small
// channel counts where GEMM + col2im is bound by its unrolled columns. Each ∂x element is the sum
// over (co, ki, kj) in that order of one fma; the threads split images, so the result does not
// depend on the thread count.
#pragma once
#include "kernels/conv.cuh"

namespace exo {
namespace cpu {

// Whether the direct input gradient handles g: stride 1, input channels and width multiples of 8,
// padding at most kernel − 1 and the output of a stride-1 convolution.
bool conv_direct_input_grad_fits(const k::ConvGeom& g);

// dx [count, C, H, W] = ∂conv/∂x for dy [count, cout, Ho, Wo] and w [cout, C, kh, kw].
void conv_direct_input_grad(const float* w, const float* dy, float* dx, const k::ConvGeom& g, int cout, int count);

}  // namespace cpu
}  // namespace exo
