// Threading for the CPU backend: exodus's own worker pool (cuda/cpu/pool.cc), not OpenMP
// parallel regions.
//
// Why a pool of our own: a static OpenMP schedule ends every op at a barrier, so one worker that
// the OS has descheduled on a busy machine stalls the op for a whole scheduler slice, and
// OpenMP's spinning waiters steal the CPU that the descheduled thread needs (10 SHD epochs took
// 5x longer with 2 threads than with 1 on a loaded 2-core box). Here every op is cut into more
// chunks than threads and chunks are *claimed* from a shared counter, the calling thread
// included: a worker that is late simply gets fewer chunks (or none), so 2 threads degrade to
// about 1 thread's speed instead of collapsing. Idle workers spin for a bounded time
// (EXODUS_SPIN_US, default 100 µs: back-to-back ops of a training step find them awake), then
// sleep on a condition variable.
//
// Results never depend on the thread count: a chunk computes the same values whichever thread
// runs it, and reductions across chunks (split-K GEMM) use a split that depends on the shape
// only, summed in a fixed order.
//
// The thread count is OMP_NUM_THREADS when set (the knob users know; OpenMP itself is not linked),
// else the CPUs the process may use; setCpuThreads(n) sets it for the calling thread (pool.cc).
#pragma once
#include <cstddef>
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

// Threads an op may use from this thread: 1 inside a pool job (no nesting) or on a thread that
// is not the pool's owner while another op runs.
int pool_threads();

// Runs fn(ctx, chunk, slot) for every chunk in [0, nchunks) on up to `threads` threads, the
// caller included; returns when all chunks are done. `slot` in [0, threads) is unique among the
// threads running at once (for per-thread scratch). Exceptions must not escape fn.
void pool_run(size_t nchunks, int threads, void (*fn)(void*, size_t, int), void* ctx);

// parallel_for(nchunks, f): f(chunk, slot) for every chunk, in parallel when threads allow.
template <typename F>
void parallel_for(size_t nchunks, F&& f, int threads = 0) {
  if (threads <= 0) threads = pool_threads();
  if (nchunks <= 1 || threads <= 1) {
    DenormalsAreZero ftz;
    for (size_t c = 0; c < nchunks; ++c) f(c, 0);
    return;
  }
  pool_run(nchunks, threads, [](void* ctx, size_t c, int slot) { (*static_cast<F*>(ctx))(c, slot); }, &f);
}

// Calls f(begin, end) on contiguous chunks of [0, n): several chunks per thread, so a thread the
// OS delays leaves its share to the others. Small inputs stay on the calling thread, where waking
// workers would cost more than the work.
template <typename F>
void parallel_chunks(size_t n, F&& f, size_t min_parallel = kParallelMin) {
  int threads = n < min_parallel ? 1 : pool_threads();
  if (threads <= 1) {
    DenormalsAreZero ftz;
    f(size_t(0), n);
    return;
  }
  // Up to 16 chunks per thread, each at least 1/8 of the parallel threshold: a chunk held by a
  // descheduled worker is then a small part of the op.
  size_t grain = min_parallel / 8 > 0 ? min_parallel / 8 : 1;
  size_t chunks = n / grain, most = (size_t)threads * 16;
  chunks = chunks < (size_t)threads ? (size_t)threads : chunks > most ? most : chunks;
  if (chunks > n) chunks = n;
  size_t len = (n + chunks - 1) / chunks;
  chunks = (n + len - 1) / len;
  parallel_for(chunks, [&](size_t c, int) {
    size_t b = c * len, e = b + len < n ? b + len : n;
    f(b, e);
  }, threads);
}

}  // namespace cpu
}  // namespace exo
