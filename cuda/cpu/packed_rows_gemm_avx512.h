// The AVX-512 tile of PackedRowsGemm (packed_rows_gemm.h), chosen at run time (cpu_features.h): the
// addon is built for AVX2, but on a CPU with AVX-512 one zmm register holds a whole 16-column
// panel row, so a tile of up to 8 rows by two panels (32 columns, 16 zmm accumulators) does four
// times the multiply-adds of the AVX2 4 x 16 tile per broadcast of A. The recurrent backward's
// R = Λ·V (B·H² multiply-adds per step, dense with the exponential surrogate) was most of the
// recurrent SHD step (docs/performance.md).
//
// Same results, bit for bit: every element of R is Σ_k A[r][k]·W[k][c], fused multiply-adds in
// order of k from zero, as the AVX2 tile and the scalar fallback compute it.
#pragma once
#include <cstddef>

namespace exo {
namespace cpu {

// C[0:rows, 0:nc] = A[0:rows, 0:K]·(the packed panel b0, and b1 when given: nc ≤ 32, else nc ≤ 16),
// any number of rows (8 at a time); each panel is K x 16, row-major (PackedRowsGemm's layout).
void packed_rows_tile_avx512(size_t rows, size_t K, const float* a, size_t lda, const float* b0, const float* b1,
                             float* C, size_t ldc, size_t nc);

}  // namespace cpu
}  // namespace exo
