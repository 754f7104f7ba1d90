// The LIF forward tile shared by the CPU scans that run it (lif.cc; lif_linear.cc, which feeds it
// the Linear product before it row block by row block): its parameters per tile, the plain
// configuration's compile-time fields, and the scan over one tile of neurons.
#pragma once
#include <cstddef>

#include "kernels/lif.cuh"
#include "neuron_tiles.h"

namespace exo {
namespace cpu {

struct TileParams {
  float alpha[kTile], theta[kTile], m[kTile];
  void load(LifParams p, size_t P, size_t b, size_t e) {
    load_tile(alpha, p.alpha, P, b, e);
    load_tile(theta, p.theta, P, b, e);
    load_tile(m, p.m, P, b, e);
  }
};

// The configs' LIF (subtractive reset, single spikes, no clamp, no input scaling): with these
// fields known at compile time the loops carry no blend per element for the other modes (GCC
// if-converts the runtime tests on c.reset, c.has_vmin, c.norm_input into both branches and a
// select), ~20 % fewer instructions per element in the backward. Same operations, same results.
inline bool plain_config(const LifConfig& c) {
  return c.reset == ResetMode::Subtract && !c.multi_spike && !c.has_vmin && !c.norm_input;
}
inline LifConfig local_config(const LifConfig& cfg, bool plain) {
  LifConfig c = cfg;
  if (plain) {
    c.reset = ResetMode::Subtract;
    c.multi_spike = 0;
    c.has_vmin = 0;
    c.norm_input = 0;
  }
  return c;
}

// The LIF forward scan over the neurons [b, e) of one tile: step t's inputs from in(t, o) (o =
// t·N + b; n floats: x + o, or a row block a fused product just computed), the membranes into v,
// step t's spikes into out(o), then step(t, o, spikes) while they are in L1. x: the input in
// memory, prefetched a step ahead; null when `in` computes it.
template <bool PLAIN = false, typename In, typename Out, typename Step>
void lif_forward_tile(const LifConfig& cfg, LifParams p, const float* x, In&& in, float* state, float* v, size_t b,
                      size_t e, Out&& out, Step&& step) {
  const LifConfig c = local_config(cfg, PLAIN);  // local: see lif_backward_scan
  const size_t N = c.N;
  TileParams tp;
  tp.load(p, c.P, b, e);
  const size_t n = e - b;
  float vp[kTile];
  for (size_t j = 0; j < n; ++j) vp[j] = state[b + j];
  for (int t = 0; t < c.T; ++t) {
    const size_t o = (size_t)t * N + b;
    const float* xt = in(t, o);
    float* s = out(o);
    if (t + kPrefetchSteps < c.T) {
      const size_t ahead = o + (size_t)kPrefetchSteps * N;
      if (x) prefetch_row(x + ahead, n);
      prefetch_row(v + ahead, n, true);
      prefetch_row(out(ahead), n, true);
    }
    for (size_t j = 0; j < n; ++j) {
      float vt = k::lif_integrate(c, vp[j], xt[j], tp.alpha[j]);
      float st = k::spike_fn(vt, tp.theta[j], c.multi_spike, c.max_spikes);
      v[o + j] = vt;
      s[j] = st;
      vp[j] = k::lif_reset(c, vt, st, tp.m[j]);
    }
    step(t, o, s);
  }
  for (size_t j = 0; j < n; ++j) state[b + j] = vp[j];
}

// in(t, o) of lif_forward_tile for an input x in memory.
inline auto rows_of(const float* x) {
  return [x](int, size_t o) { return x + o; };
}

}  // namespace cpu
}  // namespace exo
