// The emulated device's runtime API: host memory as device memory (poisoned when allocated, so a
// kernel that reads what nobody wrote sees NaN, not a convenient zero), copies checked against
// the allocations they claim to touch, events, errors with the emulator's findings, and the
// deferred mode that models the legacy default stream (device.h).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <set>

#include "device.h"

namespace exo {
namespace emu {
namespace {

thread_local cudaError_t t_last = cudaSuccess;
thread_local cudaError_t t_detail_code = cudaSuccess;
thread_local std::string t_detail;

// The registries are never destroyed: the addon's own statics (the upload slots) free device
// and pinned memory while the process exits, after statics constructed later are gone.
std::map<const char*, size_t>& device_blocks() {  // base -> bytes
  static auto* m = new std::map<const char*, size_t>;
  return *m;
}
std::set<void*>& host_blocks() {
  static auto* s = new std::set<void*>;
  return *s;
}
std::deque<std::function<cudaError_t()>>& queue() {
  static auto* q = new std::deque<std::function<cudaError_t()>>;
  return *q;
}

bool env_on(const char* name, bool dflt) {
  const char* v = std::getenv(name);
  if (!v || !*v) return dflt;
  return !(v[0] == '0' && v[1] == 0);
}

// Runs everything queued, in order (caller holds the lock). The first error is returned, as a
// synchronising call returns an asynchronous error of an earlier launch.
cudaError_t drain() {
  cudaError_t first = cudaSuccess;
  auto& q = queue();
  while (!q.empty()) {
    auto op = std::move(q.front());
    q.pop_front();
    cudaError_t e = op();
    if (first == cudaSuccess) first = e;
  }
  return first;
}

// [p, p + bytes) inside one device allocation? Otherwise the error a GPU's runtime would give.
cudaError_t check_device_range(const void* p, size_t bytes, const char* call, const char* role) {
  const char* c = static_cast<const char*>(p);
  auto& m = device_blocks();
  auto it = m.upper_bound(c);
  if (it != m.begin()) {
    --it;
    if (c >= it->first && c + bytes <= it->first + it->second) return cudaSuccess;
    if (c < it->first + it->second)
      return fail(cudaErrorInvalidValue, std::string(call) + ": the " + role + " range of " + std::to_string(bytes) +
                                             " bytes runs past the end of its device allocation of " +
                                             std::to_string(it->second) + " bytes");
  }
  return fail(cudaErrorInvalidValue,
              std::string(call) + ": the " + role + " pointer is not in a device allocation of the emulated device");
}

struct Event {};

}  // namespace

std::mutex& device_lock() {
  static auto* m = new std::mutex;
  return *m;
}

cudaError_t fail(cudaError_t e, const std::string& detail) {
  t_last = e;
  t_detail_code = e;
  t_detail = detail;
  return e;
}

bool deferred() {
  static const bool d = env_on("EXODUS_EMU_DEFERRED", false);
  return d;
}

void enqueue(std::function<cudaError_t()> op) { queue().push_back(std::move(op)); }

cudaError_t symbol_copy(void* dst, const void* src, size_t bytes, bool) {
  std::lock_guard<std::mutex> lock(device_lock());
  if (cudaError_t e = drain()) return e;
  std::memcpy(dst, src, bytes);
  return cudaSuccess;
}

}  // namespace emu
}  // namespace exo

using exo::emu::device_lock;
using exo::emu::fail;
namespace emu = exo::emu;

// Events: `pending` counts records still in the deferred queue. An event never recorded is
// complete, as in CUDA.
struct CUevent_st {
  int pending = 0;
};

cudaError_t cudaGetDeviceCount(int* n) {
  *n = 1;
  return cudaSuccess;
}
cudaError_t cudaGetDevice(int* d) {
  *d = 0;
  return cudaSuccess;
}
cudaError_t cudaSetDevice(int d) {
  return d == 0 ? cudaSuccess : fail(cudaErrorInvalidDevice, "the emulated device is the only device (index 0)");
}

