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

// How w is indexed: the same shape (w[i]), a scalar (w[0]), or broadcast (w[(i / inner) % nb])
// with the division in 32 bits when n fits (a 64-bit division costs several times more).
enum class Bcast { Same, Scalar, Narrow, Wide };

template <Binary OP, Bcast L>
__global__ void binary_kernel(const float* x, const float* w, float* y, size_t n, size_t nb, size_t inner) {
  const float w0 = L == Bcast::Scalar ? w[0] : 0.f;
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
    float wi;
    if (L == Bcast::Same) wi = w[i];
    else if (L == Bcast::Scalar) wi = w0;
    else if (L == Bcast::Narrow) wi = w[((unsigned)i / (unsigned)inner) % (unsigned)nb];
    else wi = w[(i / inner) % nb];
    y[i] = k::binary_op<OP>(x[i], wi);
  }
}

template <Binary OP>
void launch_binary(const float* x, const float* w, float* y, size_t n, size_t nb, size_t inner) {
  unsigned g = grid_for(n);
  if (nb == n && inner == 1) EXO_LAUNCH(g, 256, binary_kernel<OP, Bcast::Same>)(x, w, y, n, nb, inner);
  else if (nb == 1) EXO_LAUNCH(g, 256, binary_kernel<OP, Bcast::Scalar>)(x, w, y, n, nb, inner);
  else if (n <= limits::kIndex32) EXO_LAUNCH(g, 256, binary_kernel<OP, Bcast::Narrow>)(x, w, y, n, nb, inner);
  else EXO_LAUNCH(g, 256, binary_kernel<OP, Bcast::Wide>)(x, w, y, n, nb, inner);
}

__global__ void axpby_kernel(float alpha, const float* x, float beta, float* y, size_t n) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
    y[i] = beta == 0.f ? alpha * x[i] : alpha * x[i] + beta * y[i];
}

}  // namespace

void fill(int dev, float* y, size_t n, float v) {
  if (!n) return;
  DeviceGuard g(dev);
  EXO_LAUNCH(grid_for(n), 256, fill_kernel)(y, n, v);
  EXO_CUDA_LAUNCH("fill");
}

void unary(int dev, Unary op, const float* x, float* y, size_t n, float a, float b) {
  if (!n) return;
  DeviceGuard g(dev);
  switch (op) {
#define EXO_CASE(N) case Unary::N: EXO_LAUNCH(grid_for(n), 256, unary_kernel<Unary::N>)(x, y, n, a, b); break;
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
#define EXO_CASE(N) case Binary::N: launch_binary<Binary::N>(x, w, y, n, nb, inner); break;
    EXO_BINARY_OPS(EXO_CASE)
#undef EXO_CASE
    default: throw Error("unknown binary op");
  }
  EXO_CUDA_LAUNCH("binary");
}

void axpby(int dev, float alpha, const float* x, float beta, float* y, size_t n) {
  if (!n) return;
  DeviceGuard g(dev);
  EXO_LAUNCH(grid_for(n), 256, axpby_kernel)(alpha, x, beta, y, n);
  EXO_CUDA_LAUNCH("axpby");
}

}  // namespace gpu
}  // namespace exo
