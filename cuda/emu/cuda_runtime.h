// The emulated CUDA device's stand-in for <cuda_runtime.h> (EXODUS_CUDA=emulate): cuda/gpu/*.cu
// compile as host C++ with g++ against this header and run on the host CPU (cuda/emu/*.cc).
//
// What it models: kernels as ordinary functions run once per thread, a block's threads as fibers
// that switch at barriers and shuffles (scheduler.cc), __shared__ as storage shared by the block
// (a function static: blocks run one at a time), host memory as device memory, the launch limits
// of a real GPU, and, in deferred mode, the legacy default stream's order (runtime.cc).
// What it cannot model: races between a block's threads, the memory model, timing, device-math
// rounding, speed.
#pragma once

#ifndef EXODUS_CUDA_EMULATE
#error "cuda/emu/cuda_runtime.h is the emulated device's header; it is used only by the EXODUS_CUDA=emulate build"
#endif

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

// ---- qualifiers ---------------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __constant__
#define __forceinline__ inline
#define __launch_bounds__(...)
// Per-block storage: blocks run one after another (under one lock), so a function static is the
// block's shared memory; a block sees what the previous block left, as on a GPU (uninitialised).
#define __shared__ static

// ---- the thread's coordinates ------------------------------------------------------------------
struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
};
// Set by the scheduler before it resumes a thread; read only by kernel code.
extern uint3 threadIdx;
extern uint3 blockIdx;
extern dim3 blockDim;
extern dim3 gridDim;
constexpr int warpSize = 32;

// ---- runtime API types -------------------------------------------------------------------------
enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInitializationError = 3,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidSymbol = 13,
  cudaErrorInvalidDevice = 101,
  cudaErrorInvalidResourceHandle = 400,
  cudaErrorNotReady = 600,
  cudaErrorIllegalAddress = 700,
  cudaErrorLaunchFailure = 719,
};
typedef cudaError_t cudaError;
enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};
enum cudaDeviceAttr {
  cudaDevAttrMaxThreadsPerBlock = 1,
  cudaDevAttrMaxGridDimX = 5,
  cudaDevAttrMaxGridDimY = 6,
  cudaDevAttrMaxGridDimZ = 7,
  cudaDevAttrWarpSize = 10,
  cudaDevAttrMultiProcessorCount = 16,
  cudaDevAttrComputeCapabilityMajor = 75,
  cudaDevAttrComputeCapabilityMinor = 76,
};
struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
  size_t sharedMemPerBlock;
  int warpSize;
  int maxThreadsPerBlock;
  int maxThreadsDim[3];
  int maxGridSize[3];
  int major, minor;
  int multiProcessorCount;
};
struct CUevent_st;
struct CUstream_st;
typedef CUevent_st* cudaEvent_t;
typedef CUstream_st* cudaStream_t;
constexpr unsigned cudaHostAllocDefault = 0;
constexpr unsigned cudaEventDefault = 0;
constexpr unsigned cudaEventDisableTiming = 2;

// ---- runtime API (runtime.cc) ------------------------------------------------------------------
cudaError_t cudaGetDeviceCount(int* n);
cudaError_t cudaGetDevice(int* d);
cudaError_t cudaSetDevice(int d);
cudaError_t cudaDeviceGetAttribute(int* v, cudaDeviceAttr a, int d);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int d);
cudaError_t cudaRuntimeGetVersion(int* v);
cudaError_t cudaDriverGetVersion(int* v);
cudaError_t cudaGetLastError();
cudaError_t cudaPeekAtLastError();
const char* cudaGetErrorName(cudaError_t e);
const char* cudaGetErrorString(cudaError_t e);
cudaError_t cudaMalloc(void** p, size_t bytes);
template <class T>
cudaError_t cudaMalloc(T** p, size_t bytes) {
  return cudaMalloc(reinterpret_cast<void**>(p), bytes);
}
cudaError_t cudaFree(void* p);
cudaError_t cudaHostAlloc(void** p, size_t bytes, unsigned flags);
cudaError_t cudaMallocHost(void** p, size_t bytes);
cudaError_t cudaFreeHost(void* p);
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t s = 0);
cudaError_t cudaMemcpyPeer(void* dst, int dd, const void* src, int sd, size_t bytes);
cudaError_t cudaMemset(void* p, int v, size_t bytes);
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaStreamSynchronize(cudaStream_t s);
cudaError_t cudaEventCreate(cudaEvent_t* e);
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* e, unsigned flags);
cudaError_t cudaEventDestroy(cudaEvent_t e);
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s = 0);
cudaError_t cudaEventQuery(cudaEvent_t e);
cudaError_t cudaEventSynchronize(cudaEvent_t e);

