// CUDA recurrent LIF scans (kernels/rlif.cuh). A design for correctness first: one block per batch
// row, each thread a strided set of the row's H neurons, the step's spikes (forward) or adjoints
// (backward) in shared memory so that every thread sees the whole row between two barriers.
//   forward   rec_i = Σ_j V[i][j]·s_j, skipping the j that did not spike (the branch is the same
//             for every thread: s lives in shared memory);
//   backward  r_j = Σ_i V[i][j]·λ_i (consecutive threads read consecutive j: coalesced);
//   ∂V        a second kernel, one thread per weight: Σ_t Σ_b λ[t,b,i]·s[t-1,b,j], with s[t-1]
//             recomputed from the stored v[t-1] as the forward computed it.
// H is at most kRlifMaxH (the binding checks it) so the shared arrays are static.
#include "check.cuh"
#include "kernels/rlif.cuh"
#include "neuron_grid.cuh"
#include "exodus/backend.h"

namespace exo {
namespace gpu {
namespace {

constexpr unsigned kRlifThreads = 256;
constexpr int kPer = (int)(kRlifMaxH / kRlifThreads);  // neurons per thread at most

__global__ void rlif_forward_kernel(RlifConfig c, RlifParams p, const float* __restrict__ x, float* __restrict__ vs,
                                    float* __restrict__ ss, float* __restrict__ s, float* __restrict__ v) {
  __shared__ float sp[kRlifMaxH];
  const LifConfig l = k::rlif_as_lif(c);
  const size_t H = c.P, row = (size_t)blockIdx.x * H;
  float up[kPer];
  for (int u = 0; u < kPer; ++u) {
    const size_t i = threadIdx.x + (size_t)u * kRlifThreads;
    if (i < H) {
      up[u] = vs[row + i];
      sp[i] = ss[row + i];
    }
  }
  __syncthreads();
  float snew[kPer];
  for (int t = 0; t < c.T; ++t) {
    const size_t o = (size_t)t * c.N + row;
    for (int u = 0; u < kPer; ++u) {
      const size_t i = threadIdx.x + (size_t)u * kRlifThreads;
      if (i >= H) break;
      float rec = 0.f;
      const float* wi = p.w + i * H;
      for (size_t j = 0; j < H; ++j)
        if (sp[j] != 0.f) rec += wi[j] * sp[j];
      const float vt = k::rlif_integrate(l, up[u], x[o + i], rec, p.bias ? p.bias[i] : 0.f, p.alpha[i]);
      const float st = k::spike_fn(vt, p.theta[i], 0, 0.f);
      v[o + i] = vt;
      s[o + i] = st;
      snew[u] = st;
      up[u] = k::lif_reset(l, vt, st, p.m[i]);
    }
    __syncthreads();  // every thread has read s[t-1]
    for (int u = 0; u < kPer; ++u) {
      const size_t i = threadIdx.x + (size_t)u * kRlifThreads;
      if (i < H) sp[i] = snew[u];
    }
    __syncthreads();
  }
  for (int u = 0; u < kPer; ++u) {
    const size_t i = threadIdx.x + (size_t)u * kRlifThreads;
    if (i < H) {
      vs[row + i] = up[u];
      ss[row + i] = sp[i];
    }
  }
}

template <Surrogate K, bool EXACT>
__global__ void rlif_backward_kernel(RlifConfig c, RlifParams p, const float* __restrict__ g,
                                     const float* __restrict__ h, const float* __restrict__ v,
                                     const float* __restrict__ v0, float* __restrict__ dx, float* __restrict__ dv0,
                                     float* __restrict__ ds0, float* __restrict__ dalpha, float* __restrict__ dbias) {
  __shared__ float ln[kRlifMaxH];  // λ[t+1] of the row
  const LifConfig l = k::rlif_as_lif(c);
  const size_t H = c.P, row = (size_t)blockIdx.x * H;
  float lam[kPer], da[kPer], db[kPer];
  for (int u = 0; u < kPer; ++u) {
    const size_t i = threadIdx.x + (size_t)u * kRlifThreads;
    lam[u] = da[u] = db[u] = 0.f;
    if (i < H) ln[i] = 0.f;
  }
  __syncthreads();
  for (int t = c.T - 1; t >= -1; --t) {
    for (int u = 0; u < kPer; ++u) {
      const size_t j = threadIdx.x + (size_t)u * kRlifThreads;
      if (j >= H) break;
      float r = 0.f;  // (Vᵀ·λ[t+1])_j
      for (size_t i = 0; i < H; ++i) r += p.w[i * H + j] * ln[i];
      if (t < 0) {
        if (ds0) ds0[row + j] = r;
        continue;
      }
      const size_t o = (size_t)t * c.N + row + j;
      const k::SgCoef q = k::surrogate_coef<K>(p.theta[j], c.sg_scale, c.sg_width);
      lam[u] = k::rlif_adjoint_step<K, EXACT>(l, lam[u], r, v[o], g[o], h ? h[o] : 0.f, p.alpha[j], q, p.m[j]);
      dx[o] = lam[u];
      float up;
      if (t > 0) {
        const float vp = v[o - c.N];
        up = k::lif_reset(l, vp, k::rlif_prev_spike(vp, p.theta[j]), p.m[j]);
      } else {
        up = v0[row + j];
      }
      da[u] += lam[u] * up;
      db[u] += lam[u];
    }
    if (t < 0) break;
    __syncthreads();  // every thread has read λ[t+1]
    for (int u = 0; u < kPer; ++u) {
      const size_t j = threadIdx.x + (size_t)u * kRlifThreads;
      if (j < H) ln[j] = lam[u];
    }
    __syncthreads();
  }
  for (int u = 0; u < kPer; ++u) {
    const size_t i = threadIdx.x + (size_t)u * kRlifThreads;
    if (i >= H) break;
    if (dv0) dv0[row + i] = k::lif_state_grad(lam[u], p.alpha[i]);
    if (dalpha) dalpha[row + i] = da[u];
    if (dbias) dbias[row + i] = db[u];
  }
}

// dw[i][j] = Σ_t Σ_b λ[t,b,i]·s[t-1,b,j] (λ = dx), s[-1] = s0.
__global__ void rlif_weight_grad_kernel(RlifConfig c, const float* __restrict__ theta, const float* __restrict__ lam,
                                        const float* __restrict__ v, const float* __restrict__ s0,
                                        float* __restrict__ dw) {
  const size_t H = c.P, B = c.N / c.P;
  const size_t k = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
  if (k >= H * H) return;
  const size_t i = k / H, j = k % H;
  const float th = theta[j];
  float sum = 0.f;
  for (int t = 0; t < c.T; ++t)
    for (size_t b = 0; b < B; ++b) {
      const size_t o = (size_t)t * c.N + b * H;
      const float sp = t > 0 ? k::rlif_prev_spike(v[o - c.N + j], th) : s0[b * H + j];
      if (sp != 0.f) sum += lam[o + i] * sp;
    }
  dw[k] = sum;
}

}  // namespace

// The table passes the views one by one, in neurons.h's EXO_RLIF_FORWARD order.
void rlif_forward(int dev, const RlifConfig& c, const float* alpha, const float* theta, const float* m, const float* bias,
                  const float* w, const float* x, float* vs, float* ss, float* s, float* v) {
  const RlifParams p{alpha, theta, m, bias, w};
  DeviceGuard guard(dev);
  EXO_LAUNCH((unsigned)(c.N / c.P), kRlifThreads, rlif_forward_kernel)(c, p, x, vs, ss, s, v);
  EXO_CUDA_LAUNCH("rlif_forward");
}

void rlif_backward(int dev, const RlifConfig& c, NeuronGrad method, const float* alpha, const float* theta, const float* m,
                   const float* bias, const float* w, const float* g, const float* h, const float* v, const float* v0,
                   const float* s0, float* dx, float* dv0, float* ds0, float* dalpha, float* dbias, float* dw) {
  const RlifParams p{alpha, theta, m, bias, w};
  const RlifGrads gr{dalpha, dbias, dw};
  DeviceGuard guard(dev);
  k::with_scan(c.sg, method == NeuronGrad::Exodus, [&](auto t) {
    EXO_LAUNCH((unsigned)(c.N / c.P), kRlifThreads, rlif_backward_kernel<decltype(t)::kind, decltype(t)::exact>)(
        c, p, g, h, v, v0, dx, dv0, ds0, gr.dalpha, gr.dbias);
  });
  EXO_CUDA_LAUNCH("rlif_backward");
  EXO_LAUNCH(blocks_for(c.P * c.P), kBlock, rlif_weight_grad_kernel)(c, p.theta, dx, v, s0, gr.dw);
  EXO_CUDA_LAUNCH("rlif_weight_grad");
}

}  // namespace gpu
}  // namespace exo
