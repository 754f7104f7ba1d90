// The CPU backend's worker pool (see parallel.h for why it exists).
//
// One job at a time. A job is published as a single 64-bit word — generation, thread limit,
// chunk count, next chunk — so that claiming a chunk is one compare-and-swap that also proves the
// job is still the one the claimant saw: a worker waking late can never run a chunk of a job
// that has finished, nor see a half-written job.
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "exodus/api.h"
#include "parallel.h"

namespace exo {
namespace cpu {
namespace {

// word = gen:16 | limit:8 | n:20 | next:20
constexpr int kNextBits = 20, kNBits = 20, kLimitBits = 8;
constexpr uint64_t kMaxChunks = (1u << kNextBits) - 1;
constexpr int kMaxThreads = (1 << kLimitBits) - 1;

inline uint64_t next_of(uint64_t w) { return w & kMaxChunks; }
inline uint64_t n_of(uint64_t w) { return (w >> kNextBits) & ((1u << kNBits) - 1); }
inline int limit_of(uint64_t w) { return (int)((w >> (kNextBits + kNBits)) & kMaxThreads); }
inline uint64_t gen_of(uint64_t w) { return w >> (kNextBits + kNBits + kLimitBits); }
inline uint64_t pack(uint64_t gen, int limit, uint64_t n) {
  return (gen << (kNextBits + kNBits + kLimitBits)) | ((uint64_t)limit << (kNextBits + kNBits)) | (n << kNextBits);
}

inline void cpu_relax() {
#ifdef EXO_HAVE_MXCSR
  _mm_pause();
#endif
}

thread_local bool t_in_pool = false;

// EXODUS_SPIN_US: microseconds an idle worker spins before it sleeps (default 100).
long spin_ns_from_env() {
  const char* s = std::getenv("EXODUS_SPIN_US");
  if (!s || !*s) return 100000;
  char* end = nullptr;
  double us = std::strtod(s, &end);
  if (!end || *end != 0 || !(us >= 0) || us > 1e7)
    throw Error(std::string("EXODUS_SPIN_US: expected microseconds between 0 and 1e7, received \"") + s +
                "\"; unset it for the default (100)");
  return (long)(us * 1000);
}

using Clock = std::chrono::steady_clock;

class Pool {
 public:
  Pool() : spin_ns_(spin_ns_from_env()) {}

  void run(size_t nchunks, int threads, void (*fn)(void*, size_t, int), void* ctx) {
    std::unique_lock<std::mutex> guard(run_mu_, std::try_to_lock);
    if (!guard.owns_lock()) {  // another thread's op holds the pool: run this one inline
      serial(nchunks, fn, ctx);
      return;
    }
    if (Clock::now() < solo_until_) {  // backing off after stalls: the machine is busy
      serial(nchunks, fn, ctx);
      return;
    }
    if (threads > kMaxThreads) threads = kMaxThreads;
    grow(threads - 1);
    t_in_pool = true;
    DenormalsAreZero ftz;
    for (size_t base = 0; base < nchunks; base += kMaxChunks) {
      size_t n = nchunks - base < kMaxChunks ? nchunks - base : kMaxChunks;
      Offset off{fn, ctx, base};
      one_job(n, threads, off);
    }
    t_in_pool = false;
    if (error_) {
      std::exception_ptr e = error_;
      error_ = nullptr;
      std::rethrow_exception(e);
    }
  }

 private:
  struct Offset {
    void (*fn)(void*, size_t, int);
    void* ctx;
    size_t base;
  };

  static void serial(size_t nchunks, void (*fn)(void*, size_t, int), void* ctx) {
    DenormalsAreZero ftz;
    bool was = t_in_pool;
    t_in_pool = true;
    for (size_t c = 0; c < nchunks; ++c) fn(ctx, c, 0);
    t_in_pool = was;
  }

  void one_job(size_t n, int threads, const Offset& off) {
    gen_ = (gen_ + 1) & 0xffff;
    if (gen_ == 0) gen_ = 1;  // workers start having seen generation 0
    job_ = off;
    done_.store(0, std::memory_order_relaxed);
    word_.store(pack(gen_, threads, n), std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      { std::lock_guard<std::mutex> lk(cv_mu_); }
      cv_.notify_all();
    }
    auto t0 = Clock::now();
    size_t mine = claim_all(gen_, 0);
    // Wait for chunks other threads claimed: spin briefly, then yield the core to them.
    auto t1 = Clock::now();
    int spins = 0;
    while (done_.load(std::memory_order_acquire) + mine < n) {
      if (++spins < 64) { cpu_relax(); continue; }
      spins = 0;
      if (Clock::now() - t1 > std::chrono::microseconds(200)) sched_yield();
    }
    back_off_if_stalled(t0, t1, Clock::now());
  }

