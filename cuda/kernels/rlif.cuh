// Recurrent LIF: one neuron's forward step and adjoint step (docs/neurons.md, Recurrent LIF). The
// neuron itself is LIF's (kernels/lif.cuh); what recurrence adds is an input V·s[t-1] forward and
// a spike-path gradient (Vᵀλ[t+1]) backward, both computed by the scans (cpu/rlif.cc, gpu/rlif.cu)
// for a whole batch row, since every neuron of the row needs every spike of the step before.
#pragma once
#include "lif.cuh"

namespace exo {
namespace k {

// The LIF switches of a recurrent layer: single spikes, no clamp, no input scaling.
EXO_HD LifConfig rlif_as_lif(const RlifConfig& c) {
  LifConfig l;
  l.T = c.T;
  l.N = c.N;
  l.P = c.P;
  l.sg = c.sg;
  l.sg_scale = c.sg_scale;
  l.sg_width = c.sg_width;
  l.reset = c.reset;
  return l;
}

// v[t] (pre-reset) from v_post[t-1], x[t], the recurrent input rec = (V·s[t-1])_i and the bias.
EXO_HD float rlif_integrate(const LifConfig& l, float vpost_prev, float x, float rec, float bias, float alpha) {
  return lif_integrate(l, vpost_prev, (x + rec) + bias, alpha);
}

// λ[t] = dL/dv[t] from λ[t+1] and r = (Vᵀλ[t+1])_i, the gradient that reaches s[t] through the
// recurrent weights: it joins ∂L/∂s[t] = g[t], so the step is LIF's with g + r
//   λ[t] = σ[t]·(g[t] + r) + h[t] + α·ρ[t]·λ[t+1].
// EXACT = false is SLAYER: ρ ≡ 1 (the reset dropped); the recurrent spike path r is kept.
template <Surrogate K, bool EXACT>
EXO_HD float rlif_adjoint_step(const LifConfig& l, float lam_next, float r, float v, float g, float h, float alpha,
                               SgCoef q, float m) {
  return lif_adjoint_step<K, EXACT>(l, lam_next, v, g + r, h, alpha, q, m);
}

// s[t-1] and v_post[t-1] for step t of one neuron: from the stored v[t-1], or the initial state.
EXO_HD float rlif_prev_spike(float v_prev, float theta) { return spike_fn(v_prev, theta, 0, 0.f); }

}  // namespace k
}  // namespace exo
