// The CPU entries of learnable synaptic delays (exodus/delay.h, lib/nn/delay.ts) beside the window
// path (delay_window.cc). Per synapse the interpolation kernel is a window of W taps (coeff, start,
// A: [in, out, W]; its math in kernels/delay.cuh, shared with CUDA); the dense and event paths
// work on the expanded kernel K [D + 1, in, out] (the GEMMs' operand per tap; rows contiguous over
// outputs). The event entries scatter (forward) or correlate (backward) from the nonzeros of x only: cost ∝
// spikes × out × (D + 1), against (D + 1) GEMMs of T·B × in × out for the dense temporal
// convolution. Threads split outputs, samples or inputs, so every value is summed in spike order
// whatever the thread count.
#include <algorithm>
#include <cmath>
#include <vector>

#include "exodus/backend.h"
#include "kernels/delay.cuh"
#include "parallel.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace exo {
namespace cpu {
namespace {

constexpr int kOutBlock = 64;
using k::delay_kernel_at;
using k::delay_of;

// The nonzeros of x [T·B, in] by row (off [rows + 1], idx: input, val) and by input (coff [in + 1],
// crow: row, cval), each in ascending order, so every sum below adds in one fixed order.
struct Spikes {
  std::vector<int32_t> off, idx, coff, crow;
  std::vector<float> val, cval;
};

Spikes spikes(const DelayGeom& g, const float* x) {
  const int rows = g.T * g.B, chunks = std::max(1, std::min(rows, 64));
  std::vector<std::vector<int32_t>> ci((size_t)chunks);
  std::vector<std::vector<float>> cv((size_t)chunks);
  Spikes sp;
  sp.off.assign((size_t)rows + 1, 0);
  parallel_for((size_t)chunks, [&](size_t c, int) {
    const int r0 = (int)((long long)rows * (long long)c / chunks), r1 = (int)((long long)rows * (long long)(c + 1) / chunks);
    for (int r = r0; r < r1; ++r) {
      const float* row = x + (size_t)r * g.in;
      for (int i = 0; i < g.in; ++i)
        if (row[i] != 0.f) ci[c].push_back(i), cv[c].push_back(row[i]);
      sp.off[(size_t)r + 1] = (int32_t)ci[c].size();  // within the chunk; made global below
    }
  });
  size_t base = 0;
  for (int c = 0; c < chunks; ++c) {
    const int r0 = (int)((long long)rows * (long long)c / chunks), r1 = (int)((long long)rows * (long long)(c + 1) / chunks);
    for (int r = r0; r < r1; ++r) sp.off[(size_t)r + 1] += (int32_t)base;
    sp.idx.insert(sp.idx.end(), ci[c].begin(), ci[c].end());
    sp.val.insert(sp.val.end(), cv[c].begin(), cv[c].end());
    base += ci[c].size();
  }
  // By input: a counting sort that keeps the row order.
  sp.coff.assign((size_t)g.in + 1, 0);
  for (int32_t i : sp.idx) ++sp.coff[(size_t)i + 1];
  for (int i = 0; i < g.in; ++i) sp.coff[(size_t)i + 1] += sp.coff[(size_t)i];
  sp.crow.resize(sp.idx.size());
  sp.cval.resize(sp.idx.size());
  std::vector<int32_t> at(sp.coff.begin(), sp.coff.end() - 1);
  for (int r = 0; r < rows; ++r)
    for (int32_t k = sp.off[(size_t)r]; k < sp.off[(size_t)r + 1]; ++k) {
      const int32_t n = at[(size_t)sp.idx[(size_t)k]]++;
      sp.crow[(size_t)n] = r;
      sp.cval[(size_t)n] = sp.val[(size_t)k];
    }
  return sp;
}

// dst[0..n) := (load ? dst[0..n) : 0) + Σ_q v_q · src_q[0..n) over q in [q0, q1), in q's order,
// where src(q, v) gives src_q and v_q (nullptr: no term). A block of kOutBlock = 64 floats is held
// in eight AVX2 registers, loaded and stored once; shorter tails are generic.
template <typename Src>
inline void accumulate(float* __restrict dst, bool load, int n, int32_t q0, int32_t q1, Src&& src) {
#if defined(__AVX2__) && defined(__FMA__)
  if (n == kOutBlock) {
    __m256 a[kOutBlock / 8];
    for (int u = 0; u < kOutBlock / 8; ++u) a[u] = load ? _mm256_loadu_ps(dst + 8 * u) : _mm256_setzero_ps();
    for (int32_t q = q0; q < q1; ++q) {
      float v;
      const float* p = src(q, v);
      if (!p) continue;
      const __m256 vv = _mm256_set1_ps(v);
      for (int u = 0; u < kOutBlock / 8; ++u) a[u] = _mm256_fmadd_ps(vv, _mm256_loadu_ps(p + 8 * u), a[u]);
    }
    for (int u = 0; u < kOutBlock / 8; ++u) _mm256_storeu_ps(dst + 8 * u, a[u]);
    return;
  }
#endif
  if (!load) std::fill(dst, dst + n, 0.f);
  for (int32_t q = q0; q < q1; ++q) {
    float v;
    const float* p = src(q, v);
    if (p)
      for (int j = 0; j < n; ++j) dst[j] += v * p[j];
  }
}

size_t out_blocks(const DelayGeom& g) { return (size_t)(g.out + kOutBlock - 1) / kOutBlock; }

}  // namespace

void delay_taps(const DelayGeom& g, const float* w, const float* d, float* coeff, float* start) {
  parallel_for((size_t)g.in, [&](size_t i, int) {
    for (int j = 0; j < g.out; ++j) {
      const size_t syn = i * g.out + j;
      start[syn] = (float)k::delay_synapse_taps(g, w[(size_t)j * g.in + i], delay_of(g, d, j, (int)i), coeff + syn * g.W, 1);
    }
  });
}

void delay_dense_kernel(const DelayGeom& g, const float* coeff, const float* start, float* K) {
  std::fill(K, K + (size_t)(g.D + 1) * g.in * g.out, 0.f);
  parallel_for((size_t)g.in, [&](size_t i, int) {
    for (int j = 0; j < g.out; ++j) {
      const size_t syn = i * g.out + j;
      const int s = (int)start[syn];
      for (int m = 0; m < g.W; ++m) K[delay_kernel_at(g, s + m, (int)i, j)] = coeff[syn * g.W + m];
    }
  });
}

namespace {
// The chunk bounds of n items cut into `parts`.
inline int part_begin(int n, int parts, size_t c) { return (int)((long long)n * (long long)c / parts); }
}  // namespace

// y[t + k, b, :] += Σ_{spikes (t, b, i, v)} v·K[k, i, :]: a sparse-times-dense product per tap k,
// taps outermost so that K[k] (in × out floats) stays in cache while every row's spikes read it;
// each target row is accumulated over its spikes in 64-float register blocks and stored once.
// Threads split the samples b, so each writes its own rows. (Walking each synapse's own window
// instead touches one scattered float per (output, tap) and measured several times slower.)
void delay_forward_events(const DelayGeom& g, const float* x, const float* K, float* y) {
  const Spikes sp = spikes(g, x);
  const size_t row = (size_t)g.B * g.out, plane = (size_t)g.in * g.out;
  const int parts = std::max(1, std::min(g.B, 16));
  parallel_for((size_t)parts, [&](size_t c, int) {
    const int b0 = part_begin(g.B, parts, c), b1 = part_begin(g.B, parts, c + 1);
    for (int t = 0; t < g.T; ++t) std::fill(y + t * row + (size_t)b0 * g.out, y + t * row + (size_t)b1 * g.out, 0.f);
    for (int k = 0; k <= g.D && k < g.T; ++k) {
      const float* Kk = K + (size_t)k * plane;
      for (int t = 0; t + k < g.T; ++t)
        for (int b = b0; b < b1; ++b) {
          const size_t r = (size_t)t * g.B + b;
          const int32_t q0 = sp.off[r], q1 = sp.off[r + 1];
          if (q0 == q1) continue;
          float* yr = y + (size_t)(t + k) * row + (size_t)b * g.out;
          for (int j0 = 0; j0 < g.out; j0 += kOutBlock)
            accumulate(yr + j0, true, std::min(kOutBlock, g.out - j0), q0, q1, [&](int32_t q, float& v) {
              v = sp.val[(size_t)q];
              return Kk + (size_t)sp.idx[(size_t)q] * g.out + j0;
            });
        }
    }
  });
}

// dK[k, i, :] := Σ over the spikes (t, b, i, v) of input i of v·dy[t + k, b, :], accumulated in
// registers; threads split the inputs, so each writes its own rows of dK. Time is cut into blocks
// of kTimeBlock steps: the dy rows a block's spikes read (kTimeBlock + D steps of every sample)
// stay in L2 while every input's spikes of the block read them, where walking each input's spikes
// over all of dy read it from memory once per input. Each block adds to the sums the earlier
// blocks left in dK, in the spikes' order (row t·B + b ascending), as a single pass would.
void delay_corr_events(const DelayGeom& g, const float* x, const float* dy, float* dK) {
  constexpr int kTimeBlock = 16;
  const Spikes sp = spikes(g, x);
  const size_t row = (size_t)g.B * g.out, plane = (size_t)g.in * g.out;
  std::vector<int32_t> cur(sp.coff.begin(), sp.coff.end() - 1);  // each input's first spike of the block
  std::vector<char> touched((size_t)g.in, 0);
  for (int t0 = 0; t0 < g.T; t0 += kTimeBlock) {
    const int32_t rend = (int32_t)std::min(g.T, t0 + kTimeBlock) * g.B;  // rows of the block end here
    parallel_for((size_t)g.in, [&](size_t i, int) {
      const int32_t q0 = cur[i];
      int32_t q1 = q0;
      while (q1 < sp.coff[i + 1] && sp.crow[(size_t)q1] < rend) ++q1;
      cur[i] = q1;
      if (q0 == q1) return;
      const bool first = !touched[i];
      touched[i] = 1;
      for (int k = 0; k <= g.D; ++k) {
        float* kr = dK + (size_t)k * plane + i * g.out;
        for (int j0 = 0; j0 < g.out; j0 += kOutBlock)
          accumulate(kr + j0, !first, std::min(kOutBlock, g.out - j0), q0, q1, [&](int32_t q, float& v) -> const float* {
            const int r = sp.crow[(size_t)q], t = r / g.B, b = r % g.B;
            v = sp.cval[(size_t)q];
            return t + k < g.T ? dy + (size_t)(t + k) * row + (size_t)b * g.out + j0 : nullptr;
          });
      }
    });
  }
  // Inputs without a spike: a zero gradient.
  parallel_for((size_t)g.in, [&](size_t i, int) {
    if (touched[i]) return;
    for (int k = 0; k <= g.D; ++k) std::fill(dK + (size_t)k * plane + i * g.out, dK + (size_t)k * plane + (i + 1) * g.out, 0.f);
  });
}

void delay_corr_dense(const DelayGeom& g, const float* dK, const float* start, float* A) {
  parallel_for((size_t)g.in, [&](size_t i, int) {
    for (int j = 0; j < g.out; ++j) {
      const size_t syn = i * g.out + j;
      const int s = (int)start[syn];
      for (int m = 0; m < g.W; ++m) A[syn * g.W + m] = dK[delay_kernel_at(g, s + m, (int)i, j)];
    }
  });
}

// The synapse gradients of kernels/delay.cuh; threads split the outputs, so a per-neuron delay's
// gradient sums its inputs in ascending order (in float64) whatever the thread count.
void delay_param_grad(const DelayGeom& g, const float* A, const float* w, const float* d, float* dw, float* dd) {
  parallel_for(out_blocks(g), [&](size_t blk, int) {
    const int j1 = std::min(g.out, (int)(blk + 1) * kOutBlock);
    for (int j = (int)blk * kOutBlock; j < j1; ++j) {
      double ddj = 0;
      for (int i = 0; i < g.in; ++i) {
        const size_t ji = (size_t)j * g.in + i;
        double gw, gd;
        k::delay_synapse_grad(g, A + ((size_t)i * g.out + j) * g.W, 1, w[ji], delay_of(g, d, j, i), &gw, &gd);
        dw[ji] += (float)gw;
        if (g.per_neuron) ddj += gd;
        else dd[ji] += (float)gd;
      }
      if (g.per_neuron) dd[j] += (float)ddj;
    }
  });
}

}  // namespace cpu
}  // namespace exo
