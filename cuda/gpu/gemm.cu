// CUDA SGEMM without cuBLAS: 64 x 64 tiles of C per block of 256 threads, each thread holding a
// 4 x 4 sub-tile in registers; K is walked in steps of 16 through shared memory. Transposes are
// handled when tiles are loaded, so the inner loop is the same for all four cases.
#include <algorithm>

#include "check.cuh"
#include "exodus/backend.h"

namespace exo {
namespace gpu {
namespace {

constexpr int BM = 64, BN = 64, BK = 16, TM = 4, TN = 4;

template <bool TA, bool TB>
__global__ void __launch_bounds__(256) gemm_kernel(int M, int N, int K, float alpha, const float* __restrict__ A,
                                                   int lda, size_t sa, const float* __restrict__ B, int ldb, size_t sb,
                                                   float beta, float* __restrict__ C, int ldc, size_t sc) {
  // blockIdx.z selects one product of a strided batch.
  A += blockIdx.z * sa;
  B += blockIdx.z * sb;
  C += blockIdx.z * sc;
  __shared__ float As[BK][BM + 4];  // As[k][m]: padded against bank conflicts
  __shared__ float Bs[BK][BN + 4];  // Bs[k][n]
  int tid = threadIdx.x;
  int tx = tid % (BN / TN), ty = tid / (BN / TN);  // 16 x 16 threads
  int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  float acc[TM][TN] = {};
  for (int k0 = 0; k0 < K; k0 += BK) {
    // 64 x 16 = 1024 elements of each tile, 4 per thread.
    for (int l = tid; l < BM * BK; l += 256) {
      int mm, kk;
      if (TA) { mm = l % BM; kk = l / BM; }  // A stored [K, M]: consecutive threads walk m
      else { kk = l % BK; mm = l / BK; }     // A stored [M, K]: consecutive threads walk k
      int gm = m0 + mm, gk = k0 + kk;
      float v = 0.f;
      if (gm < M && gk < K) v = TA ? A[(size_t)gk * lda + gm] : A[(size_t)gm * lda + gk];
      As[kk][mm] = v;
    }
    for (int l = tid; l < BN * BK; l += 256) {
      int nn, kk;
      if (TB) { kk = l % BK; nn = l / BK; }  // B stored [N, K]
      else { nn = l % BN; kk = l / BN; }     // B stored [K, N]
      int gn = n0 + nn, gk = k0 + kk;
      float v = 0.f;
      if (gn < N && gk < K) v = TB ? B[(size_t)gn * ldb + gk] : B[(size_t)gk * ldb + gn];
      Bs[kk][nn] = v;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < BK; ++kk) {
      float a[TM], b[TN];
#pragma unroll
      for (int i = 0; i < TM; ++i) a[i] = As[kk][ty * TM + i];
#pragma unroll
      for (int j = 0; j < TN; ++j) b[j] = Bs[kk][tx * TN + j];
#pragma unroll
      for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < TM; ++i) {
    int gm = m0 + ty * TM + i;
    if (gm >= M) continue;
#pragma unroll
    for (int j = 0; j < TN; ++j) {
      int gn = n0 + tx * TN + j;
      if (gn >= N) continue;
      float* c = C + (size_t)gm * ldc + gn;
      *c = beta == 0.f ? alpha * acc[i][j] : alpha * acc[i][j] + beta * *c;
    }
  }
}

}  // namespace

void gemm_strided(int dev, bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, size_t sa,
                  const float* B, int ldb, size_t sb, float beta, float* C, int ldc, size_t sc, int batch) {
  if (M <= 0 || N <= 0 || batch <= 0) return;
  DeviceGuard g(dev);
  unsigned gy = (M + BM - 1) / BM;
  if (gy > 65535) throw Error("gemm: M = " + std::to_string(M) + " exceeds the CUDA grid limit");
  for (int b0 = 0; b0 < batch; b0 += 65535) {
    dim3 grid((N + BN - 1) / BN, gy, std::min(65535, batch - b0));
    const float* a = A + b0 * sa;
    const float* bb = B + b0 * sb;
    float* c = C + b0 * sc;
    if (!ta && !tb) gemm_kernel<false, false><<<grid, 256>>>(M, N, K, alpha, a, lda, sa, bb, ldb, sb, beta, c, ldc, sc);
    else if (ta && !tb) gemm_kernel<true, false><<<grid, 256>>>(M, N, K, alpha, a, lda, sa, bb, ldb, sb, beta, c, ldc, sc);
    else if (!ta && tb) gemm_kernel<false, true><<<grid, 256>>>(M, N, K, alpha, a, lda, sa, bb, ldb, sb, beta, c, ldc, sc);
    else gemm_kernel<true, true><<<grid, 256>>>(M, N, K, alpha, a, lda, sa, bb, ldb, sb, beta, c, ldc, sc);
    EXO_CUDA_LAUNCH("gemm");
  }
}

void gemm(int dev, bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
          int ldb, float beta, float* C, int ldc) {
  gemm_strided(dev, ta, tb, M, N, K, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
}

}  // namespace gpu
}  // namespace exo
