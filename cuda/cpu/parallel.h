// OpenMP helpers for the CPU backend: small inputs stay on one thread, where waking a team of
// threads would cost more than the work.
#pragma once
#include <cstddef>
#include <omp.h>

namespace exo {
namespace cpu {

constexpr size_t kParallelMin = 1 << 15;

// Calls f(begin, end) on contiguous chunks of [0, n), one per thread.
template <typename F>
void parallel_chunks(size_t n, F&& f, size_t min_parallel = kParallelMin) {
  if (n < min_parallel || omp_get_max_threads() == 1) {
    f(size_t(0), n);
    return;
  }
#pragma omp parallel
  {
    size_t nt = (size_t)omp_get_num_threads(), id = (size_t)omp_get_thread_num();
    size_t chunk = (n + nt - 1) / nt;
    size_t b = id * chunk, e = b + chunk < n ? b + chunk : n;
    if (b < e) f(b, e);
  }
}

}  // namespace cpu
}  // namespace exo
