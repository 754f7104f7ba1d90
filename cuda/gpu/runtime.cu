// CUDA runtime glue: device discovery, a caching allocator, copies and synchronisation.
//
// The allocator keeps freed blocks per device, keyed by size, so the steady state of a training
// loop (the same activation sizes every step) never calls cudaMalloc/cudaFree, which synchronise.
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "check.cuh"

namespace exo {
namespace gpu {

static int device_count_cached() {
  static int n = [] {
    int c = 0;
    if (cudaGetDeviceCount(&c) != cudaSuccess) {
      cudaGetLastError();
      c = 0;
    }
    return c;
  }();
  return n;
}

void check_index(int index) {
  int n = device_count_cached();
  if (index < 0 || index >= n)
    throw Error("cuda:" + std::to_string(index) + ": expected a CUDA device index in [0, " + std::to_string(n) +
                ")" + (n ? "" : " (no CUDA device is usable)") + "; pick one of the devices `exodus info` lists");
}

int sm_count(int index) {
  check_index(index);
  static std::mutex m;
  static std::vector<int> counts;
  std::lock_guard<std::mutex> lock(m);
  if ((int)counts.size() <= index) counts.resize(index + 1, 0);
  if (!counts[index]) EXO_CUDA(cudaDeviceGetAttribute(&counts[index], cudaDevAttrMultiProcessorCount, index));
  return counts[index];
}

DeviceGuard::DeviceGuard(int index) {
  check_index(index);
  int cur = -1;
  EXO_CUDA(cudaGetDevice(&cur));
  if (cur != index) EXO_CUDA(cudaSetDevice(index));
}

namespace {

struct DeviceCache {
  std::multimap<size_t, void*> free_blocks;      // size -> block
  std::unordered_map<void*, size_t> block_size;  // every live or cached block
  AllocatorStats stats;
};

std::mutex g_mutex;
std::vector<DeviceCache>& caches() {
  static std::vector<DeviceCache> c;
  return c;
}

size_t round_size(size_t bytes) {
  if (bytes < (1u << 20)) return (bytes + 511) / 512 * 512;
  return (bytes + (2u << 20) - 1) / (2u << 20) * (2u << 20);
}

void free_cached(int index, DeviceCache& c) {
  DeviceGuard g(index);
  for (auto& kv : c.free_blocks) {
    cudaFree(kv.second);
    c.block_size.erase(kv.second);
  }
  c.stats.cached = 0;
  c.free_blocks.clear();
}

}  // namespace

bool compiled() { return true; }

CudaInfo info() {
  CudaInfo i;
  i.compiled = true;
#ifdef EXODUS_CUDA_ARCH_LIST
  i.archs = EXODUS_CUDA_ARCH_LIST;
#endif
  cudaRuntimeGetVersion(&i.runtime_version);
  cudaDriverGetVersion(&i.driver_version);
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    cudaGetLastError();
    i.device_count = 0;
    i.reason = std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
    if (i.driver_version == 0) i.reason += " (no NVIDIA driver found)";
  } else {
    i.device_count = n;
    if (n == 0) i.reason = "the NVIDIA driver reports no CUDA devices";
  }
  return i;
}

CudaDeviceInfo device_info(int index) {
  check_index(index);
  cudaDeviceProp p;
  EXO_CUDA(cudaGetDeviceProperties(&p, index));
  CudaDeviceInfo d;
  d.name = p.name;
  d.major = p.major;
  d.minor = p.minor;
  d.total_mem = p.totalGlobalMem;
  d.sm_count = p.multiProcessorCount;
  return d;
}

Buffer alloc(int index, size_t n) {
  check_index(index);  // before cs[index]: a negative index would read outside the vector
  std::lock_guard<std::mutex> lock(g_mutex);
  auto& cs = caches();
  if ((int)cs.size() <= index) cs.resize(index + 1);
  DeviceCache& c = cs[index];
  size_t bytes = round_size((n ? n : 1) * sizeof(float));
  Buffer b;
  b.dev = Device{DevType::CUDA, index};
  b.size = n;
  // Reuse a cached block of at most twice the request, so big blocks aren't wasted on small tensors.
  auto it = c.free_blocks.lower_bound(bytes);
  if (it != c.free_blocks.end() && it->first <= 2 * bytes) {
    b.data = static_cast<float*>(it->second);
    c.stats.cached -= it->first;
    c.stats.in_use += it->first;
    c.free_blocks.erase(it);
  } else {
    DeviceGuard g(index);
    void* p = nullptr;
    cudaError_t e = cudaMalloc(&p, bytes);
    if (e == cudaErrorMemoryAllocation && !c.free_blocks.empty()) {
      cudaGetLastError();
      free_cached(index, c);
      e = cudaMalloc(&p, bytes);
    }
    if (e != cudaSuccess) {
      cudaGetLastError();
      throw Error("CUDA out of memory on cuda:" + std::to_string(index) + ": could not allocate " +
                  std::to_string(bytes) + " bytes (" + std::to_string(c.stats.in_use) +
                  " bytes in use by exodus): " + cudaGetErrorString(e));
    }
    b.data = static_cast<float*>(p);
    c.block_size[p] = bytes;
    c.stats.in_use += bytes;
    c.stats.mallocs++;
  }
  if (c.stats.in_use > c.stats.peak) c.stats.peak = c.stats.in_use;
  return b;
}

void release(Buffer& b) {
  std::lock_guard<std::mutex> lock(g_mutex);
  auto& cs = caches();
  int index = b.dev.index;
  if (index < 0 || index >= (int)cs.size()) return;
  DeviceCache& c = cs[index];
  auto it = c.block_size.find(b.data);
  if (it == c.block_size.end()) return;
  c.free_blocks.emplace(it->second, b.data);
  c.stats.in_use -= it->second;
  c.stats.cached += it->second;
}

void empty_cache() {
  std::lock_guard<std::mutex> lock(g_mutex);
  auto& cs = caches();
  for (int i = 0; i < (int)cs.size(); ++i)
    if (!cs[i].free_blocks.empty()) free_cached(i, cs[i]);
}

AllocatorStats allocator_stats(int index) {
  check_index(index);
  std::lock_guard<std::mutex> lock(g_mutex);
  auto& cs = caches();
  return index < (int)cs.size() ? cs[index].stats : AllocatorStats{};
}

void copy(const float* src, Device sd, float* dst, Device dd, size_t n) {
  size_t bytes = n * sizeof(float);
  if (!sd.cpu() && !dd.cpu() && sd.index != dd.index) {
    EXO_CUDA(cudaMemcpyPeer(dst, dd.index, src, sd.index, bytes));
    return;
  }
  DeviceGuard g(sd.cpu() ? dd.index : sd.index);
  cudaMemcpyKind kind = sd.cpu() ? cudaMemcpyHostToDevice
                        : dd.cpu() ? cudaMemcpyDeviceToHost
                                   : cudaMemcpyDeviceToDevice;
  EXO_CUDA(cudaMemcpy(dst, src, bytes, kind));
}

void synchronize(int index) {
  DeviceGuard g(index);
  EXO_CUDA(cudaDeviceSynchronize());
}

}  // namespace gpu
}  // namespace exo
