// CUDA scans of the recurrent CubaLIF, ALIF and adLIF layers (exodus/recurrent.h), one driver for the
// models of kernels/recurrent.cuh, laid out as gpu/rlif.cu: one block per batch row, each thread a
// strided set of the row's H neurons, the step's spikes (forward) or ∂L/∂u (backward) in shared
// memory so that every thread sees the whole row between two barriers.
//   forward   u_i = x_i + Σ_j V[i][j]·s_j (+ bias), skipping the j that did not spike;
//   backward  r_j = Σ_i V[i][j]·∂L/∂u_i[t+1] (consecutive threads read consecutive j: coalesced),
//             then the model's adjoint step on g + r;
//   ∂V        a second kernel, one thread per weight: Σ_t Σ_b ∂L/∂u[t,b,i]·s[t-1,b,j], with s[t-1]
//             recomputed from the stored step as the forward computed it.
// H is at most kRlifMaxH (the binding checks it) so the shared arrays are static.
#include "check.cuh"
#include "kernels/recurrent.cuh"
#include "neuron_grid.cuh"
#include "exodus/backend.h"

namespace exo {
namespace gpu {
namespace {

constexpr unsigned kThreads = 256;
constexpr int kPer = (int)(kRlifMaxH / kThreads);  // neurons per thread at most

template <class M>
__global__ void recurrent_forward_kernel(RecurrentConfig rc, RecurrentParams p, const float* __restrict__ x,
                                         float* __restrict__ vs, float* __restrict__ as, float* __restrict__ ss,
                                         float* __restrict__ s, float* __restrict__ v, float* __restrict__ aux,
                                         float* __restrict__ u) {
  __shared__ float sp[kRlifMaxH];
  const LifConfig l = k::rec_as_lif(rc);
  const size_t H = rc.P, row = (size_t)blockIdx.x * H;
  k::RecState st[kPer];
  for (int n = 0; n < kPer; ++n) {
    const size_t i = threadIdx.x + (size_t)n * kThreads;
    if (i < H) {
      st[n] = {vs[row + i], as[row + i]};
      sp[i] = ss[row + i];
    }
  }
  __syncthreads();
  float snew[kPer];
  for (int t = 0; t < rc.T; ++t) {
    const size_t o = (size_t)t * rc.N + row;
    for (int n = 0; n < kPer; ++n) {
      const size_t i = threadIdx.x + (size_t)n * kThreads;
      if (i >= H) break;
      float rec = 0.f;
      const float* wi = p.w + i * H;
      for (size_t j = 0; j < H; ++j)
        if (sp[j] != 0.f) rec += wi[j] * sp[j];
      const float ui = (x[o + i] + rec) + (p.bias ? p.bias[i] : 0.f);
      if (u) u[o + i] = ui;
      snew[n] = M::step(l, M::load(p, i), st[n], ui, v[o + i], aux[o + i]);
      s[o + i] = snew[n];
    }
    __syncthreads();  // every thread has read s[t-1]
    for (int n = 0; n < kPer; ++n) {
      const size_t i = threadIdx.x + (size_t)n * kThreads;
      if (i < H) sp[i] = snew[n];
    }
    __syncthreads();
  }
  for (int n = 0; n < kPer; ++n) {
    const size_t i = threadIdx.x + (size_t)n * kThreads;
    if (i < H) {
      vs[row + i] = st[n].v;
      as[row + i] = st[n].a;
      ss[row + i] = sp[i];
    }
  }
}

struct BackIn {
  const float *g, *h, *v, *aux, *u, *v0, *a0, *s0;
  float *dx, *dv0, *da0, *ds0;
};

template <class M, Surrogate K, bool EXACT>
__global__ void recurrent_backward_kernel(RecurrentConfig rc, RecurrentParams p, BackIn a, RecurrentGrads gr) {
  __shared__ float dn[kRlifMaxH];  // ∂L/∂u[t+1] of the row
  const LifConfig l = k::rec_as_lif(rc);
  const size_t H = rc.P, N = rc.N, row = (size_t)blockIdx.x * H;
  k::RecState ad[kPer];
  float acc[kPer][kRecGrads], db[kPer], du[kPer];
  for (int n = 0; n < kPer; ++n) {
    const size_t i = threadIdx.x + (size_t)n * kThreads;
    ad[n] = {0.f, 0.f};
    db[n] = 0.f;
    for (int q = 0; q < kRecGrads; ++q) acc[n][q] = 0.f;
    if (i < H) dn[i] = 0.f;
  }
  __syncthreads();
  for (int t = rc.T - 1; t >= -1; --t) {
    for (int n = 0; n < kPer; ++n) {
      const size_t j = threadIdx.x + (size_t)n * kThreads;
      if (j >= H) break;
      float r = 0.f;  // (Vᵀ·∂L/∂u[t+1])_j
      for (size_t i = 0; i < H; ++i) r += p.w[i * H + j] * dn[i];
      if (t < 0) {
        if (a.ds0) a.ds0[row + j] = r;
        continue;
      }
      const size_t o = (size_t)t * N + row + j;
      const typename M::P pj = M::load(p, j);
      const k::SgCoef q = k::surrogate_coef<K>(M::theta(pj), rc.sg_scale, rc.sg_width);
      const k::RecPrev pv = t > 0 ? M::prev(l, pj, a.v[o - N], a.aux[o - N]) : k::RecPrev{a.v0[row + j], a.a0[row + j], 0.f};
      du[n] = M::template adjoint<K, EXACT>(l, pj, q, ad[n], a.v[o], a.aux[o], a.g[o] + r, a.h ? a.h[o] : 0.f,
                                            a.u ? a.u[o] : 0.f, pv, acc[n]);
      a.dx[o] = du[n];
      db[n] += du[n];
    }
    if (t < 0) break;
    __syncthreads();  // every thread has read ∂L/∂u[t+1]
    for (int n = 0; n < kPer; ++n) {
      const size_t j = threadIdx.x + (size_t)n * kThreads;
      if (j < H) dn[j] = du[n];
    }
    __syncthreads();
  }
  for (int n = 0; n < kPer; ++n) {
    const size_t i = threadIdx.x + (size_t)n * kThreads;
    if (i >= H) break;
    const k::RecState d0 = M::state_grads(M::load(p, i), ad[n]);
    if (a.dv0) a.dv0[row + i] = d0.v;
    if (a.da0) a.da0[row + i] = d0.a;
    for (int q = 0; q < kRecGrads; ++q)
      if (gr.dp[q]) gr.dp[q][row + i] = acc[n][q];
    if (gr.dbias) gr.dbias[row + i] = db[n];
  }
}

// dw[i][j] = Σ_t Σ_b ∂L/∂u[t,b,i]·s[t-1,b,j], s[-1] = s0.
template <class M>
__global__ void recurrent_weight_grad_kernel(RecurrentConfig rc, RecurrentParams p, const float* __restrict__ du,
                                             const float* __restrict__ v, const float* __restrict__ aux,
                                             const float* __restrict__ s0, float* __restrict__ dw) {
  const LifConfig l = k::rec_as_lif(rc);
  const size_t H = rc.P, B = rc.N / rc.P;
  const size_t k = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
  if (k >= H * H) return;
  const size_t i = k / H, j = k % H;
  const typename M::P pj = M::load(p, j);
  float sum = 0.f;
  for (int t = 0; t < rc.T; ++t)
    for (size_t b = 0; b < B; ++b) {
      const size_t o = (size_t)t * rc.N + b * H;
      const float sp = t > 0 ? M::spike(l, pj, v[o - rc.N + j], aux[o - rc.N + j]) : s0[b * H + j];
      if (sp != 0.f) sum += du[o + i] * sp;
    }
  dw[k] = sum;
}

}  // namespace

void recurrent_forward(int dev, const RecurrentConfig& c, RecurrentParams p, const float* x, float* vs, float* as,
                       float* ss, float* s, float* v, float* aux, float* u) {
  DeviceGuard guard(dev);
  k::with_model(c.model, [&](auto m) {
    EXO_LAUNCH((unsigned)(c.N / c.P), kThreads, recurrent_forward_kernel<decltype(m)>)(c, p, x, vs, as, ss, s, v, aux, u);
  });
  EXO_CUDA_LAUNCH("recurrent_forward");
}

void recurrent_backward(int dev, const RecurrentConfig& c, NeuronGrad method, RecurrentParams p, const float* g,
                        const float* h, const float* v, const float* aux, const float* u, const float* v0,
                        const float* a0, const float* s0, float* dx, float* dv0, float* da0, float* ds0,
                        RecurrentGrads gr) {
  DeviceGuard guard(dev);
  const BackIn in{g, h, v, aux, u, v0, a0, s0, dx, dv0, da0, ds0};
  k::with_model(c.model, [&](auto m) {
    using M = decltype(m);
    k::with_scan(c.sg, method == NeuronGrad::Exodus, [&](auto t) {
      EXO_LAUNCH((unsigned)(c.N / c.P), kThreads, recurrent_backward_kernel<M, decltype(t)::kind, decltype(t)::exact>)(
          c, p, in, gr);
    });
    EXO_CUDA_LAUNCH("recurrent_backward");
    EXO_LAUNCH(blocks_for(c.P * c.P), kBlock, recurrent_weight_grad_kernel<M>)(c, p, dx, v, aux, s0, gr.dw);
  });
  EXO_CUDA_LAUNCH("recurrent_weight_grad");
}

}  // namespace gpu
}  // namespace exo
