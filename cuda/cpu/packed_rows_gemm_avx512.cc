// packed_rows_gemm_avx512.h's tile. Only these functions are compiled for AVX-512 (a target
// attribute, not a flag for the whole addon); PackedRowsGemm calls them only when the CPU has it.
#include "packed_rows_gemm_avx512.h"

#include "cpu_features.h"
#include "exodus/backend.h"

#if EXO_CPU_AVX512_SCANS
#include <immintrin.h>
#endif

namespace exo {
namespace cpu {

#if EXO_CPU_AVX512_SCANS
namespace {

// R rows by P panels of 16 columns. The k loop is the outer one and each accumulator takes its
// fused multiply-adds in order of k, starting from zero.
template <int R, int P>
__attribute__((target("avx512f"))) void tile(size_t K, const float* a, size_t lda, const float* b0, const float* b1,
                                             float* C, size_t ldc, size_t nc) {
  __m512 acc[R][P];
  for (int r = 0; r < R; ++r)
    for (int q = 0; q < P; ++q) acc[r][q] = _mm512_setzero_ps();
  for (size_t k = 0; k < K; ++k) {
    __m512 b[P];
    b[0] = _mm512_loadu_ps(b0 + k * 16);
    if constexpr (P == 2) b[1] = _mm512_loadu_ps(b1 + k * 16);
    for (int r = 0; r < R; ++r) {
      const __m512 ar = _mm512_set1_ps(a[r * lda + k]);
      for (int q = 0; q < P; ++q) acc[r][q] = _mm512_fmadd_ps(ar, b[q], acc[r][q]);
    }
  }
  if (nc == (size_t)P * 16) {
    for (int r = 0; r < R; ++r)
      for (int q = 0; q < P; ++q) _mm512_storeu_ps(C + r * ldc + q * 16, acc[r][q]);
    return;
  }
  // A ragged last panel: only the columns that exist are written.
  for (int q = 0; q < P; ++q) {
    const size_t n = nc > (size_t)q * 16 ? nc - (size_t)q * 16 : 0;
    const __mmask16 m = (__mmask16)(n >= 16 ? 0xffffu : (1u << n) - 1u);
    for (int r = 0; r < R; ++r) _mm512_mask_storeu_ps(C + r * ldc + q * 16, m, acc[r][q]);
  }
}

// All the rows, 8 at a time, then the rest.
template <int P>
void tile_rows(size_t rows, size_t K, const float* a, size_t lda, const float* b0, const float* b1, float* C,
               size_t ldc, size_t nc) {
  for (; rows >= 8; rows -= 8, a += 8 * lda, C += 8 * ldc) tile<8, P>(K, a, lda, b0, b1, C, ldc, nc);
  switch (rows) {
    case 7: return tile<7, P>(K, a, lda, b0, b1, C, ldc, nc);
    case 6: return tile<6, P>(K, a, lda, b0, b1, C, ldc, nc);
    case 5: return tile<5, P>(K, a, lda, b0, b1, C, ldc, nc);
    case 4: return tile<4, P>(K, a, lda, b0, b1, C, ldc, nc);
    case 3: return tile<3, P>(K, a, lda, b0, b1, C, ldc, nc);
    case 2: return tile<2, P>(K, a, lda, b0, b1, C, ldc, nc);
    case 1: return tile<1, P>(K, a, lda, b0, b1, C, ldc, nc);
    default: return;
  }
}

}  // namespace

void packed_rows_tile_avx512(size_t rows, size_t K, const float* a, size_t lda, const float* b0, const float* b1,
                             float* C, size_t ldc, size_t nc) {
  if (b1)
    tile_rows<2>(rows, K, a, lda, b0, b1, C, ldc, nc);
  else
    tile_rows<1>(rows, K, a, lda, b0, b1, C, ldc, nc);
}
#else
void packed_rows_tile_avx512(size_t, size_t, const float*, size_t, const float*, const float*, float*, size_t, size_t) {
  throw Error("packed_rows_tile_avx512: the AVX-512 tile is not compiled on this platform (cpu_avx512_enabled() is false here)");
}
#endif

}  // namespace cpu
}  // namespace exo
