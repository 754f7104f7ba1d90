// Surrogate gradients σ(v) used in place of dS/dv (math.md §1 table). One template per kind, so a
// CPU loop specialised for one surrogate has no branch on the kind and vectorises.
#pragma once
#include "common.cuh"
#include "exodus/neurons.h"

namespace exo {
namespace k {

// 1/sqrt(2π)
constexpr float kInvSqrt2Pi = 0.3989422804014327f;
constexpr float kPi = 3.14159265358979323846f;

// σ(v) for threshold θ, scale a and width w (w is relative to θ for exponential, boxcar and
// gaussian; it is the steepness k for fast_sigmoid and arctan).
template <Surrogate K>
EXO_HD float surrogate(float v, float theta, float a, float w) {
  float d = v - theta;
  if constexpr (K == Surrogate::Exponential) {
    float tw = theta * w;
    return a / tw * exp_approx(-fabsf(d) / tw);
  } else if constexpr (K == Surrogate::Boxcar) {
    return v >= theta - w * theta ? a / theta : 0.f;
  } else if constexpr (K == Surrogate::Gaussian) {
    float sd = w * theta;
    float z = d / sd;
    return a * kInvSqrt2Pi / sd * exp_approx(-0.5f * z * z);
  } else if constexpr (K == Surrogate::FastSigmoid) {
    float q = 1.f + w * fabsf(d);
    return a / (q * q);
  } else {
    float q = kPi * w * d;
    return a / (1.f + q * q);
  }
}

// Spike function S(v): single 1[v ≥ θ], or multi max(0, floor(v/θ)) capped at max_spikes (> 0).
EXO_HD float spike_fn(float v, float theta, int multi, float max_spikes) {
  if (!multi) return v >= theta ? 1.f : 0.f;
  float n = floorf(v / theta);
  n = n > 0.f ? n : 0.f;
  return (max_spikes > 0.f && n > max_spikes) ? max_spikes : n;
}

}  // namespace k
}  // namespace exo

// Expands X(Kind) for every surrogate: one switch turns the runtime code into a specialised loop.
#define EXO_SURROGATES(X) X(Exponential) X(Boxcar) X(Gaussian) X(FastSigmoid) X(Arctan)
