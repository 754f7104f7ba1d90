// CUDA neuron scans: one thread per neuron loops over t; at each step the threads of a warp touch
// consecutive neurons of time-major arrays, so every load and store is coalesced. O(T) per neuron.
#include "check.cuh"
#include "kernels/alif.cuh"
#include "kernels/expleak.cuh"
#include "kernels/lif.cuh"
#include "kernels/srm.cuh"
#include "exodus/backend.h"

namespace exo {
namespace gpu {
namespace {

constexpr unsigned kBlock = 128;

inline unsigned blocks_for(size_t n) { return (unsigned)((n + kBlock - 1) / kBlock); }

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
  for (int t = c.T - 1; t >= 0; --t) {
    size_t o = (size_t)t * c.N + i;
    lam = k::lif_adjoint_step<K, EXACT>(c, lam, v[o], g[o], h ? h[o] : 0.f, alpha, q, m);
    dx[o] = k::lif_input_grad(c, lam, alpha);
    if (dalpha) {
      float vp = t > 0 ? k::lif_vpost(c, v[o - c.N], theta, m) : v0[i];
      da += k::lif_dalpha_term(c, lam, vp, c.norm_input ? x[o] : 0.f);
    }
  }
  if (dv0) dv0[i] = k::lif_state_grad(lam, alpha);
  if (dalpha) dalpha[i] = da;
}

__global__ void expleak_forward_kernel(ExpLeakConfig c, const float* __restrict__ beta, const float* __restrict__ x,
                                       float* __restrict__ state, float* __restrict__ out) {
  size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
  if (i >= c.N) return;
  float b = beta[i % c.P], cur = state[i];
  for (int t = 0; t < c.T; ++t) {
    size_t o = (size_t)t * c.N + i;
    cur = k::expleak_step(cur, x[o], b);
    out[o] = cur;
  }
  state[i] = cur;
}

__global__ void expleak_backward_kernel(ExpLeakConfig c, const float* __restrict__ beta,
                                        const float* __restrict__ grad_i, const float* __restrict__ cur,
                                        const float* __restrict__ i0, float* __restrict__ dx,
                                        float* __restrict__ di0, float* __restrict__ dbeta) {
  size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
  if (i >= c.N) return;
  float b = beta[i % c.P], mu = 0.f, db = 0.f;
  for (int t = c.T - 1; t >= 0; --t) {
    size_t o = (size_t)t * c.N + i;
    mu = k::expleak_adjoint_step(mu, grad_i[o], b);
    dx[o] = mu;
    if (dbeta) db += k::expleak_dbeta_term(mu, t > 0 ? cur[o - c.N] : i0[i]);
  }
  if (di0) di0[i] = k::expleak_state_grad(mu, b);
  if (dbeta) dbeta[i] = db;
}

__global__ void srm_forward_kernel(SrmConfig c, const float* __restrict__ eps, const float* __restrict__ nu,
                                   const float* __restrict__ a, float* __restrict__ s, float* __restrict__ u) {
  size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
  if (i >= c.N) return;
  for (int t = 0; t < c.T; ++t) {
    size_t o = (size_t)t * c.N + i;
    float ut = k::srm_potential(a + i, s + i, c.N, t, eps, c.Ke, nu, c.Kn);
    u[o] = ut;
    s[o] = k::spike_fn(ut, c.theta, c.multi_spike, c.max_spikes);
  }
}

template <Surrogate K, bool EXACT>
__global__ void srm_backward_kernel(SrmConfig c, const float* __restrict__ eps, const float* __restrict__ nu,
                                    const float* __restrict__ g, const float* __restrict__ u, float* __restrict__ q,
                                    float* __restrict__ da) {
  size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
  if (i >= c.N) return;
  for (int t = c.T - 1; t >= 0; --t) {
    size_t o = (size_t)t * c.N + i;
    q[o] = k::srm_adjoint_q<K, EXACT>(c, q + i, c.N, t, c.T, g[o], u[o], nu, c.Kn);
  }
  for (int t = 0; t < c.T; ++t) da[(size_t)t * c.N + i] = k::srm_input_grad(q + i, c.N, t, c.T, eps, c.Ke);
}

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
  for (int t = c.T - 1; t >= 0; --t) {
    size_t o = (size_t)t * c.N + i;
    k::AlifAdjoint a = k::alif_adjoint_step<K, EXACT>(lam, mu, v[o], bb[o], g[o], alpha, rho, beta, theta0, sg);
    lam = a.lam;
    mu = a.mu;
    dx[o] = a.lam;
    if (want) {
      float vprev = t > 0 ? v[o - c.N] : 0.f, bprev = t > 0 ? bb[o - c.N] : 0.f;
      float vp = t > 0 ? k::alif_vpost(vprev, bprev, beta, theta0) : v0[i];
      float sp = t > 0 ? k::alif_spike(vprev, bprev, beta, theta0) : 0.f;
      k::AlifParamTerms d = k::alif_param_terms(a, vp, bb[o], bprev, sp, t == 0);
      da += d.dalpha;
      dr += d.drho;
      dbt += d.dbeta;
      dth += d.dtheta0;
    }
  }
  if (dv0) dv0[i] = k::lif_state_grad(lam, alpha);
  if (db0) db0[i] = mu;
  if (gr.dalpha) gr.dalpha[i] = da;
  if (gr.drho) gr.drho[i] = dr;
  if (gr.dbeta) gr.dbeta[i] = dbt;
  if (gr.dtheta0) gr.dtheta0[i] = dth;
}

// The per-neuron parameter of element i: P is 1 (shared) or the neuron count; the remainder in 32
// bits when n fits (a 64-bit division per element costs several times more). Uniform branches.
__device__ __forceinline__ size_t param_at(size_t i, size_t n, size_t P) {
  if (P == 1) return 0;
  return n <= limits::kIndex32 ? (size_t)((unsigned)i % (unsigned)P) : i % P;
}

__global__ void spike_fn_kernel(const float* v, float* s, size_t n, const float* theta, size_t P, int multi,
                                float max_spikes) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
    s[i] = k::spike_fn(v[i], theta[param_at(i, n, P)], multi, max_spikes);
}

