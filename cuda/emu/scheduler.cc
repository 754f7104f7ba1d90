// The emulated device's execution: a grid's blocks in turn, a block's threads as fibers. A thread
// runs until it finishes or reaches a barrier or a shuffle; when every thread of the block has
// stopped, the shuffles of each warp are exchanged, else the barrier is released, after the
// checks a GPU does not make for you: every live thread at the same __syncthreads (none exited,
// none at another one), every lane a shuffle's mask names present at that shuffle.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <string>
#include <vector>

#include "device.h"
#include "fiber.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define EXO_EMU_ASAN 1
#endif

uint3 threadIdx;
uint3 blockIdx;
dim3 blockDim;
dim3 gridDim;

namespace exo {
namespace emu {
namespace {

enum class St : unsigned char { Fresh, Ready, Barrier, Shuffle, Done };

struct Thread {
  void* sp = nullptr;
  char* stack = nullptr;
  St st = St::Fresh;
  Site at{nullptr, 0};
  unsigned mask = 0;
  int delta = 0, width = 32;
  size_t bytes = 0;
  unsigned char in[8], out[8];
#ifdef EXO_EMU_ASAN
  void* fake = nullptr;
#endif
};

#ifdef EXO_EMU_ASAN
constexpr size_t kStack = size_t(512) << 10;  // ASan's redzones make frames several times larger
#else
constexpr size_t kStack = size_t(64) << 10;
#endif

struct Block {
  std::vector<Thread> th;
  unsigned n = 0;
  unsigned cur = 0;
  void* sched_sp = nullptr;
  const std::function<void()>* body = nullptr;
  std::string error;
  bool inside = false;  // a kernel thread is running
#ifdef EXO_EMU_ASAN
  void* sched_fake = nullptr;
  const void* sched_bottom = nullptr;
  size_t sched_size = 0;
#endif
};

Block g_blk;
StackPool& pool() {
  static auto* p = new StackPool(kStack);  // never destroyed, like runtime.cc's registries
  return *p;
}

uint3 coords(unsigned i) {
  unsigned bx = blockDim.x, by = blockDim.y;
  return uint3{i % bx, (i / bx) % by, i / (bx * by)};
}

bool same(Site a, Site b) { return a.line == b.line && std::strcmp(a.file, b.file) == 0; }

std::string where(Site s) { return std::string(s.file ? s.file : "?") + ":" + std::to_string(s.line); }

// Thread ids as ranges: "0-15, 32".
std::string ids(const std::vector<unsigned>& v) {
  std::string s;
  for (size_t i = 0; i < v.size();) {
    size_t j = i;
    while (j + 1 < v.size() && v[j + 1] == v[j] + 1) ++j;
    if (!s.empty()) s += ", ";
    s += std::to_string(v[i]) + (j > i ? "-" + std::to_string(v[j]) : "");
    i = j + 1;
    if (s.size() > 120) {
      s += ", ...";
      break;
    }
  }
  return s;
}

// Back to the scheduler from a kernel thread; returns when the scheduler resumes the thread.
void yield_to_scheduler(Thread& t, bool finished) {
#ifdef EXO_EMU_ASAN
  __sanitizer_start_switch_fiber(finished ? nullptr : &t.fake, g_blk.sched_bottom, g_blk.sched_size);
#endif
  exo_emu_switch(&t.sp, g_blk.sched_sp);
#ifdef EXO_EMU_ASAN
  __sanitizer_finish_switch_fiber(t.fake, &g_blk.sched_bottom, &g_blk.sched_size);
#else
  (void)finished;
#endif
}

void fiber_entry() {
#ifdef EXO_EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &g_blk.sched_bottom, &g_blk.sched_size);
#endif
  Thread& t = g_blk.th[g_blk.cur];
  try {
    (*g_blk.body)();
  } catch (const std::exception& e) {
    if (g_blk.error.empty()) g_blk.error = std::string("a kernel thread threw: ") + e.what();
  } catch (...) {
    if (g_blk.error.empty()) g_blk.error = "a kernel thread threw";
  }
  g_blk.th[g_blk.cur].st = St::Done;
  yield_to_scheduler(t, true);
  std::abort();  // a finished fiber is never resumed
}

void resume(unsigned i) {
  Thread& t = g_blk.th[i];
  if (t.st == St::Fresh) {
    t.stack = pool().take();
#ifdef EXO_EMU_ASAN
    // A reused stack keeps the poisoned redzones of the frames a finished fiber never unwound.
    ASAN_UNPOISON_MEMORY_REGION(t.stack, pool().size());
#endif
    t.sp = fiber_prepare(t.stack, pool().size(), fiber_entry);
  }
  t.st = St::Ready;
  g_blk.cur = i;
  threadIdx = coords(i);
#ifdef EXO_EMU_ASAN
  __sanitizer_start_switch_fiber(&g_blk.sched_fake, t.stack, pool().size());
#endif
  exo_emu_switch(&g_blk.sched_sp, t.sp);
#ifdef EXO_EMU_ASAN
  __sanitizer_finish_switch_fiber(g_blk.sched_fake, nullptr, nullptr);
#endif
  if (t.st == St::Done) {
    pool().give(t.stack);
    t.stack = nullptr;
  }
}

// Every lane of a warp has stopped; those at a shuffle exchange values, after the mask checks.
void exchange(unsigned w) {
  unsigned lo = 32 * w, hi = std::min(g_blk.n, lo + 32);
  int first = -1;
  for (unsigned i = lo; i < hi; ++i)
    if (g_blk.th[i].st == St::Shuffle) {
      first = (int)i;
      break;
    }
  if (first < 0) return;
  const Thread& f = g_blk.th[first];
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%08x", f.mask);
  std::string head = "__shfl_down_sync(" + std::string(hex) + ") at " + where(f.at) + ", warp " + std::to_string(w) + ": ";
  if (hi - lo < 32 && (f.mask >> (hi - lo)) != 0) {
    g_blk.error = head + "the mask names lanes " + std::to_string(hi - lo) + "-31, which do not exist (a block of " +
                  std::to_string(g_blk.n) + " threads ends in a partial warp)";
    return;
  }
  for (unsigned i = lo; i < hi; ++i) {
    const Thread& t = g_blk.th[i];
    unsigned lane = i - lo;
    bool named = (f.mask >> lane) & 1;
    if (t.st == St::Shuffle && (t.mask != f.mask || !same(t.at, f.at))) {
      g_blk.error = head + "lane " + std::to_string(lane) + " shuffles at " + where(t.at) + " with another mask or site";
      return;
    }
    if (t.st == St::Shuffle && !named) {
      g_blk.error = head + "lane " + std::to_string(lane) + " takes part but the mask leaves it out";
      return;
    }
    if (named && t.st != St::Shuffle) {
      g_blk.error = head + "the mask names lane " + std::to_string(lane) + ", which " +
                    (t.st == St::Done ? std::string("has exited") : "waits at the __syncthreads at " + where(t.at)) +
                    " (divergent shuffle)";
      return;
    }
  }
  for (unsigned i = lo; i < hi; ++i) {
    Thread& t = g_blk.th[i];
    if (t.st != St::Shuffle) continue;
    unsigned lane = i - lo, seg = lane % (unsigned)t.width;
    unsigned src = seg + (unsigned)t.delta < (unsigned)t.width ? lane + t.delta : lane;
    if (!((f.mask >> src) & 1)) {
      g_blk.error = head + "lane " + std::to_string(lane) + " reads lane " + std::to_string(src) + ", outside the mask";
      return;
    }
    std::memcpy(t.out, g_blk.th[lo + src].in, t.bytes);
    t.st = St::Ready;
  }
}

// Every thread has stopped and none is at a shuffle: release the barrier, or say why not.
void release_barrier() {
  std::vector<unsigned> waiting, exited, elsewhere;
  Site at{nullptr, 0};
  for (unsigned i = 0; i < g_blk.n; ++i) {
    const Thread& t = g_blk.th[i];
    if (t.st == St::Done) exited.push_back(i);
    else if (!at.file) {
      at = t.at;
      waiting.push_back(i);
    } else if (same(t.at, at)) waiting.push_back(i);
    else elsewhere.push_back(i);
  }
  std::string head = "barrier divergence: threads " + ids(waiting) + " wait at the __syncthreads at " + where(at);
  if (!elsewhere.empty()) {
    g_blk.error = head + ", threads " + ids(elsewhere) + " at the one at " + where(g_blk.th[elsewhere[0]].at);
    return;
  }
  if (!exited.empty()) {
    g_blk.error = head + " but threads " + ids(exited) + " have exited without reaching it";
    return;
  }
  for (auto& t : g_blk.th) t.st = St::Ready;
}

std::string run_block() {
  for (auto& t : g_blk.th) t = Thread{};
  g_blk.error.clear();
  for (;;) {
    bool shuffles = false, barriers = false;
    for (unsigned i = 0; i < g_blk.n && g_blk.error.empty(); ++i) {
      St s = g_blk.th[i].st;
      if (s == St::Fresh || s == St::Ready) resume(i);
    }
    if (!g_blk.error.empty()) break;
    for (auto& t : g_blk.th) {
      shuffles |= t.st == St::Shuffle;
      barriers |= t.st == St::Barrier;
    }
    if (shuffles) {
      for (unsigned w = 0; w * 32 < g_blk.n && g_blk.error.empty(); ++w) exchange(w);
    } else if (barriers) {
      release_barrier();
    } else {
      break;
    }
    if (!g_blk.error.empty()) break;
  }
  // A block abandoned on an error leaves fibers mid-kernel: their stacks are simply reused.
  for (auto& t : g_blk.th)
    if (t.stack) {
      pool().give(t.stack);
      t.stack = nullptr;
    }
  return g_blk.error;
}

Thread& current(const char* what) {
  if (!g_blk.inside) {
    std::fprintf(stderr, "exodus emulated device: %s called outside a kernel\n", what);
    std::abort();
  }
  return g_blk.th[g_blk.cur];
}

}  // namespace

void syncthreads(Site at) {
  Thread& t = current("__syncthreads");
  t.st = St::Barrier;
  t.at = at;
  yield_to_scheduler(t, false);
}

void shuffle(unsigned mask, const void* in, void* out, size_t bytes, int delta, int width, Site at) {
  Thread& t = current("__shfl_down_sync");
  t.st = St::Shuffle;
  t.at = at;
  t.mask = mask;
  t.delta = delta;
  t.width = width;
  t.bytes = bytes;
  std::memcpy(t.in, in, bytes);
  yield_to_scheduler(t, false);
  std::memcpy(out, g_blk.th[g_blk.cur].out, bytes);
}

std::string config_error(dim3 g, dim3 b) {
  auto dims = [](const char* what, dim3 d) {
    return std::string(what) + " (" + std::to_string(d.x) + ", " + std::to_string(d.y) + ", " + std::to_string(d.z) + ")";
  };
  std::string cfg = dims("grid", g) + ", " + dims("block", b);
  if (!g.x || !g.y || !g.z) return cfg + ": a grid dimension is 0";
  if (!b.x || !b.y || !b.z) return cfg + ": a block dimension is 0";
  if (g.x > 0x7fffffffu) return cfg + ": gridDim.x exceeds 2147483647";
  if (g.y > 65535) return cfg + ": gridDim.y exceeds 65535";
  if (g.z > 65535) return cfg + ": gridDim.z exceeds 65535";
  if (b.x > 1024 || b.y > 1024 || b.z > 64) return cfg + ": a block dimension exceeds (1024, 1024, 64)";
  if ((unsigned long long)b.x * b.y * b.z > 1024) return cfg + ": more than 1024 threads per block";
  return "";
}

cudaError_t run_grid(dim3 grid, dim3 block, const LaunchSite& site, const std::function<void()>& body) {
  gridDim = grid;
  blockDim = block;
  g_blk.n = block.x * block.y * block.z;
  g_blk.th.resize(g_blk.n);
  g_blk.body = &body;
  g_blk.inside = true;
  std::string err;
  for (unsigned z = 0; z < grid.z && err.empty(); ++z)
    for (unsigned y = 0; y < grid.y && err.empty(); ++y)
      for (unsigned x = 0; x < grid.x && err.empty(); ++x) {
        blockIdx = uint3{x, y, z};
        err = run_block();
        if (!err.empty())
          err = "kernel " + std::string(site.kernel) + " launched at " + site.file + ":" + std::to_string(site.line) +
                ", block (" + std::to_string(x) + ", " + std::to_string(y) + ", " + std::to_string(z) + "): " + err;
      }
  g_blk.inside = false;
  g_blk.body = nullptr;
  if (err.empty()) return cudaSuccess;
  if (std::getenv("EXODUS_EMU_VERBOSE")) std::fprintf(stderr, "exodus emulated device: %s\n", err.c_str());
  return fail(cudaErrorLaunchFailure, "emulated device: " + err);
}

void submit(dim3 grid, dim3 block, LaunchSite site, std::function<void()> body) {
  std::lock_guard<std::mutex> lock(device_lock());
  std::string bad = config_error(grid, block);
  if (!bad.empty()) {
    fail(cudaErrorInvalidConfiguration, "invalid configuration argument: launch of " + std::string(site.kernel) + " at " +
                                            site.file + ":" + std::to_string(site.line) + " with " + bad);
    return;
  }
  if (!deferred()) {
    run_grid(grid, block, site, body);
    return;
  }
  enqueue([grid, block, site, body = std::move(body)] { return run_grid(grid, block, site, body); });
}

}  // namespace emu
}  // namespace exo
