// CUDA LIF/IAF scans (kernels/lif.cuh), one thread per neuron (neuron_grid.cuh).
#include "check.cuh"
#include "kernels/lif.cuh"
#include "neuron_grid.cuh"
#include "exodus/backend.h"

namespace exo {
namespace gpu {
namespace {

__global__ void lif_forward_kernel(LifConfig c, LifParams p, const float* __restrict__ x, float* __restrict__ state,
                                   float* __restrict__ s, float* __restrict__ v) {
  size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
  if (i >= c.N) return;
  size_t j = i % c.P;
  float alpha = p.alpha[j], theta = p.theta[j], m = p.m[j];
  float vp = state[i];
  for (int t = 0; t < c.T; ++t) {
    size_t o = (size_t)t * c.N + i;
    float vt = k::lif_integrate(c, vp, x[o], alpha);
    float st = k::spike_fn(vt, theta, c.multi_spike, c.max_spikes);
    v[o] = vt;
    s[o] = st;
    vp = k::lif_reset(c, vt, st, m);
  }
  state[i] = vp;
}

template <Surrogate K, bool EXACT>
__global__ void lif_backward_kernel(LifConfig c, LifParams p, const float* __restrict__ g, const float* __restrict__ h,
                                    const float* __restrict__ v, const float* __restrict__ x,
                                    const float* __restrict__ v0, float* __restrict__ dx, float* __restrict__ dv0,
                                    float* __restrict__ dalpha) {
  size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
  if (i >= c.N) return;
  size_t j = i % c.P;
  float alpha = p.alpha[j], theta = p.theta[j], m = p.m[j];
  float lam = 0.f, da = 0.f;
  const k::SgCoef q = k::surrogate_coef<K>(theta, c.sg_scale, c.sg_width);
  // v[t − 1] of one step is v[t] of the next one down: carried in a register, so every v is
  // loaded once (the dalpha term used to load it a second time).
  float vt = c.T > 0 ? v[(size_t)(c.T - 1) * c.N + i] : 0.f;
  for (int t = c.T - 1; t >= 0; --t) {
    size_t o = (size_t)t * c.N + i;
    float vprev = t > 0 ? v[o - c.N] : 0.f;
    lam = k::lif_adjoint_step<K, EXACT>(c, lam, vt, g[o], h ? h[o] : 0.f, alpha, q, m);
    dx[o] = k::lif_input_grad(c, lam, alpha);
    if (dalpha) {
      float vp = t > 0 ? k::lif_vpost(c, vprev, theta, m) : v0[i];
      da += k::lif_dalpha_term(c, lam, vp, c.norm_input ? x[o] : 0.f);
    }
    vt = vprev;
  }
  if (dv0) dv0[i] = k::lif_state_grad(lam, alpha);
  if (dalpha) dalpha[i] = da;
}

}  // namespace

void lif_forward(int dev, const LifConfig& c, LifParams p, const float* x, float* state, float* s, float* v) {
  DeviceGuard guard(dev);
  EXO_LAUNCH(blocks_for(c.N), kBlock, lif_forward_kernel)(c, p, x, state, s, v);
  EXO_CUDA_LAUNCH("lif_forward");
}

void lif_backward(int dev, const LifConfig& c, NeuronGrad method, LifParams p, const float* g, const float* h,
                  const float* v, const float* x, const float* v0, float* dx, float* dv0, float* dalpha) {
  DeviceGuard guard(dev);
  k::with_scan(c.sg, method == NeuronGrad::Exodus, [&](auto t) {
    EXO_LAUNCH(blocks_for(c.N), kBlock, lif_backward_kernel<decltype(t)::kind, decltype(t)::exact>)(c, p, g, h, v, x, v0, dx, dv0, dalpha);
  });
  EXO_CUDA_LAUNCH("lif_backward");
}

}  // namespace gpu
}  // namespace exo