template <Surrogate K>
__global__ void surrogate_grad_kernel(const float* v, const float* g, float* y, size_t n, const float* theta, size_t P,
                                      float a, float w) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
    y[i] = k::surrogate<K>(v[i], theta[param_at(i, n, P)], a, w) * g[i];
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

void expleak_forward(int dev, const ExpLeakConfig& c, const float* beta, const float* x, float* state, float* i) {
  DeviceGuard guard(dev);
  EXO_LAUNCH(blocks_for(c.N), kBlock, expleak_forward_kernel)(c, beta, x, state, i);
  EXO_CUDA_LAUNCH("expleak_forward");
}

void expleak_backward(int dev, const ExpLeakConfig& c, const float* beta, const float* grad_i, const float* i,
                      const float* i0, float* dx, float* di0, float* dbeta) {
  DeviceGuard guard(dev);
  EXO_LAUNCH(blocks_for(c.N), kBlock, expleak_backward_kernel)(c, beta, grad_i, i, i0, dx, di0, dbeta);
  EXO_CUDA_LAUNCH("expleak_backward");
}

void srm_forward(int dev, const SrmConfig& c, const float* eps, const float* nu, const float* a, float* s, float* u) {
  DeviceGuard guard(dev);
  EXO_LAUNCH(blocks_for(c.N), kBlock, srm_forward_kernel)(c, eps, nu, a, s, u);
  EXO_CUDA_LAUNCH("srm_forward");
}

void srm_backward(int dev, const SrmConfig& c, NeuronGrad method, const float* eps, const float* nu, const float* g,
                  const float* u, float* q, float* da) {
  DeviceGuard guard(dev);
  k::with_scan(c.sg, method == NeuronGrad::Exodus, [&](auto t) {
    EXO_LAUNCH(blocks_for(c.N), kBlock, srm_backward_kernel<decltype(t)::kind, decltype(t)::exact>)(c, eps, nu, g, u, q, da);
  });
  EXO_CUDA_LAUNCH("srm_backward");
}

void alif_forward(int dev, const AlifConfig& c, AlifParams p, const float* x, float* vs, float* bs, float* s, float* v,
                  float* b) {
  DeviceGuard guard(dev);
  EXO_LAUNCH(blocks_for(c.N), kBlock, alif_forward_kernel)(c, p, x, vs, bs, s, v, b);
  EXO_CUDA_LAUNCH("alif_forward");
}

void alif_backward(int dev, const AlifConfig& c, NeuronGrad method, AlifParams p, const float* g, const float* v,
                   const float* b, const float* v0, float* dx, float* dv0, float* db0, AlifGrads grads) {
  DeviceGuard guard(dev);
  k::with_scan(c.sg, method == NeuronGrad::Exodus, [&](auto t) {
    EXO_LAUNCH(blocks_for(c.N), kBlock, alif_backward_kernel<decltype(t)::kind, decltype(t)::exact>)(c, p, g, v, b, v0, dx, dv0, db0, grads);
  });
  EXO_CUDA_LAUNCH("alif_backward");
}

void spike_fn(int dev, const float* v, float* s, size_t n, const float* theta, size_t P, int multi, float max_spikes) {
  DeviceGuard guard(dev);
  EXO_LAUNCH(grid_for(n), 256, spike_fn_kernel)(v, s, n, theta, P, multi, max_spikes);
  EXO_CUDA_LAUNCH("spike_fn");
}

void surrogate_grad(int dev, Surrogate sg, const float* v, const float* g, float* y, size_t n, const float* theta,
                    size_t P, float scale, float width) {
  DeviceGuard guard(dev);
  k::with_scan(sg, true, [&](auto t) {
    EXO_LAUNCH(grid_for(n), 256, surrogate_grad_kernel<decltype(t)::kind>)(v, g, y, n, theta, P, scale, width);
  });
  EXO_CUDA_LAUNCH("surrogate_grad");
}

}  // namespace gpu
}  // namespace exo
