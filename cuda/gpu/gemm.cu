// CUDA SGEMM without cuBLAS: 64 x 64 tiles of C per block of 256 threads, each thread holding a
// 4 x 4 sub-tile in registers; K is walked in steps of 16 through shared memory. Transposes are
// handled when tiles are loaded, so the inner loop is the same for all four cases.
//
// Split-K: a product with fewer 64 x 64 tiles than SMs and a long K (the weight gradient
// dyᵀ·x with M = N = 128 over K = T·B = 32,000 is 4 tiles) would run on a few SMs. Its K range
// is cut into slices that run in parallel, each writing α·(its partial product) to scratch, and a
// second kernel adds the slices in a fixed order (deterministic) and applies β.
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
                                                   float beta, float* __restrict__ C, int ldc, size_t sc, int kslice) {
  // blockIdx.z selects one product of a strided batch, or with kslice > 0 one slice of K whose
  // partial product goes to C + z·sc (scratch, β = 0).
  int kb = 0, ke = K;
  if (kslice > 0) {
    kb = blockIdx.z * kslice;
    ke = min(K, kb + kslice);
  } else {
    A += blockIdx.z * sa;
    B += blockIdx.z * sb;
  }
  C += blockIdx.z * sc;
  __shared__ float As[BK][BM + 4];  // As[k][m]: padded against bank conflicts
  __shared__ float Bs[BK][BN + 4];  // Bs[k][n]
  int tid = threadIdx.x;
  int tx = tid % (BN / TN), ty = tid / (BN / TN);  // 16 x 16 threads
  int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  float acc[TM][TN] = {};
  for (int k0 = kb; k0 < ke; k0 += BK) {
    // 64 x 16 = 1024 elements of each tile, 4 per thread.
    for (int l = tid; l < BM * BK; l += 256) {
      int mm, kk;
      if (TA) { mm = l % BM; kk = l / BM; }  // A stored [K, M]: consecutive threads walk m
      else { kk = l % BK; mm = l / BK; }     // A stored [M, K]: consecutive threads walk k
      int gm = m0 + mm, gk = k0 + kk;
      float v = 0.f;
      if (gm < M && gk < ke) v = TA ? A[(size_t)gk * lda + gm] : A[(size_t)gm * lda + gk];
      As[kk][mm] = v;
    }
    for (int l = tid; l < BN * BK; l += 256) {
      int nn, kk;
      if (TB) { kk = l % BK; nn = l / BK; }  // B stored [N, K]
      else { nn = l % BN; kk = l / BN; }     // B stored [K, N]
      int gn = n0 + nn, gk = k0 + kk;
      float v = 0.f;
      if (gn < N && gk < ke) v = TB ? B[(size_t)gn * ldb + gk] : B[(size_t)gk * ldb + gn];
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

// Adds the slices' partial products (scratch [slices][M][N]) in order and applies β.
__global__ void sum_slices(const float* __restrict__ part, int slices, int M, int N, float beta, float* C, int ldc) {
  unsigned mn = (unsigned)M * (unsigned)N;
  for (unsigned i = blockIdx.x * blockDim.x + threadIdx.x; i < mn; i += gridDim.x * blockDim.x) {
    float s = 0.f;
    for (int z = 0; z < slices; ++z) s += part[(size_t)z * mn + i];
    float* c = C + (size_t)(i / N) * ldc + i % N;
    *c = beta == 0.f ? s : s + beta * *c;
  }
}

template <bool TA, bool TB>
void launch(dim3 grid, int M, int N, int K, float alpha, const float* A, int lda, size_t sa, const float* B, int ldb,
            size_t sb, float beta, float* C, int ldc, size_t sc, int kslice) {
  EXO_LAUNCH(grid, 256, gemm_kernel<TA, TB>)(M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, kslice);
}

void launch_any(bool ta, bool tb, dim3 grid, int M, int N, int K, float alpha, const float* A, int lda, size_t sa,
                const float* B, int ldb, size_t sb, float beta, float* C, int ldc, size_t sc, int kslice) {
  if (!ta && !tb) launch<false, false>(grid, M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, kslice);
  else if (ta && !tb) launch<true, false>(grid, M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, kslice);
  else if (!ta && tb) launch<false, true>(grid, M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, kslice);
  else launch<true, true>(grid, M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, kslice);
}

// Slices of K for a single product of `tiles` tiles: enough to give every SM a block, each at
// least 256 deep (shorter slices spend more on scratch traffic than they gain), at most 64.
int split_k(int tiles, int K, int sms) {
  if (tiles >= sms || K < 512) return 1;
  return std::max(1, std::min({sms / tiles, K / 256, 64}));
}

}  // namespace

void gemm_strided(int dev, bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, size_t sa,
                  const float* B, int ldb, size_t sb, float beta, float* C, int ldc, size_t sc, int batch) {
  if (M <= 0 || N <= 0 || batch <= 0) return;
  DeviceGuard g(dev);
  unsigned gy = (M + BM - 1) / BM;
  if (gy > 65535) throw Error("gemm: M = " + std::to_string(M) + " exceeds the CUDA grid limit");
  unsigned gx = (N + BN - 1) / BN;
  int slices = batch == 1 ? split_k((int)std::min<size_t>((size_t)gx * gy, 1u << 30), K, sm_count(dev)) : 1;
  if (slices > 1) {
    // Slices of whole BK steps, so every slice starts on a tile boundary.
    int kslice = ((K + slices - 1) / slices + BK - 1) / BK * BK;
    slices = (K + kslice - 1) / kslice;
    size_t mn = (size_t)M * N;
    Buffer part = gpu::alloc(dev, mn * slices);
    try {
      launch_any(ta, tb, dim3(gx, gy, slices), M, N, K, alpha, A, lda, 0, B, ldb, 0, 0.f, part.data, N, mn, kslice);
      EXO_CUDA_LAUNCH("gemm (split-K)");
      EXO_LAUNCH(grid_for(mn), 256, sum_slices)(part.data, slices, M, N, beta, C, ldc);
      EXO_CUDA_LAUNCH("gemm (sum of K slices)");
    } catch (...) {
      gpu::release(part);
      throw;
    }
    gpu::release(part);  // later users of the block are ordered after these kernels (default stream)
    return;
  }
  // grid.z is limited to 65,535 products per launch: larger batches take several launches.
  for (int b0 = 0; b0 < batch; b0 += limits::kGridZ) {
    dim3 grid(gx, gy, std::min(limits::kGridZ, batch - b0));
    launch_any(ta, tb, grid, M, N, K, alpha, A + b0 * sa, lda, sa, B + b0 * sb, ldb, sb, beta, C + b0 * sc, ldc, sc, 0);
    EXO_CUDA_LAUNCH("gemm");
  }
}

void gemm(int dev, bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
          int ldb, float beta, float* C, int ldc) {
  gemm_strided(dev, ta, tb, M, N, K, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
}

}  // namespace gpu
}  // namespace exo
