// CUDA reductions over one axis, and the row-wise softmax losses.
#include "check.cuh"
#include "kernels/reduce.cuh"
#include "exodus/backend.h"

namespace exo {
namespace gpu {
namespace {

// One thread per (outer, inner) output: consecutive threads read consecutive `inner` positions at
// every step of the axis, so reducing over time in [T, B, N] is coalesced.
__global__ void reduce_strided(Reduce op, const float* x, float* y, size_t outer, size_t axis, size_t inner) {
  size_t n = outer * inner;
  for (size_t idx = blockIdx.x * (size_t)blockDim.x + threadIdx.x; idx < n; idx += (size_t)gridDim.x * blockDim.x) {
    size_t o = idx / inner, i = idx % inner;
    const float* xp = x + o * axis * inner + i;
    k::ReduceAcc acc = k::reduce_init(op, xp[0]);
    for (size_t j = 1; j < axis; ++j) k::reduce_step(op, acc, xp[j * inner], (int)j);
    y[idx] = k::reduce_finish(op, acc, axis);
  }
}

// One block per contiguous row (inner == 1): threads fold strided elements, then a tree in shared
// memory combines them, keeping the lowest index on ties as the sequential scan does.
__global__ void reduce_rows(Reduce op, const float* x, float* y, size_t axis) {
  __shared__ float sval[256];
  __shared__ int sidx[256];
  const float* xr = x + blockIdx.x * axis;
  int t = threadIdx.x;
  k::ReduceAcc acc{0.f, -1};
  for (size_t j = t; j < axis; j += blockDim.x) {
    if (acc.index < 0) acc = k::ReduceAcc{xr[j], (int)j};
    else k::reduce_step(op, acc, xr[j], (int)j);
  }
  sval[t] = acc.value;
  sidx[t] = acc.index;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (t < s && sidx[t + s] >= 0) {
      if (sidx[t] < 0) {
        sval[t] = sval[t + s];
        sidx[t] = sidx[t + s];
      } else if (op == Reduce::Sum || op == Reduce::Mean) {
        sval[t] += sval[t + s];
      } else {
        k::ReduceAcc a{sval[t], sidx[t]};
        float v = sval[t + s];
        int vi = sidx[t + s];
        bool better = (op == Reduce::Max || op == Reduce::Argmax) ? v > a.value : v < a.value;
        bool nan_wins = v != v && a.value == a.value;
        if (better || nan_wins || (v == a.value && vi < a.index)) {
          sval[t] = v;
          sidx[t] = vi;
        }
      }
    }
    __syncthreads();
  }
  if (t == 0) y[blockIdx.x] = k::reduce_finish(op, k::ReduceAcc{sval[0], sidx[0]}, axis);
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
  DeviceGuard g(dev);
  if (inner == 1 && axis >= 256) {
    reduce_rows<<<(unsigned)outer, 256>>>(op, x, y, axis);
  } else {
    reduce_strided<<<grid_for(outer * inner), 256>>>(op, x, y, outer, axis, inner);
  }
  EXO_CUDA_LAUNCH("reduce");
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
    softmax_xent_kernel<<<(rows + 127) / 128, 128>>>(logits, labels, loss, grad, rows, cols, scale, bad);
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
  log_softmax_kernel<<<(rows + 127) / 128, 128>>>(x, y, rows, cols);
  EXO_CUDA_LAUNCH("log_softmax");
}

}  // namespace gpu
}  // namespace exo