  // A worker the OS descheduled while it held a chunk makes the caller wait for it: on a loaded
  // machine that can take a scheduler slice per op, and 2 threads end up slower than 1. When the
  // wait exceeds half the caller's own share of the work, the pool runs ops on the calling thread
  // alone for a while (5 ms, doubling while stalls recur, up to 500 ms), then tries again; clean
  // jobs halve the back-off, so a machine that stays busy keeps long solo stretches.
  void back_off_if_stalled(Clock::time_point t0, Clock::time_point t1, Clock::time_point t2) {
    using std::chrono::milliseconds;
    auto work = t1 - t0, wait = t2 - t1;
    if (wait > std::chrono::microseconds(100) && 2 * wait > work) {
      backoff_ = backoff_ < milliseconds(5) ? milliseconds(5) : std::min<Clock::duration>(backoff_ * 2, milliseconds(500));
      solo_until_ = t2 + backoff_;
    } else if (4 * wait < work) {
      backoff_ /= 2;
    }
  }

  // Claims and runs chunks of generation `gen` until none are left; returns how many it ran
  // (the caller counts its own; workers add theirs to done_).
  size_t claim_all(uint64_t gen, int slot) {
    size_t ran = 0;
    uint64_t cur = word_.load(std::memory_order_acquire);
    for (;;) {
      if (gen_of(cur) != gen || next_of(cur) >= n_of(cur)) return ran;
      if (!word_.compare_exchange_weak(cur, cur + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      try {
        job_.fn(job_.ctx, job_.base + next_of(cur), slot);
      } catch (...) {
        std::lock_guard<std::mutex> lk(err_mu_);
        if (!error_) error_ = std::current_exception();
      }
      ++ran;
      if (slot != 0) done_.fetch_add(1, std::memory_order_acq_rel);
      cur = word_.load(std::memory_order_acquire);
    }
  }

  void grow(int workers) {
    while ((int)threads_.size() < workers) {
      int index = (int)threads_.size();
      threads_.emplace_back([this, index] { worker(index); });
      threads_.back().detach();  // the pool lives for the process; never joined at exit
    }
  }

  void worker(int index) {
    t_in_pool = true;
#ifdef EXO_HAVE_MXCSR
    _mm_setcsr(_mm_getcsr() | 0x8040);  // workers only ever run op chunks
#endif
    const int slot = index + 1;
    uint64_t seen = 0;
    for (;;) {
      uint64_t w = wait_for_new(seen);
      seen = gen_of(w);
      if (slot < limit_of(w)) claim_all(seen, slot);
    }
  }

  // Returns the word once its generation differs from `seen`: spins for spin_ns_, then sleeps.
  uint64_t wait_for_new(uint64_t seen) {
    uint64_t w = word_.load(std::memory_order_acquire);
    if (gen_of(w) != seen) return w;
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0;; ++i) {
      cpu_relax();
      w = word_.load(std::memory_order_acquire);
      if (gen_of(w) != seen) return w;
      if ((i & 63) == 63 && std::chrono::steady_clock::now() - t0 > std::chrono::nanoseconds(spin_ns_)) break;
    }
    std::unique_lock<std::mutex> lk(cv_mu_);
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    cv_.wait(lk, [&] { return gen_of(word_.load(std::memory_order_seq_cst)) != seen; });
    sleepers_.fetch_sub(1, std::memory_order_seq_cst);
    return word_.load(std::memory_order_acquire);
  }

  const long spin_ns_;
  std::mutex run_mu_, cv_mu_, err_mu_;
  std::condition_variable cv_;
  std::vector<std::thread> threads_;
  std::atomic<uint64_t> word_{0};
  std::atomic<size_t> done_{0};
  std::atomic<int> sleepers_{0};
  uint64_t gen_ = 0;
  Clock::time_point solo_until_{};
  Clock::duration backoff_ = Clock::duration::zero();
  Offset job_{nullptr, nullptr, 0};
  std::exception_ptr error_;
};

Pool& pool() {
  static Pool* p = new Pool();  // leaked on purpose: detached workers may outlive static destructors
  return *p;
}

}  // namespace

namespace {
// The thread count ops use. The default is OMP_NUM_THREADS (its first value), the knob users know,
// else the CPUs this process may run on. set_cpu_threads overrides it for the calling thread
// only: the main thread's setting must not change what data-loader threads take.
int default_threads() {
  static const int n = [] {
    if (const char* e = std::getenv("OMP_NUM_THREADS")) {
      char* end = nullptr;
      long v = std::strtol(e, &end, 10);
      if (end != e && v >= 1 && v <= 4096 && (*end == 0 || *end == ',')) return (int)v;
    }
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
    unsigned hw = std::thread::hardware_concurrency();
    return hw ? (int)hw : 1;
  }();
  return n;
}
thread_local int t_threads = 0;  // 0: the default
}  // namespace

int pool_threads() {
  if (t_in_pool) return 1;
  return t_threads > 0 ? t_threads : default_threads();
}

void pool_run(size_t nchunks, int threads, void (*fn)(void*, size_t, int), void* ctx) {
  if (t_in_pool || threads <= 1 || nchunks <= 1) {
    DenormalsAreZero ftz;
    for (size_t c = 0; c < nchunks; ++c) fn(ctx, c, 0);
    return;
  }
  pool().run(nchunks, threads, fn, ctx);
}

}  // namespace cpu

int cpu_threads() { return cpu::t_threads > 0 ? cpu::t_threads : cpu::default_threads(); }
void set_cpu_threads(int n) {
  if (n < 1) throw Error("CPU threads must be at least 1, received " + std::to_string(n));
  cpu::t_threads = n;
}

}  // namespace exo
