// CUDA SGEMM without cuBLAS: 64 x 64 tiles of C per block of 256 threads, each thread holding a
// 4 x 4 sub-tile in registers; K is walked in steps of 16 through shared memory. Transposes are
// handled when tiles are loaded, so the inner loop is the same for all four cases.
//
// Narrow tiles: a product with M <= 32 rows (the weight gradient of a convolution with 16 output
// channels) takes tiles of 32 or 16 rows (2 x 4 or 1 x 4 per thread): a 64-row tile would leave
// half or three quarters of its threads multiplying zeros.
//
// Split-K: a product with fewer 64 x 64 tiles than SMs and a long K (the weight gradient
// dyᵀ·x with M = N = 128 over K = T·B = 32,000 is 4 tiles) would run on a few SMs. Its K range
// is cut into slices that run in parallel, each writing α·(its partial product) to scratch, and a
// second kernel adds the slices in a fixed order (deterministic) and applies β.
//
// Sum of a batch (strideC = 0): C = α·Σ_b A_b·B_b + β·C is one product whose K runs over the
// batch's products in turn (the conv weight gradient: K = images × output pixels). It is split
// like K, in slices of whole products.
#include <algorithm>

#include "check.cuh"
#include "exodus/backend.h"

namespace exo {
namespace gpu {
namespace {

constexpr int BN = 64, BK = 16, TN = 4;

// How blockIdx.z is read: one product of a strided batch, a slice of K, or a slice of a summed
// batch (products [z·bslice, (z + 1)·bslice)). Slices write to C + z·sc (scratch, β = 0) when
// there are several.
struct Split {
  int kslice = 0;  // > 0: split-K
  int bslice = 0;  // > 0: sum of a batch
  int batch = 1;   // products summed (with bslice)
};

// TM rows of C per thread, BM = 16·TM rows per block (64, 32 or 16).
template <bool TA, bool TB, int TM>
__global__ void __launch_bounds__(256) gemm_kernel(int M, int N, int K, float alpha, const float* __restrict__ A,
                                                   int lda, size_t sa, const float* __restrict__ B, int ldb, size_t sb,
                                                   float beta, float* __restrict__ C, int ldc, size_t sc, Split sp) {
  constexpr int BM = 16 * TM;
  int kb = 0, ke = K, b0 = 0, b1 = 1;
  if (sp.kslice > 0) {
    kb = blockIdx.z * sp.kslice;
    ke = min(K, kb + sp.kslice);
  } else if (sp.bslice > 0) {
    b0 = blockIdx.z * sp.bslice;
    b1 = min(sp.batch, b0 + sp.bslice);
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
  // Each product of a summed batch is walked in whole BK steps (its last one zero-padded), so a
  // tile never straddles two products.
  // (pb stays 0 unless a batch is summed: A and B were placed above.)
  for (int pb = b0; pb < b1; ++pb) {
    const float* __restrict__ Ab = A + (size_t)pb * sa;
    const float* __restrict__ Bb = B + (size_t)pb * sb;
    for (int k0 = kb; k0 < ke; k0 += BK) {
      // BM x 16 elements of A's tile and 64 x 16 of B's, 4 of each per thread for BM = 64.
      for (int l = tid; l < BM * BK; l += 256) {
        int mm, kk;
        if (TA) { mm = l % BM; kk = l / BM; }  // A stored [K, M]: consecutive threads walk m
        else { kk = l % BK; mm = l / BK; }     // A stored [M, K]: consecutive threads walk k
        int gm = m0 + mm, gk = k0 + kk;
        float v = 0.f;
        if (gm < M && gk < ke) v = TA ? Ab[(size_t)gk * lda + gm] : Ab[(size_t)gm * lda + gk];
        As[kk][mm] = v;
      }
      for (int l = tid; l < BN * BK; l += 256) {
        int nn, kk;
        if (TB) { kk = l % BK; nn = l / BK; }  // B stored [N, K]
        else { nn = l % BN; kk = l / BN; }     // B stored [K, N]
        int gn = n0 + nn, gk = k0 + kk;
        float v = 0.f;
        if (gn < N && gk < ke) v = TB ? Bb[(size_t)gn * ldb + gk] : Bb[(size_t)gk * ldb + gn];
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
void launch(int tm, dim3 grid, int M, int N, int K, float alpha, const float* A, int lda, size_t sa, const float* B,
            int ldb, size_t sb, float beta, float* C, int ldc, size_t sc, Split sp) {
  if (tm == 1) EXO_LAUNCH(grid, 256, gemm_kernel<TA, TB, 1>)(M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, sp);
  else if (tm == 2) EXO_LAUNCH(grid, 256, gemm_kernel<TA, TB, 2>)(M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, sp);
  else EXO_LAUNCH(grid, 256, gemm_kernel<TA, TB, 4>)(M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, sp);
}

void launch_any(bool ta, bool tb, int tm, dim3 grid, int M, int N, int K, float alpha, const float* A, int lda,
                size_t sa, const float* B, int ldb, size_t sb, float beta, float* C, int ldc, size_t sc, Split sp) {
  if (!ta && !tb) launch<false, false>(tm, grid, M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, sp);
  else if (ta && !tb) launch<true, false>(tm, grid, M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, sp);
  else if (!ta && tb) launch<false, true>(tm, grid, M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, sp);
  else launch<true, true>(tm, grid, M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, sp);
}

// Slices of a K range of length K (in elements of the summed K) for a product of `tiles` tiles:
// enough to give every SM a block, each at least 256 deep (shorter slices spend more on scratch
// traffic than they gain), at most 64.
int split_k(int tiles, size_t K, int sms) {
  if (tiles >= sms || K < 512) return 1;
  return (int)std::max<size_t>(1, std::min<size_t>({(size_t)(sms / tiles), K / 256, 64}));
}

// Runs slices (grid.z = slices) into scratch [slices][M][N] and adds them into C in slice order.
void run_sliced(int dev, bool ta, bool tb, int tm, unsigned gx, unsigned gy, int slices, int M, int N, int K,
                float alpha, const float* A, int lda, size_t sa, const float* B, int ldb, size_t sb, float beta,
                float* C, int ldc, Split sp) {
  size_t mn = (size_t)M * N;
  Buffer part = gpu::alloc(dev, mn * slices);
  try {
    launch_any(ta, tb, tm, dim3(gx, gy, slices), M, N, K, alpha, A, lda, sa, B, ldb, sb, 0.f, part.data, N, mn, sp);
    EXO_CUDA_LAUNCH("gemm (slices)");
    EXO_LAUNCH(grid_for(mn), 256, sum_slices)(part.data, slices, M, N, beta, C, ldc);
    EXO_CUDA_LAUNCH("gemm (sum of slices)");
  } catch (...) {
    gpu::release(part);
    throw;
  }
  gpu::release(part);  // later users of the block are ordered after these kernels (default stream)
}

}  // namespace

void gemm_strided(int dev, bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, size_t sa,
                  const float* B, int ldb, size_t sb, float beta, float* C, int ldc, size_t sc, int batch) {
  if (M <= 0 || N <= 0 || batch <= 0) return;
  DeviceGuard g(dev);
  int tm = M <= 16 ? 1 : M <= 32 ? 2 : 4;  // narrow tiles for few rows
  unsigned bm = 16u * tm;
  unsigned gy = (M + bm - 1) / bm;
  if (gy > 65535) throw Error("gemm: M = " + std::to_string(M) + " exceeds the CUDA grid limit");
  unsigned gx = (N + BN - 1) / BN;
  int tiles = (int)std::min<size_t>((size_t)gx * gy, 1u << 30);
  if (sc == 0 && batch > 1) {
    // C = α·Σ_b A_b·B_b + β·C: one product over K = batch·K, sliced by whole products.
    int slices = std::min(split_k(tiles, (size_t)batch * K, sm_count(dev)), batch);
    Split sp;
    sp.bslice = (batch + slices - 1) / slices;
    sp.batch = batch;
    slices = (batch + sp.bslice - 1) / sp.bslice;
    if (slices == 1) {
      launch_any(ta, tb, tm, dim3(gx, gy, 1), M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, 0, sp);
      EXO_CUDA_LAUNCH("gemm (sum of a batch)");
    } else {
      run_sliced(dev, ta, tb, tm, gx, gy, slices, M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sp);
    }
    return;
  }
  int slices = batch == 1 ? split_k(tiles, (size_t)K, sm_count(dev)) : 1;
  if (slices > 1) {
    // Slices of whole BK steps, so every slice starts on a tile boundary.
    Split sp;
    sp.kslice = ((K + slices - 1) / slices + BK - 1) / BK * BK;
    slices = (K + sp.kslice - 1) / sp.kslice;
    run_sliced(dev, ta, tb, tm, gx, gy, slices, M, N, K, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, sp);
    return;
  }
  // grid.z is limited to 65,535 products per launch: larger batches take several launches.
  for (int b0 = 0; b0 < batch; b0 += limits::kGridZ) {
    dim3 grid(gx, gy, std::min(limits::kGridZ, batch - b0));
    launch_any(ta, tb, tm, grid, M, N, K, alpha, A + b0 * sa, lda, sa, B + b0 * sb, ldb, sb, beta, C + b0 * sc, ldc,
               sc, Split());
    EXO_CUDA_LAUNCH("gemm");
  }
}

void gemm(int dev, bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
          int ldb, float beta, float* C, int ldc) {
  gemm_strided(dev, ta, tb, M, N, K, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
}

}  // namespace gpu
}  // namespace exo
