// CUDA CubaLIF scans (kernels/cuba.cuh), one thread per neuron (neuron_grid.cuh).
#include "check.cuh"
#include "kernels/cuba.cuh"
#include "neuron_grid.cuh"
#include "exodus/backend.h"

namespace exo {
namespace gpu {
namespace {

__global__ void cuba_forward_kernel(LifConfig c, const float* __restrict__ as, const float* __restrict__ al,
                                    const float* __restrict__ th, const float* __restrict__ x, float* __restrict__ vs,
                                    float* __restrict__ is, float* __restrict__ s, float* __restrict__ v,
                                    float* __restrict__ cur) {
  size_t n = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
  if (n >= c.N) return;
  size_t j = n % c.P;
  float asyn = as[j], alpha = al[j], theta = th[j];
  float vp = vs[n], ip = is[n];
  for (int t = 0; t < c.T; ++t) {
    size_t o = (size_t)t * c.N + n;
    k::CubaStep st = k::cuba_step(c, ip, vp, x[o], asyn, alpha, theta);
    cur[o] = st.i;
    v[o] = st.v;
    s[o] = st.s;
    ip = st.i;
    vp = st.vpost;
  }
  vs[n] = vp;
  is[n] = ip;
}

template <Surrogate K, bool EXACT>
__global__ void cuba_backward_kernel(LifConfig c, const float* __restrict__ as, const float* __restrict__ al,
                                     const float* __restrict__ th, const float* __restrict__ g,
                                     const float* __restrict__ v, const float* __restrict__ cur,
                                     const float* __restrict__ v0, const float* __restrict__ i0, float* __restrict__ dx,
                                     float* __restrict__ dv0, float* __restrict__ di0, float* __restrict__ dasyn,
                                     float* __restrict__ dalpha) {
  size_t n = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
  if (n >= c.N) return;
  size_t j = n % c.P;
  float asyn = as[j], alpha = al[j], theta = th[j];
  const k::SgCoef sg = k::surrogate_coef<K>(theta, c.sg_scale, c.sg_width);
  const bool want = dalpha || dasyn;
  float lam = 0.f, mu = 0.f, da = 0.f, ds = 0.f;
  for (int t = c.T - 1; t >= 0; --t) {
    size_t o = (size_t)t * c.N + n;
    k::CubaAdjoint a = k::cuba_adjoint_step<K, EXACT>(c, lam, mu, v[o], g[o], asyn, alpha, sg);
    lam = a.lam;
    mu = a.mu;
    dx[o] = a.mu;
    if (want) {
      float vp = t > 0 ? k::lif_vpost(c, v[o - c.N], theta, theta) : v0[n];
      float ip = t > 0 ? cur[o - c.N] : i0[n];
      k::CubaParamTerms d = k::cuba_param_terms(a, vp, ip);
      da += d.dalpha;
      ds += d.dalpha_syn;
    }
  }
  if (dv0) dv0[n] = k::lif_state_grad(lam, alpha);
  if (di0) di0[n] = asyn * mu;
  if (dalpha) dalpha[n] = da;
  if (dasyn) dasyn[n] = ds;
}

}  // namespace

void cuba_forward(int dev, const LifConfig& c, const float* alpha_syn, const float* alpha, const float* theta,
                  const float* x, float* vs, float* is, float* s, float* v, float* i) {
  DeviceGuard guard(dev);
  EXO_LAUNCH(blocks_for(c.N), kBlock, cuba_forward_kernel)(c, alpha_syn, alpha, theta, x, vs, is, s, v, i);
  EXO_CUDA_LAUNCH("cuba_forward");
}

void cuba_backward(int dev, const LifConfig& c, NeuronGrad method, const float* alpha_syn, const float* alpha,
                   const float* theta, const float* g, const float* v, const float* i, const float* v0, const float* i0,
                   float* dx, float* dv0, float* di0, float* dalpha_syn, float* dalpha) {
  DeviceGuard guard(dev);
  k::with_scan(c.sg, method == NeuronGrad::Exodus, [&](auto t) {
    EXO_LAUNCH(blocks_for(c.N), kBlock, cuba_backward_kernel<decltype(t)::kind, decltype(t)::exact>)(
        c, alpha_syn, alpha, theta, g, v, i, v0, i0, dx, dv0, di0, dalpha_syn, dalpha);
  });
  EXO_CUDA_LAUNCH("cuba_backward");
}

}  // namespace gpu
}  // namespace exo
