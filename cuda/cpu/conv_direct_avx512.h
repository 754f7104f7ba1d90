// The AVX-512 twin of conv_direct.cc's register blocks, chosen at run time (cpu_features.h).
//
// Why: the direct ∂x of the DVS nets' 8-64-channel convolutions is ~34 GFLOP of a DVS Gesture
// step (B 16, T 300), at about half the AVX2 peak: 8 ymm accumulators per block are too few to
// hide the fma latency. With zmm a block is 8 input channels × 2 vectors of 16 pixels (16
// accumulators of 16 lanes): twice the lanes per instruction and twice the independent chains.
//
// Same results, bit for bit: every ∂x element is the same fmas over (co, ki, kj) in that order
// from zero, as the AVX2 blocks compute it; only the grouping of elements into registers differs.
#pragma once
#include <cstddef>

#include "exodus/backend.h"

namespace exo {
namespace cpu {

// ∂x of one image from its zero-padded ∂y (conv_direct.cc's dyp layout: [cout][H + kh − 1][X]) and
// the channel-interleaved weights wt; false (nothing written) for a shape it has no block for
// (widths that are multiples of 32; of 16 with an even height; 8 with a height that is a multiple
// of 4): the AVX2 blocks take it then.
bool conv_direct_image_avx512(const float* wt, const float* dyp, float* dxn, const k::ConvGeom& g, int cout,
                              size_t plane, int X);

}  // namespace cpu
}  // namespace exo
