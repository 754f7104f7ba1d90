// Adaptive LIF (math.md §6): a threshold θ[t] = θ0 + β·b[t] that rises after each spike,
//   b[t] = ρ·b[t-1] + (1-ρ)·s[t-1],  v[t] = α·v_post[t-1] + x[t],  s[t] = 1[v[t] ≥ θ[t]],
//   v_post[t] = v[t] - θ[t]·s[t].
// One forward step, one adjoint step of the exact reverse scan (two adjoints: λ = ∂L/∂v,
// μ = ∂L/∂b), and the parameter-gradient terms. The scans are in cpu/alif.cc, gpu/alif.cu.
// The surrogate is §1's at the distance v - θ[t], its width normalised by θ0: σ(v - β·b) with
// the coefficients of threshold θ0.
#pragma once
#include "lif.cuh"  // lif_state_grad: ∂L/∂v0 = α·λ[0] here too

namespace exo {
namespace k {

EXO_HD float alif_threshold(float theta0, float beta, float b) { return theta0 + beta * b; }
EXO_HD float alif_spike(float v, float b, float beta, float theta0) { return v >= alif_threshold(theta0, beta, b) ? 1.f : 0.f; }
// v_post[t] from the stored v[t], b[t] (reset subtracts the effective threshold).
EXO_HD float alif_vpost(float v, float b, float beta, float theta0) {
  return v - alif_threshold(theta0, beta, b) * alif_spike(v, b, beta, theta0);
}
// b[t+1] from b[t] and s[t].
EXO_HD float alif_adapt(float b, float s, float rho) { return rho * b + (1.f - rho) * s; }

struct AlifStep {
  float v, s, vpost, bnext;
};
// Step t forward from v_post[t-1] and b[t].
EXO_HD AlifStep alif_step(float vpost_prev, float b, float x, float alpha, float rho, float beta, float theta0) {
  float v = alpha * vpost_prev + x;
  float th = alif_threshold(theta0, beta, b);
  float s = v >= th ? 1.f : 0.f;
  return {v, s, v - th * s, alif_adapt(b, s, rho)};
}

struct AlifAdjoint {
  float lam;  // λ[t] = ∂L/∂v[t]
  float mu;   // μ[t] = ∂L/∂b[t]
  float q;    // q[t] = ∂L/∂θ[t]
};

// Step t of the reverse scan from λ[t+1], μ[t+1]:
//   ψ = g - θ·α·λ' + (1-ρ)·μ'   (total ∂L/∂s[t]; SLAYER: ψ = g)
//   λ = σ·ψ + α·λ';  q = -s·α·λ' - σ·ψ (SLAYER: no reset term);  μ = ρ·μ' + β·q
// sg holds the surrogate constants of threshold θ0 (surrogate_coef<K>(θ0, scale, width)).
template <Surrogate K, bool EXACT>
EXO_HD AlifAdjoint alif_adjoint_step(float lam_next, float mu_next, float v, float b, float g, float alpha, float rho,
                                     float beta, float theta0, SgCoef sg) {
  float th = alif_threshold(theta0, beta, b);
  float s = v >= th ? 1.f : 0.f;
  float sig = surrogate_eval<K>(v - beta * b, sg);
  float al = alpha * lam_next;
  float psi = EXACT ? g - th * al + (1.f - rho) * mu_next : g;
  float lam = sig * psi + al;
  float q = (EXACT ? -s * al : 0.f) - sig * psi;
  return {lam, rho * mu_next + beta * q, q};
}

// Per-step shares of the parameter gradients (summed over t by the scans):
//   ∂α: λ[t]·v_post[t-1];  ∂ρ: μ[t]·(b[t-1] - s[t-1]) for t ≥ 1 (b[0] is the given state);
//   ∂β: q[t]·b[t];  ∂θ0: q[t].
struct AlifParamTerms {
  float dalpha, drho, dbeta, dtheta0;
};
EXO_HD AlifParamTerms alif_param_terms(const AlifAdjoint& a, float vpost_prev, float b, float b_prev, float s_prev,
                                       bool first) {
  return {a.lam * vpost_prev, first ? 0.f : a.mu * (b_prev - s_prev), a.q * b, a.q};
}

}  // namespace k
}  // namespace exo
