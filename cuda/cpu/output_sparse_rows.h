// r[i] = Σ_k λ[k]·Vᵀ[i][k] for a chosen few i of one batch row: the recurrent backward's spike-path
// gradient where only some neurons need it (cpu/rlif.cc). With a compact surrogate (triangle,
// rectangle) σ(v[t]) is exactly 0 away from threshold, and r[i] enters λ[t] only as σ_i·(g_i + r_i),
// so the dense product R = Λ·V is needed for the neurons inside the window alone.
//
// Each r[i] is a dot product of two contiguous rows (λ and Vᵀ's row i), eight partial sums over
// k (lane l takes k ≡ l mod 8, fused multiply-adds in order of k), then the lanes added in a fixed
// tree and the tail k ≥ 8·⌊K/8⌋ fused in order: a different summation order from the dense tile's
// one chain per element, the same for every thread count and for the scalar fallback.
#pragma once
#include <cmath>
#include <cstddef>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace exo {
namespace cpu {

// The lanes' fixed tree: ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)).
inline float lanes_sum(const float* l) { return ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7])); }

#if defined(__AVX2__) && defined(__FMA__)
inline float lanes_sum(__m256 a) {
  alignas(32) float l[8];
  _mm256_store_ps(l, a);
  return lanes_sum(l);
}
#endif

// r[idx[j]] = λ·Vᵀ[idx[j]] for j < n; vt is Vᵀ [*, K] row-major.
inline void output_sparse_dots(const float* __restrict lam, const float* __restrict vt, size_t K, const int* idx, size_t n,
                               float* __restrict r) {
  const size_t K8 = K & ~size_t(7);
  size_t j = 0;
#if defined(__AVX2__) && defined(__FMA__)
  // Four outputs at once share each load of λ (the loads, not the FMAs, bound this loop).
  for (; j + 4 <= n; j += 4) {
    const float* w0 = vt + (size_t)idx[j] * K;
    const float* w1 = vt + (size_t)idx[j + 1] * K;
    const float* w2 = vt + (size_t)idx[j + 2] * K;
    const float* w3 = vt + (size_t)idx[j + 3] * K;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t k = 0; k < K8; k += 8) {
      const __m256 l = _mm256_loadu_ps(lam + k);
      a0 = _mm256_fmadd_ps(l, _mm256_loadu_ps(w0 + k), a0);
      a1 = _mm256_fmadd_ps(l, _mm256_loadu_ps(w1 + k), a1);
      a2 = _mm256_fmadd_ps(l, _mm256_loadu_ps(w2 + k), a2);
      a3 = _mm256_fmadd_ps(l, _mm256_loadu_ps(w3 + k), a3);
    }
    float s0 = lanes_sum(a0), s1 = lanes_sum(a1), s2 = lanes_sum(a2), s3 = lanes_sum(a3);
    for (size_t k = K8; k < K; ++k) {
      s0 = std::fma(lam[k], w0[k], s0);
      s1 = std::fma(lam[k], w1[k], s1);
      s2 = std::fma(lam[k], w2[k], s2);
      s3 = std::fma(lam[k], w3[k], s3);
    }
    r[idx[j]] = s0;
    r[idx[j + 1]] = s1;
    r[idx[j + 2]] = s2;
    r[idx[j + 3]] = s3;
  }
#endif
  for (; j < n; ++j) {
    const float* w = vt + (size_t)idx[j] * K;
    float l[8] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
    for (size_t k = 0; k < K8; k += 8)
      for (size_t u = 0; u < 8; ++u) l[u] = std::fma(lam[k + u], w[k + u], l[u]);
    float s = lanes_sum(l);
    for (size_t k = K8; k < K; ++k) s = std::fma(lam[k], w[k], s);
    r[idx[j]] = s;
  }
}

}  // namespace cpu
}  // namespace exo
