// MPI loaded at run time (dlopen), for data-parallel training (docs/distributed.md).
//
// Why dlopen: the prebuilt addon must load on laptops and GPU boxes without MPI, and a cluster's
// MPI is whatever its admins built. The two ABIs in use differ in what a handle is:
//  - Open MPI: MPI_Comm, MPI_Datatype, MPI_Op, MPI_Request are pointers; the predefined ones are
//    the addresses of exported globals (MPI_COMM_WORLD is &ompi_mpi_comm_world), found with dlsym.
//  - MPICH and its ABI family (Intel MPI, MVAPICH, Cray MPICH): handles are ints with fixed
//    values (MPI_COMM_WORLD = 0x44000000, …), frozen by the MPICH ABI initiative since 3.1.
// One template over the handle types serves both; anything else is refused with a message.
#include <dlfcn.h>
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "comm/comm.h"

namespace exo::comm {

void wait_until(const std::function<bool()>& done, const std::string& what, double timeout_s) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  for (long polls = 0;; polls++) {
    if (done()) return;
    // Spin for the first 20 ms (MPI's non-blocking collectives progress only inside MPI_Test,
    // and a message round takes microseconds), then sleep 20 µs between polls so a rank waiting
    // for a slow one leaves the core to the slow one's threads.
    const double waited = std::chrono::duration<double>(clock::now() - start).count();
    if (waited > 0.02) {
      timespec ts{0, 20 * 1000};
      nanosleep(&ts, nullptr);
    }
    if (waited > timeout_s)
      throw Error("distributed: " + what + " did not complete within " + std::to_string((int)timeout_s) +
                  " s: another rank died, hangs or is far behind; stopping this rank (set EXODUS_DIST_TIMEOUT, in seconds, "
                  "for slower steps)");
  }
}

namespace {

// The MPI calls exodus makes, on the handle types of one ABI.
struct Mpi {
  virtual ~Mpi() = default;
  virtual void init(MpiInfo& info) = 0;
  virtual void* iallgather(const void* send, int n, bool f64, void* recv) = 0;  // returns a request
  // The same for floats by point-to-point messages, one per peer: fewer rounds than the
  // non-blocking allgather's schedule, which progresses only inside MPI_Test.
  virtual std::vector<void*> exchange_f32(const float* send, int n, float* recv, int rank, int size) = 0;
  virtual void* iallreduce_f32(float* x, int n) = 0;
  virtual void* ibcast(void* data, int n, int root) = 0;
  virtual bool test(void* request) = 0;  // frees the request when done
  virtual void finalize() = 0;
};

template <typename H, typename R>
struct MpiAbi final : Mpi {
  // Handles of this ABI.
  H world, f32, f64, byte, sum, errors_return;
  void* in_place;
  void* status_ignore;
  // Entry points.
  int (*Init_thread)(int*, char***, int, int*);
  int (*Initialized)(int*);
  int (*Finalized)(int*);
  int (*Comm_rank)(H, int*);
  int (*Comm_size)(H, int*);
  int (*Comm_set_errhandler)(H, H);
  int (*Iallgather)(const void*, int, H, void*, int, H, H, R*);
  int (*Isend)(const void*, int, H, int, int, H, R*);
  int (*Irecv)(void*, int, H, int, int, H, R*);
  int (*Iallreduce)(const void*, void*, int, H, H, H, R*);
  int (*Ibcast)(void*, int, H, int, H, R*);
  int (*Test)(R*, int*, void*);
  int (*Finalize)();
  int (*Error_string)(int, char*, int*);
  // Requests in flight, owned here so that a void* can stand for either ABI's MPI_Request.
  std::vector<std::unique_ptr<R>> requests;

