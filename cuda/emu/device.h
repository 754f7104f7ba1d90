// Internals shared by the emulated device's runtime (runtime.cc) and scheduler (scheduler.cc).
#pragma once
#include <cuda_runtime.h>

#include <mutex>
#include <string>

namespace exo {
namespace emu {

// One lock for the whole device: kernels, copies and the deferred queue. Blocks run one at a time,
// which is what makes function statics valid __shared__ memory and plain atomics atomic.
std::mutex& device_lock();

// Records an error for this host thread's cudaGetLastError and returns it; `detail` is what
// cudaGetErrorString gives for it (the emulator's findings name the kernel, file and line).
cudaError_t fail(cudaError_t e, const std::string& detail);

// Runs a whole grid now (the caller holds device_lock). Returns cudaErrorLaunchFailure with the
// finding recorded when a block diverges at a barrier or shuffles with a wrong mask.
cudaError_t run_grid(dim3 grid, dim3 block, const LaunchSite& site, const std::function<void()>& body);

// The launch limits of the device a GPU would check (CUDA's cudaErrorInvalidConfiguration).
std::string config_error(dim3 grid, dim3 block);

// Deferred mode (EXODUS_EMU_DEFERRED=1): launches, async copies and event records wait in a
// queue until a call that synchronises with the host (the legacy default stream's order).
bool deferred();
void enqueue(std::function<cudaError_t()> op);  // caller holds device_lock

}  // namespace emu
}  // namespace exo
