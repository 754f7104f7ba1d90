// OpenMP helpers for the CPU backend: small inputs stay on one thread, where waking a team of
// threads would cost more than the work.
#pragma once
#include <cstddef>
#include <omp.h>
#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define EXO_HAVE_MXCSR 1
#endif

namespace exo {
namespace cpu {

constexpr size_t kParallelMin = 1 << 15;

// Flushes denormal floats to zero on this thread for its lifetime, then restores the caller's
// mode. Surrogate gradients far from threshold decay into denormals, which x86 handles ~100x
// slower; values below 1.2e-38 carry nothing a float32 gradient can use. Scoped, because the
// thread also runs JavaScript, whose numbers must keep IEEE semantics.
class DenormalsAreZero {
 public:
#ifdef EXO_HAVE_MXCSR
  DenormalsAreZero() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040); }  // FTZ | DAZ
  ~DenormalsAreZero() { _mm_setcsr(saved_); }

 private:
  unsigned saved_;
#endif
};

// Calls f(begin, end) on contiguous chunks of [0, n), one per thread.
template <typename F>
void parallel_chunks(size_t n, F&& f, size_t min_parallel = kParallelMin) {
  if (n < min_parallel || omp_get_max_threads() == 1) {
    DenormalsAreZero ftz;
    f(size_t(0), n);
    return;
  }
#pragma omp parallel
  {
    DenormalsAreZero ftz;
    size_t nt = (size_t)omp_get_num_threads(), id = (size_t)omp_get_thread_num();
    size_t chunk = (n + nt - 1) / nt;
    size_t b = id * chunk, e = b + chunk < n ? b + chunk : n;
    if (b < e) f(b, e);
  }
}

}  // namespace cpu
}  // namespace exo
