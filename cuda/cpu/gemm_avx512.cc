// The AVX-512 micro-kernel of gemm_avx512.h. Only this function is compiled for AVX-512 (a target
// attribute, not a flag for the whole addon), and gemm.cc calls it only when the CPU has it.
#include "gemm_avx512.h"

#include "cpu_features.h"
#include "exodus/backend.h"

#if EXO_CPU_AVX512_SCANS
#include <immintrin.h>
#endif

namespace exo {
namespace cpu {

#if EXO_CPU_AVX512_SCANS
__attribute__((target("avx512f"))) void micro_kernel_6x32_avx512(int kc, const float* a, size_t rs, size_t ks,
                                                                  const float* b0, const float* b1, float* C,
                                                                  int ldc, float alpha, float beta, bool first) {
  constexpr int MR = 6;
  __m512 c[MR][2];
  for (int r = 0; r < MR; ++r) c[r][0] = c[r][1] = _mm512_setzero_ps();
  for (int k = 0; k < kc; ++k) {
    const __m512 p0 = _mm512_loadu_ps(b0), p1 = _mm512_loadu_ps(b1);
    for (int r = 0; r < MR; ++r) {
      const __m512 ar = _mm512_set1_ps(a[r * rs]);
      c[r][0] = _mm512_fmadd_ps(ar, p0, c[r][0]);
      c[r][1] = _mm512_fmadd_ps(ar, p1, c[r][1]);
    }
    a += ks;
    b0 += 16;
    b1 += 16;
  }
  // The AVX2 kernel's epilogue for a full tile, 16 lanes at a time.
  const __m512 va = _mm512_set1_ps(alpha);
  const bool accumulate = !first || beta == 1.f;
  const __m512 vb = _mm512_set1_ps(accumulate ? 1.f : beta);
  for (int r = 0; r < MR; ++r) {
    float* out = C + (size_t)r * ldc;
    __m512 v0 = _mm512_mul_ps(va, c[r][0]), v1 = _mm512_mul_ps(va, c[r][1]);
    if (accumulate || beta != 0.f) {
      v0 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(out), v0);
      v1 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(out + 16), v1);
    }
    _mm512_storeu_ps(out, v0);
    _mm512_storeu_ps(out + 16, v1);
  }
}
#else
void micro_kernel_6x32_avx512(int, const float*, size_t, size_t, const float*, const float*, float*, int, float,
                              float, bool) {
  throw Error("gemm: the AVX-512 kernel is not compiled on this platform (cpu_avx512_enabled() is false here)");
}
#endif

}  // namespace cpu
}  // namespace exo
