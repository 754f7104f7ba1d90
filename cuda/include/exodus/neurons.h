// The C++ API of the spiking neuron kernels (math.md §1-3): LIF/IAF, ExpLeak and SRM scans,
// forward and backward (EXODUS or SLAYER), plus the spike and surrogate element ops the BPTT tape
// is built from. Arrays are time-major: x[t * N + i]. No N-API types here.
#pragma once
#include <cstddef>

#include "exodus/api.h"

namespace exo {

enum class Surrogate : int { Exponential = 0, Boxcar, Gaussian, FastSigmoid, Arctan, Count };
enum class ResetMode : int { Subtract = 0, Zero = 1 };
// Backward scans: EXODUS (exact) or SLAYER (ρ ≡ 1, c ≡ 1). BPTT is not a scan: see lib/nn/bptt.
enum class NeuronGrad : int { Exodus = 0, Slayer = 1 };

struct LifConfig {
  int T = 0;        // time steps
  size_t N = 0;     // neurons per step (batch × features)
  size_t P = 1;     // length of the parameter arrays: neuron i uses alpha/theta/m[i % P]
  ResetMode reset = ResetMode::Subtract;
  int multi_spike = 0;
  float max_spikes = 0.f;  // > 0 caps multi-spikes
  int has_vmin = 0;
  float vmin = 0.f;
  int norm_input = 0;  // x[t]·(1-α)
  Surrogate sg = Surrogate::Exponential;
  float sg_scale = 1.f, sg_width = 0.5f;
};

struct LifParams {
  const float* alpha;  // [P]
  const float* theta;  // [P]
  const float* m;      // [P] reset amount
};

// state [N]: v0 on entry, v_post[T-1] on return. s, v [T, N]: spikes and pre-reset potentials.
void lif_forward(Device dev, const LifConfig& c, LifParams p, const float* x, float* state, float* s, float* v);
// g [T, N] = ∂L/∂s; h [T, N] = ∂L/∂v or null; v [T, N] from the forward; x [T, N] (only read for
// ∂L/∂α with norm_input, else may be null); v0 [N] the state the forward started from.
// Writes dx [T, N]; dv0 [N] and dalpha [N] (per neuron, summed over t) when not null.
void lif_backward(Device dev, const LifConfig& c, NeuronGrad method, LifParams p, const float* g,
                  const float* h, const float* v, const float* x, const float* v0, float* dx, float* dv0,
                  float* dalpha);

struct ExpLeakConfig {
  int T = 0;
  size_t N = 0;
  size_t P = 1;  // beta[i % P]
};
// state [N]: i0 on entry, i[T-1] on return; i [T, N].
void expleak_forward(Device dev, const ExpLeakConfig& c, const float* beta, const float* x, float* state, float* i);
// grad_i [T, N] = ∂L/∂i; i [T, N] from the forward; i0 [N]. dx [T, N]; di0, dbeta [N] optional.
void expleak_backward(Device dev, const ExpLeakConfig& c, const float* beta, const float* grad_i, const float* i,
                      const float* i0, float* dx, float* di0, float* dbeta);

struct SrmConfig {
  int T = 0;
  size_t N = 0;
  int Ke = 0, Kn = 0;  // lengths of the response kernel ε and the refractory kernel ν
  float theta = 1.f;
  int multi_spike = 0;
  float max_spikes = 0.f;
  Surrogate sg = Surrogate::Exponential;
  float sg_scale = 1.f, sg_width = 0.5f;
};
// eps [Ke], nu [Kn]; a [T, N] the weighted input; s, u [T, N].
void srm_forward(Device dev, const SrmConfig& c, const float* eps, const float* nu, const float* a, float* s, float* u);
// g [T, N], u [T, N]; q [T, N] workspace (σ·ψ on return); da [T, N].
void srm_backward(Device dev, const SrmConfig& c, NeuronGrad method, const float* eps, const float* nu,
                  const float* g, const float* u, float* q, float* da);

// Element ops of the BPTT tape. theta[i % P].
void spike_fn(Device dev, const float* v, float* s, size_t n, const float* theta, size_t P, int multi,
              float max_spikes);
// y = σ(v)·g
void surrogate_grad(Device dev, Surrogate sg, const float* v, const float* g, float* y, size_t n,
                    const float* theta, size_t P, float scale, float width);

namespace cpu {
void lif_forward(const LifConfig& c, LifParams p, const float* x, float* state, float* s, float* v);
void lif_backward(const LifConfig& c, NeuronGrad method, LifParams p, const float* g, const float* h,
                  const float* v, const float* x, const float* v0, float* dx, float* dv0, float* dalpha);
void expleak_forward(const ExpLeakConfig& c, const float* beta, const float* x, float* state, float* i);
void expleak_backward(const ExpLeakConfig& c, const float* beta, const float* grad_i, const float* i,
                      const float* i0, float* dx, float* di0, float* dbeta);
void srm_forward(const SrmConfig& c, const float* eps, const float* nu, const float* a, float* s, float* u);
void srm_backward(const SrmConfig& c, NeuronGrad method, const float* eps, const float* nu, const float* g,
                  const float* u, float* q, float* da);
void spike_fn(const float* v, float* s, size_t n, const float* theta, size_t P, int multi, float max_spikes);
void surrogate_grad(Surrogate sg, const float* v, const float* g, float* y, size_t n, const float* theta,
                    size_t P, float scale, float width);
}  // namespace cpu

namespace gpu {
void lif_forward(int dev, const LifConfig& c, LifParams p, const float* x, float* state, float* s, float* v);
void lif_backward(int dev, const LifConfig& c, NeuronGrad method, LifParams p, const float* g, const float* h,
                  const float* v, const float* x, const float* v0, float* dx, float* dv0, float* dalpha);
void expleak_forward(int dev, const ExpLeakConfig& c, const float* beta, const float* x, float* state, float* i);
void expleak_backward(int dev, const ExpLeakConfig& c, const float* beta, const float* grad_i, const float* i,
                      const float* i0, float* dx, float* di0, float* dbeta);
void srm_forward(int dev, const SrmConfig& c, const float* eps, const float* nu, const float* a, float* s, float* u);
void srm_backward(int dev, const SrmConfig& c, NeuronGrad method, const float* eps, const float* nu,
                  const float* g, const float* u, float* q, float* da);
void spike_fn(int dev, const float* v, float* s, size_t n, const float* theta, size_t P, int multi, float max_spikes);
void surrogate_grad(int dev, Surrogate sg, const float* v, const float* g, float* y, size_t n, const float* theta,
                    size_t P, float scale, float width);
}  // namespace gpu

}  // namespace exo
