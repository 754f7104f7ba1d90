// The CPU spike index (exodus/host_ops.h) and the Linear products that read it. Each product
// keeps a block of up to 64 outputs in vector registers across a row's nonzeros, where the
// scanning products (sparse.cc) load and store the output row once per nonzero.
#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "exodus/backend.h"
#include "kernels/sparse.cuh"
#include "parallel.h"
#include "index_rows.h"
#include "sparse_rows.h"

namespace exo {
namespace cpu {
namespace {
using namespace sparse_rows;

}  // namespace

// Calls f(j) for every set bit begin + j of the bitmask, j in [0, n), in ascending j. The mask is
// read in 8-byte words, so it must be padded to a whole word past its last bit.
template <typename F>
inline void for_mask_bits(const uint8_t* mask, size_t begin, int n, F&& f) {
  const size_t end = begin + (size_t)n;
  for (size_t w = begin / 64; w * 64 < end; ++w) {
    uint64_t m;
    std::memcpy(&m, mask + w * 8, 8);  // little-endian: bit i of the word is flat bit w·64 + i
    const size_t base = w * 64;
    if (base < begin) m &= ~0ull << (begin - base);
    if (end - base < 64) m &= (1ull << (end - base)) - 1;
    while (m) {
      f((int)(base + (size_t)__builtin_ctzll(m) - begin));
      m &= m - 1;
    }
  }
}

// One chunk's nonzeros during a build, grown by doubling (uninitialised: every slot written is read).
struct ChunkEntries {
  std::unique_ptr<int32_t[]> cols;
  std::unique_ptr<float[]> vals;
  size_t size = 0, cap = 0;
  void reserve(size_t need) {
    if (need <= cap) return;
    size_t cap2 = cap * 2 > need ? cap * 2 : need;
    std::unique_ptr<int32_t[]> c(new int32_t[cap2]);
    std::unique_ptr<float[]> v(new float[cap2]);
    if (size) {
      std::memcpy(c.get(), cols.get(), size * sizeof(int32_t));
      std::memcpy(v.get(), vals.get(), size * sizeof(float));
    }
    cols = std::move(c);
    vals = std::move(v);
    cap = cap2;
  }
};

// Nonzeros of x[0, n) (or set bits of the mask's range): the count alone, 8 at a time.
inline size_t count_row(const float* x, const uint8_t* mask, size_t begin, int n) {
  size_t c = 0;
  if (mask) {
    for_mask_bits(mask, begin, n, [&](int) { ++c; });
    return c;
  }
  int i = 0;
#if defined(__AVX2__)
  const __m256 zero = _mm256_setzero_ps();
  for (; i + 8 <= n; i += 8)
    c += (size_t)__builtin_popcount((unsigned)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i), zero, _CMP_NEQ_UQ)));
#endif
  for (; i < n; ++i) c += x[i] != 0.f;
  return c;
}

namespace {
SpikeIndexBuild build_index(const float* s, int rows, int features, int32_t* offsets, int32_t* cols, float* vals,
                            size_t capacity, const uint8_t* mask, float collect) {
  const int chunks = rows < 64 ? (rows < 1 ? 1 : rows) : 64;  // a fixed split: the index is the same for any thread count
  // The chunks' buffers are kept between builds (fresh ones cost a page fault per 4 KiB every
  // step); a build that finds them in use by another thread makes its own.
  static std::mutex kept_mu;
  static std::vector<ChunkEntries> kept;
  std::unique_lock<std::mutex> lock(kept_mu, std::try_to_lock);
  std::vector<ChunkEntries> own;
  std::vector<ChunkEntries>& part = lock.owns_lock() ? kept : own;
  if (part.size() < (size_t)chunks) part.resize((size_t)chunks);
  for (auto& e : part) e.size = 0;
  offsets[0] = 0;
  std::vector<size_t> counted((size_t)chunks, 0);  // nonzeros a chunk counted after it stopped collecting
  std::vector<char> stopped((size_t)chunks, 0);
  parallel_for((size_t)chunks, [&](size_t c, int) {
    const int r0 = k::sparse_slice_begin(rows, chunks, (int)c), r1 = k::sparse_slice_begin(rows, chunks, (int)c + 1);
    ChunkEntries& e = part[c];
    // A chunk denser than `collect` stops collecting and only counts: an input that takes the
    // dense path then costs what counting its nonzeros does.
    const double limit = (double)collect * (double)(r1 - r0) * (double)features;
    if (collect > 0) e.reserve((size_t)(r1 - r0) * features / 8 + features);
    for (int r = r0; r < r1; ++r) {
      if (stopped[c] || (collect < 1 && (double)e.size > limit)) {
        stopped[c] = 1;
        counted[c] += count_row(s + (size_t)r * features, mask, (size_t)r * features, features);
        continue;
      }
      e.reserve(e.size + features);  // a row adds at most `features`
      int32_t* cp = e.cols.get() + e.size;
      float* vp = e.vals.get() + e.size;
      const float* row = s + (size_t)r * features;
      if (mask)
        for_mask_bits(mask, (size_t)r * features, features, [&](int f) {
          *cp++ = f;
          *vp++ = row[f];
        });
      else
        for_nonzero(row, features, [&](int f, float v) {
          *cp++ = f;
          *vp++ = v;
        });
      e.size = (size_t)(cp - e.cols.get());
      offsets[r + 1] = (int32_t)e.size;  // within the chunk; made global below
    }
  });
  std::vector<size_t> base((size_t)chunks + 1, 0);
  size_t extra = 0;
  bool all = true;
  for (int c = 0; c < chunks; ++c) {
    base[(size_t)c + 1] = base[(size_t)c] + part[(size_t)c].size;
    extra += counted[(size_t)c];
    all = all && !stopped[(size_t)c];
  }
  const size_t total = base[(size_t)chunks] + extra;
  if (!all || total > capacity) return {total, false};
  parallel_for((size_t)chunks, [&](size_t c, int) {
    const int r0 = k::sparse_slice_begin(rows, chunks, (int)c), r1 = k::sparse_slice_begin(rows, chunks, (int)c + 1);
    for (int r = r0; r < r1; ++r) offsets[r + 1] += (int32_t)base[c];
    if (part[c].size) {
      std::memcpy(cols + base[c], part[c].cols.get(), part[c].size * sizeof(int32_t));
      std::memcpy(vals + base[c], part[c].vals.get(), part[c].size * sizeof(float));
    }
  });
  return {total, true};
}
}  // namespace

