// CUDA layer ops: batched GEMM (the tiled kernel with a batch grid axis), im2col/col2im as one
// thread per output element, pooling, Adam, dropout masks. Math in kernels/conv.cuh, optim.cuh.
#include "check.cuh"
#include "exodus/backend.h"
#include "kernels/scatter.cuh"

namespace exo {
namespace gpu {

void gemm_strided(int dev, bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, size_t sa,
                  const float* B, int ldb, size_t sb, float beta, float* C, int ldc, size_t sc, int batch);

namespace {

#define EXO_GRID_LOOP(i, n) \
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < (n); i += (size_t)gridDim.x * blockDim.x)

__global__ void im2col_kernel(const float* x, float* cols, k::ConvGeom g, size_t total) {
  size_t R = g.ckk(), P = g.pixels(), in = (size_t)g.c * g.h * g.w;
  EXO_GRID_LOOP(i, total) {
    size_t p = i % P, row = i / P;
    cols[i] = k::im2col_value(x + (row / R) * in, g, (int)(row % R), (int)p);
  }
}

__global__ void col2im_kernel(const float* cols, float* dx, k::ConvGeom g, size_t total) {
  size_t HW = (size_t)g.h * g.w, R = g.ckk(), P = g.pixels();
  EXO_GRID_LOOP(i, total) {
    size_t pix = i % HW, plane = i / HW;
    size_t n = plane / g.c;
    dx[i] = k::col2im_value(cols + n * R * P, g, (int)(plane % g.c), (int)(pix / g.w), (int)(pix % g.w));
  }
}

__global__ void pool_kernel(bool is_max, const float* x, float* y, float* arg, k::PoolGeom g, size_t total) {
  size_t out = (size_t)g.ho * g.wo, in = (size_t)g.h * g.w;
  EXO_GRID_LOOP(i, total) {
    size_t pl = i / out, o = i % out;
    int best = 0;
    y[i] = k::pool_value(x + pl * in, g, (int)(o / g.wo), (int)(o % g.wo), is_max, is_max ? &best : nullptr);
    if (is_max) arg[i] = (float)best;
  }
}

__global__ void pool_backward_kernel(bool is_max, const float* dy, const float* arg, float* dx, k::PoolGeom g,
                                     size_t total) {
  size_t out = (size_t)g.ho * g.wo, in = (size_t)g.h * g.w;
  EXO_GRID_LOOP(i, total) {
    size_t pl = i / in, pix = i % in;
    dx[i] = k::pool_grad(dy + pl * out, is_max ? arg + pl * out : nullptr, g, (int)(pix / g.w), (int)(pix % g.w), is_max);
  }
}

__global__ void adam_kernel(float* p, const float* g, float* m, float* v, size_t n, k::AdamConfig c) {
  EXO_GRID_LOOP(i, n) k::adam_update(p[i], g[i], m[i], v[i], c);
}

__global__ void dropout_kernel(float* mask, size_t n, float p, unsigned long long seed) {
  float keep = 1.f / (1.f - p);
  EXO_GRID_LOOP(i, n) mask[i] = k::hash_uniform(seed, i) >= p ? keep : 0.f;
}

__global__ void scatter_frames_kernel(float* dst, int T, int B, int F, int b, const uint32_t* index,
                                      const uint32_t* count, size_t n) {
  size_t limit = (size_t)T * F;
  EXO_GRID_LOOP(j, n) {
    size_t o = k::frame_slot(index[j], limit, B, F, b);
    if (o != (size_t)-1) dst[o] = (float)count[j];
  }
}

}  // namespace

void scatter_frames(int dev, float* dst, int T, int B, int F, int b, const uint32_t* index, const uint32_t* count,
                    size_t n) {
  if (!n) return;
  DeviceGuard guard(dev);
  // Staging buffers from the caching allocator: 4-byte elements, like the floats it hands out.
  Buffer idx = gpu::alloc(dev, n), cnt = gpu::alloc(dev, n);
  cudaError_t e = cudaMemcpy(idx.data, index, n * 4, cudaMemcpyHostToDevice);
  if (e == cudaSuccess) e = cudaMemcpy(cnt.data, count, n * 4, cudaMemcpyHostToDevice);
  if (e == cudaSuccess) {
    scatter_frames_kernel<<<grid_for(n), 256>>>(dst, T, B, F, b, reinterpret_cast<const uint32_t*>(idx.data),
                                                reinterpret_cast<const uint32_t*>(cnt.data), n);
    e = cudaGetLastError();
  }
  // The kernel must finish reading the staging buffers before they can be reused.
  if (e == cudaSuccess) e = cudaDeviceSynchronize();
  gpu::release(idx);
  gpu::release(cnt);
  EXO_CUDA(e);
}

void gemm_batched(int dev, bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, size_t sa,
                  const float* B, int ldb, size_t sb, float beta, float* C, int ldc, size_t sc, int batch) {
  if (sc == 0 && batch > 1) throw Error("gemm_batched: products cannot share one output on CUDA");
  gemm_strided(dev, ta, tb, M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch);
}

void im2col(int dev, const float* x, float* cols, const k::ConvGeom& g, int count) {
  size_t total = (size_t)count * g.ckk() * g.pixels();
  if (!total) return;
  DeviceGuard guard(dev);
  im2col_kernel<<<grid_for(total), 256>>>(x, cols, g, total);
  EXO_CUDA_LAUNCH("im2col");
}

void col2im(int dev, const float* cols, float* dx, const k::ConvGeom& g, int count) {
  size_t total = (size_t)count * g.c * g.h * g.w;
  if (!total) return;
  DeviceGuard guard(dev);
  col2im_kernel<<<grid_for(total), 256>>>(cols, dx, g, total);
  EXO_CUDA_LAUNCH("col2im");
}

void pool2d(int dev, bool is_max, const float* x, float* y, float* arg, const k::PoolGeom& g, size_t planes) {
  size_t total = planes * g.ho * g.wo;
  if (!total) return;
  DeviceGuard guard(dev);
  pool_kernel<<<grid_for(total), 256>>>(is_max, x, y, arg, g, total);
  EXO_CUDA_LAUNCH("pool2d");
}

void pool2d_backward(int dev, bool is_max, const float* dy, const float* arg, float* dx, const k::PoolGeom& g,
                     size_t planes) {
  size_t total = planes * g.h * g.w;
  if (!total) return;
  DeviceGuard guard(dev);
  pool_backward_kernel<<<grid_for(total), 256>>>(is_max, dy, arg, dx, g, total);
  EXO_CUDA_LAUNCH("pool2d_backward");
}

void adam_step(int dev, float* p, const float* g, float* m, float* v, size_t n, const k::AdamConfig& c) {
  if (!n) return;
  DeviceGuard guard(dev);
  adam_kernel<<<grid_for(n), 256>>>(p, g, m, v, n, c);
  EXO_CUDA_LAUNCH("adam_step");
}

void dropout_mask(int dev, float* mask, size_t n, float p, unsigned long long seed) {
  if (!n) return;
  DeviceGuard guard(dev);
  dropout_kernel<<<grid_for(n), 256>>>(mask, n, p, seed);
  EXO_CUDA_LAUNCH("dropout_mask");
}

}  // namespace gpu
}  // namespace exo
