// What the CPU scans of recurrent layers share (cpu/rlif.cc, cpu/recurrent.cc): batch rows in a
// count of chunks fixed by the shape (not the threads), so that ∂V's summation order, and with it
// the result, does not depend on the thread count; Vᵀ and the forward's spike-driven sums from it;
// and ∂V from the chunks' ∂Vᵀ, summed in chunk order.
#pragma once
#include <algorithm>
#include <cstddef>
#include <vector>

#include "sparse_rows.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

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

// y[0..H) += a·row[0..H).
inline void axpy(float a, const float* row, float* y, size_t H) {
  for (size_t i = 0; i < H; ++i) y[i] += a * row[i];
}

// rec[0..H) = Σ_n a[n]·Vᵀ[idx[n]][0..H), each element the fused multiply-adds of axpy in order of
// n from zero: 64 columns at a time held in registers across the spikes, where one axpy per spike
// loaded and stored all of rec (the forward's largest cost after its first touch of x).
inline void spike_sums(const float* __restrict wt, size_t H, const size_t* idx, const float* a, size_t n,
                       float* __restrict rec) {
  size_t c = 0;
#if defined(__AVX2__) && defined(__FMA__)
  for (; c + 64 <= H; c += 64) {
    __m256 acc[8];
    for (int q = 0; q < 8; ++q) acc[q] = _mm256_setzero_ps();
    for (size_t k = 0; k < n; ++k) {
      const float* w = wt + idx[k] * H + c;
      const __m256 ak = _mm256_set1_ps(a[k]);
      for (int q = 0; q < 8; ++q) acc[q] = _mm256_fmadd_ps(ak, _mm256_loadu_ps(w + 8 * q), acc[q]);
    }
    for (int q = 0; q < 8; ++q) _mm256_storeu_ps(rec + c + 8 * q, acc[q]);
  }
#endif
  std::fill(rec + c, rec + H, 0.f);
  for (size_t k = 0; k < n; ++k) axpy(a[k], wt + idx[k] * H + c, rec + c, H - c);
}

// rec = V·s for one batch row, from the rows of Vᵀ whose neuron spiked (s[j] ≠ 0, found 8 at a
// time), in order of j: what one axpy per spike gave, bit for bit. idx and a: scratch of H each.
inline void spike_driven_sums(const float* s, const float* wt, size_t H, size_t* idx, float* a, float* rec) {
  size_t n = 0;
  sparse_rows::for_nonzero(s, (int)H, [&](int j, float sj) {
    idx[n] = (size_t)j;
    a[n++] = sj;
  });
  spike_sums(wt, H, idx, a, n, rec);
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
