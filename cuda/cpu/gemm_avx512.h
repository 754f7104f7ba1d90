// An AVX-512 micro-kernel for gemm.cc, chosen at run time (cpu_features.h): the addon is built
// for AVX2 (portable), but on a CPU with AVX-512 one zmm register holds a whole 16-column panel row,
// so a 6 x 32 tile (two of gemm.cc's packed B panels, 12 zmm accumulators) does twice the
// multiply-adds per instruction of the AVX2 6 x 16 tile. The SHD step's dense ∂x = λ·W products
// were a quarter of its time (docs/performance.md).
//
// Same results, bit for bit: every element of C is the same fused multiply-adds over k in the same
// order from zero, then the same epilogue (alpha·acc, then + beta·C or + C as one fused
// multiply-add), as the AVX2 kernel computes it; only more of them run per instruction.
#pragma once
#include <cstddef>

namespace exo {
namespace cpu {

// C[0:6, 0:32] (= or +=, as gemm.cc's micro_kernel for a full tile) from a: element (row r, step
// k) at a[r * rs + k * ks], and the two packed 16-column panels b0, b1 (kc x 16 each).
void micro_kernel_6x32_avx512(int kc, const float* a, size_t rs, size_t ks, const float* b0, const float* b1,
                              float* C, int ldc, float alpha, float beta, bool first);

}  // namespace cpu
}  // namespace exo
