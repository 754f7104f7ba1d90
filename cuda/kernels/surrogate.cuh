// Surrogate gradients σ(v) used in place of dS/dv (math.md §1 table). One template per kind, so a
// CPU loop specialised for one surrogate has no branch on the kind and vectorises.
#pragma once
#include <string.h>

#include <string>

#include "common.cuh"
#include "exodus/neurons.h"

namespace exo {
namespace k {

// exp(x) for x <= 0, for the surrogate gradients. On the GPU, expf. On the CPU, libm's expf is a
// scalar call that stops the backward scan from vectorising (and dominated its time), so:
// Cody-Waite range reduction x = n·ln2 + r and a degree-6 polynomial for exp(r) (relative error
// ~1e-7, the classic Cephes expf scheme), written as plain arithmetic the compiler vectorises.
EXO_HD float exp_approx(float x) {
#if defined(__CUDA_ARCH__)
  return expf(x);
#else
  float n = floorf(x * 1.44269504088896341f + 0.5f);
  float r = x - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float e = p * r * r + r + 1.f;
  // Below 2^-126 the result is 0 (and for huge |x| the polynomial may be inf, so select, don't
  // multiply): an integer select on n, which vectorises where a float compare on x would not.
  int ni = (int)n;
  int bits = (ni + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);  // 2^n; a bit copy the compiler turns into a register move
  return ni < -126 ? 0.f : e * scale;
#endif
}

// 1/sqrt(2π)
constexpr float kInvSqrt2Pi = 0.3989422804014327f;
constexpr float kPi = 3.14159265358979323846f;

// σ(v) for threshold θ, scale a and width w (w is relative to θ for exponential, boxcar,
// gaussian, triangle and rectangle; it is the steepness k for fast_sigmoid and arctan). The
// per-neuron constants are computed once (surrogate_coef) so the per-step evaluation has no
// division by θ. Triangle (a/(θw))·max(0, 1 − |v−θ|/(θw)) and rectangle (a/(2θw))·1[|v−θ| < θw]
// have compact support: σ is exactly 0 outside the window, and both integrate to a.
struct SgCoef {
  float theta, c0, c1;
};

template <Surrogate K>
EXO_HD SgCoef surrogate_coef(float theta, float a, float w) {
  if constexpr (K == Surrogate::Exponential) return {theta, a / (theta * w), 1.f / (theta * w)};
  else if constexpr (K == Surrogate::Boxcar) return {theta, a / theta, theta - w * theta};
  else if constexpr (K == Surrogate::Gaussian) return {theta, a * kInvSqrt2Pi / (w * theta), 1.f / (w * theta)};
  else if constexpr (K == Surrogate::FastSigmoid) return {theta, a, w};
  else if constexpr (K == Surrogate::Arctan) return {theta, a, kPi * w};
  else if constexpr (K == Surrogate::Triangle) return {theta, a / (theta * w), 1.f / (theta * w)};
  else return {theta, a / (2.f * theta * w), theta * w};  // Rectangle: c1 is the half-width
}

template <Surrogate K>
EXO_HD float surrogate_eval(float v, SgCoef q) {
  float d = v - q.theta;
  if constexpr (K == Surrogate::Exponential) return q.c0 * exp_approx(-fabsf(d) * q.c1);
  else if constexpr (K == Surrogate::Boxcar) return v >= q.c1 ? q.c0 : 0.f;
  else if constexpr (K == Surrogate::Gaussian) {
    float z = d * q.c1;
    return q.c0 * exp_approx(-0.5f * z * z);
  } else if constexpr (K == Surrogate::FastSigmoid) {
    float r = 1.f + q.c1 * fabsf(d);
    return q.c0 / (r * r);
  } else if constexpr (K == Surrogate::Arctan) {
    float r = q.c1 * d;
    return q.c0 / (1.f + r * r);
  } else if constexpr (K == Surrogate::Triangle) {
    // A select, not fmaxf: without -ffinite-math-only GCC calls libm's fmaxf (a scalar call
    // through the PLT) and the scan loops stay scalar. Same value as fmaxf(0, y) for every y,
    // NaN (→ 0) and −0 (→ +0) included.
    const float y = 1.f - fabsf(d) * q.c1;
    return q.c0 * (y > 0.f ? y : 0.f);
  } else {
    return fabsf(d) < q.c1 ? q.c0 : 0.f;
  }
}

template <Surrogate K>
EXO_HD float surrogate(float v, float theta, float a, float w) {
  return surrogate_eval<K>(v, surrogate_coef<K>(theta, a, w));
}

// Spike function S(v): single 1[v ≥ θ], or multi max(0, floor(v/θ)) capped at max_spikes (> 0).
EXO_HD float spike_fn(float v, float theta, int multi, float max_spikes) {
  if (!multi) return v >= theta ? 1.f : 0.f;
  float n = floorf(v / theta);
  n = n > 0.f ? n : 0.f;
  return (max_spikes > 0.f && n > max_spikes) ? max_spikes : n;
}

// A surrogate kind and a backward method as types, so one generic lambda instantiates a scan for
// the (kind, exact) pair chosen at run time: with_scan(sg, exact, [&](auto t) { scan<t.kind, t.exact>(…); }).
template <Surrogate K, bool EXACT>
struct ScanKind {
  static constexpr Surrogate kind = K;
  static constexpr bool exact = EXACT;
};
template <typename F>
inline void with_scan(Surrogate sg, bool exact, F&& f) {
  switch (sg) {
#define EXO_CASE(KIND)                                     \
  case Surrogate::KIND:                                    \
    if (exact) f(ScanKind<Surrogate::KIND, true>{});       \
    else f(ScanKind<Surrogate::KIND, false>{});            \
    break;
    EXO_SURROGATES(EXO_CASE)
#undef EXO_CASE
    default: throw Error("unknown surrogate code " + std::to_string((int)sg));
  }
}

}  // namespace k
}  // namespace exo
