// Routes the layer ops of nn_ops.h to the CPU or CUDA backend.
#include "exodus/nn_ops.h"

namespace exo {

#define EXO_ROUTE(call_cpu, call_gpu) \
  do {                                \
    if (dev.cpu()) cpu::call_cpu;     \
    else gpu::call_gpu;               \
  } while (0)

void gemm_batched(Device dev, bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, size_t sa,
                  const float* B, int ldb, size_t sb, float beta, float* C, int ldc, size_t sc, int batch) {
  if (batch <= 0) return;
  EXO_ROUTE(gemm_batched(ta, tb, M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch),
            gemm_batched(dev.index, ta, tb, M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch));
}
void im2col(Device dev, const float* x, float* cols, const k::ConvGeom& g, int count) {
  EXO_ROUTE(im2col(x, cols, g, count), im2col(dev.index, x, cols, g, count));
}
void col2im(Device dev, const float* cols, float* dx, const k::ConvGeom& g, int count) {
  EXO_ROUTE(col2im(cols, dx, g, count), col2im(dev.index, cols, dx, g, count));
}
void pool2d(Device dev, bool is_max, const float* x, float* y, float* arg, const k::PoolGeom& g, size_t planes) {
  EXO_ROUTE(pool2d(is_max, x, y, arg, g, planes), pool2d(dev.index, is_max, x, y, arg, g, planes));
}
void pool2d_backward(Device dev, bool is_max, const float* dy, const float* arg, float* dx, const k::PoolGeom& g,
                     size_t planes) {
  EXO_ROUTE(pool2d_backward(is_max, dy, arg, dx, g, planes), pool2d_backward(dev.index, is_max, dy, arg, dx, g, planes));
}
void adam_step(Device dev, float* p, const float* g, float* m, float* v, size_t n, const k::AdamConfig& c) {
  EXO_ROUTE(adam_step(p, g, m, v, n, c), adam_step(dev.index, p, g, m, v, n, c));
}
void dropout_mask(Device dev, float* mask, size_t n, float p, unsigned long long seed) {
  EXO_ROUTE(dropout_mask(mask, n, p, seed), dropout_mask(dev.index, mask, n, p, seed));
}

void scatter_frames(Device dev, float* dst, int T, int B, int F, int b, const uint32_t* index,
                    const uint32_t* count, size_t n) {
  if (b < 0 || b >= B || F <= 0) throw Error("scatter_frames: column out of range");
  EXO_ROUTE(scatter_frames(dst, T, B, F, b, index, count, n), scatter_frames(dev.index, dst, T, B, F, b, index, count, n));
}

}  // namespace exo
