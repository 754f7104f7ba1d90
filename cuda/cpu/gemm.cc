// CPU SGEMM, row-major, C = alpha * op(A) op(B) + beta * C.
//
// The classic blocked layout (Goto / BLIS): B is packed into KC x NR column panels, A into
// MC x KC blocks of MR-row panels, and a register-blocked micro-kernel keeps an MR x NR tile of C
// in registers while it streams both panels. With AVX2 + FMA the tile is 6 x 16 (12 ymm
// accumulators). Transposes are absorbed by the packing, so the micro-kernel sees one layout.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define EXO_GEMM_AVX2 1
#endif

#include "exodus/backend.h"
#include "exodus/host_alloc.h"
#include "cpu_features.h"
#include "gemm_avx512.h"
#include "parallel.h"

namespace exo {
namespace cpu {
namespace {

constexpr int MR = 6, NR = 16;
constexpr int KC = 256, NC = 3072;
constexpr int MC_MAX = 120;  // 20 A micro-panels: 120 x 256 floats = 120 KiB, about L2-sized

struct Mat {
  const float* p;
  int ld;
  bool t;
  float at(int r, int c) const { return t ? p[(size_t)c * ld + r] : p[(size_t)r * ld + c]; }
};

// Packs op(A)[i0:i0+mc, k0:k0+kc] into MR-row panels: panel-major, then k, then the MR rows.
void pack_a(const Mat& A, int i0, int mc, int k0, int kc, float* out) {
  for (int ip = 0; ip < mc; ip += MR) {
    int mr = std::min(MR, mc - ip);
    if (!A.t && mr == MR) {
      const float* rows[MR];
      for (int r = 0; r < MR; ++r) rows[r] = A.p + (size_t)(i0 + ip + r) * A.ld + k0;
      for (int k = 0; k < kc; ++k)
        for (int r = 0; r < MR; ++r) *out++ = rows[r][k];
    } else if (A.t && mr == MR) {
      for (int k = 0; k < kc; ++k) {
        const float* src = A.p + (size_t)(k0 + k) * A.ld + i0 + ip;
        for (int r = 0; r < MR; ++r) *out++ = src[r];
      }
    } else {
      for (int k = 0; k < kc; ++k)
        for (int r = 0; r < MR; ++r) *out++ = r < mr ? A.at(i0 + ip + r, k0 + k) : 0.f;
    }
  }
}

// Packs op(B)[k0:k0+kc, j0:j0+nc] into NR-column panels: panel-major, then k, then NR columns.
void pack_b_panel(const Mat& B, int k0, int kc, int j, int nr, float* out) {
  if (!B.t && nr == NR) {
    for (int k = 0; k < kc; ++k) {
      std::memcpy(out, B.p + (size_t)(k0 + k) * B.ld + j, NR * sizeof(float));
      out += NR;
    }
  } else {
    for (int k = 0; k < kc; ++k)
      for (int c = 0; c < NR; ++c) *out++ = c < nr ? B.at(k0 + k, j + c) : 0.f;
  }
}

// Writes acc (MR x NR, row-major) into C: C = alpha*acc + beta*C, or C += alpha*acc when !first.
inline void store_tile(const float* acc, float* C, int ldc, int mr, int nr, float alpha, float beta,
                       bool first) {
  for (int r = 0; r < mr; ++r) {
    float* c = C + (size_t)r * ldc;
    const float* a = acc + r * NR;
    if (!first || beta == 1.f)
      for (int j = 0; j < nr; ++j) c[j] += alpha * a[j];
    else if (beta == 0.f)
      for (int j = 0; j < nr; ++j) c[j] = alpha * a[j];
    else
      for (int j = 0; j < nr; ++j) c[j] = alpha * a[j] + beta * c[j];
  }
}

#ifdef EXO_GEMM_AVX2
// a: element (row r, step k) at a[r * rs + k * ks] — a packed panel (rs = 1, ks = MR) or rows of
// a row-major A read in place (rs = lda, ks = 1).
void micro_kernel(int kc, const float* a, const float* b, float* C, int ldc, int mr, int nr,
                  float alpha, float beta, bool first, size_t rs = 1, size_t ks = MR) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int k = 0; k < kc; ++k) {
    __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    __m256 a0 = _mm256_broadcast_ss(a + 0 * rs), a1 = _mm256_broadcast_ss(a + 1 * rs);
    c00 = _mm256_fmadd_ps(a0, b0, c00); c01 = _mm256_fmadd_ps(a0, b1, c01);
    c10 = _mm256_fmadd_ps(a1, b0, c10); c11 = _mm256_fmadd_ps(a1, b1, c11);
    a0 = _mm256_broadcast_ss(a + 2 * rs); a1 = _mm256_broadcast_ss(a + 3 * rs);
    c20 = _mm256_fmadd_ps(a0, b0, c20); c21 = _mm256_fmadd_ps(a0, b1, c21);
    c30 = _mm256_fmadd_ps(a1, b0, c30); c31 = _mm256_fmadd_ps(a1, b1, c31);
    a0 = _mm256_broadcast_ss(a + 4 * rs); a1 = _mm256_broadcast_ss(a + 5 * rs);
    c40 = _mm256_fmadd_ps(a0, b0, c40); c41 = _mm256_fmadd_ps(a0, b1, c41);
    c50 = _mm256_fmadd_ps(a1, b0, c50); c51 = _mm256_fmadd_ps(a1, b1, c51);
    a += ks;
    b += NR;
  }
  __m256 rows[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  if (mr == MR && nr == NR) {
    __m256 va = _mm256_set1_ps(alpha);
    bool accumulate = !first || beta == 1.f;
    __m256 vb = _mm256_set1_ps(accumulate ? 1.f : beta);
    for (int r = 0; r < MR; ++r) {
      float* c = C + (size_t)r * ldc;
      __m256 v0 = _mm256_mul_ps(va, rows[r][0]), v1 = _mm256_mul_ps(va, rows[r][1]);
      if (accumulate || beta != 0.f) {
        v0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c), v0);
        v1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + 8), v1);
      }
      _mm256_storeu_ps(c, v0);
      _mm256_storeu_ps(c + 8, v1);
    }
    return;
  }
  alignas(32) float acc[MR * NR];
  for (int r = 0; r < MR; ++r) {
    _mm256_store_ps(acc + r * NR, rows[r][0]);
    _mm256_store_ps(acc + r * NR + 8, rows[r][1]);
  }
  store_tile(acc, C, ldc, mr, nr, alpha, beta, first);
}
#else
void micro_kernel(int kc, const float* a, const float* b, float* C, int ldc, int mr, int nr,
                  float alpha, float beta, bool first, size_t rs = 1, size_t ks = MR) {
  float acc[MR * NR] = {0};
  for (int k = 0; k < kc; ++k, a += ks, b += NR)
    for (int r = 0; r < MR; ++r)
      for (int j = 0; j < NR; ++j) acc[r * NR + j] += a[r * rs] * b[j];
  store_tile(acc, C, ldc, mr, nr, alpha, beta, first);
}
#endif

