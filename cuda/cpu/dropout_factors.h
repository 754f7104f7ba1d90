// Dropout's counter-based factors (kernels/optim.cuh, dropout_factor) 8 at a time with AVX2, for
// the CPU's dropout op (dropout.cc) and the neuron scans that apply dropout to their pooled
// output (lif.cc). The hash is SplitMix64, whose 64-bit multiplies AVX2 lacks: each is built
// from three 32×32→64-bit products, exact mod 2^64, so every factor equals the scalar (and CUDA)
// one bit for bit.
#pragma once
#include <cstddef>
#include <cstdint>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "kernels/optim.cuh"

namespace exo {
namespace cpu {
namespace dropout_factors {

#if defined(__AVX2__)
// a · c mod 2^64 in each 64-bit lane.
inline __m256i mul64(__m256i a, uint64_t c) {
  const __m256i clo = _mm256_set1_epi64x((long long)(c & 0xffffffffull)), chi = _mm256_set1_epi64x((long long)(c >> 32));
  const __m256i cross = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(a, 32), clo), _mm256_mul_epu32(a, chi));
  return _mm256_add_epi64(_mm256_mul_epu32(a, clo), _mm256_slli_epi64(cross, 32));
}

// hash_uniform's 24 high bits for z in each lane (z = the seeded counter).
inline __m256i mix(__m256i z) {
  z = mul64(_mm256_xor_si256(z, _mm256_srli_epi64(z, 30)), 0xBF58476D1CE4E5B9ull);
  z = mul64(_mm256_xor_si256(z, _mm256_srli_epi64(z, 27)), 0x94D049BB133111EBull);
  z = _mm256_xor_si256(z, _mm256_srli_epi64(z, 31));
  return _mm256_srli_epi64(z, 40);
}

// dropout_factor(seed, i + j, p, keep) for j = 0..7.
inline __m256 factors8(unsigned long long seed, size_t i, __m256 p, __m256 keep) {
  const unsigned long long base = seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull + i;
  const __m256i z0 = _mm256_add_epi64(_mm256_set1_epi64x((long long)base), _mm256_setr_epi64x(0, 1, 2, 3));
  const __m256i z1 = _mm256_add_epi64(_mm256_set1_epi64x((long long)base), _mm256_setr_epi64x(4, 5, 6, 7));
  // The low 32 bits of each 64-bit lane, packed: [h0..h3 | h4..h7].
  const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
  const __m256i h = _mm256_permute2x128_si256(_mm256_permutevar8x32_epi32(mix(z0), even),
                                              _mm256_permutevar8x32_epi32(mix(z1), even), 0x20);
  const __m256 u = _mm256_mul_ps(_mm256_cvtepi32_ps(h), _mm256_set1_ps(1.0f / 16777216.0f));
  return _mm256_and_ps(_mm256_cmp_ps(u, p, _CMP_GE_OQ), keep);
}
#endif

// y[j] = x[j] · factor(first + j) for j in [0, n), or y[j] = factor(first + j) when x is null (the
// mask itself). y may be x.
inline void dropout_range(const float* x, float* y, size_t n, size_t first, float p, unsigned long long seed) {
  const float keep = 1.f / (1.f - p);
  size_t i = 0;
  const size_t e = n;
#if defined(__AVX2__)
  const __m256 pv = _mm256_set1_ps(p), kv = _mm256_set1_ps(keep), zero = _mm256_setzero_ps();
  for (; i + 8 <= e; i += 8) {
    if (!x) {
      _mm256_storeu_ps(y + i, factors8(seed, first + i, pv, kv));
      continue;
    }
    const __m256 xv = _mm256_loadu_ps(x + i);
    // Eight zeros (most of a spike map) stay as they are: x·factor is the same ±0.
    if (_mm256_movemask_ps(_mm256_cmp_ps(xv, zero, _CMP_NEQ_UQ)) == 0) _mm256_storeu_ps(y + i, xv);
    else _mm256_storeu_ps(y + i, _mm256_mul_ps(xv, factors8(seed, first + i, pv, kv)));
  }
#endif
  for (; i < e; ++i) {
    const float f = k::dropout_factor(seed, first + i, p, keep);
    y[i] = x ? x[i] * f : f;
  }
}

}  // namespace dropout_factors
}  // namespace cpu
}  // namespace exo
