// The per-synapse math of learnable delays (exodus/delay.h), once for both backends: the window of
// a delay, its normalised Gaussian taps, and the weight and delay gradients of one synapse from
// its window's correlations. cuda/cpu/delay.cc and cuda/gpu/delay.cu call these per synapse, so
// both compute every coefficient and gradient with the same float64 operations in the same order.
#pragma once
#include "common.cuh"
#include "exodus/delay.h"

namespace exo {
namespace k {

EXO_HD double delay_clamp(const DelayGeom& g, float d) {
  const double x = (double)d;
  return x < 0.0 ? 0.0 : (x > (double)g.D ? (double)g.D : x);
}

EXO_HD float delay_of(const DelayGeom& g, const float* d, int j, int i) {
  return g.per_neuron ? d[j] : d[(size_t)j * g.in + i];
}

// The unnormalised Gaussian exp(−(s + m − d)² / 2σ²) of a window, tap after tap (m = 0, 1, …).
// For σ >= 1/4 each term is the last times r, r shrinking by q = exp(−2h) each tap: two exps per
// synapse instead of W (the window's |e| <= 8σ + 3 keeps every term and ratio in float64's range).
// Both passes below (the sum, then the taps) walk the same sequence, so p_m is the same number in
// either pass and on either backend.
struct DelayGauss {
  double h, e0, gm, r, q;
  bool recur;
  int m;
  EXO_HD DelayGauss(const DelayGeom& g, int s, double dc)
      : h(1.0 / (2.0 * (double)g.sigma * g.sigma)), e0(s - dc), gm(0), r(0), q(0), recur(g.sigma >= 0.25f), m(0) {
    if (recur) {
      gm = exp(-h * e0 * e0);
      r = exp(-h * (2 * e0 + 1));
      q = exp(-2 * h);
    }
  }
  EXO_HD double next() {
    double v;
    if (recur) {
      v = gm;
      gm *= r;
      r *= q;
    } else {
      const double e = e0 + m;
      v = exp(-h * e * e);
    }
    ++m;
    return v;
  }
};

// The window start s = clamp(floor(d) − R, 0, D + 1 − W) of a clamped delay dc, or round(dc) when σ = 0.
EXO_HD int delay_window_start(const DelayGeom& g, double dc) {
  if (g.sigma == 0.f) return (int)floor(dc + 0.5);
  int s = (int)floor(dc) - g.R;
  if (s < 0) s = 0;
  if (s > g.D + 1 - g.W) s = g.D + 1 - g.W;
  return s;
}

// Σ_m of the window's unnormalised Gaussian.
EXO_HD double delay_gauss_sum(const DelayGeom& g, int s, double dc) {
  DelayGauss gs(g, s, dc);
  double sum = 0;
  for (int m = 0; m < g.W; ++m) sum += gs.next();
  return sum;
}

// coeff[m · stride] = w · p_m for the W taps of delay d; returns the window start.
EXO_HD int delay_synapse_taps(const DelayGeom& g, float w, float d, float* coeff, size_t stride) {
  const double dc = delay_clamp(g, d);
  const int s = delay_window_start(g, dc);
  if (g.sigma == 0.f) {
    coeff[0] = w;
    return s;
  }
  const double sum = delay_gauss_sum(g, s, dc);
  DelayGauss gs(g, s, dc);
  for (int m = 0; m < g.W; ++m) coeff[m * stride] = (float)((double)w * (gs.next() / sum));
  return s;
}

// One synapse's gradients from its window's correlations a[m · stride] (A_m = Σ ∂L/∂y · x at tap s + m):
//   ∂L/∂w = Σ_m p_m A_m,   ∂L/∂d = w Σ_m A_m p_m (e_m − Σ_n p_n e_n) / σ²,   e_m = s + m − d,
// as p_m = g_m / Σ g gives ∂p_m/∂d = p_m (e_m − ē) / σ². *gd is 0 where σ = 0 or d lies outside
// [0, D] (clamped: no gradient).
EXO_HD void delay_synapse_grad(const DelayGeom& g, const float* a, size_t stride, float w, float d, double* gw, double* gd) {
  const double dc = delay_clamp(g, d);
  const int s = delay_window_start(g, dc);
  if (g.sigma == 0.f) {
    *gw = a[0];
    *gd = 0;
    return;
  }
  const double sum = delay_gauss_sum(g, s, dc);
  DelayGauss gs(g, s, dc);
  double ga = 0, mean_e = 0, gae = 0;
  for (int m = 0; m < g.W; ++m) {
    const double p = gs.next() / sum, e = s + m - dc, am = a[m * stride];
    mean_e += p * e;
    ga += p * am;
    gae += p * am * e;
  }
  *gw = ga;
  *gd = (d >= 0.f && d <= (float)g.D) ? (double)w * (gae - ga * mean_e) / ((double)g.sigma * g.sigma) : 0.0;
}

// Where tap k of synapse (i, j) lies in the expanded kernel [D + 1, in, out].
EXO_HD size_t delay_kernel_at(const DelayGeom& g, int k, int i, int j) { return ((size_t)k * g.in + i) * g.out + j; }

}  // namespace k
}  // namespace exo
