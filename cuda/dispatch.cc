// Routes each op of the C++ API to the CPU or the CUDA backend by the device of its operands.
#include <omp.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "exodus/api.h"

namespace exo {

namespace {

// Large host blocks are kept after release and reused for the same sizes: a training step
// allocates the same activation and batch sizes every time, and a fresh mmap'd block costs a page
// fault per 4 KiB on first touch (a 157 MB DVS batch: ~40k faults). Small blocks go to malloc.
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
    return p;
  }
  // Keeps p for reuse, or frees it when the cache would exceed its cap.
  void give(float* p, size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    if (cached_ + bytes > cap()) {
      std::free(p);
      return;
    }
    free_.emplace(bytes, p);
    cached_ += bytes;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& kv : free_) std::free(kv.second);
    free_.clear();
    cached_ = 0;
  }

 private:
  static size_t cap() {
    static const size_t c = [] {
      const char* e = std::getenv("EXODUS_HOST_CACHE_MB");
      return (e ? std::strtoull(e, nullptr, 10) : 2048ull) << 20;
    }();
    return c;
  }
  std::mutex mu_;
  std::multimap<size_t, float*> free_;
  size_t cached_ = 0;
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
  if (bytes >= HostCache::kMinBytes) b.data = host_cache().take(bytes);
  if (!b.data) b.data = static_cast<float*>(std::aligned_alloc(64, bytes));
  if (!b.data) throw Error("out of host memory allocating " + std::to_string(bytes) + " bytes");
  return b;
}

void release(Buffer& b) {
  if (!b.data) return;
  if (!b.dev.cpu()) gpu::release(b);
  else if (host_bytes(b.size) >= HostCache::kMinBytes) host_cache().give(b.data, host_bytes(b.size));
  else std::free(b.data);
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

#define EXO_ROUTE(call_cpu, call_gpu) \
  do {                                \
    if (dev.cpu()) cpu::call_cpu;     \
    else gpu::call_gpu;               \
  } while (0)

void fill(Device dev, float* y, size_t n, float v) { EXO_ROUTE(fill(y, n, v), fill(dev.index, y, n, v)); }

void unary(Device dev, Unary op, const float* x, float* y, size_t n, float a, float b) {
  EXO_ROUTE(unary(op, x, y, n, a, b), unary(dev.index, op, x, y, n, a, b));
}

void binary(Device dev, Binary op, const float* x, const float* w, float* y, size_t n, size_t nb,
            size_t inner) {
  if (nb == 0 || inner == 0 || n % (nb * inner) != 0)
    throw Error("binary op: operand of " + std::to_string(nb) + " x " + std::to_string(inner) +
                " elements does not broadcast over " + std::to_string(n));
  EXO_ROUTE(binary(op, x, w, y, n, nb, inner), binary(dev.index, op, x, w, y, n, nb, inner));
}

void axpby(Device dev, float alpha, const float* x, float beta, float* y, size_t n) {
  EXO_ROUTE(axpby(alpha, x, beta, y, n), axpby(dev.index, alpha, x, beta, y, n));
}

void reduce(Device dev, Reduce op, const float* x, float* y, size_t outer, size_t axis, size_t inner) {
  if (axis == 0) throw Error("reduce: cannot reduce an empty axis");
  EXO_ROUTE(reduce(op, x, y, outer, axis, inner), reduce(dev.index, op, x, y, outer, axis, inner));
}

void gemm(Device dev, bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc) {
  EXO_ROUTE(gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc),
            gemm(dev.index, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc));
}

void softmax_xent(Device dev, const float* logits, const float* labels, float* loss, float* grad,
                  int rows, int cols, float grad_scale) {
  EXO_ROUTE(softmax_xent(logits, labels, loss, grad, rows, cols, grad_scale),
            softmax_xent(dev.index, logits, labels, loss, grad, rows, cols, grad_scale));
}

void log_softmax(Device dev, const float* x, float* y, int rows, int cols) {
  EXO_ROUTE(log_softmax(x, y, rows, cols), log_softmax(dev.index, x, y, rows, cols));
}

CudaInfo cuda_info() { return gpu::info(); }
CudaDeviceInfo cuda_device_info(int index) { return gpu::device_info(index); }
AllocatorStats cuda_allocator_stats(int index) { return gpu::allocator_stats(index); }
void cuda_empty_cache() {
  host_cache().clear();
  gpu::empty_cache();
}
int cpu_threads() { return omp_get_max_threads(); }
void set_cpu_threads(int n) {
  if (n < 1) throw Error("CPU threads must be at least 1, received " + std::to_string(n));
  omp_set_num_threads(n);
}

}  // namespace exo
