// CUDA adLIF scans (kernels/adlif.cuh), one thread per neuron (neuron_grid.cuh).
#include "check.cuh"
#include "kernels/adlif.cuh"
#include "neuron_grid.cuh"
#include "exodus/backend.h"

namespace exo {
namespace gpu {
namespace {

struct AdlifPtrs {  // parameter arrays [P]: α, β, a, b, θ
  const float *alpha, *beta, *a, *b, *theta;
};
struct AdlifGradPtrs {  // per-neuron gradients [N], each optional
  float *dalpha, *dbeta, *da, *db;
};

__device__ inline k::AdlifParams1 adlif_load(const AdlifPtrs& p, size_t j) {
  return {p.alpha[j], p.beta[j], p.a[j], p.b[j], p.theta[j]};
}

__global__ void adlif_forward_kernel(LifConfig c, AdlifPtrs pp, const float* __restrict__ x, float* __restrict__ vs,
                                     float* __restrict__ ws, float* __restrict__ s, float* __restrict__ v,
                                     float* __restrict__ w) {
  size_t n = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
  if (n >= c.N) return;
  const k::AdlifParams1 p = adlif_load(pp, n % c.P);
  float vp = vs[n], wp = ws[n];
  for (int t = 0; t < c.T; ++t) {
    size_t o = (size_t)t * c.N + n;
    k::AdlifStep st = k::adlif_step(c, p, vp, wp, x[o]);
    v[o] = st.v;
    s[o] = st.s;
    w[o] = st.w;
    vp = st.vpost;
    wp = st.w;
  }
  vs[n] = vp;
  ws[n] = wp;
}

template <Surrogate K, bool EXACT>
__global__ void adlif_backward_kernel(LifConfig c, AdlifPtrs pp, const float* __restrict__ g, const float* __restrict__ x,
                                      const float* __restrict__ v, const float* __restrict__ w,
                                      const float* __restrict__ v0, const float* __restrict__ w0, float* __restrict__ dx,
                                      float* __restrict__ dv0, float* __restrict__ dw0, AdlifGradPtrs gr) {
  size_t n = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
  if (n >= c.N) return;
  const k::AdlifParams1 p = adlif_load(pp, n % c.P);
  const k::SgCoef sg = k::surrogate_coef<K>(p.theta, c.sg_scale, c.sg_width);
  const bool want = gr.dalpha || gr.dbeta || gr.da || gr.db;
  float lam = 0.f, om = 0.f, dal = 0.f, dbe = 0.f, da = 0.f, db = 0.f;
  for (int t = c.T - 1; t >= 0; --t) {
    size_t o = (size_t)t * c.N + n;
    k::AdlifAdjoint d = k::adlif_adjoint_step<K, EXACT>(c, p, lam, om, v[o], g[o], sg);
    lam = d.lam;
    om = d.omega;
    dx[o] = (1.f - p.alpha) * d.lam;
    if (want) {
      float vp = t > 0 ? k::lif_vpost(c, v[o - c.N], p.theta, p.theta) : v0[n];
      float wp = t > 0 ? w[o - c.N] : w0[n];
      k::AdlifParamTerms r = k::adlif_param_terms(c, p, d, v[o], x[o], vp, wp);
      dal += r.dalpha;
      dbe += r.dbeta;
      da += r.da;
      db += r.db;
    }
  }
  if (dv0) dv0[n] = k::lif_state_grad(lam, p.alpha);
  if (dw0) dw0[n] = k::adlif_w0_grad(p, lam, om);
  if (gr.dalpha) gr.dalpha[n] = dal;
  if (gr.dbeta) gr.dbeta[n] = dbe;
  if (gr.da) gr.da[n] = da;
  if (gr.db) gr.db[n] = db;
}

}  // namespace

void adlif_forward(int dev, const LifConfig& c, const float* alpha, const float* beta, const float* a, const float* b,
                   const float* theta, const float* x, float* vs, float* ws, float* s, float* v, float* w) {
  DeviceGuard guard(dev);
  EXO_LAUNCH(blocks_for(c.N), kBlock, adlif_forward_kernel)(c, AdlifPtrs{alpha, beta, a, b, theta}, x, vs, ws, s, v, w);
  EXO_CUDA_LAUNCH("adlif_forward");
}

void adlif_backward(int dev, const LifConfig& c, NeuronGrad method, const float* alpha, const float* beta, const float* a,
                    const float* b, const float* theta, const float* g, const float* x, const float* v, const float* w,
                    const float* v0, const float* w0, float* dx, float* dv0, float* dw0, float* dalpha, float* dbeta,
                    float* da, float* db) {
  DeviceGuard guard(dev);
  k::with_scan(c.sg, method == NeuronGrad::Exodus, [&](auto t) {
    EXO_LAUNCH(blocks_for(c.N), kBlock, adlif_backward_kernel<decltype(t)::kind, decltype(t)::exact>)(
        c, AdlifPtrs{alpha, beta, a, b, theta}, g, x, v, w, v0, w0, dx, dv0, dw0, AdlifGradPtrs{dalpha, dbeta, da, db});
  });
  EXO_CUDA_LAUNCH("adlif_backward");
}

}  // namespace gpu
}  // namespace exo
