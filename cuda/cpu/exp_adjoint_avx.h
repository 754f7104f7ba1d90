// Eight neurons of the recurrent LIF adjoint step with the exponential surrogate, in AVX2
// (cpu/rlif.cc). GCC leaves that loop scalar: it does not if-convert exp_approx's select once
// the surrogate is inlined into the adjoint, while the other surrogates' loops vectorise. This
// is kernels/surrogate.cuh's exp_approx and kernels/lif.cuh's lif_adjoint_step written out with
// the same operations and the same fused multiply-adds that GCC forms for the scalar code
// (-ffp-contract=fast), so each lane gives the scalar loop's bits (checked on 2.4 M random lanes
// against rlif_adjoint_step, and on the recurrent SHD bench net: the same bits of every gradient).
#pragma once
#include <cstddef>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include "exodus/neurons.h"

namespace exo {
namespace cpu {

// exp_approx(x) for 8 lanes, x <= 0.
inline __m256 exp_approx8(__m256 x) {
  const __m256 n = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fmadd_ps(n, _mm256_set1_ps(2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  // e = p·r·r + r + 1: (p·r) rounded, then fused with the second r and the added r.
  const __m256 e = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.f));
  const __m256i ni = _mm256_cvttps_epi32(n);
  const __m256 scale = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(ni, _mm256_set1_epi32(127)), 23));
  const __m256 y = _mm256_mul_ps(e, scale);
  // ni < -126 → 0 (an integer compare, as the scalar code; NaN and -inf give INT_MIN there too).
  const __m256 small = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(-126), ni));
  return _mm256_andnot_ps(small, y);
}

// λ for neurons i..i+7: σ = c0·exp(−|v−θ|·c1); EXACT: ρ = 1 − m·σ (subtract) or (1 − s) − v·σ
// (zero, 1 − s = !(v ≥ θ) as spike_fn has it, NaN included); λ = σ·(g + r) + h + α·ρ·λ[t+1] (SLAYER: ρ ≡ 1).
template <bool EXACT, ResetMode RESET>
inline __m256 exp_adjoint8(const float* theta, const float* alpha, const float* m, const float* q0, const float* q1,
                           const float* lam_next, const float* r, const float* v, const float* g, const float* h) {
  const __m256 vv = _mm256_loadu_ps(v), th = _mm256_loadu_ps(theta);
  const __m256 d = _mm256_sub_ps(vv, th);
  const __m256 absd = _mm256_andnot_ps(_mm256_set1_ps(-0.f), d);
  const __m256 x = _mm256_mul_ps(_mm256_loadu_ps(q1), _mm256_xor_ps(absd, _mm256_set1_ps(-0.f)));
  const __m256 sg = _mm256_mul_ps(_mm256_loadu_ps(q0), exp_approx8(x));
  const __m256 gr = _mm256_add_ps(_mm256_loadu_ps(g), _mm256_loadu_ps(r));
  const __m256 a = _mm256_loadu_ps(alpha), ln = _mm256_loadu_ps(lam_next);
  const __m256 head = _mm256_fmadd_ps(sg, gr, _mm256_loadu_ps(h));
  if (!EXACT) return _mm256_fmadd_ps(a, ln, head);
  __m256 rho;
  if (RESET == ResetMode::Zero) {
    const __m256 one_minus_s = _mm256_and_ps(_mm256_cmp_ps(vv, th, _CMP_NGE_UQ), _mm256_set1_ps(1.f));
    rho = _mm256_fnmadd_ps(vv, sg, one_minus_s);
  } else {
    rho = _mm256_fnmadd_ps(_mm256_loadu_ps(m), sg, _mm256_set1_ps(1.f));
  }
  return _mm256_fmadd_ps(_mm256_mul_ps(a, rho), ln, head);
}

}  // namespace cpu
}  // namespace exo
#endif
