// exp_adjoint_avx512.h's row step. Only these functions are compiled for AVX-512 (a target
// attribute, not a flag for the whole addon); cpu/rlif.cc calls them only when the CPU has it.
// AVX-512F alone: the float and/xor/andnot of AVX-512DQ are written as integer ops or masks.
#include "exp_adjoint_avx512.h"

#include "cpu_features.h"
#include "exodus/backend.h"

#if EXO_CPU_AVX512_SCANS
#include <immintrin.h>
#endif

namespace exo {
namespace cpu {

#if EXO_CPU_AVX512_SCANS
namespace {

#define EXO_AVX512 __attribute__((target("avx512f")))

// exp_approx(x) for 16 lanes, x <= 0: exp_approx8's operations.
EXO_AVX512 inline __m512 exp_approx16(__m512 x) {
  const __m512 n = _mm512_roundscale_ps(_mm512_fmadd_ps(x, _mm512_set1_ps(1.44269504088896341f), _mm512_set1_ps(0.5f)),
                                        _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fmadd_ps(n, _mm512_set1_ps(2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  const __m512 e = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, r), r, r), _mm512_set1_ps(1.f));
  const __m512i ni = _mm512_cvttps_epi32(n);
  const __m512 scale = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(ni, _mm512_set1_epi32(127)), 23));
  const __m512 y = _mm512_mul_ps(e, scale);
  // ni < -126 → +0, as the integer compare of the 8-lane form.
  const __mmask16 small = _mm512_cmpgt_epi32_mask(_mm512_set1_epi32(-126), ni);
  return _mm512_maskz_mov_ps((__mmask16)~small, y);
}

template <bool EXACT, ResetMode RESET>
EXO_AVX512 void row(size_t n, const float* theta, const float* alpha, const float* m, const float* q0, const float* q1,
                    const float* lam_next, const float* r, const float* v, const float* g, const float* h,
                    const float* vprev, float* lam, float* dx, float* da, float* db) {
  const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
  const __m512 one = _mm512_set1_ps(1.f);
  for (size_t i = 0; i < n; i += 16) {
    // λ: exp_adjoint8, 16 lanes.
    const __m512 vv = _mm512_loadu_ps(v + i), th = _mm512_loadu_ps(theta + i);
    const __m512i d = _mm512_castps_si512(_mm512_sub_ps(vv, th));
    const __m512 negabs = _mm512_castsi512_ps(_mm512_or_si512(d, sign));  // −|v − θ|
    const __m512 sg = _mm512_mul_ps(_mm512_loadu_ps(q0 + i), exp_approx16(_mm512_mul_ps(_mm512_loadu_ps(q1 + i), negabs)));
    const __m512 gr = _mm512_add_ps(_mm512_loadu_ps(g + i), _mm512_loadu_ps(r + i));
    const __m512 a = _mm512_loadu_ps(alpha + i), ln = _mm512_loadu_ps(lam_next + i);
    const __m512 head = _mm512_fmadd_ps(sg, gr, _mm512_loadu_ps(h + i));
    __m512 li;
    if constexpr (!EXACT) {
      li = _mm512_fmadd_ps(a, ln, head);
    } else {
      __m512 rho;
      if constexpr (RESET == ResetMode::Zero)
        rho = _mm512_fnmadd_ps(vv, sg, _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(vv, th, _CMP_NGE_UQ), one));
      else
        rho = _mm512_fnmadd_ps(_mm512_loadu_ps(m + i), sg, one);
      li = _mm512_fmadd_ps(_mm512_mul_ps(a, rho), ln, head);
    }
    _mm512_storeu_ps(lam + i, li);
    _mm512_storeu_ps(dx + i, li);
    if (!vprev) continue;
    // ∂α += λ·v_post[t−1], ∂b += λ: param_sums_row's operations.
    const __m512 vp = _mm512_loadu_ps(vprev + i);
    const __m512 sp = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(th, vp, _CMP_LE_OQ), one);
    const __m512 reset = RESET == ResetMode::Zero ? _mm512_mul_ps(vp, _mm512_sub_ps(one, sp))
                                                  : _mm512_fnmadd_ps(sp, _mm512_loadu_ps(m + i), vp);
    _mm512_storeu_ps(da + i, _mm512_fmadd_ps(reset, li, _mm512_loadu_ps(da + i)));
    _mm512_storeu_ps(db + i, _mm512_add_ps(_mm512_loadu_ps(db + i), li));
  }
}

}  // namespace

void exp_adjoint_row_avx512(bool exact, ResetMode reset, size_t n, const float* theta, const float* alpha,
                            const float* m, const float* q0, const float* q1, const float* lam_next, const float* r,
                            const float* v, const float* g, const float* h, const float* vprev, float* lam, float* dx,
                            float* da, float* db) {
  const bool zero = reset == ResetMode::Zero;
  auto f = exact ? (zero ? row<true, ResetMode::Zero> : row<true, ResetMode::Subtract>)
                 : (zero ? row<false, ResetMode::Zero> : row<false, ResetMode::Subtract>);
  f(n, theta, alpha, m, q0, q1, lam_next, r, v, g, h, vprev, lam, dx, da, db);
}
#else
void exp_adjoint_row_avx512(bool, ResetMode, size_t, const float*, const float*, const float*, const float*, const float*,
                            const float*, const float*, const float*, const float*, const float*, const float*, float*,
                            float*, float*, float*) {
  throw Error("exp_adjoint_row_avx512: the AVX-512 kernel is not compiled on this platform (cpu_avx512_enabled() is false here)");
}
#endif

}  // namespace cpu
}  // namespace exo
