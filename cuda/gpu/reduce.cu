// CUDA reductions over one axis, and the row-wise softmax losses.
//
// A tensor is reduced as [outer, axis, inner]. Two layouts, each in one or two passes:
//   - strided (inner > 1): one thread per (outer, inner) output walks the axis; consecutive
//     threads read consecutive `inner` positions, so reducing over time in [T, B, N] is coalesced.
//     When there are too few outputs to fill the GPU (the bias gradient sum(dy, 0) of a
//     [T·B, 128] tensor is 128 outputs over an axis of 32,000), the axis is cut into slices that
//     run in parallel, and a second pass folds the slices in order.
//   - rows (inner == 1): a block folds a contiguous row; when there are fewer rows than SMs
//     (sumAll is one row), each row is cut into chunks of one block each, then a second pass
//     folds the chunks.
// Max/argmax keep the CPU's order semantics: the first index on ties, and the first NaN once
// any NaN is present (a NaN beats every number, and of two NaNs the lower index wins).
#include <algorithm>

#include "check.cuh"
#include "kernels/reduce.cuh"
#include "exodus/backend.h"

namespace exo {
namespace gpu {
namespace {

constexpr int kThreads = 256;

// Folds b into a where the two come from disjoint index ranges in any order: the lower index
// wins ties, and of two NaNs. (For sums the order only changes the rounding.)
__device__ void combine(Reduce op, k::ReduceAcc& a, const k::ReduceAcc& b) {
  if (b.index < 0) return;
  if (a.index < 0) {
    a = b;
    return;
  }
  if (op == Reduce::Sum || op == Reduce::Mean) {
    a.value += b.value;
    return;
  }
  bool a_nan = a.value != a.value, b_nan = b.value != b.value;
  bool better = (op == Reduce::Max || op == Reduce::Argmax) ? b.value > a.value : b.value < a.value;
  bool same = (a_nan && b_nan) || b.value == a.value;
  if ((b_nan && !a_nan) || (!a_nan && better) || (same && b.index < a.index)) a = b;
}

// Combines one accumulator per thread of the block; thread 0 returns the result.
__device__ k::ReduceAcc block_combine(Reduce op, k::ReduceAcc acc) {
  __shared__ float sval[kThreads];
  __shared__ int sidx[kThreads];
  int t = threadIdx.x;
  sval[t] = acc.value;
  sidx[t] = acc.index;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (t < s) {
      k::ReduceAcc a{sval[t], sidx[t]};
      combine(op, a, k::ReduceAcc{sval[t + s], sidx[t + s]});
      sval[t] = a.value;
      sidx[t] = a.index;
    }
    __syncthreads();
  }
  return k::ReduceAcc{sval[0], sidx[0]};
}

// Strided layout, elements [j0, j1) of the axis for every output. Idx is the type of the
// index arithmetic: 32-bit when outer·inner fits, which avoids a 64-bit division per output.
// pv == nullptr: writes finished outputs to y; otherwise raw accumulators to pv/pi[slice][idx].
template <typename Idx>
__global__ void reduce_strided(Reduce op, const float* x, float* y, size_t outer, size_t axis, size_t inner,
                               size_t slice_len, float* pv, int* pi) {
  size_t n = outer * inner;
  size_t j0 = blockIdx.y * slice_len, j1 = min(axis, j0 + slice_len);
  for (size_t idx = blockIdx.x * (size_t)blockDim.x + threadIdx.x; idx < n; idx += (size_t)gridDim.x * blockDim.x) {
    Idx o = (Idx)idx / (Idx)inner, i = (Idx)idx - o * (Idx)inner;
    const float* xp = x + (size_t)o * axis * inner + i;
    k::ReduceAcc acc{xp[j0 * inner], (int)j0};
    for (size_t j = j0 + 1; j < j1; ++j) k::reduce_step(op, acc, xp[j * inner], (int)j);
    if (pv) {
      pv[blockIdx.y * n + idx] = acc.value;
      pi[blockIdx.y * n + idx] = acc.index;
    } else {
      y[idx] = k::reduce_finish(op, acc, axis);
    }
  }
}

// Second pass of the strided layout: folds the slices of each output in axis order.
__global__ void fold_slices(Reduce op, const float* pv, const int* pi, float* y, size_t n, unsigned slices, size_t axis) {
  for (size_t idx = blockIdx.x * (size_t)blockDim.x + threadIdx.x; idx < n; idx += (size_t)gridDim.x * blockDim.x) {
    k::ReduceAcc acc{pv[idx], pi[idx]};
    for (unsigned s = 1; s < slices; ++s) k::reduce_step(op, acc, pv[s * n + idx], pi[s * n + idx]);
    y[idx] = k::reduce_finish(op, acc, axis);
  }
}

// Rows layout: block (c, r) folds chunk c, elements [c·chunk, (c+1)·chunk), of row r.
// chunks == 1: writes the finished output; otherwise raw accumulators to pv/pi[r·chunks + c].
__global__ void reduce_rows(Reduce op, const float* x, float* y, size_t rows, size_t axis, size_t chunk,
                            unsigned chunks, float* pv, int* pi) {
  for (size_t r = blockIdx.y; r < rows; r += gridDim.y) {
    const float* xr = x + r * axis;
    size_t j0 = blockIdx.x * chunk, j1 = min(axis, j0 + chunk);
    k::ReduceAcc acc{0.f, -1};
    for (size_t j = j0 + threadIdx.x; j < j1; j += blockDim.x) {
      if (acc.index < 0) acc = k::ReduceAcc{xr[j], (int)j};
      else k::reduce_step(op, acc, xr[j], (int)j);
    }
    acc = block_combine(op, acc);
    if (threadIdx.x == 0) {
      if (chunks == 1) y[r] = k::reduce_finish(op, acc, axis);
      else {
        pv[r * chunks + blockIdx.x] = acc.value;
        pi[r * chunks + blockIdx.x] = acc.index;
      }
    }
    __syncthreads();  // shared memory is reused by the next row
  }
}

// Second pass of the rows layout: one block folds the chunks of a row.
__global__ void fold_chunks(Reduce op, const float* pv, const int* pi, float* y, size_t rows, unsigned chunks, size_t axis) {
  for (size_t r = blockIdx.x; r < rows; r += gridDim.x) {
    k::ReduceAcc acc{0.f, -1};
    for (unsigned c = threadIdx.x; c < chunks; c += blockDim.x) combine(op, acc, k::ReduceAcc{pv[r * chunks + c], pi[r * chunks + c]});
    acc = block_combine(op, acc);
    if (threadIdx.x == 0) y[r] = k::reduce_finish(op, acc, axis);
    __syncthreads();
  }
}

// Scratch for the partial results of a two-pass reduction: values, then indices (4 bytes each).
// From the caching allocator, so the hot path never calls cudaMalloc; the kernels run on the
// default stream, so releasing right after the launch is safe (the next user is ordered after).
struct Partials {
  Buffer buf;
  float* v;
  int* i;
  explicit Partials(int dev, size_t n) : buf(gpu::alloc(dev, 2 * n)), v(buf.data), i(reinterpret_cast<int*>(buf.data + n)) {}
  ~Partials() { gpu::release(buf); }
};

size_t ceil_div(size_t a, size_t b) { return (a + b - 1) / b; }

void reduce_strided_layout(int dev, Reduce op, const float* x, float* y, size_t outer, size_t axis, size_t inner) {
  size_t n = outer * inner;
  size_t blocks = ceil_div(n, kThreads);
  size_t target = 4 * (size_t)sm_count(dev);  // blocks that keep every SM busy
  // Each slice should still walk at least 32 steps of the axis, or the partials cost more than they save.
  size_t slices = blocks >= target ? 1 : std::min({ceil_div(target, blocks), ceil_div(axis, 32), (size_t)1024});
  bool small = n <= limits::kIndex32;
  if (slices <= 1) {
    if (small) EXO_LAUNCH(grid_for(n), kThreads, reduce_strided<unsigned>)(op, x, y, outer, axis, inner, axis, nullptr, nullptr);
    else EXO_LAUNCH(grid_for(n), kThreads, reduce_strided<size_t>)(op, x, y, outer, axis, inner, axis, nullptr, nullptr);
    EXO_CUDA_LAUNCH("reduce");
    return;
  }
  size_t len = ceil_div(axis, slices);
  slices = ceil_div(axis, len);  // no empty slice
  Partials p(dev, slices * n);
  dim3 grid(grid_for(n), (unsigned)slices);
  if (small) EXO_LAUNCH(grid, kThreads, reduce_strided<unsigned>)(op, x, y, outer, axis, inner, len, p.v, p.i);
  else EXO_LAUNCH(grid, kThreads, reduce_strided<size_t>)(op, x, y, outer, axis, inner, len, p.v, p.i);
  EXO_CUDA_LAUNCH("reduce (slices)");
  EXO_LAUNCH(grid_for(n), kThreads, fold_slices)(op, p.v, p.i, y, n, (unsigned)slices, axis);
  EXO_CUDA_LAUNCH("reduce (fold slices)");
}

void reduce_rows_layout(int dev, Reduce op, const float* x, float* y, size_t rows, size_t axis) {
  size_t target = 4 * (size_t)sm_count(dev);
  // A chunk of at least 16 elements per thread; enough chunks that rows × chunks fills the GPU.
  size_t chunks = rows >= target ? 1 : std::min({ceil_div(target, rows), ceil_div(axis, 16 * kThreads), (size_t)4096});
  size_t chunk = ceil_div(axis, std::max<size_t>(chunks, 1));
  chunks = ceil_div(axis, chunk);
  unsigned gy = (unsigned)std::min<size_t>(rows, limits::kGridY);
  if (chunks <= 1) {
    EXO_LAUNCH(dim3(1, gy), kThreads, reduce_rows)(op, x, y, rows, axis, axis, 1, nullptr, nullptr);
    EXO_CUDA_LAUNCH("reduce (rows)");
    return;
  }
  Partials p(dev, rows * chunks);
  EXO_LAUNCH(dim3((unsigned)chunks, gy), kThreads, reduce_rows)(op, x, y, rows, axis, chunk, (unsigned)chunks, p.v, p.i);
  EXO_CUDA_LAUNCH("reduce (row chunks)");
  EXO_LAUNCH((unsigned)std::min<size_t>(rows, limits::kGridY), kThreads, fold_chunks)(op, p.v, p.i, y, rows, (unsigned)chunks, axis);
  EXO_CUDA_LAUNCH("reduce (fold chunks)");
}

__global__ void softmax_xent_kernel(const float* logits, const float* labels, float* loss, float* grad,
                                    int rows, int cols, float scale, int* bad_row) {
  int r = blockIdx.x * blockDim.x + threadIdx.x;
  if (r >= rows) return;
  float l = labels[r];
  if (!(l >= 0.f && l < (float)cols) || l != (float)(int)l) {
    atomicMin(bad_row, r);
    loss[r] = nanf("");
    return;
  }
  loss[r] = k::softmax_xent_row(logits + (size_t)r * cols, (int)l, grad ? grad + (size_t)r * cols : nullptr,
                                cols, scale);
}

__global__ void log_softmax_kernel(const float* x, float* y, int rows, int cols) {
  int r = blockIdx.x * blockDim.x + threadIdx.x;
  if (r < rows) k::log_softmax_row(x + (size_t)r * cols, y + (size_t)r * cols, cols);
}

}  // namespace

void reduce(int dev, Reduce op, const float* x, float* y, size_t outer, size_t axis, size_t inner) {
  // An empty tensor has an empty result (as on the CPU); a zero-sized grid would be an error.
  if (outer == 0 || inner == 0) return;
  if (axis == 0) throw Error("reduce: cannot reduce an axis of length 0");
  DeviceGuard g(dev);
  if (inner == 1 && axis >= kThreads) reduce_rows_layout(dev, op, x, y, outer, axis);
  else reduce_strided_layout(dev, op, x, y, outer, axis, inner);
}

void softmax_xent(int dev, const float* logits, const float* labels, float* loss, float* grad, int rows,
                  int cols, float scale) {
  if (rows <= 0) return;
  DeviceGuard g(dev);
  // A one-int flag from the caching allocator (no cudaMalloc on the training hot path).
  Buffer flag = gpu::alloc(dev, 1);
  int* bad = reinterpret_cast<int*>(flag.data);
  int first_bad = rows;
  cudaError_t e = cudaMemcpy(bad, &first_bad, sizeof(int), cudaMemcpyHostToDevice);
  if (e == cudaSuccess) {
    EXO_LAUNCH((rows + 127) / 128, 128, softmax_xent_kernel)(logits, labels, loss, grad, rows, cols, scale, bad);
    e = cudaGetLastError();
  }
  if (e == cudaSuccess) e = cudaMemcpy(&first_bad, bad, sizeof(int), cudaMemcpyDeviceToHost);
  gpu::release(flag);
  EXO_CUDA(e);
  if (first_bad < rows)
    throw Error("softmax cross-entropy: label of row " + std::to_string(first_bad) +
                " is not an integer class in [0, " + std::to_string(cols) + ")");
}

void log_softmax(int dev, const float* x, float* y, int rows, int cols) {
  if (rows <= 0) return;
  DeviceGuard g(dev);
  EXO_LAUNCH((rows + 127) / 128, 128, log_softmax_kernel)(x, y, rows, cols);
  EXO_CUDA_LAUNCH("log_softmax");
}

}  // namespace gpu
}  // namespace exo