struct AlignedBuf {
  float* p = nullptr;
  explicit AlignedBuf(size_t n) {
    p = aligned_host_alloc(((n * sizeof(float) + 63) / 64) * 64);
    if (!p) throw Error("gemm: out of host memory for packing buffers");
  }
  ~AlignedBuf() { aligned_host_free(p); }
};

// The blocked product over all of C, parallel over blocks of rows of C when `threads` > 1.
void gemm_blocked(const Mat& a, const Mat& b, int M, int N, int K, float alpha, float beta, float* C,
                  int ldc, int threads) {
  bool parallel = threads > 1;
#ifdef EXO_GEMM_AVX2
  const bool wide = cpu_avx512_enabled();
#else
  const bool wide = false;  // the AVX-512 tile reproduces the AVX2 kernel's sums, not the scalar one's
#endif
  // Four A blocks per thread (a block held by a descheduled thread is a small part of the
  // product), but no taller than fits in L2.
  int mc = (M + 4 * threads - 1) / (4 * threads);
  mc = std::min(MC_MAX, ((mc + MR - 1) / MR) * MR);

  AlignedBuf bpack((size_t)KC * (std::min(N, NC) + NR));
  std::vector<std::unique_ptr<AlignedBuf>> apacks;
  for (int t = 0; t < threads; ++t) apacks.emplace_back(new AlignedBuf((size_t)MC_MAX * KC));

  for (int jc = 0; jc < N; jc += NC) {
    int nc = std::min(NC, N - jc);
    int npanels = (nc + NR - 1) / NR;
    // Packing A pays off when a panel is reused across many B panels; with a narrow C (readouts,
    // im2col convolutions with few channels) reading row-major A in place is faster.
    // With the AVX-512 tile, a block of A is read by half as many tiles, and in place it costs
    // less than packing it up to 8 panels (SHD's ∂x = λ·W, N = 128).
    bool direct_a = !a.t && npanels <= (wide ? 8 : 4);
    // Panels jp and jp + 1 both full: one AVX-512 6 x 32 tile instead of two AVX2 6 x 16 ones
    // (gemm_avx512.h: the same sums in the same order). The loops visit each C tile once either way.
    auto pair = [&](int jp) { return wide && jp + 1 < npanels && nc - (jp + 1) * NR >= NR; };
    for (int pc = 0; pc < K; pc += KC) {
      int kc = std::min(KC, K - pc);
      bool first = pc == 0;
      parallel_for((size_t)npanels, [&](size_t jp, int) {
        pack_b_panel(b, pc, kc, jc + (int)jp * NR, std::min(NR, nc - (int)jp * NR), bpack.p + jp * kc * NR);
      }, parallel ? threads : 1);
      int nblocks = (M + mc - 1) / mc;
      parallel_for((size_t)nblocks, [&](size_t blk_, int slot) {
        int ic = (int)blk_ * mc;
        int mcur = std::min(mc, M - ic);
        float* ap = apacks[slot]->p;
        if (direct_a) {
          // Full MR-row panels straight from A; only a ragged last panel is packed (zero-padded).
          int full = mcur / MR * MR;
          if (full < mcur) pack_a(a, ic + full, mcur - full, pc, kc, ap);
          for (int jp = 0; jp < npanels; ++jp) {
            int nr = std::min(NR, nc - jp * NR);
            const float* bp = bpack.p + (size_t)jp * kc * NR;
            if (pair(jp)) {
              for (int ip = 0; ip < full; ip += MR)
                micro_kernel_6x32_avx512(kc, a.p + (size_t)(ic + ip) * a.ld + pc, (size_t)a.ld, 1, bp,
                                         bp + (size_t)kc * NR, C + (size_t)(ic + ip) * ldc + jc + jp * NR, ldc,
                                         alpha, beta, first);
              for (int h = 0; h < 2 && full < mcur; ++h)
                micro_kernel(kc, ap, bp + (size_t)h * kc * NR, C + (size_t)(ic + full) * ldc + jc + (jp + h) * NR,
                             ldc, mcur - full, NR, alpha, beta, first);
              ++jp;
              continue;
            }
            for (int ip = 0; ip < full; ip += MR)
              micro_kernel(kc, a.p + (size_t)(ic + ip) * a.ld + pc, bp, C + (size_t)(ic + ip) * ldc + jc + jp * NR,
                           ldc, MR, nr, alpha, beta, first, (size_t)a.ld, 1);
            if (full < mcur)
              micro_kernel(kc, ap, bp, C + (size_t)(ic + full) * ldc + jc + jp * NR, ldc, mcur - full, nr, alpha,
                           beta, first);
          }
          return;
        }
        pack_a(a, ic, mcur, pc, kc, ap);
        for (int jp = 0; jp < npanels; ++jp) {
          int nr = std::min(NR, nc - jp * NR);
          const float* bp = bpack.p + (size_t)jp * kc * NR;
          if (pair(jp)) {
            for (int ip = 0; ip < mcur; ip += MR) {
              float* c = C + (size_t)(ic + ip) * ldc + jc + jp * NR;
              if (mcur - ip >= MR)
                micro_kernel_6x32_avx512(kc, ap + (size_t)ip * kc, 1, MR, bp, bp + (size_t)kc * NR, c, ldc, alpha,
                                         beta, first);
              else
                for (int h = 0; h < 2; ++h)
                  micro_kernel(kc, ap + (size_t)ip * kc, bp + (size_t)h * kc * NR, c + h * NR, ldc, mcur - ip, NR,
                               alpha, beta, first);
            }
            ++jp;
            continue;
          }
          for (int ip = 0; ip < mcur; ip += MR)
            micro_kernel(kc, ap + (size_t)ip * kc, bp, C + (size_t)(ic + ip) * ldc + jc + jp * NR, ldc,
                         std::min(MR, mcur - ip), nr, alpha, beta, first);
        }
      }, parallel ? threads : 1);
    }
  }
}

