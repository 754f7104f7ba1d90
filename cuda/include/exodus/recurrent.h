// The recurrent forms of CubaLIF, ALIF and adLIF (docs/neurons.md, Recurrent layers): H neurons
// whose spikes feed back through a learnable H×H matrix V into the model's input,
//   u[t] = x[t] + V·s[t-1] (+ bias),
// and the model's own step on u[t] (kernels/recurrent.cuh). One scan per layer runs the recurrent
// product inside its loop over t (cpu/recurrent.cc, gpu/recurrent.cu); the model is a selector,
// so the three share one driver. (RLIF keeps its own speed-tuned scans, rlif.cc/rlif.cu.)
#pragma once
#include "exodus/neurons.h"

namespace exo {

enum class RecModel : int { Cuba = 0, Alif = 1, Adlif = 2 };

// The most per-neuron parameter arrays a model has (adLIF: α, β, a, b, θ), and learnable ones.
constexpr int kRecParams = 5;
constexpr int kRecGrads = 4;

struct RecurrentConfig : ScanShape, SurrogateSpec {
  ResetMode reset = ResetMode::Subtract;
  RecModel model = RecModel::Cuba;
};
// p [H] each, in the model's order: CubaLIF (α_s, α, θ); ALIF (α, ρ, β, θ0); adLIF (α, β, a, b, θ).
struct RecurrentParams {
  const float* p[kRecParams];
  const float* bias;  // [H] or null
  const float* w;     // V [H, H]
};
// dp [N] per neuron (summed over t; null when not wanted), the learnable ones in p's order;
// dbias [N] likewise; dw [H, H] overwritten.
struct RecurrentGrads {
  float* dp[kRecGrads];
  float* dbias;
  float* dw;
};

}  // namespace exo

// vs, as, ss [N]: the (v, second state, s) state in, out (second: i, b or w); s, v, aux [T, N]: spikes,
// pre-reset potentials, the second state per step; u [T, N] (adLIF, else null): the input u[t].
// Backward: h = ∂L/∂v or null; v0, a0, s0 [N] the state the forward started from; dv0, da0, ds0 optional.
#define EXO_RECURRENT_OPS(X)                                                                                \
  X(recurrent_forward, (const RecurrentConfig& c, RecurrentParams p, const float* x, float* vs, float* as,  \
                        float* ss, float* s, float* v, float* aux, float* u),                               \
    (c, p, x, vs, as, ss, s, v, aux, u))                                                                    \
  X(recurrent_backward, (const RecurrentConfig& c, NeuronGrad method, RecurrentParams p, const float* g,    \
                         const float* h, const float* v, const float* aux, const float* u, const float* v0, \
                         const float* a0, const float* s0, float* dx, float* dv0, float* da0, float* ds0,   \
                         RecurrentGrads grads),                                                             \
    (c, method, p, g, h, v, aux, u, v0, a0, s0, dx, dv0, da0, ds0, grads))
