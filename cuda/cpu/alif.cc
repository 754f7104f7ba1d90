// CPU ALIF scans (kernels/alif.cuh), tiled as neuron_tiles.h says; the forward optionally packs
// the spike bitmask (exodus/host_ops.h) in the same scan.
#include <cstdint>

#include "kernels/alif.cuh"
#include "neuron_tiles.h"
#include "exodus/backend.h"

namespace exo {
namespace cpu {
namespace {
// ALIF parameters of neurons [b, e), as LIF's TileParams.
struct AlifTile {
  float alpha[kTile], rho[kTile], beta[kTile], theta0[kTile];
  void load(AlifParams p, size_t P, size_t b, size_t e) {
    load_tile(alpha, p.alpha, P, b, e);
    load_tile(rho, p.rho, P, b, e);
    load_tile(beta, p.beta, P, b, e);
    load_tile(theta0, p.theta0, P, b, e);
  }
};

template <Surrogate K, bool EXACT>
void alif_backward_scan(const AlifConfig& cfg, AlifParams p, const float* g, const float* v, const float* bb,
                        const float* v0, float* dx, float* dv0, float* db0, AlifGrads gr) {
  const size_t N = cfg.N;
  const int T = cfg.T;
  const bool want = gr.dalpha || gr.drho || gr.dbeta || gr.dtheta0;
  parallel_neurons(N, T, [&](size_t b, size_t e) {
    const AlifConfig c = cfg;  // local: see lif_backward_scan
    AlifTile tp;
    tp.load(p, c.P, b, e);
    const size_t n = e - b;
    float lam[kTile], mu[kTile], q0[kTile], q1[kTile], da[kTile], dr[kTile], dbt[kTile], dth[kTile];
    for (size_t j = 0; j < n; ++j) {
      lam[j] = mu[j] = da[j] = dr[j] = dbt[j] = dth[j] = 0.f;
      k::SgCoef q = k::surrogate_coef<K>(tp.theta0[j], c.sg_scale, c.sg_width);
      q0[j] = q.c0;
      q1[j] = q.c1;
    }
    for (int t = T - 1; t >= 0; --t) {
      const size_t o = (size_t)t * N + b;
      for (size_t j = 0; j < n; ++j) {
        k::AlifAdjoint a = k::alif_adjoint_step<K, EXACT>(lam[j], mu[j], v[o + j], bb[o + j], g[o + j], tp.alpha[j],
                                                          tp.rho[j], tp.beta[j], tp.theta0[j],
                                                          k::SgCoef{tp.theta0[j], q0[j], q1[j]});
        lam[j] = a.lam;
        mu[j] = a.mu;
        dx[o + j] = a.lam;
        if (want) {
          float vprev = t > 0 ? v[o - N + j] : 0.f, bprev = t > 0 ? bb[o - N + j] : 0.f;
          float vp = t > 0 ? k::alif_vpost(vprev, bprev, tp.beta[j], tp.theta0[j]) : v0[b + j];
          float sp = t > 0 ? k::alif_spike(vprev, bprev, tp.beta[j], tp.theta0[j]) : 0.f;
          k::AlifParamTerms d = k::alif_param_terms(a, vp, bb[o + j], bprev, sp, t == 0);
          da[j] += d.dalpha;
          dr[j] += d.drho;
          dbt[j] += d.dbeta;
          dth[j] += d.dtheta0;
        }
      }
    }
    for (size_t j = 0; j < n; ++j) {
      if (dv0) dv0[b + j] = k::lif_state_grad(lam[j], tp.alpha[j]);
      if (db0) db0[b + j] = mu[j];
      if (gr.dalpha) gr.dalpha[b + j] = da[j];
      if (gr.drho) gr.drho[b + j] = dr[j];
      if (gr.dbeta) gr.dbeta[b + j] = dbt[j];
      if (gr.dtheta0) gr.dtheta0[b + j] = dth[j];
    }
  });
}
}  // namespace

void alif_forward(const AlifConfig& cfg, AlifParams p, const float* x, float* vs, float* bs, float* s, float* v,
                  float* bb) {
  alif_forward_masked(cfg, p, x, vs, bs, s, v, bb, nullptr);
}

void alif_forward_masked(const AlifConfig& cfg, AlifParams p, const float* x, float* vs, float* bs, float* s, float* v,
                         float* bb, uint8_t* mask) {
  const size_t N = cfg.N;
  neuron_tiles(N, cfg.T, mask ? 8 : 1, [&](size_t b, size_t e) {
    const AlifConfig c = cfg;
    AlifTile tp;
    tp.load(p, c.P, b, e);
    const size_t n = e - b;
    float vp[kTile], ad[kTile];
    for (size_t j = 0; j < n; ++j) {
      vp[j] = vs[b + j];
      ad[j] = bs[b + j];
    }
    for (int t = 0; t < c.T; ++t) {
      const size_t o = (size_t)t * N + b;
      for (size_t j = 0; j < n; ++j) {
        k::AlifStep st = k::alif_step(vp[j], ad[j], x[o + j], tp.alpha[j], tp.rho[j], tp.beta[j], tp.theta0[j]);
        v[o + j] = st.v;
        bb[o + j] = ad[j];
        s[o + j] = st.s;
        vp[j] = st.vpost;
        ad[j] = st.bnext;
      }
      if (mask) pack_nonzero(s + o, n, mask + o / 8);
    }
    for (size_t j = 0; j < n; ++j) {
      vs[b + j] = vp[j];
      bs[b + j] = ad[j];
    }
  });
}

void alif_backward(const AlifConfig& c, NeuronGrad method, AlifParams p, const float* g, const float* v, const float* b,
                   const float* v0, float* dx, float* dv0, float* db0, AlifGrads grads) {
  k::with_scan(c.sg, method == NeuronGrad::Exodus, [&](auto t) {
    alif_backward_scan<decltype(t)::kind, decltype(t)::exact>(c, p, g, v, b, v0, dx, dv0, db0, grads);
  });
}
}  // namespace cpu
}  // namespace exo
