// The backward of a Linear over a spike index taken inside the reverse scan of the LIF after it
// (lif_backward_linear, exodus/host_ops.h): a tile of whole batch rows keeps its ∂y = ∂L/∂x of the
// LIF for a chunk of kGradChunk steps in a buffer (64 steps × 512 neurons: 128 KiB, in L2), and
// when the chunk is complete takes from it, while it is in cache,
//   ∂x_in = ∂y·W  (the GEMM the Linear runs, or its product from ∂y's nonzeros where ∂y is sparse:
//                  the same sums in the same order per element, so the same values),
//   ∂Wᵀ  += the index rows' nonzeros times ∂y (index_rows.h, as the Linear's weight gradient),
//   ∂b   += ∂y summed over the chunk's rows.
// ∂y itself is never written to memory. ∂W and ∂b go into one partial per group of tiles, the
// groups fixed by the shape alone and added in group order: the results are the same at any
// thread count, but they are summed in another order than the Linear's (float rounding).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "exodus/backend.h"
#include "index_rows.h"
#include "neuron_tiles.h"
#include "parallel.h"
#include "sparse_rows.h"

namespace exo {
namespace cpu {

constexpr int kGradChunk = 64;
constexpr size_t kGradGroups = 8;  // at most this many ∂W partials (enough chunks for the threads; few to add up)

// The Linear's side of the fused backward: its index, weight and gradients.
struct LinearGradArgs {
  const int32_t* offsets;
  const int32_t* cols;
  const float* vals;
  int features, out;
  const float* w;  // [out, features]
  float* dw;       // [out, features], added to
  float* db;       // [out], added to; null without a bias
  float* dx;       // [T·B, features]; null without an input gradient
};

// One tile's sink (the backward tile's DxRows contract): ∂y of steps [t0, t0 + kGradChunk) of the
// tile's nr batch rows from r0, [step][n] in buf.
struct LinearGradSink {
  const LinearGradArgs& L;
  int T;
  size_t B, r0, nr, n;
  float* buf;
  float* cbuf;  // the chunk's ∂x_in [kGradChunk · nr, features] before it goes to dx (the dense path)
  float* dwp;  // the group's ∂Wᵀ partial [features, out]
  float* dbp;  // the group's ∂b partial [out]
  float* at(int t, size_t) const { return buf + (size_t)(t % kGradChunk) * n; }
  void done(int t) const {
    if (t % kGradChunk == 0) flush(t, std::min(T, t + kGradChunk));
  }
  // ∂x_in = ∂y·W for the chunk's rows. Where ∂y is sparse (a surrogate that vanishes away from
  // the threshold, flushed to zero: most of an initialised net's), from its nonzeros as the
  // Linear's sparse ∂x does (index_rows.h with W as the weight); else by the GEMM. Both sum the
  // same terms in the same order per element (zero terms left out), so the same values.
  __attribute__((noinline)) void input_grad(int t0, int t1) const {
    const int out = L.out, F = L.features;
    const size_t len = (size_t)(t1 - t0) * n;
    size_t nnz = 0;
    for (size_t i = 0; i < len; ++i) nnz += buf[i] != 0.f;
    if (nnz >= len / 4) {
      // One product for the chunk: its rows (t, q) are buf's rows of `out`, in order; the results
      // go through cbuf to their rows of dx, which are B·F apart between steps.
      const int rows = (t1 - t0) * (int)nr;
      gemm(false, false, rows, F, out, 1.f, buf, out, L.w, F, 0.f, cbuf, F);
      for (int t = t0; t < t1; ++t)
        std::memcpy(L.dx + ((size_t)t * B + r0) * (size_t)F, cbuf + (size_t)(t - t0) * nr * F, sizeof(float) * nr * (size_t)F);
      return;
    }
    int32_t cols[kTile];
    float vals[kTile];
    for (int t = t0; t < t1; ++t)
      for (size_t q = 0; q < nr; ++q) {
        int cnt = 0;
        sparse_rows::for_nonzero(buf + (size_t)(t - t0) * n + q * (size_t)out, out, [&](int k, float v) {
          cols[cnt] = k;
          vals[cnt++] = v;
        });
        index_rows::index_row_linear(cols, vals, cnt, L.w, F, nullptr, L.dx + ((size_t)t * B + r0 + q) * (size_t)F);
      }
  }
  // Kept out of line: the scan's AVX-512 twin inlines the tile, not this.
  __attribute__((noinline)) void flush(int t0, int t1) const {
    const int out = L.out;
    if (L.dx) input_grad(t0, t1);
    for (int t = t0; t < t1; ++t)
      for (size_t q = 0; q < nr; ++q) {
        const size_t r = (size_t)t * B + r0 + q;
        const float* gr = buf + (size_t)(t - t0) * n + q * (size_t)out;
        const int cnt = L.offsets[r + 1] - L.offsets[r];
        if (cnt) index_rows::index_row_weight_grad(L.cols + L.offsets[r], L.vals + L.offsets[r], cnt, gr, out, dwp);
        if (dbp)
          for (int k = 0; k < out; ++k) dbp[k] += gr[k];
      }
  }
};

// The fused backward's tiles (the scan's Drive): tiles of kTile / out whole batch rows, in groups
// of consecutive tiles, one group per parallel chunk, each with its partials; then ∂W and ∂b
// reduced in group order.
struct LinearGradTiles {
  const LifConfig& c;
  const LinearGradArgs& L;
  template <typename F>
  void operator()(size_t, F&& tile) const {
    const size_t out = (size_t)L.out, B = c.N / out, rows = std::max<size_t>(1, kTile / out);
    const size_t tiles = (B + rows - 1) / rows, groups = std::min(tiles, kGradGroups);
    const size_t wsize = (size_t)L.features * out;
    sparse_rows::Scratch part((int)groups, wsize + out);  // [features, out] ∂Wᵀ, then [out] ∂b
    parallel_for(groups, [&](size_t gi, int) {
      float* p = part[(int)gi];
      std::memset(p, 0, sizeof(float) * (wsize + out));
      std::vector<float> buf((size_t)kGradChunk * rows * out), cbuf(L.dx ? (size_t)kGradChunk * rows * L.features : 0);
      for (size_t ti = tiles * gi / groups; ti < tiles * (gi + 1) / groups; ++ti) {
        const size_t r0 = ti * rows, nr = std::min(rows, B - r0);
        LinearGradSink sink{L, c.T, B, r0, nr, nr * out, buf.data(), cbuf.data(), p, L.db ? p + wsize : nullptr};
        tile(r0 * out, (r0 + nr) * out, sink);
      }
    });
    sparse_rows::add_slices(part, (int)groups, L.features, L.out, L.dw);
    if (L.db)
      for (size_t k = 0; k < out; ++k) {
        float s = 0.f;
        for (size_t gi = 0; gi < groups; ++gi) s += part[(int)gi][wsize + k];
        L.db[k] += s;
      }
  }
};

}  // namespace cpu
}  // namespace exo
