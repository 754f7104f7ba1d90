// A Linear layer over a spike index and the LIF (or IAF) after it, in one scan (exodus/host_ops.h
// lif_forward_linear): each tile of whole batch rows computes its step-t inputs x = s·Wᵀ (+ b)
// from the index rows of that step, in L1, and integrates them at once. The Linear's output
// [T, B, out] (16 MB at SHD's size) is never written nor read back; x is the Linear's own output
// bit for bit (index_rows.h, the code spike_index_linear_forward runs), so the spikes and membranes
// are those of the two layers run one after the other.
#include <cstdint>
#include <numeric>
#include <vector>

#include "exodus/backend.h"
#include "index_rows.h"
#include "lif_tiles.h"
#include "neuron_tiles.h"
#include "sparse_rows.h"

namespace exo {
namespace cpu {

namespace {
// Tiles of whole batch rows, and of whole mask bytes when packing one (host_ops.h: at most kTile).
size_t lif_linear_unit(int out, bool mask) {
  return mask ? std::lcm((size_t)out, (size_t)8) : (size_t)out;
}
}  // namespace

void lif_forward_linear(const LifConfig& cfg, LifParams p, const int32_t* offsets, const int32_t* cols,
                        const float* vals, int features, const float* w, const float* bias, int out, float* state,
                        float* s, float* v, uint8_t* mask) {
  const size_t N = cfg.N, B = N / (size_t)out;
  std::vector<float> wt((size_t)features * out);
  sparse_rows::transpose(w, wt.data(), out, features);  // wt[f, :] = W[:, f], as spike_index_linear_forward
  const bool plain = plain_config(cfg);
  neuron_tiles(N, cfg.T, lif_linear_unit(out, mask != nullptr), [&](size_t b, size_t e) {
    float xb[kTile];  // step t's inputs of the tile's neurons
    const size_t r0 = b / (size_t)out, r1 = e / (size_t)out;
    auto in = [&](int t, size_t) -> const float* {
      for (size_t r = (size_t)t * B + r0, q = 0; q < r1 - r0; ++r, ++q)
        index_rows::index_row_linear(cols + offsets[r], vals + offsets[r], offsets[r + 1] - offsets[r], wt.data(), out,
                                     bias, xb + q * (size_t)out);
      return xb;
    };
    auto sink = [&](size_t o) { return s + o; };
    auto step = [&](int, size_t o, const float* st) {
      if (mask) pack_nonzero(st, e - b, mask + o / 8);
    };
    if (plain) lif_forward_tile<true>(cfg, p, nullptr, in, state, v, b, e, sink, step);
    else lif_forward_tile(cfg, p, nullptr, in, state, v, b, e, sink, step);
  });
}

}  // namespace cpu
}  // namespace exo
