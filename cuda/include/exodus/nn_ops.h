// The C++ API of the layer ops training needs beyond element-wise math and GEMM: batched GEMM,
// im2col/col2im for convolutions, 2-D pooling, Adam, dropout masks. Same conventions as api.h.
#pragma once
#include "exodus/api.h"
#include "kernels/conv.cuh"
#include "kernels/optim.cuh"

namespace exo {

// C_b = alpha op(A_b) op(B_b) + beta C_b for b < batch; X_b = X + b * strideX (stride 0 broadcasts).
void gemm_batched(Device dev, bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
                  size_t stride_a, const float* B, int ldb, size_t stride_b, float beta, float* C, int ldc,
                  size_t stride_c, int batch);
// x: `count` images [C, H, W] -> cols: count x [C*kh*kw, Ho*Wo]
void im2col(Device dev, const float* x, float* cols, const k::ConvGeom& g, int count);
// cols: count x [C*kh*kw, Ho*Wo] -> dx: count images [C, H, W] (overwritten)
void col2im(Device dev, const float* cols, float* dx, const k::ConvGeom& g, int count);
// x: planes of [H, W] -> y: planes of [Ho, Wo]; arg (max only): winning input index per output.
void pool2d(Device dev, bool is_max, const float* x, float* y, float* arg, const k::PoolGeom& g, size_t planes);
void pool2d_backward(Device dev, bool is_max, const float* dy, const float* arg, float* dx, const k::PoolGeom& g,
                     size_t planes);
void adam_step(Device dev, float* p, const float* g, float* m, float* v, size_t n, const k::AdamConfig& c);
// mask[i] = (hash_uniform(seed, i) >= p) / (1 - p): inverted dropout.
void dropout_mask(Device dev, float* mask, size_t n, float p, unsigned long long seed);
// Writes one sample's sparse frames into column b of a dense [T, B, F] tensor: for each j,
// dst[(t*B + b)*F + f] = count[j] with t = index[j] / F, f = index[j] % F; entries with t >= T
// are dropped. index and count are host arrays (uploaded first on CUDA).
void scatter_frames(Device dev, float* dst, int T, int B, int F, int b, const uint32_t* index,
                    const uint32_t* count, size_t n);

namespace cpu {
void gemm_batched(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, size_t sa,
                  const float* B, int ldb, size_t sb, float beta, float* C, int ldc, size_t sc, int batch);
void im2col(const float* x, float* cols, const k::ConvGeom& g, int count);
void col2im(const float* cols, float* dx, const k::ConvGeom& g, int count);
void pool2d(bool is_max, const float* x, float* y, float* arg, const k::PoolGeom& g, size_t planes);
void pool2d_backward(bool is_max, const float* dy, const float* arg, float* dx, const k::PoolGeom& g, size_t planes);
void adam_step(float* p, const float* g, float* m, float* v, size_t n, const k::AdamConfig& c);
void dropout_mask(float* mask, size_t n, float p, unsigned long long seed);
void scatter_frames(float* dst, int T, int B, int F, int b, const uint32_t* index, const uint32_t* count, size_t n);
}  // namespace cpu

namespace gpu {
void gemm_batched(int dev, bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, size_t sa,
                  const float* B, int ldb, size_t sb, float beta, float* C, int ldc, size_t sc, int batch);
void im2col(int dev, const float* x, float* cols, const k::ConvGeom& g, int count);
void col2im(int dev, const float* cols, float* dx, const k::ConvGeom& g, int count);
void pool2d(int dev, bool is_max, const float* x, float* y, float* arg, const k::PoolGeom& g, size_t planes);
void pool2d_backward(int dev, bool is_max, const float* dy, const float* arg, float* dx, const k::PoolGeom& g,
                     size_t planes);
void adam_step(int dev, float* p, const float* g, float* m, float* v, size_t n, const k::AdamConfig& c);
void dropout_mask(int dev, float* mask, size_t n, float p, unsigned long long seed);
void scatter_frames(int dev, float* dst, int T, int B, int F, int b, const uint32_t* index, const uint32_t* count,
                    size_t n);
}  // namespace gpu

}  // namespace exo
