// Learnable synaptic delays (lib/nn/delay.ts, docs/delays.md): the geometry of a DelayLinear op and
// its backend-table entries. The layer computes
//     y[t, b, j] = Σ_i Σ_m c[j, i, m] · x[t − (s[j, i] + m), b, i],   c = w[j, i] · p[j, i, m]
// where p is a Gaussian of width σ centred on the (clamped) delay d ∈ [0, D], normalised over a
// window of W taps starting at s = clamp(floor(d) − R, 0, D + 1 − W). With σ = 0 the kernel is the
// hard integer delay round(d) (W = 1): inference and export. The window depends on floor(d) only,
// so between integers the op is smooth in d and its gradient below is exact.
#pragma once

namespace exo {

// The most taps per synapse the window path's correlation takes (W = 12: σ up to 1.25).
constexpr int kDelayWindowMaxTaps = 12;

struct DelayGeom {
  int T, B, in, out;
  int D;             // largest delay in steps
  int W;             // taps per synapse (1 when sigma == 0)
  int R;             // taps of the window below floor(d)
  float sigma;       // Gaussian width in steps; 0: hard rounding
  bool per_neuron;   // d is [out] (one delay per output neuron) instead of [out, in]
};

}  // namespace exo

// Backend-table entries of both backends (cuda/cpu/delay.cc, cuda/gpu/delay.cu).
#define EXO_DELAY_OPS(X)                                                                                    \
  /* coeff [in, out, W] = w · p, start [in, out] := s (float step indices) */                               \
  X(delay_taps, (const DelayGeom& g, const float* w, const float* d, float* coeff, float* start),            \
    (g, w, d, coeff, start))                                                                                \
  /* K [D + 1, in, out] := the expanded kernel (zeros off the windows) */                                                \
  X(delay_dense_kernel, (const DelayGeom& g, const float* coeff, const float* start, float* K),              \
    (g, coeff, start, K))                                                                                   \
  /* y [T, B, out] := Σ_k x[t − k] · K[k], scattering each nonzero x [T, B, in] to rows t + k */            \
  X(delay_forward_events, (const DelayGeom& g, const float* x, const float* K, float* y), (g, x, K, y))     \
  /* dK [D + 1, in, out] := Σ_t x[t]ᵀ · dy[t + k], from the nonzeros of x */                                \
  X(delay_corr_events, (const DelayGeom& g, const float* x, const float* dy, float* dK), (g, x, dy, dK))    \
  /* A [in, out, W] := dK at (s + m, i, j): the kernel gradient at each synapse's window */                \
  X(delay_corr_dense, (const DelayGeom& g, const float* dK, const float* start, float* A), (g, dK, start, A)) \
  /* dw [out, in] += Σ_m p_m A_m; dd [out, in] or [out] += w Σ_m A_m ∂p_m/∂d (0 where d is clamped) */     \
  X(delay_param_grad, (const DelayGeom& g, const float* A, const float* w, const float* d, float* dw,        \
                       float* dd),                                                                          \
    (g, A, w, d, dw, dd))

// The window path (cuda/cpu/delay_window.cc): the three products over each synapse's own W taps,
// from coeff and start, without the expanded kernel. CPU speed paths (host_ops.h): CUDA answers no.
#define EXO_DELAY_HOST_OPS(X)                                                                                    \
  /* y [T, B, out] := Σ_i Σ_m coeff[i, j, m] · x[t − start − m, b, i] */                                           \
  X(delay_window_forward, (const DelayGeom& g, const float* x, const float* coeff, const float* start, float* y),  \
    (g, x, coeff, start, y))                                                                                      \
  /* A [in, out, W] := Σ_{t,b} dy[t, b, j] · x[t − start − m, b, i]; W <= kDelayWindowMaxTaps */                  \
  X(delay_window_corr, (const DelayGeom& g, const float* x, const float* dy, const float* start, float* A),        \
    (g, x, dy, start, A))                                                                                         \
  /* dx [T, B, in] := Σ_j Σ_m coeff[i, j, m] · dy[t + start + m, b, j] */                                          \
  X(delay_window_input_grad, (const DelayGeom& g, const float* dy, const float* coeff, const float* start,         \
                              float* dx),                                                                         \
    (g, dy, coeff, start, dx))
