// The models of a recurrent layer (exodus/recurrent.h), each as one neuron's step and adjoint step
// behind a common face, so that one scan (cpu/recurrent.cc, gpu/recurrent.cu) drives all three. The
// recurrent input u[t] = x[t] + V·s[t-1] (+ bias) enters where the model takes x:
//   CubaLIF  the synaptic current: i[t] = α_s·i[t-1] + u[t] (snnTorch RSynaptic);
//   ALIF     the membrane: v[t] = α·v_post[t-1] + u[t];
//   adLIF    the membrane input: v[t] = α·v_post[t-1] + (1 − α)·(u[t] − w[t-1]) (SE-adLIF).
// Backward, the spike s[t] reaches the loss directly (g[t]) and through u[t+1]: the scan adds
// r[t] = Vᵀ·∂L/∂u[t+1] to g[t] and the model's own adjoint step does the rest, unchanged; each
// model returns ∂L/∂u[t], which is ∂L/∂x[t], the bias's share and, times s[t-1]ᵀ, ∂V's.
// Every model has two states (v_post and a second: i, b or w) and two adjoints.
#pragma once
#include "adlif.cuh"
#include "alif.cuh"
#include "cuba.cuh"
#include "exodus/recurrent.h"

namespace exo {
namespace k {

struct RecState {
  float v, a;  // v_post and the second state after a step (or the adjoints λ and the second's)
};
// The state before step t as the parameter terms need it (the given state at t = 0), and for ALIF
// ∂b[t]/∂ρ = b[t-1] − s[t-1] (0 at t = 0, where b[0] is given).
struct RecPrev {
  float v, a, drho;
};

EXO_HD LifConfig rec_as_lif(const RecurrentConfig& c) {
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

struct RecCuba {
  struct P {
    float asyn, alpha, theta;
  };
  EXO_HD static P load(const RecurrentParams& r, size_t i) { return {r.p[0][i], r.p[1][i], r.p[2][i]}; }
  EXO_HD static float theta(const P& p) { return p.theta; }
  // Step t: st holds (v_post[t-1], i[t-1]) on entry, (v_post[t], i[t]) on return; writes v[t], i[t].
  EXO_HD static float step(const LifConfig& c, const P& p, RecState& st, float u, float& v, float& aux) {
    CubaStep r = cuba_step(c, st.a, st.v, u, p.asyn, p.alpha, p.theta);
    v = r.v;
    aux = r.i;
    st = {r.vpost, r.i};
    return r.s;
  }
  EXO_HD static float spike(const LifConfig&, const P& p, float v, float) { return spike_fn(v, p.theta, 0, 0.f); }
  EXO_HD static RecPrev prev(const LifConfig& c, const P& p, float v, float aux) {
    return {lif_vpost(c, v, p.theta, p.theta), aux, 0.f};
  }
  // ad: (λ[t+1], μ[t+1]) on entry, (λ[t], μ[t]) on return; adds ∂α_s, ∂α's terms to acc[0], acc[1].
  template <Surrogate K, bool EXACT>
  EXO_HD static float adjoint(const LifConfig& c, const P& p, SgCoef q, RecState& ad, float v, float, float g, float h,
                              float, RecPrev pv, float* acc) {
    float lam = lif_adjoint_step<K, EXACT>(c, ad.v, v, g, h, p.alpha, q, p.theta);
    float mu = lam + p.asyn * ad.a;
    ad = {lam, mu};
    acc[0] += mu * pv.a;
    acc[1] += lam * pv.v;
    return mu;
  }
  EXO_HD static RecState state_grads(const P& p, RecState ad) { return {lif_state_grad(ad.v, p.alpha), p.asyn * ad.a}; }
};

struct RecAlif {
  struct P {
    float alpha, rho, beta, theta0;
  };
  EXO_HD static P load(const RecurrentParams& r, size_t i) { return {r.p[0][i], r.p[1][i], r.p[2][i], r.p[3][i]}; }
  EXO_HD static float theta(const P& p) { return p.theta0; }
  // st: (v_post[t-1], b[t]) on entry, (v_post[t], b[t+1]) on return; writes v[t], b[t].
  EXO_HD static float step(const LifConfig&, const P& p, RecState& st, float u, float& v, float& aux) {
    AlifStep r = alif_step(st.v, st.a, u, p.alpha, p.rho, p.beta, p.theta0);
    v = r.v;
    aux = st.a;
    st = {r.vpost, r.bnext};
    return r.s;
  }
  EXO_HD static float spike(const LifConfig&, const P& p, float v, float b) { return alif_spike(v, b, p.beta, p.theta0); }
  // From v[t-1], b[t-1]: v_post[t-1], b[t] and b[t-1] − s[t-1].
  EXO_HD static RecPrev prev(const LifConfig&, const P& p, float v, float b) {
    float s = alif_spike(v, b, p.beta, p.theta0);
    return {alif_vpost(v, b, p.beta, p.theta0), alif_adapt(b, s, p.rho), b - s};
  }
  // ad: (λ, μ = ∂L/∂b); acc: ∂α, ∂ρ, ∂β, ∂θ0.
  template <Surrogate K, bool EXACT>
  EXO_HD static float adjoint(const LifConfig&, const P& p, SgCoef q, RecState& ad, float v, float b, float g, float h,
                              float, RecPrev pv, float* acc) {
    AlifAdjoint a = alif_adjoint_step<K, EXACT>(ad.v, ad.a, v, b, g, p.alpha, p.rho, p.beta, p.theta0, q);
    a.lam += h;
    ad = {a.lam, a.mu};
    acc[0] += a.lam * pv.v;
    acc[1] += a.mu * pv.drho;
    acc[2] += a.q * b;
    acc[3] += a.q;
    return a.lam;
  }
  EXO_HD static RecState state_grads(const P& p, RecState ad) { return {lif_state_grad(ad.v, p.alpha), ad.a}; }
};

struct RecAdlif {
  using P = AdlifParams1;
  EXO_HD static P load(const RecurrentParams& r, size_t i) { return {r.p[0][i], r.p[1][i], r.p[2][i], r.p[3][i], r.p[4][i]}; }
  EXO_HD static float theta(const P& p) { return p.theta; }
  // st: (v_post[t-1], w[t-1]) on entry, (v_post[t], w[t]) on return; writes v[t], w[t].
  EXO_HD static float step(const LifConfig& c, const P& p, RecState& st, float u, float& v, float& aux) {
    AdlifStep r = adlif_step(c, p, st.v, st.a, u);
    v = r.v;
    aux = r.w;
    st = {r.vpost, r.w};
    return r.s;
  }
  EXO_HD static float spike(const LifConfig&, const P& p, float v, float) { return spike_fn(v, p.theta, 0, 0.f); }
  EXO_HD static RecPrev prev(const LifConfig& c, const P& p, float v, float w) { return {lif_vpost(c, v, p.theta, p.theta), w, 0.f}; }
  // ad: (λ, Ω = ∂L/∂w); acc: ∂α, ∂β, ∂a, ∂b. u is u[t] (∂v/∂α reads it).
  template <Surrogate K, bool EXACT>
  EXO_HD static float adjoint(const LifConfig& c, const P& p, SgCoef q, RecState& ad, float v, float, float g, float h,
                              float u, RecPrev pv, float* acc) {
    AdlifAdjoint d = adlif_adjoint_step<K, EXACT>(c, p, ad.v, ad.a, v, g, q);
    d.lam += h;
    ad = {d.lam, d.omega};
    AdlifParamTerms r = adlif_param_terms(c, p, d, v, u, pv.v, pv.a);
    acc[0] += r.dalpha;
    acc[1] += r.dbeta;
    acc[2] += r.da;
    acc[3] += r.db;
    return (1.f - p.alpha) * d.lam;
  }
  EXO_HD static RecState state_grads(const P& p, RecState ad) {
    return {lif_state_grad(ad.v, p.alpha), adlif_w0_grad(p, ad.v, ad.a)};
  }
};

// f(RecCuba{}) etc. for the model chosen at run time.
template <typename F>
inline void with_model(RecModel m, F&& f) {
  switch (m) {
    case RecModel::Cuba: f(RecCuba{}); break;
    case RecModel::Alif: f(RecAlif{}); break;
    case RecModel::Adlif: f(RecAdlif{}); break;
    default: throw Error("unknown recurrent model code " + std::to_string((int)m));
  }
}

}  // namespace k
}  // namespace exo
