// Collective communication for data-parallel training (docs/distributed.md): MPI and NCCL, both
// loaded at run time with dlopen, so the addon has no link-time dependency on either and loads
// (and trains in one process) wherever they are absent. No N-API types here.
//
// Every wait has a deadline: a collective is started non-blocking and polled, and a rank that
// died or hangs makes the others throw exo::Error after `timeout_s` instead of blocking forever.
#pragma once
#include <cstddef>
#include <functional>
#include <string>

#include "exodus/api.h"

namespace exo::comm {

struct MpiInfo {
  int rank = 0, size = 1;
  std::string implementation;  // "Open MPI" or "MPICH"
  std::string library;         // the file dlopen found
  std::string version;         // MPI_Get_library_version
};

// Loads libmpi (`library`, else EXODUS_MPI_LIB, else the usual sonames) and calls
// MPI_Init_thread once; later calls return the same information. Throws exo::Error naming what
// was tried when no usable MPI is found.
MpiInfo mpi_init(const std::string& library);
bool mpi_ready();
// The information of the initialised MPI; throws when mpi_init has not succeeded.
const MpiInfo& mpi_info();
// recv[r·n + j] = rank r's send[j]: every rank's values, in rank order.
void mpi_allgather_f64(const double* send, size_t n, double* recv, double timeout_s);

enum class ReduceMode { Ordered, Allreduce };
// x (n floats on `dev`) becomes Σ_r weights[r]·x_r over all ranks, in buckets of `bucket`
// floats. Ordered: every rank gathers the buckets of all ranks and sums them in rank order, so
// every rank gets the same bits whatever MPI's algorithm or the network's topology. Allreduce:
// each rank scales its own x, MPI_Allreduce sums (half the traffic for many ranks; the order is
// MPI's). Returns the bytes this rank received.
double mpi_weighted_sum(float* x, Device dev, size_t n, const double* weights, ReduceMode mode, size_t bucket, double timeout_s);
// Rank `root`'s bytes to every rank.
void mpi_bcast_bytes(void* data, size_t n, int root, double timeout_s);
void mpi_finalize();

// NCCL (nccl.cc): one communicator over the MPI world, one GPU per rank, float sums in place on
// device memory. The unique id travels by MPI broadcast from rank 0.
struct NcclInfo {
  int version = 0;
  std::string library;
};
NcclInfo nccl_init(int device_index, const std::string& library, double timeout_s);
bool nccl_ready();
void nccl_allreduce_sum(float* x, size_t n, double timeout_s);
void nccl_finalize();

// The wait loop shared by both: polls `done` until it reports completion (spinning briefly,
// then sleeping 50 µs between polls), throws a clear exo::Error naming `what` after timeout_s.
void wait_until(const std::function<bool()>& done, const std::string& what, double timeout_s);

}  // namespace exo::comm
