// CUDA SRM scans (kernels/srm.cuh), one thread per neuron (neuron_grid.cuh).
#include "check.cuh"
#include "kernels/srm.cuh"
#include "neuron_grid.cuh"
#include "exodus/backend.h"

namespace exo {
namespace gpu {
namespace {

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

}  // namespace

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

}  // namespace gpu
}  // namespace exo