// Offsets a matrix view to start at row r0 of op(X) when X is stored transposed, or column c0
// otherwise: used to hand each thread its own slice of K.
Mat k_slice_a(const Mat& a, int k0) { return a.t ? Mat{a.p + (size_t)k0 * a.ld, a.ld, true} : Mat{a.p + k0, a.ld, false}; }
Mat k_slice_b(const Mat& b, int k0) { return b.t ? Mat{b.p + k0, b.ld, true} : Mat{b.p + (size_t)k0 * b.ld, b.ld, false}; }

// Split-K for a small C with a long K (weight gradients: [N_out, T*B] x [T*B, N_in]), which has
// too few row blocks to share: slices of K into private C's, added up in slice order. The split
// depends on the shape only, never on the thread count, so results are the same for any count.
int k_slices(int M, int N, int K) {
  if ((size_t)M * N > (size_t)512 * 512 || (M + MR - 1) / MR >= 16 || K < 8 * KC) return 1;
  return std::min(8, K / (4 * KC));
}

void gemm_one(const Mat& a, const Mat& b, int M, int N, int K, float alpha, float beta, float* C, int ldc,
              int threads) {
  if (K <= 0 || alpha == 0.f) {  // C = beta * C
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) C[(size_t)i * ldc + j] = beta == 0.f ? 0.f : beta * C[(size_t)i * ldc + j];
    return;
  }
  if ((double)M * N * K < 2e5) threads = 1;
  int slices = k_slices(M, N, K);
  if (slices == 1) {
    gemm_blocked(a, b, M, N, K, alpha, beta, C, ldc, threads);
    return;
  }
  AlignedBuf parts((size_t)slices * M * N);
  int chunk = ((K + slices - 1) / slices + KC - 1) / KC * KC;
  parallel_for((size_t)slices, [&](size_t s, int) {
    int k0 = std::min(K, (int)s * chunk), k1 = std::min(K, k0 + chunk);
    float* part = parts.p + s * M * N;
    if (k1 > k0) gemm_blocked(k_slice_a(a, k0), k_slice_b(b, k0), M, N, k1 - k0, 1.f, 0.f, part, N, 1);
    else std::memset(part, 0, sizeof(float) * (size_t)M * N);
  }, threads);
  for (int i = 0; i < M; ++i) {
    float* c = C + (size_t)i * ldc;
    for (int j = 0; j < N; ++j) {
      float s = 0.f;
      for (int t = 0; t < slices; ++t) s += parts.p[(size_t)t * M * N + (size_t)i * N + j];
      c[j] = beta == 0.f ? alpha * s : alpha * s + beta * c[j];
    }
  }
}

}  // namespace

