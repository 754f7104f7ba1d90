// The AVX-512 twin of delay_window_dx.cc's block (∂x of the window path, samples in the vector
// lanes), chosen at run time through cpu_features.h: the addon is built for AVX2, and only the
// functions of delay_window_dx_avx512.cc are compiled for AVX-512 (target attributes).
//
// Same bits: each dx value is the same fused multiply-adds, over the outputs j and then the taps q
// ascending, from zero (the first block of outputs) or from the value carried in the scratch;
// only more lanes (16 samples per zmm) and more steps per block (32 registers hold them) are
// computed per instruction. Cross-checked by test/delay/window-avx512.test.ts.
#pragma once
#include <cstddef>

namespace exo {
namespace cpu {

// out[tt·out_step + s] (+)= Σ_j Σ_q c_jq · dyj[j·jstep + (off[j] + tt + q)·rstep + s] for the block's
// steps tt and samples s (the layout of delay_window_dx.cc); first: start from zero, not from out.
using DxBlockFn = void (*)(float* out, size_t out_step, bool first, const float* dyj, size_t jstep, size_t rstep,
                           const int* off, const float* c, int count);

// A block's shape: steps of dx and samples (a multiple of 16 floats: 64-byte aligned rows); tail,
// where not nullptr, takes tail_steps steps, for the last steps when they do not fill a block.
struct DxBlock {
  DxBlockFn fn;
  int steps, samples;
  DxBlockFn tail;
  int tail_steps;
};

// The most taps the ∂x blocks (AVX2 and AVX-512) are compiled for: more than the window path's
// forward and correlation take (kDelayWindowMaxTaps), because ∂x is dense in dy whatever the
// input and the lanes block keeps every multiply-add busy even with the whole kernel as the window
// (D + 1 = 26 taps at the SHD-delays D 25); wider windows take the filter (delay_window.cc).
constexpr int kDelayWindowDxMaxTaps = 32;

// The AVX-512 block for W taps; fn is nullptr where W is outside 1 .. kDelayWindowDxMaxTaps or the
// kernel is not compiled on this platform. Call fn only where cpu_avx512_enabled().
DxBlock delay_window_dx_block_avx512(int W);

}  // namespace cpu
}  // namespace exo
