// CUDA spike-sparse products: one thread per output element, gathering the nonzero terms in the
// order the CPU loops add them (kernels/sparse.cuh), so both backends agree bit for bit. They
// skip the zero terms' multiply-adds but still read every input entry; on a GPU the tiled dense
// GEMM is usually as fast, so the layers choose the sparse path on CUDA only when asked
// (docs/performance.md). They exist so that a forced sparse path runs on every device.
#include "check.cuh"
#include "exodus/backend.h"
#include "kernels/sparse.cuh"

namespace exo {
namespace gpu {
namespace {

// The count goes to a counter of the call's own (not a __device__ global, which two host threads
// counting at once would share: each would zero and read the other's count).
__global__ void count_kernel(const float* x, size_t n, unsigned long long* total) {
  unsigned long long c = 0;
  EXO_GRID_LOOP(i, n) c += x[i] != 0.f;
  for (int off = 16; off > 0; off /= 2) c += __shfl_down_sync(0xffffffffu, c, off);
  if ((threadIdx.x & 31) == 0 && c) atomicAdd(total, c);
}

__global__ void linear_forward_kernel(const float* s, int R, int F, const float* w, int Out, float* y) {
  EXO_GRID_LOOP(i, (size_t)R * Out) {
    size_t r = i / Out;
    int o = (int)(i % Out);
    const float* sr = s + r * F;
    const float* wo = w + (size_t)o * F;
    float acc = 0.f;
    for (int f = 0; f < F; ++f) {
      float v = sr[f];
      if (v != 0.f) acc = fmaf(v, wo[f], acc);
    }
    y[i] = acc;
  }
}

__global__ void linear_weight_grad_kernel(const float* g, const float* s, int R, int F, int Out, float* dw) {
  const int slices = k::sparse_slices(R);
  EXO_GRID_LOOP(i, (size_t)Out * F) {
    int o = (int)(i / F), f = (int)(i % F);
    float total = 0.f;
    for (int sl = 0; sl < slices; ++sl) {
      float part = 0.f;
      for (int r = k::sparse_slice_begin(R, slices, sl); r < k::sparse_slice_begin(R, slices, sl + 1); ++r) {
        float v = s[(size_t)r * F + f];
        if (v != 0.f) part = fmaf(v, g[(size_t)r * Out + o], part);
      }
      total += part;
    }
    dw[i] += total;
  }
}

// The input pixel that output pixel (oy, ox) reads through tap (ki, kj), or -1.
__device__ int conv_source(const k::ConvGeom& g, int oy, int ox, int ki, int kj) {
  int y = oy * g.sh - g.ph + ki, x = ox * g.sw - g.pw + kj;
  return (y >= 0 && y < g.h && x >= 0 && x < g.w) ? y * g.w + x : -1;
}

__global__ void conv_forward_kernel(const float* x, const float* w, float* y, k::ConvGeom g, int cout, size_t total) {
  const int P = g.pixels();
  const size_t in = (size_t)g.c * g.h * g.w;
  EXO_GRID_LOOP(i, total) {
    int p = (int)(i % P);
    int co = (int)((i / P) % cout);
    size_t n = i / ((size_t)P * cout);
    int oy = p / g.wo, ox = p % g.wo;
    float acc = 0.f;
    for (int ci = 0; ci < g.c; ++ci)
      for (int ki = 0; ki < g.kh; ++ki)
        for (int kj = 0; kj < g.kw; ++kj) {
          int src = conv_source(g, oy, ox, ki, kj);
          if (src < 0) continue;
          float v = x[n * in + (size_t)ci * g.h * g.w + src];
          if (v != 0.f) acc = fmaf(v, w[(((size_t)co * g.c + ci) * g.kh + ki) * g.kw + kj], acc);
        }
    y[i] = acc;
  }
}

__global__ void conv_weight_grad_kernel(const float* x, const float* dy, float* dw, k::ConvGeom g, int cout, int count) {
  const int P = g.pixels(), R = g.ckk();
  const int slices = k::sparse_slices(count);
  const size_t in = (size_t)g.c * g.h * g.w;
  EXO_GRID_LOOP(i, (size_t)cout * R) {
    int co = (int)(i / R), r = (int)(i % R);
    int kj = r % g.kw, ki = (r / g.kw) % g.kh, ci = r / (g.kw * g.kh);
    float total = 0.f;
    for (int sl = 0; sl < slices; ++sl) {
      float part = 0.f;
      for (int n = k::sparse_slice_begin(count, slices, sl); n < k::sparse_slice_begin(count, slices, sl + 1); ++n) {
        const float* img = x + (size_t)n * in + (size_t)ci * g.h * g.w;
        const float* d = dy + ((size_t)n * cout + co) * P;
        for (int p = 0; p < P; ++p) {
          int src = conv_source(g, p / g.wo, p % g.wo, ki, kj);
          if (src < 0) continue;
          float v = img[src];
          if (v != 0.f) part = fmaf(v, d[p], part);
        }
      }
      total += part;
    }
    dw[i] += total;
  }
}

__global__ void max_time_backward_kernel(const float* arg, const float* g, float* dy, size_t n, size_t total) {
  EXO_GRID_LOOP(i, total) {
    size_t j = i % n;
    dy[i] = arg[j] == (float)(i / n) ? g[j] : 0.f;
  }
}

}  // namespace

void count_nonzero(int dev, const float* x, size_t n, float* out) {
  DeviceGuard guard(dev);
  unsigned long long zero = 0, count = 0;
  if (n) {
    // 8 bytes from the caching allocator (its blocks are 512-byte aligned).
    Buffer counter = gpu::alloc(dev, 2);
    auto* total = reinterpret_cast<unsigned long long*>(counter.data);
    cudaError_t e = cudaMemcpy(total, &zero, sizeof zero, cudaMemcpyHostToDevice);
    if (e == cudaSuccess) {
      EXO_LAUNCH(grid_for(n), 256, count_kernel)(x, n, total);
      e = cudaGetLastError();
    }
    if (e == cudaSuccess) e = cudaMemcpy(&count, total, sizeof count, cudaMemcpyDeviceToHost);
    gpu::release(counter);  // after a synchronous copy (or a failed launch): nothing uses it any more
    EXO_CUDA(e);
  }
  float f = (float)count;
  EXO_CUDA(cudaMemcpy(out, &f, sizeof f, cudaMemcpyHostToDevice));
}

void max_time_backward(int dev, const float* arg, const float* g, float* dy, int T, size_t n) {
  size_t total = (size_t)T * n;
  if (!total) return;
  DeviceGuard guard(dev);
  EXO_LAUNCH(grid_for(total), 256, max_time_backward_kernel)(arg, g, dy, n, total);
  EXO_CUDA_LAUNCH("max_time_backward");
}

void sparse_linear_forward(int dev, const float* s, int R, int F, const float* w, int Out, float* y) {
  size_t total = (size_t)R * Out;
  if (!total) return;
  DeviceGuard guard(dev);
  EXO_LAUNCH(grid_for(total), 256, linear_forward_kernel)(s, R, F, w, Out, y);
  EXO_CUDA_LAUNCH("sparse_linear_forward");
}

void sparse_linear_weight_grad(int dev, const float* g, const float* s, int R, int F, int Out, float* dw) {
  size_t total = (size_t)Out * F;
  if (!total || R <= 0) return;
  DeviceGuard guard(dev);
  EXO_LAUNCH(grid_for(total), 256, linear_weight_grad_kernel)(g, s, R, F, Out, dw);
  EXO_CUDA_LAUNCH("sparse_linear_weight_grad");
}

void sparse_conv_forward(int dev, const float* x, const float* w, float* y, const k::ConvGeom& g, int cout, int count) {
  size_t total = (size_t)count * cout * g.pixels();
  if (!total) return;
  DeviceGuard guard(dev);
  EXO_LAUNCH(grid_for(total), 256, conv_forward_kernel)(x, w, y, g, cout, total);
  EXO_CUDA_LAUNCH("sparse_conv_forward");
}

void sparse_conv_weight_grad(int dev, const float* x, const float* dy, float* dw, const k::ConvGeom& g, int cout, int count) {
  size_t total = (size_t)cout * g.ckk();
  if (!total || count <= 0) return;
  DeviceGuard guard(dev);
  EXO_LAUNCH(grid_for(total), 256, conv_weight_grad_kernel)(x, dy, dw, g, cout, count);
  EXO_CUDA_LAUNCH("sparse_conv_weight_grad");
}

}  // namespace gpu
}  // namespace exo
