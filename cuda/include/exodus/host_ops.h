// The backend-table entries (backend.h) whose arrays are host memory or JavaScript typed arrays:
// the neuron scans that also pack a spike bitmask or run fused with the AvgPool2d(2) (and Dropout)
// after them, the spike index that Linear layers read their spike inputs through, and the direct
// input gradient of a small stride-1 convolution. They are CPU speed paths: the CUDA table answers
// no to `supports` for them (backend.h), and a caller takes the table's dense or scanning op then.
// An entry is X(name, (parameters), (arguments)), as in backend.h.
//
// The spike index: a compact row index of a spike (or event-count) matrix s [rows, features]:
// for each row the ascending indices and values of its nonzeros (CSR). Built in one pass over s,
// it replaces the three scans of s that a sparse Linear step otherwise makes (the density count,
// the forward and the weight gradient), and lets the forward keep its output row in registers.
// The products add their terms in the order of kernels/sparse.cuh (ascending feature index per
// output; fixed row slices for ∂W), so they equal the scanning products bit for bit.
#pragma once
#include <cstddef>
#include <cstdint>

#include "exodus/delay.h"
#include "exodus/neurons.h"
#include "kernels/conv.cuh"

namespace exo {

// The Dropout fused after a pooled neuron scan: its factors are those of dropout_apply.
struct PoolDropout {
  float p;
  unsigned long long seed;
};

// What spike_index_build found: the nonzero count, and whether the index holds them all.
struct SpikeIndexBuild {
  size_t nnz;
  bool complete;
};

// Whether conv_direct_input_grad handles g: stride 1, padding at most kernel − 1 and the output of
// a stride-1 convolution (widths not a multiple of 8 take the pixel-major GEMM,
// cuda/cpu/conv_pixel_major.cc). (A precondition on the arguments, like a shape check; `supports`
// says whether a backend has the op at all.)
inline bool conv_direct_input_grad_fits(const k::ConvGeom& g) {
  return g.sh == 1 && g.sw == 1 && g.ph <= g.kh - 1 && g.pw <= g.kw - 1 &&
         g.ho == g.h + 2 * g.ph - g.kh + 1 && g.wo == g.w + 2 * g.pw - g.kw + 1;
}

// Whether conv_direct_weight_grad handles g: stride 1, padding at most kernel − 1, the output of a
// stride-1 convolution, output width a multiple of 8 and kernel width 1, 3 or 5.
inline bool conv_direct_weight_grad_fits(const k::ConvGeom& g) {
  return g.sh == 1 && g.sw == 1 && g.ph <= g.kh - 1 && g.pw <= g.kw - 1 && g.ho == g.h + 2 * g.ph - g.kh + 1 &&
         g.wo == g.w + 2 * g.pw - g.kw + 1 && g.wo % 8 == 0 && (g.kw == 1 || g.kw == 3 || g.kw == 5);
}

}  // namespace exo

