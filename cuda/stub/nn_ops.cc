// CUDA entry points of the layer ops in a build without nvcc.
#include "missing.h"
#include "exodus/nn_ops.h"

namespace exo {
namespace gpu {
void gemm_batched(int, bool, bool, int, int, int, float, const float*, int, size_t, const float*, int, size_t, float,
                  float*, int, size_t, int) { missing(); }
void im2col(int, const float*, float*, const k::ConvGeom&, int) { missing(); }
void col2im(int, const float*, float*, const k::ConvGeom&, int) { missing(); }
void pool2d(int, bool, const float*, float*, float*, const k::PoolGeom&, size_t) { missing(); }
void pool2d_backward(int, bool, const float*, const float*, float*, const k::PoolGeom&, size_t) { missing(); }
void adam_step(int, float*, const float*, float*, float*, size_t, const k::AdamConfig&) { missing(); }
void dropout_mask(int, float*, size_t, float, unsigned long long) { missing(); }
void scatter_frames(int, float*, int, int, int, int, const uint32_t*, const uint32_t*, size_t) { missing(); }
}  // namespace gpu
}  // namespace exo
