// The CPU entries of learnable synaptic delays (exodus/delay.h, lib/nn/delay.ts). Per synapse the
// interpolation kernel is a window of W taps (coeff, start, A: [in, out, W]); both paths work on
// the expanded kernel: [D + 1, in, out] for the GEMMs of the dense path, [in, D + 1, out] for the
// event path, whose spikes each read (or write) one contiguous [D + 1, out] block. The
// event entries scatter (forward) or correlate (backward) from the nonzeros of x only: cost ∝
// spikes × out × (D + 1), against (D + 1) GEMMs of T·B × in × out for the dense temporal
// convolution. Threads split outputs, samples or inputs, so every value is summed in spike order
// whatever the thread count.
#include <algorithm>
#include <cmath>
#include <vector>

#include "exodus/backend.h"
#include "parallel.h"

namespace exo {
namespace cpu {
namespace {

constexpr int kOutBlock = 64;

inline double clamp_delay(const DelayGeom& g, float d) { return std::min(std::max((double)d, 0.0), (double)g.D); }

// The window start and the normalised Gaussian p[0..W) of a delay d (float64, then rounded once).
inline int window(const DelayGeom& g, float d, double* p) {
  const double dc = clamp_delay(g, d);
  if (g.sigma == 0.f) {
    p[0] = 1.0;
    return (int)std::floor(dc + 0.5);
  }
  const int s = std::min(std::max((int)std::floor(dc) - g.R, 0), g.D + 1 - g.W);
  double sum = 0;
  for (int m = 0; m < g.W; ++m) {
    const double e = s + m - dc;
    sum += (p[m] = std::exp(-e * e / (2.0 * (double)g.sigma * g.sigma)));
  }
  for (int m = 0; m < g.W; ++m) p[m] /= sum;
  return s;
}

inline float delay_of(const DelayGeom& g, const float* d, int j, int i) {
  return g.per_neuron ? d[j] : d[(size_t)j * g.in + i];
}

struct Event {
  int row, i;
  float v;
};

// The nonzeros of x [T·B, in] in row order, gathered by row chunks in parallel.
std::vector<std::vector<Event>> events(const DelayGeom& g, const float* x) {
  const int rows = g.T * g.B;
  const int chunks = std::max(1, std::min(rows, 64));
  std::vector<std::vector<Event>> ev((size_t)chunks);
  parallel_for((size_t)chunks, [&](size_t c, int) {
    const int r0 = (int)((long long)rows * (long long)c / chunks), r1 = (int)((long long)rows * (long long)(c + 1) / chunks);
    auto& out = ev[c];
    for (int r = r0; r < r1; ++r) {
      const float* row = x + (size_t)r * g.in;
      for (int i = 0; i < g.in; ++i)
        if (row[i] != 0.f) out.push_back({r, i, row[i]});
    }
  });
  return ev;
}

size_t out_blocks(const DelayGeom& g) { return (size_t)(g.out + kOutBlock - 1) / kOutBlock; }

}  // namespace

void delay_taps(const DelayGeom& g, const float* w, const float* d, float* coeff, float* start) {
  parallel_for(out_blocks(g), [&](size_t blk, int) {
    std::vector<double> p((size_t)g.W);
    const int j1 = std::min(g.out, (int)(blk + 1) * kOutBlock);
    for (int j = (int)blk * kOutBlock; j < j1; ++j)
      for (int i = 0; i < g.in; ++i) {
        const size_t syn = (size_t)i * g.out + j;
        start[syn] = (float)window(g, delay_of(g, d, j, i), p.data());
        const double wij = w[(size_t)j * g.in + i];
        for (int m = 0; m < g.W; ++m) coeff[syn * g.W + m] = (float)(wij * p[(size_t)m]);
      }
  });
}

// Where tap k of synapse (i, j) lies in the expanded kernel, in either layout.
inline size_t kernel_at(const DelayGeom& g, int k, int i, int j) {
  return g.input_major ? ((size_t)i * (g.D + 1) + k) * g.out + j : ((size_t)k * g.in + i) * g.out + j;
}

void delay_dense_kernel(const DelayGeom& g, const float* coeff, const float* start, float* K) {
  std::fill(K, K + (size_t)(g.D + 1) * g.in * g.out, 0.f);
  parallel_for((size_t)g.in, [&](size_t i, int) {
    for (int j = 0; j < g.out; ++j) {
      const size_t syn = i * g.out + j;
      const int s = (int)start[syn];
      for (int m = 0; m < g.W; ++m) K[kernel_at(g, s + m, (int)i, j)] = coeff[syn * g.W + m];
    }
  });
}

namespace {
// The chunk bounds of n items cut into `parts`.
inline int part_begin(int n, int parts, size_t c) { return (int)((long long)n * (long long)c / parts); }
}  // namespace

// Each spike (t, b, i, v) adds v·K[i, k, :] to output row (t + k, b) for every tap k: contiguous rows
// of outputs, which the compiler vectorises, read from the spike's own [D + 1, out] block of K.
// Threads split the batch, so each writes its own rows. (Walking each synapse's window instead
// touches one scattered float per (output, tap) and measured several times slower.)
void delay_forward_events(const DelayGeom& g, const float* x, const float* K, float* y) {
  const auto ev = events(g, x);
  const size_t row = (size_t)g.B * g.out;
  const int parts = std::max(1, std::min(g.B, 16));
  parallel_for((size_t)parts, [&](size_t c, int) {
    const int b0 = part_begin(g.B, parts, c), b1 = part_begin(g.B, parts, c + 1);
    for (int t = 0; t < g.T; ++t) std::fill(y + t * row + (size_t)b0 * g.out, y + t * row + (size_t)b1 * g.out, 0.f);
    for (const auto& chunk : ev)
      for (const Event& e : chunk) {
        const int t = e.row / g.B, b = e.row % g.B;
        if (b < b0 || b >= b1) continue;
        const int taps = std::min(g.D + 1, g.T - t);
        const float v = e.v;
        const float* kb = K + (size_t)e.i * (g.D + 1) * g.out;
        for (int k = 0; k < taps; ++k) {
          const float* __restrict kr = kb + (size_t)k * g.out;
          float* __restrict yr = y + (size_t)(t + k) * row + (size_t)b * g.out;
          for (int j = 0; j < g.out; ++j) yr[j] += v * kr[j];
        }
      }
  });
}

// dK[i, k, :] := Σ over spikes (t, b, i, v) of v·dy[t + k, b, :]: the same rows, read instead of
// written; threads split the inputs, so each writes its own blocks of dK.
void delay_corr_events(const DelayGeom& g, const float* x, const float* dy, float* dK) {
  const auto ev = events(g, x);
  const size_t row = (size_t)g.B * g.out, block = (size_t)(g.D + 1) * g.out;
  const int parts = std::max(1, std::min(g.in, 32));
  parallel_for((size_t)parts, [&](size_t c, int) {
    const int i0 = part_begin(g.in, parts, c), i1 = part_begin(g.in, parts, c + 1);
    std::fill(dK + (size_t)i0 * block, dK + (size_t)i1 * block, 0.f);
    for (const auto& chunk : ev)
      for (const Event& e : chunk) {
        if (e.i < i0 || e.i >= i1) continue;
        const int t = e.row / g.B, b = e.row % g.B, taps = std::min(g.D + 1, g.T - t);
        const float v = e.v;
        float* kb = dK + (size_t)e.i * block;
        for (int k = 0; k < taps; ++k) {
          float* __restrict kr = kb + (size_t)k * g.out;
          const float* __restrict dr = dy + (size_t)(t + k) * row + (size_t)b * g.out;
          for (int j = 0; j < g.out; ++j) kr[j] += v * dr[j];
        }
      }
  });
}

void delay_corr_dense(const DelayGeom& g, const float* dK, const float* start, float* A) {
  parallel_for((size_t)g.in, [&](size_t i, int) {
    for (int j = 0; j < g.out; ++j) {
      const size_t syn = i * g.out + j;
      const int s = (int)start[syn];
      for (int m = 0; m < g.W; ++m) A[syn * g.W + m] = dK[kernel_at(g, s + m, (int)i, j)];
    }
  });
}

// p_m = g_m / Σ g, g_m = exp(−e_m² / 2σ²), e_m = s + m − d:  ∂p_m/∂d = p_m (e_m − Σ_n p_n e_n) / σ².
void delay_param_grad(const DelayGeom& g, const float* A, const float* w, const float* d, float* dw, float* dd) {
  parallel_for(out_blocks(g), [&](size_t blk, int) {
    std::vector<double> p((size_t)g.W);
    const int j1 = std::min(g.out, (int)(blk + 1) * kOutBlock);
    for (int j = (int)blk * kOutBlock; j < j1; ++j) {
      double ddj = 0;
      for (int i = 0; i < g.in; ++i) {
        const float dij = delay_of(g, d, j, i);
        const int s = window(g, dij, p.data());
        const double dc = clamp_delay(g, dij);
        const float* a = A + ((size_t)i * g.out + j) * g.W;
        double gw = 0, mean_e = 0, ga = 0, gae = 0;
        for (int m = 0; m < g.W; ++m) {
          const double e = s + m - dc;
          gw += p[(size_t)m] * a[m];
          mean_e += p[(size_t)m] * e;
          ga += p[(size_t)m] * a[m];
          gae += p[(size_t)m] * a[m] * e;
        }
        const size_t ji = (size_t)j * g.in + i;
        dw[ji] += (float)gw;
        if (g.sigma == 0.f || !(dij >= 0.f && dij <= (float)g.D)) continue;
        const double gd = (double)w[ji] * (gae - ga * mean_e) / ((double)g.sigma * g.sigma);
        if (g.per_neuron) ddj += gd;
        else dd[ji] += (float)gd;
      }
      if (g.per_neuron) dd[j] += (float)ddj;
    }
  });
}

}  // namespace cpu
}  // namespace exo
