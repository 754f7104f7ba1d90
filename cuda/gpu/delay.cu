// CUDA kernels of learnable synaptic delays (exodus/delay.h, lib/nn/delay.ts): the per-synapse
// math is kernels/delay.cuh's, as on the CPU. Every output element is written by one thread that
// adds its terms in the CPU's order (taps ascending, then inputs ascending for y; rows ascending
// for ∂K; inputs ascending in float64 for a per-neuron delay's gradient): no atomics, so the
// results do not depend on scheduling and match the CPU's up to fma contraction.
//
// The "event" entries skip the multiply-adds of zero inputs but still read every input entry (a
// broadcast across the threads of a warp, which share their sample and input): as the sparse
// Linear kernels, they exist so that a forced event path runs on CUDA. The layer's "auto" takes
// the dense path (one GEMM per tap) on CUDA, as Linear does (lib/sparse.ts).
#include "check.cuh"
#include "exodus/backend.h"
#include "kernels/delay.cuh"

namespace exo {
namespace gpu {
namespace {

// Taps of ∂K each correlation thread accumulates in registers: each input entry it reads serves
// this many taps.
constexpr int kTapChunk = 8;

__global__ void taps_kernel(DelayGeom g, const float* w, const float* d, float* coeff, float* start) {
  EXO_GRID_LOOP(syn, (size_t)g.in * g.out) {
    const int i = (int)(syn / g.out), j = (int)(syn % g.out);
    start[syn] = (float)k::delay_synapse_taps(g, w[(size_t)j * g.in + i], k::delay_of(g, d, j, i), coeff + syn * g.W, 1);
  }
}

// One thread per element of K [D + 1, in, out]: its synapse's coefficient at tap k, or 0.
__global__ void dense_kernel_kernel(DelayGeom g, const float* coeff, const float* start, float* K) {
  const size_t plane = (size_t)g.in * g.out;
  EXO_GRID_LOOP(e, plane * (g.D + 1)) {
    const size_t syn = e % plane;
    const int m = (int)(e / plane) - (int)start[syn];
    K[e] = m >= 0 && m < g.W ? coeff[syn * g.W + m] : 0.f;
  }
}

// y[t, b, j] = Σ_k Σ_{i: x[t − k, b, i] ≠ 0} x · K[k, i, j]
__global__ void forward_events_kernel(DelayGeom g, const float* x, const float* K, float* y) {
  EXO_GRID_LOOP(e, (size_t)g.T * g.B * g.out) {
    const int j = (int)(e % g.out);
    const size_t r = e / g.out;
    const int t = (int)(r / g.B), b = (int)(r % g.B);
    float acc = 0.f;
    for (int k = 0; k <= g.D && k <= t; ++k) {
      const float* xr = x + ((size_t)(t - k) * g.B + b) * g.in;
      const float* Kk = K + (size_t)k * g.in * g.out + j;
      for (int i = 0; i < g.in; ++i) {
        const float v = xr[i];
        if (v != 0.f) acc = fmaf(v, Kk[(size_t)i * g.out], acc);
      }
    }
    y[e] = acc;
  }
}

// dK[k, i, j] = Σ_{rows (t, b): x[t, b, i] ≠ 0, t + k < T} x · dy[t + k, b, j], kTapChunk taps per thread.
__global__ void corr_events_kernel(DelayGeom g, const float* x, const float* dy, float* dK) {
  const int chunks = (g.D + kTapChunk) / kTapChunk;
  const size_t plane = (size_t)g.in * g.out, rows = (size_t)g.T * g.B;
  EXO_GRID_LOOP(e, plane * chunks) {
    const size_t syn = e % plane;
    const int k0 = (int)(e / plane) * kTapChunk, i = (int)(syn / g.out), j = (int)(syn % g.out);
    float acc[kTapChunk];
    for (int q = 0; q < kTapChunk; ++q) acc[q] = 0.f;
    // Rows ascend with t, so the first row with t + k0 >= T ends the loop.
    const size_t end = g.T > k0 ? (size_t)(g.T - k0) * g.B : 0;
    for (size_t r = 0; r < end && r < rows; ++r) {
      const float v = x[r * g.in + i];
      if (v == 0.f) continue;
      const int t = (int)(r / g.B), b = (int)(r % g.B);
      for (int q = 0; q < kTapChunk; ++q) {
        const int tk = t + k0 + q;
        if (tk < g.T) acc[q] = fmaf(v, dy[((size_t)tk * g.B + b) * g.out + j], acc[q]);
      }
    }
    for (int q = 0; q < kTapChunk && k0 + q <= g.D; ++q) dK[(size_t)(k0 + q) * plane + syn] = acc[q];
  }
}

__global__ void corr_dense_kernel(DelayGeom g, const float* dK, const float* start, float* A) {
  EXO_GRID_LOOP(syn, (size_t)g.in * g.out) {
    const int i = (int)(syn / g.out), j = (int)(syn % g.out), s = (int)start[syn];
    for (int m = 0; m < g.W; ++m) A[syn * g.W + m] = dK[k::delay_kernel_at(g, s + m, i, j)];
  }
}

// One thread per synapse (ji = j·in + i): a delay of its own.
__global__ void param_grad_synapse_kernel(DelayGeom g, const float* A, const float* w, const float* d, float* dw, float* dd) {
  EXO_GRID_LOOP(ji, (size_t)g.out * g.in) {
    const int j = (int)(ji / g.in), i = (int)(ji % g.in);
    double gw, gd;
    k::delay_synapse_grad(g, A + ((size_t)i * g.out + j) * g.W, 1, w[ji], d[ji], &gw, &gd);
    dw[ji] += (float)gw;
    dd[ji] += (float)gd;
  }
}

// One thread per output neuron: its delay's gradient summed over the inputs in ascending order.
__global__ void param_grad_neuron_kernel(DelayGeom g, const float* A, const float* w, const float* d, float* dw, float* dd) {
  EXO_GRID_LOOP(j, (size_t)g.out) {
    double ddj = 0;
    for (int i = 0; i < g.in; ++i) {
      const size_t ji = j * g.in + i;
      double gw, gd;
      k::delay_synapse_grad(g, A + ((size_t)i * g.out + j) * g.W, 1, w[ji], d[j], &gw, &gd);
      dw[ji] += (float)gw;
      ddj += gd;
    }
    dd[j] += (float)ddj;
  }
}

}  // namespace

void delay_taps(int dev, const DelayGeom& g, const float* w, const float* d, float* coeff, float* start) {
  const size_t n = (size_t)g.in * g.out;
  if (!n) return;
  DeviceGuard guard(dev);
  EXO_LAUNCH(grid_for(n), 256, taps_kernel)(g, w, d, coeff, start);
  EXO_CUDA_LAUNCH("delay_taps");
}

void delay_dense_kernel(int dev, const DelayGeom& g, const float* coeff, const float* start, float* K) {
  const size_t n = (size_t)g.in * g.out * (g.D + 1);
  if (!n) return;
  DeviceGuard guard(dev);
  EXO_LAUNCH(grid_for(n), 256, dense_kernel_kernel)(g, coeff, start, K);
  EXO_CUDA_LAUNCH("delay_dense_kernel");
}

void delay_forward_events(int dev, const DelayGeom& g, const float* x, const float* K, float* y) {
  const size_t n = (size_t)g.T * g.B * g.out;
  if (!n) return;
  DeviceGuard guard(dev);
  EXO_LAUNCH(grid_for(n), 256, forward_events_kernel)(g, x, K, y);
  EXO_CUDA_LAUNCH("delay_forward_events");
}

void delay_corr_events(int dev, const DelayGeom& g, const float* x, const float* dy, float* dK) {
  const size_t n = (size_t)g.in * g.out * ((g.D + kTapChunk) / kTapChunk);
  if (!n) return;
  DeviceGuard guard(dev);
  EXO_LAUNCH(grid_for(n), 256, corr_events_kernel)(g, x, dy, dK);
  EXO_CUDA_LAUNCH("delay_corr_events");
}

void delay_corr_dense(int dev, const DelayGeom& g, const float* dK, const float* start, float* A) {
  const size_t n = (size_t)g.in * g.out;
  if (!n) return;
  DeviceGuard guard(dev);
  EXO_LAUNCH(grid_for(n), 256, corr_dense_kernel)(g, dK, start, A);
  EXO_CUDA_LAUNCH("delay_corr_dense");
}

void delay_param_grad(int dev, const DelayGeom& g, const float* A, const float* w, const float* d, float* dw, float* dd) {
  const size_t n = g.per_neuron ? (size_t)g.out : (size_t)g.in * g.out;
  if (!n || !g.in) return;
  DeviceGuard guard(dev);
  if (g.per_neuron) EXO_LAUNCH(grid_for(n, 128), 128, param_grad_neuron_kernel)(g, A, w, d, dw, dd);
  else EXO_LAUNCH(grid_for(n), 256, param_grad_synapse_kernel)(g, A, w, d, dw, dd);
  EXO_CUDA_LAUNCH("delay_param_grad");
}

}  // namespace gpu
}  // namespace exo
