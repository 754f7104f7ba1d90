// CPU entry points of the spike-sparse products (kernels/sparse.cuh).
#pragma once
#include <cstddef>

#include "kernels/conv.cuh"

namespace exo {
namespace cpu {

size_t count_nonzero(const float* x, size_t n);
// y [R, Out] = s [R, F] · wᵀ, w [Out, F]
void sparse_linear_forward(const float* s, int R, int F, const float* w, int Out, float* y);
// dw [Out, F] += gᵀ [Out, R] · s [R, F]
void sparse_linear_weight_grad(const float* g, const float* s, int R, int F, int Out, float* dw);
// y [count, cout, Ho, Wo] = conv(x [count, C, H, W], w [cout, C, kh, kw])
void sparse_conv_forward(const float* x, const float* w, float* y, const k::ConvGeom& g, int cout, int count);
// dw [cout, C, kh, kw] += ∂conv/∂w given dy [count, cout, Ho, Wo]
void sparse_conv_weight_grad(const float* x, const float* dy, float* dw, const k::ConvGeom& g, int cout, int count);

}  // namespace cpu
}  // namespace exo
