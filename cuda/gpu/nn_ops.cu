// CUDA layer ops: batched GEMM (the tiled kernel with a batch grid axis), im2col/col2im as one
// thread per output element, pooling, Adam, dropout masks. Math in kernels/conv.cuh, optim.cuh.
#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "check.cuh"
#include "exodus/backend.h"
#include "kernels/scatter.cuh"

namespace exo {
namespace gpu {

void gemm_strided(int dev, bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, size_t sa,
                  const float* B, int ldb, size_t sb, float beta, float* C, int ldc, size_t sc, int batch);

namespace {

// Idx is the type of the index arithmetic: 32-bit when the element count fits (the common case),
// which avoids 64-bit divisions per element; 64-bit otherwise.
template <typename Idx>
__global__ void im2col_kernel(const float* x, float* cols, k::ConvGeom g, size_t total) {
  Idx R = g.ckk(), P = g.pixels();
  size_t in = (size_t)g.c * g.h * g.w;
  EXO_GRID_LOOP(i, total) {
    Idx row = (Idx)i / P, p = (Idx)i - row * P;
    Idx n = row / R;
    cols[i] = k::im2col_value(x + (size_t)n * in, g, (int)(row - n * R), (int)p);
  }
}

template <typename Idx>
__global__ void col2im_kernel(const float* cols, float* dx, k::ConvGeom g, size_t total) {
  Idx HW = (Idx)g.h * g.w, C = g.c;
  size_t RP = (size_t)g.ckk() * g.pixels();
  EXO_GRID_LOOP(i, total) {
    Idx plane = (Idx)i / HW, pix = (Idx)i - plane * HW;
    Idx n = plane / C;
    dx[i] = k::col2im_value(cols + (size_t)n * RP, g, (int)(plane - n * C), (int)(pix / g.w), (int)(pix % g.w));
  }
}

template <typename Idx>
__global__ void pool_kernel(bool is_max, const float* x, float* y, float* arg, k::PoolGeom g, size_t total) {
  Idx out = (Idx)g.ho * g.wo;
  size_t in = (size_t)g.h * g.w;
  EXO_GRID_LOOP(i, total) {
    Idx pl = (Idx)i / out, o = (Idx)i - pl * out;
    const float* plane = x + (size_t)pl * in;
    int oy = (int)(o / g.wo), ox = (int)(o % g.wo);
    // Two calls, each with a fixed pointer: through `is_max ? &best : nullptr` the compiler kept
    // `best` in local memory (a stack frame) instead of a register.
    if (is_max) {
      int best = 0;
      y[i] = k::pool_value(plane, g, oy, ox, true, &best);
      arg[i] = (float)best;
    } else {
      y[i] = k::pool_value(plane, g, oy, ox, false, nullptr);
    }
  }
}

template <typename Idx>
__global__ void pool_backward_kernel(bool is_max, const float* dy, const float* arg, float* dx, k::PoolGeom g,
                                     size_t total) {
  size_t out = (size_t)g.ho * g.wo;
  Idx in = (Idx)g.h * g.w;
  EXO_GRID_LOOP(i, total) {
    Idx pl = (Idx)i / in, pix = (Idx)i - pl * in;
    dx[i] = k::pool_grad(dy + (size_t)pl * out, is_max ? arg + (size_t)pl * out : nullptr, g, (int)(pix / g.w),
                         (int)(pix % g.w), is_max);
  }
}

__global__ void adam_kernel(float* p, const float* g, float* m, float* v, size_t n, k::AdamConfig c) {
  EXO_GRID_LOOP(i, n) k::adam_update(p[i], g[i], m[i], v[i], c);
}

__global__ void dropout_kernel(float* mask, size_t n, float p, unsigned long long seed) {
  float keep = 1.f / (1.f - p);
  EXO_GRID_LOOP(i, n) mask[i] = k::dropout_factor(seed, i, p, keep);
}

__global__ void dropout_apply_kernel(const float* x, float* y, size_t n, float p, unsigned long long seed) {
  float keep = 1.f / (1.f - p);
  EXO_GRID_LOOP(i, n) y[i] = x[i] * k::dropout_factor(seed, i, p, keep);
}

// Entry j of a packed batch: column b is found by a binary search over the column starts.
__global__ void scatter_packed_kernel(float* dst, int T, int B, int F, const uint32_t* packed, size_t n) {
  const uint32_t* index = packed;
  const uint32_t* count = packed + n;
  const uint32_t* start = packed + 2 * n;  // B + 1 column starts
  size_t limit = (size_t)T * F;
  EXO_GRID_LOOP(j, n) {
    int lo = 0, hi = B;  // start[lo] <= j < start[hi]
    while (hi - lo > 1) {
      int mid = (lo + hi) / 2;
      if (start[mid] <= j) lo = mid;
      else hi = mid;
    }
    size_t o = k::frame_slot(index[j], limit, B, F, lo);
    if (o != (size_t)-1) dst[o] = (float)count[j];
  }
}

// Staging of scatter uploads: pinned host buffers, each with its own device buffer and an event
// marking the end of its last use (upload and kernel). A batch is packed into one free slot (its last upload has
// finished) and uploaded with one asynchronous copy on the default stream, followed by the kernel
// on the same stream (which orders the device buffer's reuse). When every slot is still in
// flight a new one is made, up to kPinnedCap bytes in all; only past that does the loader thread
// wait, for one upload, never for the whole device.
constexpr size_t kPinnedCap = limits::kPinnedCap;

struct Slot {
  uint32_t* host = nullptr;
  void* device = nullptr;
  size_t capacity = 0;  // uint32 elements of both
  cudaEvent_t uploaded = nullptr;
  ~Slot() {
    if (uploaded) cudaEventSynchronize(uploaded);
    cudaFreeHost(host);
    cudaFree(device);
    if (uploaded) cudaEventDestroy(uploaded);
  }
};
struct Staging {
  std::mutex m;
  std::vector<std::unique_ptr<Slot>> slots;
  size_t pinned = 0;  // bytes held by all slots
  size_t next_wait = 0;
};
Staging& staging(int dev) {
  static std::mutex m;
  static std::vector<std::unique_ptr<Staging>> all;
  std::lock_guard<std::mutex> lock(m);
  if ((int)all.size() <= dev) all.resize(dev + 1);
  if (!all[dev]) all[dev] = std::make_unique<Staging>();
  return *all[dev];
}

// Grows a slot whose upload has finished to hold n elements. On failure the slot is left empty
// and consistent (the buffers belong to the slot, not to the caching allocator: nothing is lost).
void reserve(Staging& st, Slot& s, size_t n) {
  if (s.capacity >= n) return;
  st.pinned -= s.capacity * 4;
  cudaFreeHost(s.host);
  cudaFree(s.device);
  s.host = nullptr;
  s.device = nullptr;
  s.capacity = 0;
  size_t cap = std::max<size_t>(n + n / 4, limits::kPinnedMinSlot);
  EXO_CUDA(cudaHostAlloc(reinterpret_cast<void**>(&s.host), cap * 4, cudaHostAllocDefault));
  cudaError_t e = cudaMalloc(&s.device, cap * 4);
  if (e != cudaSuccess) {
    cudaFreeHost(s.host);
    s.host = nullptr;
    s.device = nullptr;
    EXO_CUDA(e);
  }
  s.capacity = cap;
  st.pinned += cap * 4;
}

// A slot for n elements whose last upload has finished.
Slot& take_slot(Staging& st, size_t n) {
  Slot* fit = nullptr;
  Slot* idle = nullptr;
  for (auto& s : st.slots) {
    if (cudaEventQuery(s->uploaded) != cudaSuccess) continue;
    if (s->capacity >= n) {
      if (!fit || s->capacity < fit->capacity) fit = s.get();
    } else if (!idle) {
      idle = s.get();
    }
  }
  if (fit) return *fit;
  if (idle && st.pinned + n * 4 > kPinnedCap) {
    reserve(st, *idle, n);
    return *idle;
  }
  if (st.slots.empty() || st.pinned + n * 4 <= kPinnedCap) {
    auto s = std::make_unique<Slot>();
    EXO_CUDA(cudaEventCreateWithFlags(&s->uploaded, cudaEventDisableTiming));
    st.slots.push_back(std::move(s));
    reserve(st, *st.slots.back(), n);
    return *st.slots.back();
  }
  // Every slot is in flight and the cap is reached: wait for one upload (round robin).
  Slot& s = *st.slots[st.next_wait++ % st.slots.size()];
  EXO_CUDA(cudaEventSynchronize(s.uploaded));
  reserve(st, s, n);
  return s;
}

}  // namespace

void scatter_batch(int dev, float* dst, int T, int B, int F, const uint32_t* const* index, const uint32_t* const* count,
                   const size_t* n) {
  size_t total = 0;
  for (int b = 0; b < B; ++b) total += n[b];
  if (!total) return;
  if (total > 0x7fffffffull) throw Error("scatter_frames: more than 2^31 events in one batch");
  DeviceGuard guard(dev);
  Staging& st = staging(dev);
  std::lock_guard<std::mutex> lock(st.m);
  size_t need = 2 * total + B + 1;
  Slot& s = take_slot(st, need);
  uint32_t* idx = s.host;
  uint32_t* cnt = s.host + total;
  uint32_t* start = s.host + 2 * total;
  size_t off = 0;
  for (int b = 0; b < B; ++b) {
    start[b] = (uint32_t)off;
    if (n[b]) {
      std::memcpy(idx + off, index[b], n[b] * 4);
      std::memcpy(cnt + off, count[b], n[b] * 4);
    }
    off += n[b];
  }
  start[B] = (uint32_t)off;
  EXO_CUDA(cudaMemcpyAsync(s.device, s.host, need * 4, cudaMemcpyHostToDevice, 0));
  EXO_LAUNCH(grid_for(total), 256, scatter_packed_kernel)(dst, T, B, F, static_cast<const uint32_t*>(s.device), total);
  cudaError_t launched = cudaGetLastError();
  // After the kernel: once it has passed, both of the slot's buffers are free again. Recorded even
  // when the launch failed: the copy is queued and reads the pinned buffer until it has passed, so
  // the slot must not look idle before then. Should the record fail, wait for the device instead.
  cudaError_t recorded = cudaEventRecord(s.uploaded, 0);
  if (recorded != cudaSuccess) cudaDeviceSynchronize();
  check(launched, "launch of scatter_frames", __FILE__, __LINE__);
  EXO_CUDA(recorded);
}

void scatter_frames(int dev, float* dst, int T, int B, int F, int b, const uint32_t* index, const uint32_t* count,
                    size_t n) {
  if (!n) return;
  // One column of a batch: a batch of B columns of which only column b has events.
  std::vector<const uint32_t*> is(B, index), cs(B, count);
  std::vector<size_t> ns(B, 0);
  ns[b] = n;
  scatter_batch(dev, dst, T, B, F, is.data(), cs.data(), ns.data());
}
void gemm_batched(int dev, bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, size_t sa,
                  const float* B, int ldb, size_t sb, float beta, float* C, int ldc, size_t sc, int batch) {
  // strideC = 0 sums the batch into C (gemm.cu): the conv weight gradient as one product.
  gemm_strided(dev, ta, tb, M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch);
}

void im2col(int dev, const float* x, float* cols, const k::ConvGeom& g, int count) {
  size_t total = (size_t)count * g.ckk() * g.pixels();
  if (!total) return;
  DeviceGuard guard(dev);
  if (total <= limits::kIndex32) EXO_LAUNCH(grid_for(total), 256, im2col_kernel<unsigned>)(x, cols, g, total);
  else EXO_LAUNCH(grid_for(total), 256, im2col_kernel<size_t>)(x, cols, g, total);
  EXO_CUDA_LAUNCH("im2col");
}

void col2im(int dev, const float* cols, float* dx, const k::ConvGeom& g, int count) {
  size_t total = (size_t)count * g.c * g.h * g.w;
  if (!total) return;
  DeviceGuard guard(dev);
  if (total <= limits::kIndex32) EXO_LAUNCH(grid_for(total), 256, col2im_kernel<unsigned>)(cols, dx, g, total);
  else EXO_LAUNCH(grid_for(total), 256, col2im_kernel<size_t>)(cols, dx, g, total);
  EXO_CUDA_LAUNCH("col2im");
}

void pool2d(int dev, bool is_max, const float* x, float* y, float* arg, const k::PoolGeom& g, size_t planes) {
  size_t total = planes * g.ho * g.wo;
  if (!total) return;
  DeviceGuard guard(dev);
  if (total <= limits::kIndex32) EXO_LAUNCH(grid_for(total), 256, pool_kernel<unsigned>)(is_max, x, y, arg, g, total);
  else EXO_LAUNCH(grid_for(total), 256, pool_kernel<size_t>)(is_max, x, y, arg, g, total);
  EXO_CUDA_LAUNCH("pool2d");
}

void pool2d_backward(int dev, bool is_max, const float* dy, const float* arg, float* dx, const k::PoolGeom& g,
                     size_t planes) {
  size_t total = planes * g.h * g.w;
  if (!total) return;
  DeviceGuard guard(dev);
  if (total <= limits::kIndex32) EXO_LAUNCH(grid_for(total), 256, pool_backward_kernel<unsigned>)(is_max, dy, arg, dx, g, total);
  else EXO_LAUNCH(grid_for(total), 256, pool_backward_kernel<size_t>)(is_max, dy, arg, dx, g, total);
  EXO_CUDA_LAUNCH("pool2d_backward");
}

void adam_step(int dev, float* p, const float* g, float* m, float* v, size_t n, const k::AdamConfig& c) {
  if (!n) return;
  DeviceGuard guard(dev);
  EXO_LAUNCH(grid_for(n), 256, adam_kernel)(p, g, m, v, n, c);
  EXO_CUDA_LAUNCH("adam_step");
}

void dropout_mask(int dev, float* mask, size_t n, float p, unsigned long long seed) {
  if (!n) return;
  DeviceGuard guard(dev);
  EXO_LAUNCH(grid_for(n), 256, dropout_kernel)(mask, n, p, seed);
  EXO_CUDA_LAUNCH("dropout_mask");
}

void dropout_apply(int dev, const float* x, float* y, size_t n, float p, unsigned long long seed) {
  if (!n) return;
  DeviceGuard guard(dev);
  EXO_LAUNCH(grid_for(n), 256, dropout_apply_kernel)(x, y, n, p, seed);
  EXO_CUDA_LAUNCH("dropout_apply");
}

}  // namespace gpu
}  // namespace exo
