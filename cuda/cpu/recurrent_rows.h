// What the CPU scans of recurrent layers share (cpu/rlif.cc, cpu/recurrent.cc): batch rows in a
// count of chunks fixed by the shape (not the threads), so that ∂V's summation order, and with it
// the result, does not depend on the thread count; Vᵀ for the forward's spike-driven sums; and
// ∂V from the chunks' ∂Vᵀ, summed in chunk order.
#pragma once
#include <cstddef>
#include <vector>

namespace exo {
namespace cpu {

inline size_t row_chunks(size_t B) { return B < 16 ? B : 16; }

// Vᵀ [H, H] (Vᵀ[j][i] = V[i][j]): row j is what neuron j's spike adds to every neuron.
inline std::vector<float> transposed(const float* w, size_t H) {
  std::vector<float> t(H * H);
  for (size_t i = 0; i < H; ++i)
    for (size_t j = 0; j < H; ++j) t[j * H + i] = w[i * H + j];
  return t;
}

// dw[i][j] = Σ_chunks dwt[ch][j][i], the chunks in order. Summed first along rows of Vᵀ (contiguous,
// vectorised; each element the same additions in the same order from 0), then transposed in 16 x 16
// tiles: the element-by-element loop read dwt down columns, one cache line per element.
inline void sum_chunks_transposed(const std::vector<float>& dwt, size_t chunks, size_t H, float* dw) {
  std::vector<float> sum(H * H, 0.f);
  for (size_t ch = 0; ch < chunks; ++ch) {
    const float* c = dwt.data() + ch * H * H;
    float* __restrict out = sum.data();
    for (size_t k = 0; k < H * H; ++k) out[k] += c[k];
  }
  constexpr size_t kT = 16;
  for (size_t j0 = 0; j0 < H; j0 += kT)
    for (size_t i0 = 0; i0 < H; i0 += kT)
      for (size_t j = j0; j < j0 + kT && j < H; ++j)
        for (size_t i = i0; i < i0 + kT && i < H; ++i) dw[i * H + j] = sum[j * H + i];
}

}  // namespace cpu
}  // namespace exo
