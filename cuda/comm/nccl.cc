// NCCL loaded at run time (dlopen of libnccl.so.2): gradient sums on GPU memory for
// data-parallel training with one GPU per rank (docs/distributed.md). The communicator's unique
// id is made by rank 0 and broadcast over MPI, so `mpirun`/`srun` start NCCL runs as they start
// CPU ones. Only the few NCCL entry points used are declared here (their C ABI is stable since
// NCCL 2.0), so no NCCL header is needed to build.
//
// The CUDA backend runs every kernel on the legacy default stream; the all-reduce is queued on
// the same stream, after the backward's kernels, and completion is polled with cudaStreamQuery
// and ncclCommGetAsyncError so a dead peer gives an error after the timeout, not a hang.
#include <dlfcn.h>

#include <cstdlib>
#include <cstring>

#include "comm/comm.h"

#ifdef EXODUS_WITH_CUDA
// Two entry points of the CUDA runtime exodus links statically (cudart_static).
extern "C" int cudaStreamQuery(void* stream);
extern "C" int cudaSetDevice(int device);
#endif

namespace exo::comm {
namespace {

struct UniqueId {
  char internal[128];  // NCCL_UNIQUE_ID_BYTES
};
using Comm = void*;
constexpr int kSuccess = 0, kInProgress = 7, kFloat32 = 7, kSum = 0;

struct Nccl {
  void* lib = nullptr;
  Comm comm = nullptr;
  int device = -1;
  NcclInfo info;
  int (*GetVersion)(int*);
  int (*GetUniqueId)(UniqueId*);
  int (*CommInitRank)(Comm*, int, UniqueId, int);
  int (*AllReduce)(const void*, void*, size_t, int, int, Comm, void*);
  int (*CommGetAsyncError)(Comm, int*);
  int (*CommAbort)(Comm);
  int (*CommDestroy)(Comm);
  const char* (*GetErrorString)(int);

  void check(int rc, const char* call) {
    if (rc == kSuccess || rc == kInProgress) return;
    throw Error(std::string("distributed: ") + call + " failed: " + (GetErrorString ? GetErrorString(rc) : std::to_string(rc)));
  }
};
Nccl& nccl() {
  static Nccl n;
  return n;
}

template <typename F>
void load(void* lib, F& f, const char* name) {
  f = reinterpret_cast<F>(dlsym(lib, name));
  if (!f) throw Error(std::string("distributed: libnccl lacks ") + name + " (NCCL 2.4 or newer is needed)");
}

}  // namespace

bool nccl_ready() { return nccl().comm != nullptr; }

NcclInfo nccl_init(int device_index, const std::string& library, double timeout_s) {
  Nccl& n = nccl();
  if (n.comm) return n.info;
#ifndef EXODUS_WITH_CUDA
  (void)device_index;
  (void)library;
  (void)timeout_s;
  throw Error("distributed: NCCL needs the CUDA backend, and this build of exodus has none (rebuild with nvcc on PATH)");
#else
  if (!mpi_ready()) throw Error("distributed: NCCL's unique id travels over MPI; initialise MPI first (run under mpirun or srun)");
  const std::string name = !library.empty() ? library : (std::getenv("EXODUS_NCCL_LIB") ? std::getenv("EXODUS_NCCL_LIB") : "libnccl.so.2");
  n.lib = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!n.lib) {
    const char* why = dlerror();
    throw Error("distributed: could not load " + name + " (" + (why ? why : "not found") +
                "); install NCCL (e.g. the libnccl2 package) or set EXODUS_NCCL_LIB to its path");
  }
  n.info.library = name;
  load(n.lib, n.GetErrorString, "ncclGetErrorString");
  load(n.lib, n.GetVersion, "ncclGetVersion");
  load(n.lib, n.GetUniqueId, "ncclGetUniqueId");
  load(n.lib, n.CommInitRank, "ncclCommInitRank");
  load(n.lib, n.AllReduce, "ncclAllReduce");
  load(n.lib, n.CommGetAsyncError, "ncclCommGetAsyncError");
  load(n.lib, n.CommAbort, "ncclCommAbort");
  load(n.lib, n.CommDestroy, "ncclCommDestroy");
  n.check(n.GetVersion(&n.info.version), "ncclGetVersion");
  const MpiInfo& mi = mpi_info();
  UniqueId id;
  std::memset(&id, 0, sizeof id);
  if (mi.rank == 0) n.check(n.GetUniqueId(&id), "ncclGetUniqueId");
  mpi_bcast_bytes(&id, sizeof id, 0, timeout_s);
  if (cudaSetDevice(device_index) != 0) throw Error("distributed: cudaSetDevice(" + std::to_string(device_index) + ") failed");
  n.check(n.CommInitRank(&n.comm, mi.size, id, mi.rank), "ncclCommInitRank");
  n.device = device_index;
  return n.info;
#endif
}

void nccl_allreduce_sum(float* x, size_t count, double timeout_s) {
  Nccl& n = nccl();
  if (!n.comm) throw Error("distributed: NCCL is not initialised");
#ifdef EXODUS_WITH_CUDA
  n.check(n.AllReduce(x, x, count, kFloat32, kSum, n.comm, nullptr), "ncclAllReduce");
  wait_until(
      [&] {
        int async = kSuccess;
        n.check(n.CommGetAsyncError(n.comm, &async), "ncclCommGetAsyncError");
        if (async != kSuccess && async != kInProgress) {
          n.CommAbort(n.comm);  // frees the stream of the stuck kernel so the process can exit
          n.comm = nullptr;
          throw Error(std::string("distributed: NCCL all-reduce failed: ") + n.GetErrorString(async));
        }
        const int q = cudaStreamQuery(nullptr);
        if (q == 0) return true;
        if (q != 600 /* cudaErrorNotReady */) throw Error("distributed: CUDA error " + std::to_string(q) + " while waiting for ncclAllReduce");
        return false;
      },
      "the gradient all-reduce (ncclAllReduce)", timeout_s);
#else
  (void)x;
  (void)count;
  (void)timeout_s;
#endif
}

void nccl_finalize() {
  Nccl& n = nccl();
  if (n.comm) n.CommDestroy(n.comm);
  n.comm = nullptr;
}

}  // namespace exo::comm
