// LIF / IAF neuron: one forward step and one adjoint (backward) step per neuron (math.md §1).
// The scans over time live in cpu/lif.cc and gpu/lif.cu; both call these.
#pragma once
#include "surrogate.cuh"

namespace exo {
namespace k {

// v[t] before reset (after the optional v_min clamp) from v_post[t-1] and the input x[t].
EXO_HD float lif_integrate(const LifConfig& c, float vpost_prev, float x, float alpha) {
  float v = alpha * vpost_prev + (c.norm_input ? (1.f - alpha) * x : x);
  if (c.has_vmin) v = v > c.vmin ? v : c.vmin;
  return v;
}

EXO_HD float lif_reset(const LifConfig& c, float v, float s, float m) {
  return c.reset == ResetMode::Zero ? v * (1.f - s) : v - m * s;
}

// λ[t] from λ[t+1]:  λ[t] = c[t]·(σ[t]·g[t] + h[t] + α·ρ[t]·λ[t+1]).
// EXACT = false is SLAYER: ρ ≡ 1 and c ≡ 1 (the reset and the clamp are ignored).
// q holds the neuron's surrogate constants (surrogate_coef), m its reset amount.
template <Surrogate K, bool EXACT>
EXO_HD float lif_adjoint_step(const LifConfig& c, float lam_next, float v, float g, float h, float alpha,
                              SgCoef q, float m) {
  float sg = surrogate_eval<K>(v, q);
  if (!EXACT) return sg * g + h + alpha * lam_next;
  float rho;
  if (c.reset == ResetMode::Zero) rho = (1.f - spike_fn(v, q.theta, 0, 0.f)) - v * sg;
  else rho = 1.f - m * sg;
  float lam = sg * g + h + alpha * rho * lam_next;
  // c[t] = 1[v_pre > v_min]; the stored v is post-clamp, and v > v_min exactly when v_pre was.
  if (c.has_vmin && !(v > c.vmin)) lam = 0.f;
  return lam;
}

// v_post[t] recomputed from the stored v[t] (for ∂α, which needs v_post[t-1]).
EXO_HD float lif_vpost(const LifConfig& c, float v, float theta, float m) {
  return lif_reset(c, v, spike_fn(v, theta, c.multi_spike, c.max_spikes), m);
}

// ∂L/∂x[t] = λ[t], times (1-α) with norm_input.
EXO_HD float lif_input_grad(const LifConfig& c, float lam, float alpha) { return c.norm_input ? lam * (1.f - alpha) : lam; }

// Step t's share of ∂L/∂α = Σ_t λ[t]·∂v[t]/∂α, with ∂v[t]/∂α = v_post[t-1] (− x[t] with norm_input).
EXO_HD float lif_dalpha_term(const LifConfig& c, float lam, float vpost_prev, float x) {
  return lam * (c.norm_input ? vpost_prev - x : vpost_prev);
}

// ∂L/∂v0 = α·λ[0].
EXO_HD float lif_state_grad(float lam0, float alpha) { return alpha * lam0; }

}  // namespace k
}  // namespace exo
