// Configurations of the spiking neuron scans (docs/neurons.md): LIF/IAF, ExpLeak, SRM, ALIF, RLIF,
// and the list of scan models (EXO_SCAN_MODELS, at the end) from which their table entries, bindings
// and argument specs are generated. The ops themselves are in backend.h (EXO_NEURON_OPS). Arrays
// are time-major: x[t * N + i].
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

// ---- the scan models, each written once ---------------------------------------------------------
// One entry per model: M(X, model, Config, reader, forward, backward). From it come
//   - its two backend-table entries (backend.h): model_forward(const Config& c, <forward views>) and
//     model_backward(const Config& c, NeuronGrad method, <backward views>), which cpu/<model>.cc and
//     gpu/<model>.cu implement;
//   - its two bindings modelForward / modelBackward (binding_neurons.cc): the config read by
//     `reader` (a config reader of binding_neurons.cc), each view checked by name, size and device;
//   - the spec JavaScript reads at run time (scanModels(): the entry and binding names and the views),
//     so lib/native.ts names none of them (the options' types live with the layer, lib/nn/<model>.ts).
// X is the table's X-macro, passed through (empty where the entry is used outside backend.h).
// `forward` and `backward` list the views in the order of the kernel's parameters, each as
//   V(kind, "jsName", c_name, size)
// kind: lead (the view read first; the others must be on its device: x forward, g backward),
//   in (read), out (written), opt_in / opt_out (may be absent or null: nullptr);
// size, the elements it must hold: TN (T·N), N, P (the parameter length), PP (P·P).
// The forward runs when T·N > 0, the backward when N > 0.
#define EXO_SCAN_MODELS(M, X)                                                                                 \
  M(X, cuba, LifConfig, cuba_config, EXO_CUBA_FORWARD, EXO_CUBA_BACKWARD)                                     \
  M(X, adlif, LifConfig, cuba_config, EXO_ADLIF_FORWARD, EXO_ADLIF_BACKWARD)                                  \
  M(X, rlif, RlifConfig, rlif_config, EXO_RLIF_FORWARD, EXO_RLIF_BACKWARD)

// CubaLIF (kernels/cuba.cuh): vState, iState [N] the (v, i) state in and out; s, v, i [T, N]: spikes,
// pre-reset potentials, currents. Backward: v0, i0 the state the forward started from.
#define EXO_CUBA_FORWARD(V)                                                                                   \
  V(in, "alphaSyn", alpha_syn, P) V(in, "alpha", alpha, P) V(in, "theta", theta, P) V(lead, "x", x, TN)       \
  V(out, "vState", vs, N) V(out, "iState", is, N) V(out, "s", s, TN) V(out, "v", v, TN) V(out, "i", i, TN)
#define EXO_CUBA_BACKWARD(V)                                                                                  \
  V(in, "alphaSyn", alpha_syn, P) V(in, "alpha", alpha, P) V(in, "theta", theta, P) V(lead, "g", g, TN)       \
  V(in, "v", v, TN) V(in, "i", i, TN) V(in, "v0", v0, N) V(in, "i0", i0, N) V(out, "dx", dx, TN)              \
  V(opt_out, "dv0", dv0, N) V(opt_out, "di0", di0, N) V(opt_out, "dalphaSyn", dalpha_syn, N)                  \
  V(opt_out, "dalpha", dalpha, N)

// adLIF (kernels/adlif.cuh): vState, wState [N] the (v, w) state in and out; s, v, w [T, N]: spikes,
// pre-reset potentials, adaptation. Backward: x, v, w of the forward, v0, w0 its initial state.
#define EXO_ADLIF_FORWARD(V)                                                                                  \
  V(in, "alpha", alpha, P) V(in, "beta", beta, P) V(in, "a", a, P) V(in, "b", b, P) V(in, "theta", theta, P)  \
  V(lead, "x", x, TN) V(out, "vState", vs, N) V(out, "wState", ws, N) V(out, "s", s, TN) V(out, "v", v, TN)   \
  V(out, "w", w, TN)
#define EXO_ADLIF_BACKWARD(V)                                                                                 \
  V(in, "alpha", alpha, P) V(in, "beta", beta, P) V(in, "a", a, P) V(in, "b", b, P) V(in, "theta", theta, P)  \
  V(lead, "g", g, TN) V(in, "x", x, TN) V(in, "v", v, TN) V(in, "w", w, TN) V(in, "v0", v0, N)                \
  V(in, "w0", w0, N) V(out, "dx", dx, TN) V(opt_out, "dv0", dv0, N) V(opt_out, "dw0", dw0, N)                 \
  V(opt_out, "dalpha", dalpha, N) V(opt_out, "dbeta", dbeta, N) V(opt_out, "da", da, N) V(opt_out, "db", db, N)

// Recurrent LIF (RlifConfig above): P = H; w is V [H, H]; vState, sState [N] the (v, s) state in and
// out; s, v [T, N]. Backward: h = ∂L/∂v or absent; v0, s0 the state the forward started from; dw
// [H, H] overwritten; dalpha, dbias [N] per neuron (summed over t).
#define EXO_RLIF_FORWARD(V)                                                                                   \
  V(in, "alpha", alpha, P) V(in, "theta", theta, P) V(in, "m", m, P) V(opt_in, "bias", bias, P)               \
  V(in, "w", w, PP) V(lead, "x", x, TN) V(out, "vState", vs, N) V(out, "sState", ss, N) V(out, "s", s, TN)    \
  V(out, "v", v, TN)
#define EXO_RLIF_BACKWARD(V)                                                                                  \
  V(in, "alpha", alpha, P) V(in, "theta", theta, P) V(in, "m", m, P) V(opt_in, "bias", bias, P)               \
  V(in, "w", w, PP) V(lead, "g", g, TN) V(opt_in, "h", h, TN) V(in, "v", v, TN) V(in, "v0", v0, N)            \
  V(in, "s0", s0, N) V(out, "dx", dx, TN) V(opt_out, "dv0", dv0, N) V(opt_out, "ds0", ds0, N)                 \
  V(opt_out, "dalpha", dalpha, N) V(opt_out, "dbias", dbias, N) V(out, "dw", dw, PP)
