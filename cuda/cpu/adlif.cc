// CPU adLIF scans (kernels/adlif.cuh), tiled as neuron_tiles.h says.
#include "kernels/adlif.cuh"
#include "neuron_tiles.h"
#include "exodus/backend.h"

namespace exo {
namespace cpu {
namespace {
// adLIF parameters of neurons [b, e), as LIF's TileParams.
struct AdlifTile {
  float alpha[kTile], beta[kTile], a[kTile], b[kTile], theta[kTile];
  void load(const float* const* p, size_t P, size_t lo, size_t hi) {
    load_tile(alpha, p[0], P, lo, hi);
    load_tile(beta, p[1], P, lo, hi);
    load_tile(a, p[2], P, lo, hi);
    load_tile(b, p[3], P, lo, hi);
    load_tile(theta, p[4], P, lo, hi);
  }
  k::AdlifParams1 at(size_t j) const { return {alpha[j], beta[j], a[j], b[j], theta[j]}; }
};

template <Surrogate K, bool EXACT>
void adlif_backward_scan(const LifConfig& cfg, const float* const* prm, const float* g, const float* x, const float* v,
                         const float* w, const float* v0, const float* w0, float* dx, float* dv0, float* dw0,
                         float* const* grads) {
  const size_t N = cfg.N;
  const int T = cfg.T;
  const bool want = grads[0] || grads[1] || grads[2] || grads[3];
  parallel_neurons(N, T, [&](size_t lo, size_t hi) {
    const LifConfig c = cfg;  // local: see lif_backward_scan
    AdlifTile tp;
    tp.load(prm, c.P, lo, hi);
    const size_t n = hi - lo;
    float lam[kTile], om[kTile], q0[kTile], q1[kTile], acc[4][kTile];
    for (size_t j = 0; j < n; ++j) {
      lam[j] = om[j] = acc[0][j] = acc[1][j] = acc[2][j] = acc[3][j] = 0.f;
      k::SgCoef q = k::surrogate_coef<K>(tp.theta[j], c.sg_scale, c.sg_width);
      q0[j] = q.c0;
      q1[j] = q.c1;
    }
    for (int t = T - 1; t >= 0; --t) {
      const size_t o = (size_t)t * N + lo;
      for (size_t j = 0; j < n; ++j) {
        const k::AdlifParams1 p = tp.at(j);
        k::AdlifAdjoint d = k::adlif_adjoint_step<K, EXACT>(c, p, lam[j], om[j], v[o + j], g[o + j], k::SgCoef{p.theta, q0[j], q1[j]});
        lam[j] = d.lam;
        om[j] = d.omega;
        dx[o + j] = (1.f - p.alpha) * d.lam;
        if (want) {
          float vp = t > 0 ? k::lif_vpost(c, v[o - N + j], p.theta, p.theta) : v0[lo + j];
          float wp = t > 0 ? w[o - N + j] : w0[lo + j];
          k::AdlifParamTerms r = k::adlif_param_terms(c, p, d, v[o + j], x[o + j], vp, wp);
          acc[0][j] += r.dalpha;
          acc[1][j] += r.dbeta;
          acc[2][j] += r.da;
          acc[3][j] += r.db;
        }
      }
    }
    for (size_t j = 0; j < n; ++j) {
      const k::AdlifParams1 p = tp.at(j);
      if (dv0) dv0[lo + j] = k::lif_state_grad(lam[j], p.alpha);
      if (dw0) dw0[lo + j] = k::adlif_w0_grad(p, lam[j], om[j]);
      for (int q = 0; q < 4; ++q)
        if (grads[q]) grads[q][lo + j] = acc[q][j];
    }
  });
}
}  // namespace

void adlif_forward(const LifConfig& cfg, const float* alpha, const float* beta, const float* a, const float* b,
                   const float* theta, const float* x, float* vs, float* ws, float* s, float* v, float* w) {
  const size_t N = cfg.N;
  const float* prm[5] = {alpha, beta, a, b, theta};
  parallel_neurons(N, cfg.T, [&](size_t lo, size_t hi) {
    const LifConfig c = cfg;
    AdlifTile tp;
    tp.load(prm, c.P, lo, hi);
    const size_t n = hi - lo;
    float vp[kTile], wp[kTile];
    for (size_t j = 0; j < n; ++j) {
      vp[j] = vs[lo + j];
      wp[j] = ws[lo + j];
    }
    for (int t = 0; t < c.T; ++t) {
      const size_t o = (size_t)t * N + lo;
      for (size_t j = 0; j < n; ++j) {
        k::AdlifStep st = k::adlif_step(c, tp.at(j), vp[j], wp[j], x[o + j]);
        v[o + j] = st.v;
        s[o + j] = st.s;
        w[o + j] = st.w;
        vp[j] = st.vpost;
        wp[j] = st.w;
      }
    }
    for (size_t j = 0; j < n; ++j) {
      vs[lo + j] = vp[j];
      ws[lo + j] = wp[j];
    }
  });
}

void adlif_backward(const LifConfig& c, NeuronGrad method, const float* alpha, const float* beta, const float* a,
                    const float* b, const float* theta, const float* g, const float* x, const float* v, const float* w,
                    const float* v0, const float* w0, float* dx, float* dv0, float* dw0, float* dalpha, float* dbeta,
                    float* da, float* db) {
  const float* prm[5] = {alpha, beta, a, b, theta};
  float* grads[4] = {dalpha, dbeta, da, db};
  k::with_scan(c.sg, method == NeuronGrad::Exodus, [&](auto t) {
    adlif_backward_scan<decltype(t)::kind, decltype(t)::exact>(c, prm, g, x, v, w, v0, w0, dx, dv0, dw0, grads);
  });
}
}  // namespace cpu
}  // namespace exo
