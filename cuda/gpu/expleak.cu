// CUDA ExpLeak scans (kernels/expleak.cuh), one thread per neuron (neuron_grid.cuh).
#include "check.cuh"
#include "kernels/expleak.cuh"
#include "neuron_grid.cuh"
#include "exodus/backend.h"

namespace exo {
namespace gpu {
namespace {

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

}  // namespace

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

}  // namespace gpu
}  // namespace exo
