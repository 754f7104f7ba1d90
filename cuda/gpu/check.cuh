// CUDA error handling for the addon: every runtime call is checked and a failure becomes an
// exo::Error carrying the call, file and line. Never exit() inside a Node process.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include <string>

#include "exodus/api.h"
#include "limits.cuh"

// Every cross-thread ordering of the backend (a buffer released right after a launch, an upload
// slot reused after its event) rests on the legacy default stream, which serialises all host
// threads' work. Under a per-thread default stream those orderings would silently break.
#if defined(CUDA_API_PER_THREAD_DEFAULT_STREAM) || defined(__CUDA_API_PER_THREAD_DEFAULT_STREAM)
#error "exodus's CUDA backend needs the legacy default stream: do not build with --default-stream per-thread"
#endif

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

inline unsigned grid_for(size_t n, unsigned block = 256) {
  size_t g = (n + block - 1) / block;
  const size_t cap = limits::kGridStrideBlocks;  // grid-stride loops cover the rest
  return (unsigned)(g < 1 ? 1 : (g > cap ? cap : g));
}

}  // namespace gpu
}  // namespace exo

// A grid-stride loop over i in [0, n), for a grid of grid_for(n) blocks.
#define EXO_GRID_LOOP(i, n) \
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < (n); i += (size_t)gridDim.x * blockDim.x)

#define EXO_CUDA(call) ::exo::gpu::check((call), #call, __FILE__, __LINE__)
// A kernel launch, K<<<G, B>>>(args) written EXO_LAUNCH(G, B, K)(args): the kernel comes last
// because a template-id's commas would split a macro argument. Under the emulated device
// (cuda/emu) it is a call through the emulator's launcher.
#ifdef EXODUS_CUDA_EMULATE
#define EXO_LAUNCH(grid, block, ...) ::exo::emu::launch((grid), (block), __VA_ARGS__, #__VA_ARGS__, __FILE__, __LINE__)
#else
#define EXO_LAUNCH(grid, block, ...) __VA_ARGS__<<<(grid), (block)>>>
#endif
#define EXO_CUDA_LAUNCH(name) ::exo::gpu::check(cudaGetLastError(), "launch of " name, __FILE__, __LINE__)
