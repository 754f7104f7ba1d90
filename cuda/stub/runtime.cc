// The CUDA runtime of a build made without nvcc: every entry point explains how to get one (its
// ops are the "not built" table in cuda/dispatch.cc).
#include "missing.h"
#include "exodus/api.h"

namespace exo {
namespace gpu {
bool compiled() { return false; }
Buffer alloc(int, size_t) { missing(); }
void release(Buffer&) { missing(); }
void copy(const float*, Device, float*, Device, size_t) { missing(); }
void synchronize(int) { missing(); }
CudaInfo info() {
  CudaInfo i;
  i.compiled = false;
  i.reason = "CUDA backend not compiled into this build (nvcc was not found at install time)";
  return i;
}
CudaDeviceInfo device_info(int) { missing(); }
AllocatorStats allocator_stats(int) { return {}; }
void empty_cache() {}
}  // namespace gpu
}  // namespace exo