namespace exo {
namespace emu {
// Copies to/from a __device__ variable (a host global here), ordered like cudaMemcpy.
cudaError_t symbol_copy(void* dst, const void* src, size_t bytes, bool to_symbol);
}  // namespace emu
}  // namespace exo
template <class T>
cudaError_t cudaMemcpyToSymbol(T& symbol, const void* src, size_t bytes, size_t offset = 0,
                               cudaMemcpyKind = cudaMemcpyHostToDevice) {
  if (offset + bytes > sizeof(T)) return cudaErrorInvalidValue;
  return exo::emu::symbol_copy(reinterpret_cast<char*>(&symbol) + offset, src, bytes, true);
}
template <class T>
cudaError_t cudaMemcpyFromSymbol(void* dst, const T& symbol, size_t bytes, size_t offset = 0,
                                 cudaMemcpyKind = cudaMemcpyDeviceToHost) {
  if (offset + bytes > sizeof(T)) return cudaErrorInvalidValue;
  return exo::emu::symbol_copy(dst, reinterpret_cast<const char*>(&symbol) + offset, bytes, false);
}

// ---- device intrinsics (scheduler.cc) ----------------------------------------------------------
namespace exo {
namespace emu {
struct Site {
  const char* file;
  int line;
};
void syncthreads(Site at);
// Waits for the lanes of `mask`; the value of lane src_lane(lane) is returned through `out`.
void shuffle(unsigned mask, const void* in, void* out, size_t bytes, int delta, int width, Site at);
// Emulation cost of kernels is counted per launch (EXODUS_EMU_STATS=1).
}  // namespace emu
}  // namespace exo

#define __syncthreads() ::exo::emu::syncthreads(::exo::emu::Site{__FILE__, __LINE__})
template <class T>
inline T exo_emu_shfl_down(unsigned mask, T v, int delta, int width, exo::emu::Site at) {
  static_assert(sizeof(T) <= 8, "the emulated shuffle moves at most 8 bytes");
  T out;
  exo::emu::shuffle(mask, &v, &out, sizeof(T), delta, width, at);
  return out;
}
#define __shfl_down_sync(mask, v, delta, ...) \
  exo_emu_shfl_down((mask), (v), (delta), (__VA_ARGS__ + 0) ? (__VA_ARGS__ + 0) : 32, ::exo::emu::Site{__FILE__, __LINE__})

// Atomics: the emulated device runs one thread at a time, so a plain read-modify-write is atomic.
template <class T>
inline T atomicAdd(T* p, T v) {
  T old = *p;
  *p = old + v;
  return old;
}
template <class T>
inline T atomicMin(T* p, T v) {
  T old = *p;
  if (v < old) *p = v;
  return old;
}
template <class T>
inline T atomicMax(T* p, T v) {
  T old = *p;
  if (v > old) *p = v;
  return old;
}
template <class T>
inline T atomicExch(T* p, T v) {
  T old = *p;
  *p = v;
  return old;
}
template <class T>
inline T atomicCAS(T* p, T cmp, T v) {
  T old = *p;
  if (old == cmp) *p = v;
  return old;
}

// CUDA's integer min/max overloads of device code.
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline unsigned long min(unsigned long a, unsigned long b) { return a < b ? a : b; }
inline unsigned long max(unsigned long a, unsigned long b) { return a > b ? a : b; }
inline unsigned long long min(unsigned long long a, unsigned long long b) { return a < b ? a : b; }
inline unsigned long long max(unsigned long long a, unsigned long long b) { return a > b ? a : b; }
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }

// ---- launches ----------------------------------------------------------------------------------
namespace exo {
namespace emu {
struct LaunchSite {
  const char* kernel;
  const char* file;
  int line;
};
// Checks the configuration (an error is left for cudaGetLastError, as a GPU does), then runs the
// grid now, or, in deferred mode, queues it until the next synchronising call.
void submit(dim3 grid, dim3 block, LaunchSite site, std::function<void()> thread_body);

template <class... P>
struct Launch {
  dim3 grid, block;
  void (*kernel)(P...);
  LaunchSite site;
  template <class... A>
  void operator()(A&&... a) const {
    static_assert(sizeof...(A) == sizeof...(P), "kernel launched with the wrong number of arguments");
    // Arguments are copied at the launch, as CUDA copies kernel parameters.
    auto args = std::make_shared<std::tuple<std::decay_t<P>...>>(std::forward<A>(a)...);
    void (*k)(P...) = kernel;
    submit(grid, block, site, [k, args] { std::apply(k, *args); });
  }
};
template <class... P>
Launch<P...> launch(dim3 grid, dim3 block, void (*kernel)(P...), const char* name, const char* file, int line) {
  return Launch<P...>{grid, block, kernel, LaunchSite{name, file, line}};
}
}  // namespace emu
}  // namespace exo
