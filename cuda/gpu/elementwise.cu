// CUDA element-wise ops: grid-stride loops over the same per-element math as the CPU backend.
#include "check.cuh"
#include "kernels/elementwise.cuh"
#include "exodus/backend.h"

namespace exo {
namespace gpu {
namespace {

__global__ void fill_kernel(float* y, size_t n, float v) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
    y[i] = v;
}

template <Unary OP>
__global__ void unary_kernel(const float* x, float* y, size_t n, float a, float b) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
    y[i] = k::unary_op<OP>(x[i], a, b);
}

template <Binary OP>
__global__ void binary_kernel(const float* x, const float* w, float* y, size_t n, size_t nb, size_t inner) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
    y[i] = k::binary_op<OP>(x[i], w[(i / inner) % nb]);
}

__global__ void axpby_kernel(float alpha, const float* x, float beta, float* y, size_t n) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
    y[i] = beta == 0.f ? alpha * x[i] : alpha * x[i] + beta * y[i];
}

}  // namespace

void fill(int dev, float* y, size_t n, float v) {
  if (!n) return;
  DeviceGuard g(dev);
  fill_kernel<<<grid_for(n), 256>>>(y, n, v);
  EXO_CUDA_LAUNCH("fill");
}

void unary(int dev, Unary op, const float* x, float* y, size_t n, float a, float b) {
  if (!n) return;
  DeviceGuard g(dev);
  switch (op) {
#define EXO_CASE(N) case Unary::N: unary_kernel<Unary::N><<<grid_for(n), 256>>>(x, y, n, a, b); break;
    EXO_UNARY_OPS(EXO_CASE)
#undef EXO_CASE
    default: throw Error("unknown unary op");
  }
  EXO_CUDA_LAUNCH("unary");
}

void binary(int dev, Binary op, const float* x, const float* w, float* y, size_t n, size_t nb, size_t inner) {
  if (!n) return;
  DeviceGuard g(dev);
  switch (op) {
#define EXO_CASE(N) case Binary::N: binary_kernel<Binary::N><<<grid_for(n), 256>>>(x, w, y, n, nb, inner); break;
    EXO_BINARY_OPS(EXO_CASE)
#undef EXO_CASE
    default: throw Error("unknown binary op");
  }
  EXO_CUDA_LAUNCH("binary");
}

void axpby(int dev, float alpha, const float* x, float beta, float* y, size_t n) {
  if (!n) return;
  DeviceGuard g(dev);
  axpby_kernel<<<grid_for(n), 256>>>(alpha, x, beta, y, n);
  EXO_CUDA_LAUNCH("axpby");
}

}  // namespace gpu
}  // namespace exo
