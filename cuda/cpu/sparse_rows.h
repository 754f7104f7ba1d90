// Row helpers shared by the CPU spike-sparse products (sparse.cc, sparse_index.cc).
#pragma once
#include <cmath>
#include <cstddef>
#include <vector>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "parallel.h"

namespace exo {
namespace cpu {
namespace sparse_rows {

// Calls f(i, x[i]) for every nonzero x[i], i in [0, n), in ascending i.
template <typename F>
inline void for_nonzero(const float* x, int n, F&& f) {
  int i = 0;
#if defined(__AVX2__)
  const __m256 zero = _mm256_setzero_ps();
  for (; i + 8 <= n; i += 8) {
    unsigned m = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i), zero, _CMP_NEQ_UQ));
    while (m) {
      int j = __builtin_ctz(m);
      m &= m - 1;
      f(i + j, x[i + j]);
    }
  }
#endif
  for (; i < n; ++i)
    if (x[i] != 0.f) f(i, x[i]);
}

// acc[j] = fma(v, row[j], acc[j]): explicit fma so the CUDA kernels' fmaf chains match bit for bit.
inline void fma_row(float* acc, float v, const float* row, int n) {
  for (int j = 0; j < n; ++j) acc[j] = std::fma(v, row[j], acc[j]);
}

#if defined(__AVX2__)
// out[c * ostride + r] = in[r * istride + c] for an 8 × 8 block.
inline void transpose8x8(const float* in, size_t istride, float* out, size_t ostride) {
  __m256 r[8], t[8], u[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(in + i * istride);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_ps(out + i * ostride, _mm256_permute2f128_ps(u[i], u[i + 4], 0x20));
    _mm256_storeu_ps(out + (i + 4) * ostride, _mm256_permute2f128_ps(u[i], u[i + 4], 0x31));
  }
}
#endif

// out[c * rows + r] = in[r * cols + c]. In 8 × 8 blocks: the plain loop's writes `rows` apart
// (a 4 KiB stride for a 32 × 32 image) all fall in one cache set, and it ran at a tenth of the
// speed of memory.
inline void transpose(const float* in, float* out, int rows, int cols) {
  int r0 = 0;
#if defined(__AVX2__)
  for (; r0 + 8 <= rows; r0 += 8) {
    int c = 0;
    for (; c + 8 <= cols; c += 8) transpose8x8(in + (size_t)r0 * cols + c, (size_t)cols, out + (size_t)c * rows + r0, (size_t)rows);
    for (; c < cols; ++c)
      for (int r = r0; r < r0 + 8; ++r) out[(size_t)c * rows + r] = in[(size_t)r * cols + c];
  }
#endif
  for (int r = r0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) out[(size_t)c * rows + r] = in[(size_t)r * cols + c];
}

struct Scratch {
  std::vector<std::vector<float>> bufs;
  Scratch(int n, size_t size) : bufs((size_t)n, std::vector<float>(size)) {}
  float* operator[](int i) { return bufs[(size_t)i].data(); }
};

// dw[o * rows + r] += Σ_sl part[sl][r * cols + o], the slices added in slice order (the fixed
// reduction of kernels/sparse.cuh): a weight gradient's slices, transposed into dw[cols, rows].
inline void add_slices(Scratch& part, int slices, int rows, int cols, float* dw) {
  parallel_chunks((size_t)cols, [&](size_t b, size_t e) {
    for (size_t o = b; o < e; ++o)
      for (int r = 0; r < rows; ++r) {
        float t = 0.f;
        for (int sl = 0; sl < slices; ++sl) t += part[sl][(size_t)r * cols + o];
        dw[o * rows + r] += t;
      }
  }, 2);
}

}  // namespace sparse_rows
}  // namespace cpu
}  // namespace exo
