// Configurations of the spiking neuron scans (docs/neurons.md): LIF/IAF, ExpLeak, SRM, ALIF. The ops
// themselves are in backend.h (EXO_NEURON_OPS). Arrays are time-major: x[t * N + i].
#pragma once
#include <cstddef>

#include "exodus/api.h"

namespace exo {

// What every neuron scan starts with, written once: its shape and, for a spiking one, its
// surrogate. A model's config derives from them (the binding reads them with one reader each,
// binding_neurons.cc; lib/native.ts has the same two as ScanShape and SurrogateSpec).
struct ScanShape {
  int T = 0;     // time steps
  size_t N = 0;  // neurons per step (batch × features)
  size_t P = 1;  // length of the parameter arrays: neuron i uses its parameters at [i % P]
};
struct SurrogateSpec {
  Surrogate sg = Surrogate::Exponential;
  float sg_scale = 1.f, sg_width = 0.5f;
};

struct LifConfig : ScanShape, SurrogateSpec {
  ResetMode reset = ResetMode::Subtract;
  int multi_spike = 0;
  float max_spikes = 0.f;  // > 0 caps multi-spikes
  int has_vmin = 0;
  float vmin = 0.f;
  int norm_input = 0;  // x[t]·(1-α)
};

struct LifParams {
  const float* alpha;  // [P]
  const float* theta;  // [P]
  const float* m;      // [P] reset amount
};


// beta[i % P].
struct ExpLeakConfig : ScanShape {};

// No parameter arrays: P stays 1.
struct SrmConfig : ScanShape, SurrogateSpec {
  int Ke = 0, Kn = 0;  // lengths of the response kernel ε and the refractory kernel ν
  float theta = 1.f;
  int multi_spike = 0;
  float max_spikes = 0.f;
};
// Adaptive LIF (docs/neurons.md). Parameters alpha, rho, beta, theta0 [P] (neuron i uses [i % P]).
// State (v, b): v_post[T-1] and b[T] = ρ·b[T-1] + (1-ρ)·s[T-1], the adaptation the next step
// starts from, so a sequence in chunks equals one call; b[0] is the given state (0 by default).
struct AlifConfig : ScanShape, SurrogateSpec {};
struct AlifParams {
  const float* alpha;
  const float* rho;
  const float* beta;
  const float* theta0;
};
// Per-neuron parameter gradients [N] (summed over t), each optional.
struct AlifGrads {
  float* dalpha;
  float* drho;
  float* dbeta;
  float* dtheta0;
};

// Recurrent LIF (docs/neurons.md, Recurrent LIF): v[t] = α·v_post[t-1] + x[t] + V·s[t-1] (+ bias),
// spike and reset as LIF. The parameters are per neuron of a layer of H = P neurons, and the N
// neurons of a step are B = N / P batch rows of them; w is V [H, H] row-major (V[i][j]: from
// neuron j to neuron i). State (v, s): v_post[T-1] and s[T-1], so a sequence in chunks equals one call.
// The most neurons a CUDA recurrent layer may have: its scans keep a row's spikes or adjoints in
// static shared memory (16 KiB). The binding refuses larger layers on CUDA.
constexpr size_t kRlifMaxH = 4096;
struct RlifConfig : ScanShape, SurrogateSpec {
  ResetMode reset = ResetMode::Subtract;
};
struct RlifParams {
  const float* alpha;  // [P]
  const float* theta;  // [P]
  const float* m;      // [P] reset amount
  const float* bias;   // [P] or null
  const float* w;      // [P, P]
};
// dalpha, dbias [N] per neuron (summed over t; null when not wanted); dw [P, P] overwritten.
struct RlifGrads {
  float* dalpha;
  float* dbias;
  float* dw;
};

}  // namespace exo