static int sm_count() {
  const char* v = std::getenv("EXODUS_EMU_SMS");
  int n = v ? std::atoi(v) : 0;
  return n > 0 && n <= 1024 ? n : 16;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int d) {
  if (d != 0) return fail(cudaErrorInvalidDevice, "the emulated device is the only device (index 0)");
  std::memset(p, 0, sizeof *p);
  std::snprintf(p->name, sizeof p->name, "EMULATED CUDA device (host CPU, not a GPU; EXODUS_CUDA=emulate build%s)",
                emu::deferred() ? ", deferred mode" : "");
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  p->totalGlobalMem = pages > 0 && page > 0 ? (size_t)pages * (size_t)page : 0;
  p->sharedMemPerBlock = 48 << 10;
  p->warpSize = 32;
  p->maxThreadsPerBlock = 1024;
  p->maxThreadsDim[0] = p->maxThreadsDim[1] = 1024;
  p->maxThreadsDim[2] = 64;
  p->maxGridSize[0] = 0x7fffffff;
  p->maxGridSize[1] = p->maxGridSize[2] = 65535;
  p->major = 9;  // the limits are those of sm_90
  p->minor = 0;
  p->multiProcessorCount = sm_count();
  return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int* v, cudaDeviceAttr a, int d) {
  cudaDeviceProp p;
  if (cudaError_t e = cudaGetDeviceProperties(&p, d)) return e;
  switch (a) {
    case cudaDevAttrMaxThreadsPerBlock: *v = p.maxThreadsPerBlock; break;
    case cudaDevAttrMaxGridDimX: *v = p.maxGridSize[0]; break;
    case cudaDevAttrMaxGridDimY: *v = p.maxGridSize[1]; break;
    case cudaDevAttrMaxGridDimZ: *v = p.maxGridSize[2]; break;
    case cudaDevAttrWarpSize: *v = 32; break;
    case cudaDevAttrMultiProcessorCount: *v = p.multiProcessorCount; break;
    case cudaDevAttrComputeCapabilityMajor: *v = p.major; break;
    case cudaDevAttrComputeCapabilityMinor: *v = p.minor; break;
    default: return fail(cudaErrorInvalidValue, "cudaDeviceGetAttribute: attribute not emulated");
  }
  return cudaSuccess;
}

// No CUDA runtime or driver is involved: both versions are 0 ("none").
cudaError_t cudaRuntimeGetVersion(int* v) {
  *v = 0;
  return cudaSuccess;
}
cudaError_t cudaDriverGetVersion(int* v) {
  *v = 0;
  return cudaSuccess;
}

cudaError_t cudaGetLastError() {
  cudaError_t e = emu::t_last;
  emu::t_last = cudaSuccess;
  return e;
}
cudaError_t cudaPeekAtLastError() { return emu::t_last; }

const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInitializationError: return "cudaErrorInitializationError";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidSymbol: return "cudaErrorInvalidSymbol";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorNotReady: return "cudaErrorNotReady";
    case cudaErrorIllegalAddress: return "cudaErrorIllegalAddress";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
  }
  return "cudaErrorUnknown";
}

const char* cudaGetErrorString(cudaError_t e) {
  if (e != cudaSuccess && e == emu::t_detail_code && !emu::t_detail.empty()) return emu::t_detail.c_str();
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorNotReady: return "device not ready";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
    default: return "error on the emulated device";
  }
}

cudaError_t cudaMalloc(void** p, size_t bytes) {
  *p = nullptr;
  void* q = nullptr;
  if (posix_memalign(&q, 256, bytes ? bytes : 1) != 0)
    return fail(cudaErrorMemoryAllocation, "out of memory (host allocation of " + std::to_string(bytes) + " bytes failed)");
  // Fresh device memory holds garbage on a GPU; here all-ones bytes: NaN as float, -1 as int.
  static const bool poison = emu::env_on("EXODUS_EMU_POISON", true);
  if (poison) std::memset(q, 0xff, bytes);
  std::lock_guard<std::mutex> lock(device_lock());
  emu::device_blocks()[static_cast<const char*>(q)] = bytes;
  *p = q;
  return cudaSuccess;
}

cudaError_t cudaFree(void* p) {
  if (!p) return cudaSuccess;
  std::lock_guard<std::mutex> lock(device_lock());
  cudaError_t e = emu::drain();  // cudaFree synchronises the device
  auto& m = emu::device_blocks();
  auto it = m.find(static_cast<const char*>(p));
  if (it == m.end()) return fail(cudaErrorInvalidValue, "cudaFree: not a device allocation of the emulated device");
  m.erase(it);
  std::free(p);
  return e;
}