void gemm(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
  gemm_one(Mat{A, lda, ta}, Mat{B, ldb, tb}, M, N, K, alpha, beta, C, ldc, pool_threads());
}

void gemm_batched(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, size_t sa,
                  const float* B, int ldb, size_t sb, float beta, float* C, int ldc, size_t sc, int batch) {
  if (M <= 0 || N <= 0 || batch <= 0) return;
  int threads = pool_threads();
  if (sc == 0 && batch > 1) {
    // One output for the whole batch: C = α·Σ_b A_b·B_b + β·C, the products added in order.
    for (int i = 0; i < batch; ++i)
      gemm_one(Mat{A + i * sa, lda, ta}, Mat{B + i * sb, ldb, tb}, M, N, K, alpha, i ? 1.f : beta, C, ldc, threads);
    return;
  }
  // Many small products (one per image of a convolution): one product per thread at a time.
  // Each product is computed exactly as gemm() would, so the split never changes a result.
  if (batch >= 2 * threads && threads > 1) {
    parallel_for((size_t)batch, [&](size_t i, int) {
      gemm_one(Mat{A + i * sa, lda, ta}, Mat{B + i * sb, ldb, tb}, M, N, K, alpha, beta, C + i * sc, ldc, 1);
    }, threads);
    return;
  }
  for (int i = 0; i < batch; ++i)
    gemm_one(Mat{A + i * sa, lda, ta}, Mat{B + i * sb, ldb, tb}, M, N, K, alpha, beta, C + i * sc, ldc, threads);
}

}  // namespace cpu
}  // namespace exo
