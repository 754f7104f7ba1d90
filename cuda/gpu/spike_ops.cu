// The spike function and surrogate gradient as element ops (the BPTT tape's; kernels/surrogate.cuh).
#include "check.cuh"
#include "kernels/surrogate.cuh"
#include "exodus/backend.h"

namespace exo {
namespace gpu {
namespace {

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