  template <typename F>
  void load(void* lib, F& f, const char* name) {
    f = reinterpret_cast<F>(dlsym(lib, name));
    if (!f) throw Error(std::string("distributed: the MPI library lacks ") + name + " (MPI 3.0 or newer is needed)");
  }
  void load_all(void* lib) {
    load(lib, Init_thread, "MPI_Init_thread");
    load(lib, Initialized, "MPI_Initialized");
    load(lib, Finalized, "MPI_Finalized");
    load(lib, Comm_rank, "MPI_Comm_rank");
    load(lib, Comm_size, "MPI_Comm_size");
    load(lib, Comm_set_errhandler, "MPI_Comm_set_errhandler");
    load(lib, Iallgather, "MPI_Iallgather");
    load(lib, Isend, "MPI_Isend");
    load(lib, Irecv, "MPI_Irecv");
    load(lib, Iallreduce, "MPI_Iallreduce");
    load(lib, Ibcast, "MPI_Ibcast");
    load(lib, Test, "MPI_Test");
    load(lib, Finalize, "MPI_Finalize");
    load(lib, Error_string, "MPI_Error_string");
  }
  void check(int rc, const char* call) {
    if (rc == 0) return;
    char text[512] = {0};
    int len = 0;
    if (Error_string(rc, text, &len) != 0) std::snprintf(text, sizeof text, "error code %d", rc);
    throw Error(std::string("distributed: ") + call + " failed: " + text);
  }
  void* keep(std::unique_ptr<R> r) {
    requests.push_back(std::move(r));
    return requests.back().get();
  }

  void init(MpiInfo& info) override {
    int already = 0;
    check(Initialized(&already), "MPI_Initialized");
    if (!already) {
      int provided = 0;
      // FUNNELED: only the JavaScript main thread calls MPI; the worker pool never does.
      check(Init_thread(nullptr, nullptr, 1 /* MPI_THREAD_FUNNELED in both ABIs */, &provided), "MPI_Init_thread");
    }
    // Errors come back as codes (turned into exceptions) instead of aborting the process.
    check(Comm_set_errhandler(world, errors_return), "MPI_Comm_set_errhandler");
    check(Comm_rank(world, &info.rank), "MPI_Comm_rank");
    check(Comm_size(world, &info.size), "MPI_Comm_size");
  }
  void* iallgather(const void* send, int n, bool dbl, void* recv) override {
    auto r = std::make_unique<R>();
    check(Iallgather(send, n, dbl ? f64 : f32, recv, n, dbl ? f64 : f32, world, r.get()), "MPI_Iallgather");
    return keep(std::move(r));
  }
  std::vector<void*> exchange_f32(const float* send, int n, float* recv, int rank, int size) override {
    std::vector<void*> out;
    constexpr int kTag = 0x45584f;  // "EXO"
    for (int p = 0; p < size; p++) {
      if (p == rank) continue;
      auto r = std::make_unique<R>();
      check(Irecv(recv + (size_t)p * n, n, f32, p, kTag, world, r.get()), "MPI_Irecv");
      out.push_back(keep(std::move(r)));
    }
    for (int p = 0; p < size; p++) {
      if (p == rank) continue;
      auto r = std::make_unique<R>();
      check(Isend(send, n, f32, p, kTag, world, r.get()), "MPI_Isend");
      out.push_back(keep(std::move(r)));
    }
    std::memcpy(recv + (size_t)rank * n, send, (size_t)n * sizeof(float));
    return out;
  }
  void* iallreduce_f32(float* x, int n) override {
    auto r = std::make_unique<R>();
    check(Iallreduce(in_place, x, n, f32, sum, world, r.get()), "MPI_Iallreduce");
    return keep(std::move(r));
  }
  void* ibcast(void* data, int n, int root) override {
    auto r = std::make_unique<R>();
    check(Ibcast(data, n, byte, root, world, r.get()), "MPI_Ibcast");
    return keep(std::move(r));
  }
  bool test(void* request) override {
    auto it = std::find_if(requests.begin(), requests.end(), [&](auto& p) { return p.get() == request; });
    if (it == requests.end()) return true;
    int flag = 0;
    check(Test(it->get(), &flag, status_ignore), "MPI_Test");
    if (flag) requests.erase(it);
    return flag != 0;
  }
  void finalize() override {
    int done = 0;
    if (Finalized(&done) == 0 && !done) Finalize();
  }
};

struct State {
  void* lib = nullptr;
  std::unique_ptr<Mpi> mpi;
  MpiInfo info;
  // A collective timed out: its buffers are gone while MPI still holds the request, so no MPI
  // call may follow (MPI progresses only inside calls, so it never writes into them meanwhile).
  bool broken = false;
};
State& state() {
  static State s;
  return s;
}

std::unique_ptr<Mpi> open_mpi_abi(void* lib) {
  auto m = std::make_unique<MpiAbi<void*, void*>>();
  auto sym = [&](const char* name) {
    void* p = dlsym(lib, name);
    if (!p) throw Error(std::string("distributed: the Open MPI library lacks the predefined handle ") + name);
    return p;
  };
  m->world = sym("ompi_mpi_comm_world");
  m->f32 = sym("ompi_mpi_float");
  m->f64 = sym("ompi_mpi_double");
  m->byte = sym("ompi_mpi_byte");
  m->sum = sym("ompi_mpi_op_sum");
  m->errors_return = sym("ompi_mpi_errors_return");
  m->in_place = reinterpret_cast<void*>(1);  // Open MPI's MPI_IN_PLACE
  m->status_ignore = nullptr;                // Open MPI's MPI_STATUS_IGNORE
  m->load_all(lib);
  return m;
}

std::unique_ptr<Mpi> mpich_abi(void* lib) {
  auto m = std::make_unique<MpiAbi<int, int>>();
  // The MPICH ABI's fixed handle values (mpi.h of MPICH ≥ 3.1, Intel MPI, MVAPICH2, Cray MPICH).
  m->world = 0x44000000;
  m->f32 = 0x4c00040a;
  m->f64 = 0x4c00080b;
  m->byte = 0x4c00010d;
  m->sum = 0x58000003;
  m->errors_return = 0x54000001;
  m->in_place = reinterpret_cast<void*>(-1);     // MPICH's MPI_IN_PLACE
  m->status_ignore = reinterpret_cast<void*>(1);  // MPICH's MPI_STATUS_IGNORE
  m->load_all(lib);
  return m;
}

std::string library_version(void* lib) {
  auto get = reinterpret_cast<int (*)(char*, int*)>(dlsym(lib, "MPI_Get_library_version"));
  if (!get) return "";
  std::vector<char> text(8192, 0);  // ≥ MPI_MAX_LIBRARY_VERSION_STRING of every implementation
  int len = 0;
  if (get(text.data(), &len) != 0) return "";
  std::string s(text.data());
  return s.substr(0, s.find('\n'));
}

Mpi& mpi() {
  if (!state().mpi) throw Error("distributed: MPI is not initialised (call mpiInit first)");
  if (state().broken) throw Error("distributed: an earlier collective timed out; this rank can only exit");
  return *state().mpi;
}

// Waits for one request under the deadline; a timeout leaves MPI unusable (State::broken).
void wait_request(Mpi& m, void* request, const std::string& what, double timeout_s) {
  try {
    wait_until([&] { return m.test(request); }, what, timeout_s);
  } catch (...) {
    state().broken = true;
    throw;
  }
}

}  // namespace

