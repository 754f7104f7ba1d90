// CPU CubaLIF scans (kernels/cuba.cuh), tiled as neuron_tiles.h says.
#include "kernels/cuba.cuh"
#include "neuron_tiles.h"
#include "exodus/backend.h"

namespace exo {
namespace cpu {
namespace {
// CubaLIF parameters of neurons [b, e), as LIF's TileParams.
struct CubaTile {
  float asyn[kTile], alpha[kTile], theta[kTile];
  void load(const float* as, const float* al, const float* th, size_t P, size_t b, size_t e) {
    load_tile(asyn, as, P, b, e);
    load_tile(alpha, al, P, b, e);
    load_tile(theta, th, P, b, e);
  }
};

template <Surrogate K, bool EXACT>
void cuba_backward_scan(const LifConfig& cfg, const float* as, const float* al, const float* th, const float* g,
                        const float* v, const float* cur, const float* v0, const float* i0, float* dx, float* dv0,
                        float* di0, float* dasyn, float* dalpha) {
  const size_t N = cfg.N;
  const int T = cfg.T;
  parallel_neurons(N, T, [&](size_t b, size_t e) {
    const LifConfig c = cfg;  // local: see lif_backward_scan
    CubaTile tp;
    tp.load(as, al, th, c.P, b, e);
    const size_t n = e - b;
    float lam[kTile], mu[kTile], q0[kTile], q1[kTile], da[kTile], ds[kTile];
    for (size_t j = 0; j < n; ++j) {
      lam[j] = mu[j] = da[j] = ds[j] = 0.f;
      k::SgCoef q = k::surrogate_coef<K>(tp.theta[j], c.sg_scale, c.sg_width);
      q0[j] = q.c0;
      q1[j] = q.c1;
    }
    for (int t = T - 1; t >= 0; --t) {
      const size_t o = (size_t)t * N + b;
      for (size_t j = 0; j < n; ++j) {
        k::CubaAdjoint a = k::cuba_adjoint_step<K, EXACT>(c, lam[j], mu[j], v[o + j], g[o + j], tp.asyn[j], tp.alpha[j],
                                                          k::SgCoef{tp.theta[j], q0[j], q1[j]});
        lam[j] = a.lam;
        mu[j] = a.mu;
        dx[o + j] = a.mu;
        if (dalpha || dasyn) {
          float vp = t > 0 ? k::lif_vpost(c, v[o - N + j], tp.theta[j], tp.theta[j]) : v0[b + j];
          float ip = t > 0 ? cur[o - N + j] : i0[b + j];
          k::CubaParamTerms d = k::cuba_param_terms(a, vp, ip);
          da[j] += d.dalpha;
          ds[j] += d.dalpha_syn;
        }
      }
    }
    for (size_t j = 0; j < n; ++j) {
      if (dv0) dv0[b + j] = k::lif_state_grad(lam[j], tp.alpha[j]);
      if (di0) di0[b + j] = tp.asyn[j] * mu[j];
      if (dalpha) dalpha[b + j] = da[j];
      if (dasyn) dasyn[b + j] = ds[j];
    }
  });
}
}  // namespace

void cuba_forward(const LifConfig& cfg, const float* as, const float* al, const float* th, const float* x, float* vs,
                  float* is, float* s, float* v, float* cur) {
  const size_t N = cfg.N;
  parallel_neurons(N, cfg.T, [&](size_t b, size_t e) {
    const LifConfig c = cfg;
    CubaTile tp;
    tp.load(as, al, th, c.P, b, e);
    const size_t n = e - b;
    float vp[kTile], ip[kTile];
    for (size_t j = 0; j < n; ++j) {
      vp[j] = vs[b + j];
      ip[j] = is[b + j];
    }
    for (int t = 0; t < c.T; ++t) {
      const size_t o = (size_t)t * N + b;
      for (size_t j = 0; j < n; ++j) {
        k::CubaStep st = k::cuba_step(c, ip[j], vp[j], x[o + j], tp.asyn[j], tp.alpha[j], tp.theta[j]);
        cur[o + j] = st.i;
        v[o + j] = st.v;
        s[o + j] = st.s;
        ip[j] = st.i;
        vp[j] = st.vpost;
      }
    }
    for (size_t j = 0; j < n; ++j) {
      vs[b + j] = vp[j];
      is[b + j] = ip[j];
    }
  });
}

void cuba_backward(const LifConfig& c, NeuronGrad method, const float* alpha_syn, const float* alpha, const float* theta,
                   const float* g, const float* v, const float* i, const float* v0, const float* i0, float* dx,
                   float* dv0, float* di0, float* dalpha_syn, float* dalpha) {
  k::with_scan(c.sg, method == NeuronGrad::Exodus, [&](auto t) {
    cuba_backward_scan<decltype(t)::kind, decltype(t)::exact>(c, alpha_syn, alpha, theta, g, v, i, v0, i0, dx, dv0, di0,
                                                             dalpha_syn, dalpha);
  });
}
}  // namespace cpu
}  // namespace exo
