// The spike index's row products (sparse_index.cc), shared with the LIF scans fused with the Linear
// before them (lif_linear.cc, lif_linear_grad.h): one row of y = s·Wᵀ (+ b), or one row's share of
// ∂Wᵀ, from the row's nonzeros, a block of up to 64 outputs held in vector registers across them.
// The fused forward calls index_row_linear as the Linear does, so its inputs are the Linear's
// outputs bit for bit.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "sparse_rows.h"

namespace exo {
namespace cpu {
namespace index_rows {
using sparse_rows::fma_row;

constexpr int kBlock = 64;  // outputs held in registers: 8 AVX2 vectors

// acc[0..width) = Σ_k fma(v[k], rows[c[k]][o0 + ·], ·) over the n nonzeros, in ascending k, then
// + bias[·] when given (one rounded add, as a separate bias add would do it).
template <int NB>
inline void gather_block(const int32_t* c, const float* v, int n, const float* wt, int stride, const float* bias, float* acc) {
#if defined(__AVX2__)
  __m256 a[NB];
  for (int i = 0; i < NB; ++i) a[i] = _mm256_setzero_ps();
  for (int k = 0; k < n; ++k) {
    const __m256 vb = _mm256_set1_ps(v[k]);
    const float* w = wt + (size_t)c[k] * stride;
    for (int i = 0; i < NB; ++i) a[i] = _mm256_fmadd_ps(vb, _mm256_loadu_ps(w + 8 * i), a[i]);
  }
  if (bias)
    for (int i = 0; i < NB; ++i) a[i] = _mm256_add_ps(a[i], _mm256_loadu_ps(bias + 8 * i));
  for (int i = 0; i < NB; ++i) _mm256_storeu_ps(acc + 8 * i, a[i]);
#else
  std::fill(acc, acc + 8 * NB, 0.f);
  for (int k = 0; k < n; ++k) fma_row(acc, v[k], wt + (size_t)c[k] * stride, 8 * NB);
  if (bias)
    for (int i = 0; i < 8 * NB; ++i) acc[i] += bias[i];
#endif
}

// rows[c[k]][0..8·NB) = fma(v[k], g[0..8·NB), ·) for every nonzero k, g held in registers.
template <int NB>
inline void scatter_block(const int32_t* c, const float* v, int n, const float* g, float* p, int stride) {
#if defined(__AVX2__)
  __m256 gv[NB];
  for (int i = 0; i < NB; ++i) gv[i] = _mm256_loadu_ps(g + 8 * i);
  for (int k = 0; k < n; ++k) {
    const __m256 vb = _mm256_set1_ps(v[k]);
    float* pr = p + (size_t)c[k] * stride;
    for (int i = 0; i < NB; ++i) _mm256_storeu_ps(pr + 8 * i, _mm256_fmadd_ps(vb, gv[i], _mm256_loadu_ps(pr + 8 * i)));
  }
#else
  for (int k = 0; k < n; ++k) fma_row(p + (size_t)c[k] * stride, v[k], g, 8 * NB);
#endif
}

// gather_block / scatter_block for a width that is a multiple of 8 and at most kBlock.
#define EXO_BY_BLOCKS(width, call) \
  switch ((width) / 8) {           \
    case 1: call(1); break;        \
    case 2: call(2); break;        \
    case 3: call(3); break;        \
    case 4: call(4); break;        \
    case 5: call(5); break;        \
    case 6: call(6); break;        \
    case 7: call(7); break;        \
    default: call(8); break;       \
  }


#define EXO_GATHER(NB) gather_block<NB>(c, v, n, wt + o0, out, bias ? bias + o0 : nullptr, yr + o0)
// yr[0..out) = Σ_k v[k]·wt[c[k], ·] (+ bias) over a row's n nonzeros (c, v), wt = Wᵀ [features, out].
inline void index_row_linear(const int32_t* c, const float* v, int n, const float* wt, int out, const float* bias, float* yr) {
  int o0 = 0;
  while (out - o0 >= 8) {
    const int width = std::min(kBlock, (out - o0) / 8 * 8);
    EXO_BY_BLOCKS(width, EXO_GATHER)
    o0 += width;
  }
  if (o0 < out) {
    const int width = out - o0;
    float tail[8];
    std::fill(tail, tail + 8, 0.f);
    for (int k = 0; k < n; ++k) fma_row(tail, v[k], wt + (size_t)c[k] * out + o0, width);
    if (bias)
      for (int q = 0; q < width; ++q) tail[q] += bias[o0 + q];
    std::memcpy(yr + o0, tail, sizeof(float) * (size_t)width);
  }
}
#undef EXO_GATHER

#define EXO_SCATTER(NB) scatter_block<NB>(c, v, n, gr + o0, p + o0, out)
// p[c[k], 0..out) += v[k]·gr[0..out) for a row's n nonzeros (c, v): its share of ∂Wᵀ [features, out].
inline void index_row_weight_grad(const int32_t* c, const float* v, int n, const float* gr, int out, float* p) {
  int o0 = 0;
  while (out - o0 >= 8) {
    const int width = std::min(kBlock, (out - o0) / 8 * 8);
    EXO_BY_BLOCKS(width, EXO_SCATTER)
    o0 += width;
  }
  for (int k = 0; k < n && o0 < out; ++k) fma_row(p + (size_t)c[k] * out + o0, v[k], gr + o0, out - o0);
}
#undef EXO_SCATTER

}  // namespace index_rows
}  // namespace cpu
}  // namespace exo