MpiInfo mpi_init(const std::string& library) {
  State& s = state();
  if (s.mpi) return s.info;
  std::vector<std::string> names;
  if (!library.empty()) names.push_back(library);
  else {
    if (const char* env = std::getenv("EXODUS_MPI_LIB"); env && *env) names.push_back(env);
    // Open MPI ≥ 3, the MPICH ABI (MPICH, Intel MPI, MVAPICH), then unversioned names.
    for (const char* n : {"libmpi.so.40", "libmpi.so.12", "libmpich.so.12", "libmpi.so", "libmpich.so"}) names.push_back(n);
  }
  std::string tried;
  for (const auto& n : names) {
    // RTLD_GLOBAL: Open MPI's plugins (mca_*.so) resolve libmpi's symbols from the global scope.
    void* lib = dlopen(n.c_str(), RTLD_NOW | RTLD_GLOBAL);
    if (lib) {
      s.lib = lib;
      s.info.library = n;
      break;
    }
    const char* why = dlerror();
    tried += "\n  " + n + ": " + (why ? why : "not found");
  }
  if (!s.lib)
    throw Error("distributed: no MPI library could be loaded; tried:" + tried +
                "\ninstall Open MPI or MPICH (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev), or set EXODUS_MPI_LIB to "
                "the path of libmpi.so");
  s.info.version = library_version(s.lib);
  const std::string& v = s.info.version;
  if (dlsym(s.lib, "ompi_mpi_comm_world")) {
    s.info.implementation = "Open MPI";
    s.mpi = open_mpi_abi(s.lib);
  } else if (v.find("MPICH") != std::string::npos || v.find("Intel(R) MPI") != std::string::npos || v.find("MVAPICH") != std::string::npos) {
    s.info.implementation = "MPICH";
    s.mpi = mpich_abi(s.lib);
  } else {
    throw Error("distributed: " + s.info.library + " is neither Open MPI nor of the MPICH ABI (it reports \"" + v +
                "\"); exodus speaks those two ABIs; point EXODUS_MPI_LIB at an Open MPI or MPICH libmpi.so");
  }
  // MPI_Init may install its own SIGINT/SIGTERM handlers (Open MPI 4 does), which would swallow
  // the Ctrl-C/SIGTERM that the trainer turns into "checkpoint and stop": keep the process's own.
  struct sigaction before[2];
  const int sigs[2] = {SIGINT, SIGTERM};
  for (int i = 0; i < 2; i++) sigaction(sigs[i], nullptr, &before[i]);
  try {
    s.mpi->init(s.info);
  } catch (...) {
    s.mpi.reset();
    throw;
  }
  for (int i = 0; i < 2; i++) sigaction(sigs[i], &before[i], nullptr);
  return s.info;
}

