// The CUDA backend of a build made without nvcc: every entry point explains how to get one.
#include "missing.h"
#include "exodus/api.h"

namespace exo {
namespace gpu {
bool compiled() { return false; }
Buffer alloc(int, size_t) { missing(); }
void release(Buffer&) { missing(); }
void copy(const float*, Device, float*, Device, size_t) { missing(); }
void synchronize(int) { missing(); }
void fill(int, float*, size_t, float) { missing(); }
void unary(int, Unary, const float*, float*, size_t, float, float) { missing(); }
void binary(int, Binary, const float*, const float*, float*, size_t, size_t, size_t) { missing(); }
void axpby(int, float, const float*, float, float*, size_t) { missing(); }
void reduce(int, Reduce, const float*, float*, size_t, size_t, size_t) { missing(); }
void gemm(int, bool, bool, int, int, int, float, const float*, int, const float*, int, float, float*, int) {
  missing();
}
void softmax_xent(int, const float*, const float*, float*, float*, int, int, float) { missing(); }
void log_softmax(int, const float*, float*, int, int) { missing(); }
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