void spike_index_build(const float* s, int rows, int features, int32_t* offsets, int32_t* cols, float* vals,
                       size_t capacity, const uint8_t* mask, float collect, SpikeIndexBuild* out) {
  *out = build_index(s, rows, features, offsets, cols, vals, capacity, mask, collect);
}

namespace {
size_t index_from_frames(int T, int B, int F, const uint32_t* const* index, const uint32_t* const* count,
                         const size_t* n, int32_t* offsets, int32_t* cols, float* vals, size_t capacity) {
  for (int b = 0; b < B; ++b)
    for (size_t j = 1; j < n[b]; ++j)
      if (index[b][j] <= index[b][j - 1]) return (size_t)-1;
  std::vector<size_t> pos((size_t)B, 0);
  size_t nnz = 0;
  offsets[0] = 0;
  for (int t = 0; t < T; ++t) {
    const uint64_t lo = (uint64_t)t * F, hi = lo + (uint64_t)F;
    for (int b = 0; b < B; ++b) {
      size_t& j = pos[(size_t)b];
      for (; j < n[b] && index[b][j] < hi; ++j, ++nnz)
        if (nnz < capacity) {
          cols[nnz] = (int32_t)(index[b][j] - lo);
          vals[nnz] = (float)count[b][j];
        }
      offsets[(size_t)t * B + b + 1] = (int32_t)(nnz < capacity ? nnz : capacity);
    }
  }
  return nnz;
}
}  // namespace

void spike_index_from_frames(int T, int B, int F, const uint32_t* const* index, const uint32_t* const* count,
                             const size_t* n, int32_t* offsets, int32_t* cols, float* vals, size_t capacity,
                             size_t* nnz) {
  *nnz = index_from_frames(T, B, F, index, count, n, offsets, cols, vals, capacity);
}

void spike_index_linear_forward(const int32_t* offsets, const int32_t* cols, const float* vals, int rows,
                                int features, const float* w, int out, float* y, const float* bias) {
  std::vector<float> wt((size_t)features * out);
  transpose(w, wt.data(), out, features);  // wt[f, :] = W[:, f]
  parallel_chunks((size_t)rows, [&](size_t b, size_t e) {
    for (size_t r = b; r < e; ++r)
      index_rows::index_row_linear(cols + offsets[r], vals + offsets[r], offsets[r + 1] - offsets[r], wt.data(), out, bias, y + r * out);
  }, (size_t)(kParallelMin / ((size_t)features / 8 + 1)) + 1);
}

void spike_index_linear_weight_grad(const float* g, const int32_t* offsets, const int32_t* cols, const float* vals,
                                    int rows, int features, int out, float* dw) {
  const int slices = k::sparse_slices(rows);
  Scratch part(slices, (size_t)features * out);  // part[s][f, o]
  parallel_for((size_t)slices, [&](size_t sl, int) {
    float* p = part[(int)sl];
    std::memset(p, 0, sizeof(float) * (size_t)features * out);
    const int r0 = k::sparse_slice_begin(rows, slices, (int)sl), r1 = k::sparse_slice_begin(rows, slices, (int)sl + 1);
    for (int r = r0; r < r1; ++r) {
      const int32_t* c = cols + offsets[r];
      const float* v = vals + offsets[r];
      const int n = offsets[r + 1] - offsets[r];
      if (!n) continue;
      index_rows::index_row_weight_grad(c, v, n, g + (size_t)r * out, out, p);
    }
  });
  add_slices(part, slices, features, out, dw);
}

}  // namespace cpu
}  // namespace exo
