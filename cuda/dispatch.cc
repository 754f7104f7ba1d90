// Memory (with the host block cache), runtime information, and the backend tables of backend.h:
// one per backend, chosen by device with exo::on(dev).
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "exodus/backend.h"
#include "exodus/host_alloc.h"
#include "stub/missing.h"

namespace exo {

namespace {

// Large host blocks are kept after release and reused for the same sizes: a training step
// allocates the same activation and batch sizes every time, and a fresh mmap'd block costs a page
// fault per 4 KiB on first touch (a 157 MB DVS batch: ~40k faults). Small blocks go to malloc.
//
// The cache may hold as many bytes as the most this process ever had live in large blocks (so a
// step's working set is kept whole, however large the network), at least 2 GiB and at most half
// the machine's memory; EXODUS_HOST_CACHE_MB sets a fixed cap instead. A fixed 2 GiB cap freed
// and re-faulted a third of the DVS Gesture step's 4.6 GiB every step (+45 % step time).
class HostCache {
 public:
  static constexpr size_t kMinBytes = size_t(1) << 20;

  float* take(size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = free_.find(bytes);
    if (it == free_.end()) return nullptr;
    float* p = it->second;
    free_.erase(it);
    cached_ -= bytes;
    note_live(bytes);
    return p;
  }
  // A block of `bytes` allocated fresh (not from the cache).
  void fresh(size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    ++mallocs_;
    note_live(bytes);
  }
  // Keeps p for reuse, or frees it when the cache would exceed its cap.
  void give(float* p, size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    live_ -= bytes < live_ ? bytes : live_;
    if (cached_ + bytes > cap()) {
      aligned_host_free(p);
      return;
    }
    free_.emplace(bytes, p);
    cached_ += bytes;
  }
  AllocatorStats stats() {
    std::lock_guard<std::mutex> lock(mu_);
    AllocatorStats s;
    s.in_use = live_;
    s.cached = cached_;
    s.peak = peak_;
    s.mallocs = mallocs_;
    return s;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& kv : free_) aligned_host_free(kv.second);
    free_.clear();
    cached_ = 0;
  }

 private:
  void note_live(size_t bytes) {
    live_ += bytes;
    if (live_ > peak_) peak_ = live_;
  }
  size_t cap() const {
    static const size_t fixed = [] {
      const char* e = std::getenv("EXODUS_HOST_CACHE_MB");
      return e ? (size_t)std::strtoull(e, nullptr, 10) << 20 : (size_t)-1;
    }();
    if (fixed != (size_t)-1) return fixed;
    static const size_t half_ram = [] {
      long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
      return pages > 0 && page > 0 ? (size_t)pages * (size_t)page / 2 : size_t(8) << 30;
    }();
    size_t c = peak_ > (size_t(2) << 30) ? peak_ : size_t(2) << 30;
    return c < half_ram ? c : half_ram;
  }
  std::mutex mu_;
  std::multimap<size_t, float*> free_;
  size_t cached_ = 0, live_ = 0, peak_ = 0, mallocs_ = 0;
};

HostCache& host_cache() {
  static HostCache* c = new HostCache();  // never destroyed: releases may run during exit
  return *c;
}

size_t host_bytes(size_t n) { return ((n ? n : 1) * sizeof(float) + 63) / 64 * 64; }

}  // namespace

Buffer alloc(Device dev, size_t n) {
  if (!dev.cpu()) return gpu::alloc(dev.index, n);
  Buffer b;
  b.dev = dev;
  b.size = n;
  size_t bytes = host_bytes(n);
  const bool large = bytes >= HostCache::kMinBytes;
  if (large) b.data = host_cache().take(bytes);
  if (!b.data) {
    b.data = aligned_host_alloc(bytes);
    if (!b.data && large) {  // the cached blocks may be what is missing
      host_cache().clear();
      b.data = aligned_host_alloc(bytes);
    }
    if (b.data && large) host_cache().fresh(bytes);
  }
  if (!b.data) throw Error("out of host memory allocating " + std::to_string(bytes) + " bytes");
  return b;
}

void release(Buffer& b) {
  if (!b.data) return;
  if (!b.dev.cpu()) gpu::release(b);
  else if (host_bytes(b.size) >= HostCache::kMinBytes) host_cache().give(b.data, host_bytes(b.size));
  else aligned_host_free(b.data);
  b.data = nullptr;
  b.size = 0;
}

void copy(const float* src, Device sd, float* dst, Device dd, size_t n) {
  if (n == 0) return;
  if (sd.cpu() && dd.cpu()) std::memcpy(dst, src, n * sizeof(float));
  else gpu::copy(src, sd, dst, dd, n);
}

void synchronize(Device dev) {
  if (!dev.cpu()) gpu::synchronize(dev.index);
}

// ---- the backend tables ------------------------------------------------------------------------
const char* op_name(Op op) {
  static const char* const names[] = {
#define EXO_OP_NAME(name, params, args) #name,
      EXO_ALL_OPS(EXO_OP_NAME)
#undef EXO_OP_NAME
  };
  return (int)op >= 0 && op < Op::Count ? names[(int)op] : "?";
}

const Backend& cpu_backend() {
  static const Backend t = [] {
    Backend b{"cpu"};
#define EXO_CPU_ENTRY(name, params, args)                     \
  b.name = [](int, EXO_UNPACK params) { cpu::name args; }; \
  b.has[(int)Op::name] = true;
    EXO_ALL_OPS(EXO_CPU_ENTRY)
#undef EXO_CPU_ENTRY
    return b;
  }();
  return t;
}

namespace {
[[noreturn]] void no_cuda_kernel(Op op) {
  throw Error(std::string(op_name(op)) + " has no CUDA kernel (a CPU path): check supports() and take the "
              "table's dense or scanning op on CUDA");
}
}  // namespace

const Backend& cuda_backend() {
  static const Backend t = [] {
    Backend b{"cuda"};
#if defined(EXODUS_WITH_CUDA)
#define EXO_GPU_ENTRY(name, params, args) \
  b.name = &gpu::name;                    \
  b.has[(int)Op::name] = true;
#else
    // A build without nvcc: every op explains how to get a CUDA build, and none is supported.
#define EXO_GPU_ENTRY(name, params, args) b.name = [](int, EXO_UNPACK params) { gpu::missing(); };
#endif
    EXO_BACKEND_OPS(EXO_GPU_ENTRY)
#undef EXO_GPU_ENTRY
    // The CPU's host-memory speed paths (host_ops.h) have no kernel: supports() says no.
#define EXO_NO_GPU_ENTRY(name, params, args) b.name = [](int, EXO_UNPACK params) { no_cuda_kernel(Op::name); };
    EXO_HOST_OPS(EXO_NO_GPU_ENTRY)
#undef EXO_NO_GPU_ENTRY
    return b;
  }();
  return t;
}

CudaInfo cuda_info() { return gpu::info(); }
CudaDeviceInfo cuda_device_info(int index) { return gpu::device_info(index); }
AllocatorStats cuda_allocator_stats(int index) { return gpu::allocator_stats(index); }
AllocatorStats host_allocator_stats() { return host_cache().stats(); }
void cuda_empty_cache() {
  host_cache().clear();
#ifdef __GLIBC__
  // glibc serves blocks below its mmap threshold (which rises with every large free, up to 32 MiB)
  // from its heap and keeps their pages when they are freed: hand those back too. A step that runs
  // checkpointed to fit its memory empties the cache between segments (lib/nn/checkpoint.ts).
  malloc_trim(0);
#endif
  gpu::empty_cache();
}

}  // namespace exo
