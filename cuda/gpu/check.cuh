// CUDA error handling for the addon: every runtime call is checked and a failure becomes an
// exo::Error carrying the call, file and line. Never exit() inside a Node process.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include <string>

#include "exodus/api.h"

namespace exo {
namespace gpu {

inline void check(cudaError_t e, const char* what, const char* file, int line) {
  if (e == cudaSuccess) return;
  cudaGetLastError();  // clear a non-sticky error so the next call starts clean
  throw Error(std::string("CUDA error in ") + what + " (" + file + ":" + std::to_string(line) +
              "): " + cudaGetErrorName(e) + ": " + cudaGetErrorString(e));
}

// Makes `index` the current device for the scope of one op.
struct DeviceGuard {
  explicit DeviceGuard(int index);
};

// Streaming multiprocessors of a device (cached): sizes the two-pass reductions and split-K.
int sm_count(int index);

// Throws a clear error unless 0 <= index < the number of CUDA devices.
void check_index(int index);

// Scatters the sparse frames of a whole batch ([T, B, F], column b from index[b]/count[b] of
// n[b] events) with one packed pinned upload and one kernel, without waiting for the device
// (nn_ops.cu). scatter_frames of one column is this with one non-empty column.
void scatter_batch(int dev, float* dst, int T, int B, int F, const uint32_t* const* index, const uint32_t* const* count,
                   const size_t* n);

inline unsigned grid_for(size_t n, unsigned block = 256) {
  size_t g = (n + block - 1) / block;
  const size_t cap = 65535u * 32u;  // grid-stride loops cover the rest
  return (unsigned)(g < 1 ? 1 : (g > cap ? cap : g));
}

}  // namespace gpu
}  // namespace exo

#define EXO_CUDA(call) ::exo::gpu::check((call), #call, __FILE__, __LINE__)
#define EXO_CUDA_LAUNCH(name) ::exo::gpu::check(cudaGetLastError(), "launch of " name, __FILE__, __LINE__)
