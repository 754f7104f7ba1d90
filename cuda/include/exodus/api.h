// The C++ API of the exodus addon: devices, buffers, memory and runtime information (the ops are
// in backend.h). No N-API types here: binding.cc translates.
// Errors are exo::Error exceptions; nothing aborts.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "exodus/codes.h"

namespace exo {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class DevType : int { CPU = 0, CUDA = 1 };

struct Device {
  DevType type = DevType::CPU;
  int index = 0;
  bool cpu() const { return type == DevType::CPU; }
};

// A float32 allocation on one device. Views (offsets, shapes) are handled by the caller.
struct Buffer {
  float* data = nullptr;
  size_t size = 0;  // elements
  Device dev;
};

// ---- memory ------------------------------------------------------------------------------------
Buffer alloc(Device dev, size_t n);
void release(Buffer& b);
// Copy n floats between any two devices (host memory is addressed as Device{CPU}).
void copy(const float* src, Device src_dev, float* dst, Device dst_dev, size_t n);
void synchronize(Device dev);

// ---- runtime information -----------------------------------------------------------------------
struct CudaInfo {
  bool compiled = false;
  std::string archs;
  int runtime_version = 0;
  int driver_version = 0;
  int device_count = 0;
  std::string reason;  // why no device is usable, when device_count == 0
};
struct CudaDeviceInfo {
  std::string name;
  int major = 0, minor = 0;
  size_t total_mem = 0;
  int sm_count = 0;
};
CudaInfo cuda_info();
CudaDeviceInfo cuda_device_info(int index);
struct AllocatorStats {
  size_t in_use = 0, cached = 0, peak = 0, mallocs = 0;
};
AllocatorStats cuda_allocator_stats(int index);
// The host block cache (dispatch.cc): bytes live and cached in blocks ≥ 1 MiB, the live peak.
AllocatorStats host_allocator_stats();
void cuda_empty_cache();
int cpu_threads();
void set_cpu_threads(int n);

namespace gpu {
// The CUDA runtime (gpu/runtime.cu; cuda/stub/runtime.cc in a build without nvcc). Ops are in
// backend.h.
bool compiled();
Buffer alloc(int index, size_t n);
void release(Buffer& b);
void copy(const float* src, Device sd, float* dst, Device dd, size_t n);
void synchronize(int index);
CudaInfo info();
CudaDeviceInfo device_info(int index);
AllocatorStats allocator_stats(int index);
void empty_cache();
}  // namespace gpu

}  // namespace exo
