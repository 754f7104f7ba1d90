// CUDA ALIF scans (kernels/alif.cuh), one thread per neuron (neuron_grid.cuh).
#include "check.cuh"
#include "kernels/alif.cuh"
#include "neuron_grid.cuh"
#include "exodus/backend.h"

namespace exo {
namespace gpu {
namespace {

__global__ void alif_forward_kernel(AlifConfig c, AlifParams p, const float* __restrict__ x, float* __restrict__ vs,
                                    float* __restrict__ bs, float* __restrict__ s, float* __restrict__ v,
                                    float* __restrict__ bb) {
  size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
  if (i >= c.N) return;
  size_t j = i % c.P;
  float alpha = p.alpha[j], rho = p.rho[j], beta = p.beta[j], theta0 = p.theta0[j];
  float vp = vs[i], ad = bs[i];
  for (int t = 0; t < c.T; ++t) {
    size_t o = (size_t)t * c.N + i;
    k::AlifStep st = k::alif_step(vp, ad, x[o], alpha, rho, beta, theta0);
    v[o] = st.v;
    bb[o] = ad;
    s[o] = st.s;
    vp = st.vpost;
    ad = st.bnext;
  }
  vs[i] = vp;
  bs[i] = ad;
}

template <Surrogate K, bool EXACT>
__global__ void alif_backward_kernel(AlifConfig c, AlifParams p, const float* __restrict__ g, const float* __restrict__ v,
                                     const float* __restrict__ bb, const float* __restrict__ v0, float* __restrict__ dx,
                                     float* __restrict__ dv0, float* __restrict__ db0, AlifGrads gr) {
  size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
  if (i >= c.N) return;
  size_t j = i % c.P;
  float alpha = p.alpha[j], rho = p.rho[j], beta = p.beta[j], theta0 = p.theta0[j];
  const k::SgCoef sg = k::surrogate_coef<K>(theta0, c.sg_scale, c.sg_width);
  const bool want = gr.dalpha || gr.drho || gr.dbeta || gr.dtheta0;
  float lam = 0.f, mu = 0.f, da = 0.f, dr = 0.f, dbt = 0.f, dth = 0.f;
  // v and b of step t − 1 are those of the next step down: carried in registers, so each is
  // loaded once per step (the parameter terms used to load them a second time).
  size_t last = (size_t)(c.T > 0 ? c.T - 1 : 0) * c.N + i;
  float vt = c.T > 0 ? v[last] : 0.f, bt = c.T > 0 ? bb[last] : 0.f;
  for (int t = c.T - 1; t >= 0; --t) {
    size_t o = (size_t)t * c.N + i;
    float vprev = t > 0 ? v[o - c.N] : 0.f, bprev = t > 0 ? bb[o - c.N] : 0.f;
    k::AlifAdjoint a = k::alif_adjoint_step<K, EXACT>(lam, mu, vt, bt, g[o], alpha, rho, beta, theta0, sg);
    lam = a.lam;
    mu = a.mu;
    dx[o] = a.lam;
    if (want) {
      float vp = t > 0 ? k::alif_vpost(vprev, bprev, beta, theta0) : v0[i];
      float sp = t > 0 ? k::alif_spike(vprev, bprev, beta, theta0) : 0.f;
      k::AlifParamTerms d = k::alif_param_terms(a, vp, bt, bprev, sp, t == 0);
      da += d.dalpha;
      dr += d.drho;
      dbt += d.dbeta;
      dth += d.dtheta0;
    }
    vt = vprev;
    bt = bprev;
  }
  if (dv0) dv0[i] = k::lif_state_grad(lam, alpha);
  if (db0) db0[i] = mu;
  if (gr.dalpha) gr.dalpha[i] = da;
  if (gr.drho) gr.drho[i] = dr;
  if (gr.dbeta) gr.dbeta[i] = dbt;
  if (gr.dtheta0) gr.dtheta0[i] = dth;
}

}  // namespace

void alif_backward(int dev, const AlifConfig& c, NeuronGrad method, AlifParams p, const float* g, const float* v,
                   const float* b, const float* v0, float* dx, float* dv0, float* db0, AlifGrads grads) {
  DeviceGuard guard(dev);
  k::with_scan(c.sg, method == NeuronGrad::Exodus, [&](auto t) {
    EXO_LAUNCH(blocks_for(c.N), kBlock, alif_backward_kernel<decltype(t)::kind, decltype(t)::exact>)(c, p, g, v, b, v0, dx, dv0, db0, grads);
  });
  EXO_CUDA_LAUNCH("alif_backward");
}

void alif_forward(int dev, const AlifConfig& c, AlifParams p, const float* x, float* vs, float* bs, float* s, float* v,
                  float* b) {
  DeviceGuard guard(dev);
  EXO_LAUNCH(blocks_for(c.N), kBlock, alif_forward_kernel)(c, p, x, vs, bs, s, v, b);
  EXO_CUDA_LAUNCH("alif_forward");
}

}  // namespace gpu
}  // namespace exo