#define EXO_HOST_OPS(X)                                                                                     \
  /* lif_forward that also writes a bitmask of its nonzero spikes: bit i % 8 of mask[i / 8] for flat       \
     index i = t·N + neuron (host memory). N must be a multiple of 8. */                                    \
  X(lif_forward_masked, (const LifConfig& c, LifParams p, const float* x, float* state, float* s, float* v,  \
                         uint8_t* mask),                                                                    \
    (c, p, x, state, s, v, mask))                                                                           \
  /* The same for alif_forward. */                                                                          \
  X(alif_forward_masked, (const AlifConfig& c, AlifParams p, const float* x, float* vs, float* bs, float* s, \
                          float* v, float* b, uint8_t* mask),                                               \
    (c, p, x, vs, bs, s, v, b, mask))                                                                       \
  /* LIF (and IAF) then AvgPool2d(2) over images of width W (even; 2·W <= 512; N a multiple of 2·W): writes \
     v and the pooled spikes y [T, N / 4] (never the spikes), and the spike count into *spikes; with drop, \
     y is the dropped-out pooled map. Equal to the scan, then pool2d (then dropout_apply), bit for bit. */ \
  X(lif_forward_pool2, (const LifConfig& c, LifParams p, const float* x, float* state, float* v, float* y,   \
                        int W, const PoolDropout* drop, double* spikes),                                    \
    (c, p, x, state, v, y, W, drop, spikes))                                                                \
  /* Its backward: gpool is the gradient of the pooled (dropped-out) map. */                               \
  X(lif_backward_pool2, (const LifConfig& c, NeuronGrad method, LifParams p, const float* gpool, int W,     \
                         const float* h, const float* v, const float* x, const float* v0, float* dx,        \
                         float* dv0, float* dalpha, const PoolDropout* drop),                               \
    (c, method, p, gpool, W, h, v, x, v0, dx, dv0, dalpha, drop))                                           \
  /* lif_backward over a chunk of time [t0, t1): lam_in [N] is the adjoint λ[t1] that the scan over all    \
     steps carries into step t1 − 1 (null: none, the last chunk), lam_out [N] receives λ[t0]. Chunk by       \
     chunk in reverse, λ handed on, dx equals one scan's bit for bit (lib/nn/time-chunks.ts). */            \
  X(lif_backward_carry, (const LifConfig& c, NeuronGrad method, LifParams p, const float* g, const float* h, \
                         const float* v, const float* x, const float* v0, float* dx, float* dv0,            \
                         float* dalpha, const float* lam_in, float* lam_out),                               \
    (c, method, p, g, h, v, x, v0, dx, dv0, dalpha, lam_in, lam_out))                                       \
  /* offsets[0..rows], cols/vals := the nonzeros of s, counted into *out. Complete when they fit in        \
     `capacity` and no chunk of rows (a fixed split) was denser than `collect` (a fraction; 1 collects     \
     everything): a denser chunk only counts, so an input bound for the dense path costs about a count.   \
     With a mask (as lif_forward_masked writes it; padded to whole 8-byte words) s is read at its          \
     nonzeros only. */                                                                                      \
  X(spike_index_build, (const float* s, int rows, int features, int32_t* offsets, int32_t* cols, float* vals, \
                        size_t capacity, const uint8_t* mask, float collect, SpikeIndexBuild* out),         \
    (s, rows, features, offsets, cols, vals, capacity, mask, collect, out))                                 \
  /* The index of a time-major batch [T, B, F] straight from its samples' sparse frames (per sample b,     \
     ascending flat indices t·F + f of its nonzero counts; entries past T·F dropped, as the batch scatter \
     drops them): row t·B + b holds sample b's step t. *nnz := the nonzero count (above capacity:          \
     cols/vals incomplete), or SIZE_MAX when a sample's indices do not ascend strictly. */                  \
  X(spike_index_from_frames, (int T, int B, int F, const uint32_t* const* index, const uint32_t* const* count, \
                              const size_t* n, int32_t* offsets, int32_t* cols, float* vals, size_t capacity, \
                              size_t* nnz),                                                                 \
    (T, B, F, index, count, n, offsets, cols, vals, capacity, nnz))                                         \
  /* y [rows, out] = s · wᵀ (+ bias [out] or null, added as a separate add would), from a complete index */ \
  X(spike_index_linear_forward, (const int32_t* offsets, const int32_t* cols, const float* vals, int rows,   \
                                 int features, const float* w, int out, float* y, const float* bias),       \
    (offsets, cols, vals, rows, features, w, out, y, bias))                                                 \
  /* dw [out, features] += gᵀ · s for g [rows, out], from a complete index */                              \
  X(spike_index_linear_weight_grad, (const float* g, const int32_t* offsets, const int32_t* cols,          \
                                     const float* vals, int rows, int features, int out, float* dw),        \
    (g, offsets, cols, vals, rows, features, out, dw))                                                      \
  /* dx [count, C, H, W] = ∂conv/∂x for dy [count, cout, Ho, Wo], w [cout, C, kh, kw], where               \
     conv_direct_input_grad_fits(g): each ∂x element the sum over (co, ki, kj) in that order of one fma,  \
     or for widths not a multiple of 8 the same bits as GEMM + col2im; the threads split images, so the    \
     result does not depend on the thread count. */                                                        \
  X(conv_direct_input_grad, (const float* w, const float* dy, float* dx, const k::ConvGeom& g, int cout,    \
                             int count),                                                                    \
    (w, dy, dx, g, cout, count))                                                                            \
  /* dw [cout, C, kh, kw] += ∂conv/∂w for x [count, C, H, W], dy [count, cout, Ho, Wo], where              \
     conv_direct_weight_grad_fits(g): images in kernels/sparse.cuh's fixed slices, 8 lane sums per        \
     weight within a slice, so the result does not depend on the thread count. */                        \
  X(conv_direct_weight_grad, (const float* x, const float* dy, float* dw, const k::ConvGeom& g, int cout,   \
                              int count),                                                                   \
    (x, dy, dw, g, cout, count))                                                                            \
  /* Linear over a complete spike index (w [out, features], bias [out] or null) and the LIF after it, in one \
     scan: N = B·out neurons, rows = T·B index rows; lcm(out, 8) <= 512 with a mask, else out <= 512. s, v, \
     state and mask as lif_forward_masked writes them, equal bit for bit to spike_index_linear_forward     \
     then lif_forward_masked; the Linear's output is never stored. */                                       \
  X(lif_forward_linear, (const LifConfig& c, LifParams p, const int32_t* offsets, const int32_t* cols,       \
                         const float* vals, int features, const float* w, const float* bias, int out,       \
                         float* state, float* s, float* v, uint8_t* mask),                                  \
    (c, p, offsets, cols, vals, features, w, bias, out, state, s, v, mask))                                 \
  /* Its backward: the LIF's reverse scan (g = ∂L/∂s, h, v, v0, dv0, dalpha as lif_backward; not         \
     norm_input with a learned α) and, from its ∂L/∂x kept in cache, the Linear's: dw [out, features] and  \
     db [out] (or null) added to, dx [T·B, features] (or null) the input gradient, equal to the GEMM's;    \
     dw and db summed in a fixed order of their own (any thread count gives the same). out <= 512.         \
     lam_in, lam_out [N] (or null): the adjoint λ carried across chunks of time, as lif_backward_carry. */ \
  X(lif_backward_linear, (const LifConfig& c, NeuronGrad method, LifParams p, const float* g, const float* h, \
                          const float* v, const float* v0, float* dv0, float* dalpha, const int32_t* offsets, \
                          const int32_t* cols, const float* vals, int features, const float* w, int out,    \
                          float* dw, float* db, float* dx, const float* lam_in, float* lam_out),            \
    (c, method, p, g, h, v, v0, dv0, dalpha, offsets, cols, vals, features, w, out, dw, db, dx, lam_in, lam_out)) \
  EXO_DELAY_HOST_OPS(X)