cudaError_t cudaHostAlloc(void** p, size_t bytes, unsigned) {
  *p = std::malloc(bytes ? bytes : 1);
  if (!*p) return fail(cudaErrorMemoryAllocation, "cudaHostAlloc: out of host memory");
  std::lock_guard<std::mutex> lock(device_lock());
  emu::host_blocks().insert(*p);
  return cudaSuccess;
}
cudaError_t cudaMallocHost(void** p, size_t bytes) { return cudaHostAlloc(p, bytes, 0); }

cudaError_t cudaFreeHost(void* p) {
  if (!p) return cudaSuccess;
  std::lock_guard<std::mutex> lock(device_lock());
  cudaError_t e = emu::drain();  // cudaFreeHost synchronises the device
  if (!emu::host_blocks().erase(p)) return fail(cudaErrorInvalidValue, "cudaFreeHost: not a pinned host allocation");
  std::free(p);
  return e;
}

static cudaError_t check_copy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, const char* call) {
  if (kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice)
    if (cudaError_t e = emu::check_device_range(dst, bytes, call, "destination")) return e;
  if (kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice)
    if (cudaError_t e = emu::check_device_range(src, bytes, call, "source")) return e;
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  std::lock_guard<std::mutex> lock(device_lock());
  if (cudaError_t e = emu::drain()) return e;
  if (cudaError_t e = check_copy(dst, src, bytes, kind, "cudaMemcpy")) return e;
  std::memmove(dst, src, bytes);
  return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t s) {
  if (s) return fail(cudaErrorInvalidValue, "cudaMemcpyAsync: the emulated device has only the default stream");
  std::lock_guard<std::mutex> lock(device_lock());
  if (cudaError_t e = check_copy(dst, src, bytes, kind, "cudaMemcpyAsync")) return e;
  if (!emu::deferred()) {
    std::memmove(dst, src, bytes);
    return cudaSuccess;
  }
  // The copy reads the host buffer when the stream reaches it, not now (as a DMA engine does).
  emu::enqueue([=] {
    std::memmove(dst, src, bytes);
    return cudaSuccess;
  });
  return cudaSuccess;
}

cudaError_t cudaMemcpyPeer(void* dst, int dd, const void* src, int sd, size_t bytes) {
  if (dd != 0 || sd != 0) return fail(cudaErrorInvalidDevice, "the emulated device is the only device (index 0)");
  return cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice);
}

cudaError_t cudaMemset(void* p, int v, size_t bytes) {
  std::lock_guard<std::mutex> lock(device_lock());
  if (cudaError_t e = emu::drain()) return e;
  if (cudaError_t e = emu::check_device_range(p, bytes, "cudaMemset", "destination")) return e;
  std::memset(p, v, bytes);
  return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize() {
  std::lock_guard<std::mutex> lock(device_lock());
  return emu::drain();
}
cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaDeviceSynchronize(); }

cudaError_t cudaEventCreate(cudaEvent_t* e) {
  *e = new CUevent_st();
  return cudaSuccess;
}
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* e, unsigned) { return cudaEventCreate(e); }

cudaError_t cudaEventDestroy(cudaEvent_t e) {
  if (!e) return fail(cudaErrorInvalidResourceHandle, "cudaEventDestroy: null event");
  std::lock_guard<std::mutex> lock(device_lock());
  cudaError_t r = e->pending ? emu::drain() : cudaSuccess;  // the queue still refers to it
  delete e;
  return r;
}

cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s) {
  if (!e) return fail(cudaErrorInvalidResourceHandle, "cudaEventRecord: null event");
  if (s) return fail(cudaErrorInvalidValue, "cudaEventRecord: the emulated device has only the default stream");
  std::lock_guard<std::mutex> lock(device_lock());
  if (!emu::deferred()) return cudaSuccess;
  ++e->pending;
  emu::enqueue([e] {
    --e->pending;
    return cudaSuccess;
  });
  return cudaSuccess;
}

cudaError_t cudaEventQuery(cudaEvent_t e) {
  if (!e) return fail(cudaErrorInvalidResourceHandle, "cudaEventQuery: null event");
  std::lock_guard<std::mutex> lock(device_lock());
  return e->pending ? cudaErrorNotReady : cudaSuccess;  // not ready is not an error to record
}

cudaError_t cudaEventSynchronize(cudaEvent_t e) {
  if (!e) return fail(cudaErrorInvalidResourceHandle, "cudaEventSynchronize: null event");
  std::lock_guard<std::mutex> lock(device_lock());
  return e->pending ? emu::drain() : cudaSuccess;
}
