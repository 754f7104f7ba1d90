// CPU-only ops outside the backend table (backend.h): the spike index that Linear layers read
// their spike inputs through, and the neuron scans that also pack a spike bitmask or run fused
// with the AvgPool2d(2) (and Dropout) after them. Their arrays are JavaScript typed arrays or
// host memory, checked by the bindings; CUDA keeps the table's dense and scanning ops.
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

#include "exodus/codes.h"
#include "exodus/neurons.h"

namespace exo {
namespace cpu {

// The LIF forward scan (backend.h's lif_forward) that also writes a bitmask of its nonzero spikes:
// bit i % 8 of mask[i / 8] for flat index i = t·N + neuron. N must be a multiple of 8.
void lif_forward_masked(const LifConfig& c, LifParams p, const float* x, float* state, float* s, float* v,
                        uint8_t* mask);

// LIF (and IAF) followed by AvgPool2d(2) over images of width W (even; 2·W <= 512; N a
// multiple of 2·W): the forward writes v and the pooled spikes y [T, N / 4] (never the spikes
// themselves) and returns the spike count; the backward takes the pooled gradient. Results equal
// the scan, then pool2d, bit for bit (the same sums in the same order).
// With `drop`, the Dropout after the pooling is fused too: y is the dropped-out pooled map, and
// gpool the gradient of the dropout's output (the factors are those of dropout_apply).
struct PoolDropout {
  float p;
  unsigned long long seed;
};
double lif_forward_pool2(const LifConfig& c, LifParams p, const float* x, float* state, float* v, float* y, int W,
                         const PoolDropout* drop = nullptr);
void lif_backward_pool2(const LifConfig& c, NeuronGrad method, LifParams p, const float* gpool, int W, const float* h,
                        const float* v, const float* x, const float* v0, float* dx, float* dv0, float* dalpha,
                        const PoolDropout* drop = nullptr);

// The same for ALIF (backend.h's alif_forward).
void alif_forward_masked(const AlifConfig& c, AlifParams p, const float* x, float* vs, float* bs, float* s, float* v,
                         float* b, uint8_t* mask);

// Fills offsets[0..rows] and cols/vals with the nonzeros of s, and counts them. The index is
// complete when they fit in `capacity` and no chunk of rows (a fixed split) was denser than
// `collect` (a fraction; 1 collects everything): a denser chunk stops collecting and only counts,
// so an input bound for the dense path costs about a count of its nonzeros.
// With a mask (bit r·features + f set where s[r, f] is nonzero, as lif_forward_masked writes it;
// padded to whole 8-byte words), the nonzeros are found from the mask: s is read at them only.
struct SpikeIndexBuild {
  size_t nnz;
  bool complete;
};
SpikeIndexBuild spike_index_build(const float* s, int rows, int features, int32_t* offsets, int32_t* cols, float* vals,
                                  size_t capacity, const uint8_t* mask = nullptr, float collect = 1.f);

// The index of a time-major batch [T, B, F] straight from its samples' sparse frames (the data
// loader's form: per sample b, ascending flat indices t·F + f of its nonzero counts; entries past
// T·F are dropped, as the batch scatter drops them): row t·B + b holds sample b's step t. Returns
// the nonzero count (above capacity: cols/vals incomplete), or SIZE_MAX when a sample's indices
// do not ascend strictly.
size_t spike_index_from_frames(int T, int B, int F, const uint32_t* const* index, const uint32_t* const* count,
                               const size_t* n, int32_t* offsets, int32_t* cols, float* vals, size_t capacity);

// y [rows, out] = s · wᵀ (+ bias [out], added as a separate add would) for w [out, features],
// from a complete index.
void spike_index_linear_forward(const int32_t* offsets, const int32_t* cols, const float* vals, int rows,
                                int features, const float* w, int out, float* y, const float* bias = nullptr);

// dw [out, features] += gᵀ · s for g [rows, out], from a complete index.
void spike_index_linear_weight_grad(const float* g, const int32_t* offsets, const int32_t* cols, const float* vals,
                                    int rows, int features, int out, float* dw);

}  // namespace cpu
}  // namespace exo
