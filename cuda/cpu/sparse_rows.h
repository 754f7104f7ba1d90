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

// out[c * rows + r] = in[r * cols + c]
inline void transpose(const float* in, float* out, int rows, int cols) {
  for (int r = 0; r < rows; ++r)
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