bool mpi_ready() { return state().mpi != nullptr; }

const MpiInfo& mpi_info() {
  mpi();  // throws when not initialised
  return state().info;
}

void mpi_allgather_f64(const double* send, size_t n, double* recv, double timeout_s) {
  if (n > (size_t)INT_MAX) throw Error("distributed: allgather of more than 2^31 values");
  Mpi& m = mpi();
  void* r = m.iallgather(send, (int)n, true, recv);
  wait_request(m, r, "an exchange of step statistics (MPI_Iallgather)", timeout_s);
}

void mpi_bcast_bytes(void* data, size_t n, int root, double timeout_s) {
  if (n > (size_t)INT_MAX) throw Error("distributed: broadcast of more than 2^31 bytes");
  Mpi& m = mpi();
  void* r = m.ibcast(data, (int)n, root);
  wait_request(m, r, "a broadcast (MPI_Ibcast)", timeout_s);
}

double mpi_weighted_sum(float* x, Device dev, size_t n, const double* weights, ReduceMode mode, size_t bucket, double timeout_s) {
  Mpi& m = mpi();
  const int size = state().info.size, rank = state().info.rank;
  if (n == 0) return 0;
  bucket = std::max<size_t>(1, std::min({bucket, n, (size_t)INT_MAX / (size_t)size}));
  const size_t nb = (n + bucket - 1) / bucket;
  // Two slots: bucket k+1 is on the wire while bucket k is summed (and copied back to x). Kept
  // from step to step (only the JavaScript thread calls here): fresh pages every step cost more
  // than the exchange of a small model.
  static std::vector<float> send[2], recv[2];
  for (int s = 0; s < 2; s++) {
    if (send[s].size() < bucket) send[s].resize(bucket);
    if (mode == ReduceMode::Ordered && recv[s].size() < bucket * size) recv[s].resize(bucket * size);
  }
  auto len = [&](size_t k) { return std::min(bucket, n - k * bucket); };
  const float mine = (float)weights[rank];
  auto start = [&](size_t k) -> std::vector<void*> {
    std::vector<float>& b = send[k & 1];
    copy(x + k * bucket, dev, b.data(), Device{}, len(k));
    if (mode == ReduceMode::Ordered) return m.exchange_f32(b.data(), (int)len(k), recv[k & 1].data(), rank, size);
    for (size_t j = 0; j < len(k); j++) b[j] *= mine;
    return {m.iallreduce_f32(b.data(), (int)len(k))};
  };
  std::vector<float> w(size);
  for (int r = 0; r < size; r++) w[r] = (float)weights[r];
  std::vector<void*> reqs = start(0);
  for (size_t k = 0; k < nb; k++) {
    for (void* r : reqs)
      wait_request(m, r, std::string("the gradient exchange (") + (mode == ReduceMode::Ordered ? "MPI_Isend/MPI_Irecv" : "MPI_Iallreduce") + ")", timeout_s);
    if (k + 1 < nb) reqs = start(k + 1);
    const size_t l = len(k);
    float* out = send[k & 1].data();
    if (mode == ReduceMode::Ordered) {
      // Rank order, the same loop on every rank: the same bits everywhere.
      const float* g = recv[k & 1].data();
      for (size_t j = 0; j < l; j++) {
        float acc = w[0] * g[j];
        for (int r = 1; r < size; r++) acc += w[r] * g[(size_t)r * l + j];
        out[j] = acc;
      }
    }
    copy(out, Device{}, x + k * bucket, dev, l);
  }
  const double bytes = (double)n * 4;
  return mode == ReduceMode::Ordered ? bytes * (size - 1) : bytes * 2 * (size - 1) / size;
}

void mpi_finalize() {
  State& s = state();
  if (s.mpi && !s.broken) s.mpi->finalize();
}

}  // namespace exo::comm
