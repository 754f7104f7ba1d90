// Current-based LIF (CubaLIF; snnTorch Synaptic, NIR CubaLIF; docs/neurons.md §7): a synaptic
// current filters the input and drives the membrane of the same step,
//   i[t] = α_s·i[t-1] + x[t],  v[t] = α·v_post[t-1] + i[t],  s[t] = 1[v[t] ≥ θ],
//   v_post[t] = v[t] − θ·s[t] (subtract) or v[t]·(1 − s[t]) (zero).
// One forward step, one adjoint step of the exact reverse scan (two adjoints: λ = ∂L/∂v,
// μ = ∂L/∂i) and the parameter-gradient terms. The membrane half is LIF's (lif.cuh) with m = θ;
// the current is linear, so its adjoint only adds μ[t] = λ[t] + α_s·μ[t+1].
// The config is LifConfig (reset mode and surrogate; no multi-spike, v_min or normInput).
// The scans are in cpu/cuba.cc and gpu/cuba.cu.
#pragma once
#include "lif.cuh"

namespace exo {
namespace k {

struct CubaStep {
  float i, v, s, vpost;
};
// Step t forward from i[t-1] and v_post[t-1].
EXO_HD CubaStep cuba_step(const LifConfig& c, float i_prev, float vpost_prev, float x, float alpha_syn, float alpha,
                          float theta) {
  float i = alpha_syn * i_prev + x;
  float v = alpha * vpost_prev + i;
  float s = spike_fn(v, theta, 0, 0.f);
  return {i, v, s, lif_reset(c, v, s, theta)};
}

struct CubaAdjoint {
  float lam;  // λ[t] = ∂L/∂v[t]
  float mu;   // μ[t] = ∂L/∂i[t] = ∂L/∂x[t]
};
// Step t of the reverse scan from λ[t+1], μ[t+1] (g = ∂L/∂s[t]):
//   λ[t] = σ·g + α·ρ[t]·λ[t+1]   (ρ the reset's ∂v_post/∂v, as LIF; SLAYER: ρ ≡ 1)
//   μ[t] = λ[t] + α_s·μ[t+1]
template <Surrogate K, bool EXACT>
EXO_HD CubaAdjoint cuba_adjoint_step(const LifConfig& c, float lam_next, float mu_next, float v, float g,
                                     float alpha_syn, float alpha, SgCoef q) {
  float lam = lif_adjoint_step<K, EXACT>(c, lam_next, v, g, 0.f, alpha, q, q.theta);
  return {lam, lam + alpha_syn * mu_next};
}

// Per-step shares of the parameter gradients (summed over t by the scans):
//   ∂α: λ[t]·v_post[t-1];  ∂α_s: μ[t]·i[t-1]  (v_post[-1], i[-1] the given state).
struct CubaParamTerms {
  float dalpha, dalpha_syn;
};
EXO_HD CubaParamTerms cuba_param_terms(const CubaAdjoint& a, float vpost_prev, float i_prev) {
  return {a.lam * vpost_prev, a.mu * i_prev};
}

}  // namespace k
}  // namespace exo
