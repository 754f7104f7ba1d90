// Spike-sparse products (Linear and Conv2d with a spiking or event-count input), shared by the
// CPU loops and the CUDA kernels.
//
// A spike tensor is mostly zeros, so the products that take it as an operand are computed from
// its nonzero entries only, at a cost ∝ nonzeros × outputs:
//   linear forward    y[r, :]  = Σ_{f: s[r,f]≠0} s[r,f] · W[:, f]
//   linear ∂W         ∂W[:, f] += Σ_{r: s[r,f]≠0} s[r,f] · λ[r, :]
//   conv forward      y[n, :, o] = Σ over nonzero inputs x[n, ci, y, x] reaching output pixel o
//   conv ∂W           ∂W[:, ci, ki, kj] += Σ over nonzero inputs of x · ∂y at the pixel they reach
// The input gradient ∂S = λ·W stays a dense product.
//
// Both backends add the terms of every output in the same order (ascending input index; for
// weight gradients, fixed slices of rows or images summed in slice order), so the CPU and CUDA
// results agree bit for bit, and neither depends on a thread count.
#pragma once
#include "common.cuh"
#include "conv.cuh"

namespace exo {
namespace k {

// Rows (linear) or images (conv) per slice of a weight gradient: a fixed split that depends on
// the row count only. Slices are reduced in order into the gradient.
constexpr int kSparseSlices = 8;
EXO_HD int sparse_slices(int rows) { return rows < kSparseSlices ? (rows < 1 ? 1 : rows) : kSparseSlices; }
EXO_HD int sparse_slice_begin(int rows, int slices, int s) {
  return (int)(((long long)rows * s) / slices);
}

// The output pixel (oy, ox) that input pixel (y, x) reaches through kernel tap (ki, kj), or -1.
EXO_HD int conv_target(const ConvGeom& g, int y, int x, int ki, int kj) {
  int ty = y + g.ph - ki, tx = x + g.pw - kj;
  if (ty < 0 || tx < 0 || ty % g.sh || tx % g.sw) return -1;
  int oy = ty / g.sh, ox = tx / g.sw;
  if (oy >= g.ho || ox >= g.wo) return -1;
  return oy * g.wo + ox;
}

}  // namespace k
}  // namespace exo
