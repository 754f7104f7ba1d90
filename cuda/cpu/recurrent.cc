// CPU scans of the recurrent CubaLIF, ALIF and adLIF layers (exodus/recurrent.h), one driver for the
// three models of kernels/recurrent.cuh. As rlif.cc: batch rows in fixed chunks over the worker
// pool, the recurrent product inside the loop over t, never a call back to JavaScript:
//   forward  u = x + V·s[t-1] (+ bias), V·s[t-1] summed from the rows of Vᵀ whose neuron spiked;
//   backward r = Vᵀ·∂L/∂u[t+1] for up to 8 batch rows at once (one small GEMM per step), joined
//            to ∂L/∂s[t], then the model's adjoint step; ∂V += ∂L/∂u[t]·s[t-1]ᵀ over the spikes.
// ∂V is accumulated per chunk of rows and the chunks summed in order: the result does not depend
// on the thread count.
#include <cstring>
#include <vector>

#include "kernels/recurrent.cuh"
#include "packed_rows_gemm.h"
#include "parallel.h"
#include "recurrent_rows.h"
#include "sparse_rows.h"
#include "exodus/backend.h"

namespace exo {
namespace cpu {
namespace {

constexpr size_t kRows = 8;  // rows whose r = Vᵀ·∂L/∂u is one GEMM per step

template <class M>
std::vector<typename M::P> load_params(const RecurrentParams& p, size_t H) {
  std::vector<typename M::P> out(H);
  for (size_t i = 0; i < H; ++i) out[i] = M::load(p, i);
  return out;
}

template <class M>
void forward_chunk(const RecurrentConfig& rc, const RecurrentParams& p, const float* wt, const float* x, float* vs,
                   float* as, float* ss, float* s, float* v, float* aux, float* u, size_t b0, size_t b1) {
  const LifConfig l = k::rec_as_lif(rc);
  const size_t H = rc.P, N = rc.N;
  const auto prm = load_params<M>(p, H);
  std::vector<float> rec(H), spv(H);
  std::vector<size_t> spk(H);
  const size_t nb = b1 - b0;
  std::vector<k::RecState> st(nb * H);
  for (size_t i = 0; i < nb * H; ++i) st[i] = {vs[b0 * H + i], as[b0 * H + i]};
  // All the chunk's rows at step t, then step t+1 (as rlif.cc's forward): their x[t], v[t], s[t]
  // are contiguous runs, where one row through all t touched 1 KB in a new page every step.
  for (int t = 0; t < rc.T; ++t)
    for (size_t b = b0; b < b1; ++b) {
      const size_t row = b * H, o = (size_t)t * N + row;
      k::RecState* sb = st.data() + (b - b0) * H;
      const float* sprev = t > 0 ? s + o - N : ss + row;
      spike_driven_sums(sprev, wt, H, spk.data(), spv.data(), rec.data());
      for (size_t i = 0; i < H; ++i) {
        const float ui = (x[o + i] + rec[i]) + (p.bias ? p.bias[i] : 0.f);
        if (u) u[o + i] = ui;
        s[o + i] = M::step(l, prm[i], sb[i], ui, v[o + i], aux[o + i]);
      }
    }
  for (size_t b = b0; b < b1; ++b) {
    const size_t row = b * H;
    for (size_t i = 0; i < H; ++i) {
      vs[row + i] = st[(b - b0) * H + i].v;
      as[row + i] = st[(b - b0) * H + i].a;
      if (rc.T > 0) ss[row + i] = s[(size_t)(rc.T - 1) * N + row + i];
    }
  }
}

struct BackIn {
  const float *g, *h, *v, *aux, *u, *v0, *a0, *s0;
  float *dx, *dv0, *da0, *ds0;
};

template <class M, Surrogate K, bool EXACT>
void backward_rows(const RecurrentConfig& rc, const RecurrentParams& p, const std::vector<typename M::P>& prm,
                   const std::vector<k::SgCoef>& q, const BackIn& a, const RecurrentGrads& gr, float* dwt_chunk,
                   const PackedRowsGemm& vw, size_t r0, size_t r1) {
  const LifConfig l = k::rec_as_lif(rc);
  const size_t H = rc.P, N = rc.N, nb = r1 - r0;
  // Per row of the block: ∂L/∂u[t] and [t+1], r, the adjoints, the parameter sums (4) and ∂bias.
  std::vector<float> du(nb * H), du_next(nb * H, 0.f), r(nb * H), acc(nb * H * kRecGrads, 0.f), db(nb * H, 0.f);
  std::vector<k::RecState> ad(nb * H, k::RecState{0.f, 0.f});
  std::vector<k::RecPrev> pv(H);
  std::vector<float> sp(H);
  for (int t = rc.T - 1; t >= -1; --t) {
    // r = Vᵀ·∂L/∂u[t+1] for the block's rows: R = DU·V, one GEMM against V packed once per call.
    vw.multiply(du_next.data(), H, nb, r.data(), H);
    if (t < 0) {
      if (a.ds0)
        for (size_t n = 0; n < nb; ++n) std::memcpy(a.ds0 + (r0 + n) * H, r.data() + n * H, H * sizeof(float));
      break;
    }
    for (size_t n = 0; n < nb; ++n) {
      const size_t row = (r0 + n) * H, o = (size_t)t * N + row;
      // The state before step t and s[t-1]: from the stored step t-1, or the given state.
      for (size_t j = 0; j < H; ++j) {
        if (t > 0) {
          pv[j] = M::prev(l, prm[j], a.v[o - N + j], a.aux[o - N + j]);
          sp[j] = M::spike(l, prm[j], a.v[o - N + j], a.aux[o - N + j]);
        } else {
          pv[j] = {a.v0[row + j], a.a0[row + j], 0.f};
          sp[j] = a.s0[row + j];
        }
      }
      float* dun = du.data() + n * H;
      const float* rn = r.data() + n * H;
      for (size_t i = 0; i < H; ++i) {
        dun[i] = M::template adjoint<K, EXACT>(l, prm[i], q[i], ad[n * H + i], a.v[o + i], a.aux[o + i], a.g[o + i] + rn[i],
                                               a.h ? a.h[o + i] : 0.f, a.u ? a.u[o + i] : 0.f, pv[i],
                                               acc.data() + (n * H + i) * kRecGrads);
        a.dx[o + i] = dun[i];
        db[n * H + i] += dun[i];
      }
      sparse_rows::for_nonzero(sp.data(), (int)H, [&](int j, float s) {
        float* dj = dwt_chunk + (size_t)j * H;  // ∂Vᵀ[j][:] += s_j·∂L/∂u
        for (size_t i = 0; i < H; ++i) dj[i] += s * dun[i];
      });
    }
    std::swap(du, du_next);
  }
  for (size_t n = 0; n < nb; ++n) {
    const size_t row = (r0 + n) * H;
    for (size_t i = 0; i < H; ++i) {
      const k::RecState d0 = M::state_grads(prm[i], ad[n * H + i]);
      if (a.dv0) a.dv0[row + i] = d0.v;
      if (a.da0) a.da0[row + i] = d0.a;
      for (int g = 0; g < kRecGrads; ++g)
        if (gr.dp[g]) gr.dp[g][row + i] = acc[(n * H + i) * kRecGrads + g];
      if (gr.dbias) gr.dbias[row + i] = db[n * H + i];
    }
  }
}

}  // namespace

void recurrent_forward(const RecurrentConfig& c, RecurrentParams p, const float* x, float* vs, float* as, float* ss,
                       float* s, float* v, float* aux, float* u) {
  const size_t H = c.P, B = c.N / c.P;
  const std::vector<float> wt = transposed(p.w, H);
  const size_t chunks = row_chunks(B);
  k::with_model(c.model, [&](auto m) {
    using M = decltype(m);
    parallel_for(chunks, [&](size_t ch, int) {
      forward_chunk<M>(c, p, wt.data(), x, vs, as, ss, s, v, aux, u, ch * B / chunks, (ch + 1) * B / chunks);
    });
  });
}

void recurrent_backward(const RecurrentConfig& c, NeuronGrad method, RecurrentParams p, const float* g, const float* h,
                        const float* v, const float* aux, const float* u, const float* v0, const float* a0,
                        const float* s0, float* dx, float* dv0, float* da0, float* ds0, RecurrentGrads gr) {
  const size_t H = c.P, B = c.N / c.P;
  const size_t chunks = row_chunks(B);
  std::vector<float> dwt(chunks * H * H, 0.f);
  const BackIn in{g, h, v, aux, u, v0, a0, s0, dx, dv0, da0, ds0};
  const PackedRowsGemm vw(p.w, H, H);
  k::with_model(c.model, [&](auto m) {
    using M = decltype(m);
    const auto prm = load_params<M>(p, H);
    k::with_scan(c.sg, method == NeuronGrad::Exodus, [&](auto tag) {
      constexpr Surrogate K = decltype(tag)::kind;
      std::vector<k::SgCoef> q(H);
      for (size_t i = 0; i < H; ++i) q[i] = k::surrogate_coef<K>(M::theta(prm[i]), c.sg_scale, c.sg_width);
      parallel_for(chunks, [&](size_t ch, int) {
        const size_t e = (ch + 1) * B / chunks;
        for (size_t b = ch * B / chunks; b < e; b += kRows)
          backward_rows<M, K, decltype(tag)::exact>(c, p, prm, q, in, gr, dwt.data() + ch * H * H, vw, b,
                                                    b + kRows < e ? b + kRows : e);
      });
    });
  });
  sum_chunks_transposed(dwt, chunks, H, gr.dw);
}

}  // namespace cpu
}  // namespace exo
