// R = A·W for a few rows of A against one square weight W that stays fixed for a whole call: the
// backward scans of recurrent layers (cpu/rlif.cc, cpu/recurrent.cc) form r = Vᵀ·λ[t+1] for a block
// of batch rows at every step. gemm() would pack W again at every step (a copy of all of W per block
// and step, more work than the product itself for 8 rows) and pad 8 rows to its 6-row tiles (12);
// here W is packed once per call into 16-column panels over all of K, shared read-only by the
// threads, and the rows of A are read in place by a 4 x 16 register tile (8 AVX2 accumulators).
//
// Each element of R is Σ_k A[r][k]·W[k][c], fused multiply-adds in order of k from zero: the order
// of gemm()'s micro-kernel for K ≤ 256 (one K block), so results are the same as before there.
// On a CPU with AVX-512 the panels go in pairs through an 8 x 32 tile (packed_rows_gemm_avx512.h),
// the same sums in the same order.
#pragma once
#include <algorithm>
#include <cstddef>
#include <vector>

#include "cpu_features.h"
#include "packed_rows_gemm_avx512.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace exo {
namespace cpu {

class PackedRowsGemm {
 public:
  static constexpr size_t kNR = 16, kMR = 4;

  // W is K x Nc, row-major.
  PackedRowsGemm(const float* w, size_t K, size_t Nc)
      : K_(K), N_(Nc), panels_((Nc + kNR - 1) / kNR), wide_(cpu_avx512_enabled()) {
    packed_.assign(panels_ * K * kNR, 0.f);
    for (size_t p = 0; p < panels_; ++p)
      for (size_t k = 0; k < K; ++k)
        for (size_t c = 0; c < kNR && p * kNR + c < Nc; ++c) packed_[(p * K + k) * kNR + c] = w[k * Nc + p * kNR + c];
  }

  // C[rows x Nc] = A[rows x K]·W; A and C row-major with leading dimensions lda, ldc.
  void multiply(const float* A, size_t lda, size_t rows, float* C, size_t ldc) const {
    if (wide_) {
      for (size_t p = 0; p < panels_; p += 2) {
        const float* b = packed_.data() + p * K_ * kNR;
        const size_t c0 = p * kNR, nc = std::min(2 * kNR, N_ - c0);
        packed_rows_tile_avx512(rows, K_, A, lda, b, p + 1 < panels_ ? b + K_ * kNR : nullptr, C + c0, ldc, nc);
      }
      return;
    }
    for (size_t p = 0; p < panels_; ++p) {
      const float* b = packed_.data() + p * K_ * kNR;
      const size_t c0 = p * kNR, nc = std::min(kNR, N_ - c0);
      size_t r = 0;
      for (; r + kMR <= rows; r += kMR) tile<kMR>(A + r * lda, lda, b, C + r * ldc + c0, ldc, nc);
      switch (rows - r) {
        case 3: tile<3>(A + r * lda, lda, b, C + r * ldc + c0, ldc, nc); break;
        case 2: tile<2>(A + r * lda, lda, b, C + r * ldc + c0, ldc, nc); break;
        case 1: tile<1>(A + r * lda, lda, b, C + r * ldc + c0, ldc, nc); break;
        default: break;
      }
    }
  }

 private:
  template <int R>
  void tile(const float* a, size_t lda, const float* b, float* C, size_t ldc, size_t nc) const {
    alignas(32) float out[R][kNR];
    const size_t K = K_;  // a local: with the member, the loop reloaded its bound at every k
#if defined(__AVX2__) && defined(__FMA__)
    __m256 acc[R][2];
    for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (size_t k = 0; k < K; ++k, b += kNR) {
      const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
      for (int r = 0; r < R; ++r) {
        const __m256 ar = _mm256_broadcast_ss(a + r * lda + k);
        acc[r][0] = _mm256_fmadd_ps(ar, b0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(ar, b1, acc[r][1]);
      }
    }
    for (int r = 0; r < R; ++r) {
      _mm256_store_ps(out[r], acc[r][0]);
      _mm256_store_ps(out[r] + 8, acc[r][1]);
    }
#else
    for (int r = 0; r < R; ++r) std::fill(out[r], out[r] + kNR, 0.f);
    for (size_t k = 0; k < K; ++k, b += kNR)
      for (int r = 0; r < R; ++r)
        for (size_t c = 0; c < kNR; ++c) out[r][c] += a[r * lda + k] * b[c];
#endif
    for (int r = 0; r < R; ++r) std::copy(out[r], out[r] + nc, C + r * ldc);
  }

  size_t K_, N_, panels_;
  bool wide_;  // the AVX-512 tile (read once per product: the switch is fixed per process)
  std::vector<float> packed_;
};

}  // namespace cpu
}  // namespace exo
