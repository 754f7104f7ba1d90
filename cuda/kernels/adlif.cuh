// Adaptive LIF with an adaptation current (adLIF; Bittar & Garner 2022), in the symplectic-Euler
// discretisation of SE-adLIF (Baronig et al. 2025; docs/neurons.md §8): the membrane steps with
// the adaptation of the step before, then the adaptation steps with the new (post-reset)
// membrane and the new spike,
//   v[t] = α·v_post[t-1] + (1 − α)·(x[t] − w[t-1]),  s[t] = 1[v[t] ≥ θ],
//   v_post[t] = v[t] − θ·s[t] (subtract) or v[t]·(1 − s[t]) (zero),
//   w[t] = β·w[t-1] + (1 − β)·(a·v_post[t] + b·s[t]).
// One forward step, one adjoint step of the exact reverse scan (λ = ∂L/∂v, Ω = ∂L/∂w) and the
// parameter-gradient terms. The config is LifConfig (reset mode and surrogate). The scans are in
// cpu/adlif.cc and gpu/adlif.cu.
#pragma once
#include "lif.cuh"

namespace exo {
namespace k {

struct AdlifParams1 {  // one neuron's parameters
  float alpha, beta, a, b, theta;
};

struct AdlifStep {
  float v, s, vpost, w;
};
EXO_HD AdlifStep adlif_step(const LifConfig& c, const AdlifParams1& p, float vpost_prev, float w_prev, float x) {
  float v = p.alpha * vpost_prev + (1.f - p.alpha) * (x - w_prev);
  float s = spike_fn(v, p.theta, 0, 0.f);
  float vp = lif_reset(c, v, s, p.theta);
  return {v, s, vp, p.beta * w_prev + (1.f - p.beta) * (p.a * vp + p.b * s)};
}

struct AdlifAdjoint {
  float lam;    // λ[t] = ∂L/∂v[t]
  float omega;  // Ω[t] = ∂L/∂w[t]
};
// Step t of the reverse scan from λ' = λ[t+1], Ω' = Ω[t+1] (g = ∂L/∂s[t]):
//   Ω = β·Ω' − (1 − α)·λ'                 (w[t] feeds w[t+1] and v[t+1])
//   P = α·λ' + (1 − β)·a·Ω                (∂L/∂v_post[t]: v[t+1] and w[t])
//   ψ = g + (1 − β)·b·Ω + r_s·P           (∂L/∂s[t]; r_s = −θ or −v, SLAYER: 0)
//   λ = σ·ψ + r_v·P                       (r_v = 1 or 1 − s; SLAYER: 1)
template <Surrogate K, bool EXACT>
EXO_HD AdlifAdjoint adlif_adjoint_step(const LifConfig& c, const AdlifParams1& p, float lam_next, float om_next, float v,
                                       float g, SgCoef q) {
  float om = p.beta * om_next - (1.f - p.alpha) * lam_next;
  float P = p.alpha * lam_next + (1.f - p.beta) * p.a * om;
  float sg = surrogate_eval<K>(v, q);
  float psi = g + (1.f - p.beta) * p.b * om;
  float rv = 1.f;
  if (EXACT) {
    bool zero = c.reset == ResetMode::Zero;
    float s = spike_fn(v, p.theta, 0, 0.f);
    psi -= (zero ? v : p.theta) * P;
    if (zero) rv = 1.f - s;
  }
  return {sg * psi + rv * P, om};
}

// Per-step shares of the parameter gradients (summed over t by the scans), with v_post[t-1],
// w[t-1] the state before step t (the given state at t = 0):
//   ∂α: λ·(v_post[t-1] − x[t] + w[t-1]);  ∂β: Ω·(w[t-1] − a·v_post[t] − b·s[t]);
//   ∂a: Ω·(1 − β)·v_post[t];  ∂b: Ω·(1 − β)·s[t].
struct AdlifParamTerms {
  float dalpha, dbeta, da, db;
};
EXO_HD AdlifParamTerms adlif_param_terms(const LifConfig& c, const AdlifParams1& p, const AdlifAdjoint& d, float v,
                                         float x, float vpost_prev, float w_prev) {
  float s = spike_fn(v, p.theta, 0, 0.f);
  float vp = lif_reset(c, v, s, p.theta);
  return {d.lam * (vpost_prev - x + w_prev), d.omega * (w_prev - p.a * vp - p.b * s), d.omega * (1.f - p.beta) * vp,
          d.omega * (1.f - p.beta) * s};
}

// ∂L/∂v0 = α·λ[0];  ∂L/∂w0 = β·Ω[0] − (1 − α)·λ[0] (w[-1] feeds w[0] and v[0]).
EXO_HD float adlif_w0_grad(const AdlifParams1& p, float lam0, float om0) { return p.beta * om0 - (1.f - p.alpha) * lam0; }

}  // namespace k
}  // namespace exo
