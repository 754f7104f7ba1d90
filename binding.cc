// The N-API layer: read each op's named arguments, check every view against its buffer and the
// others' device, call the backend chosen by device (exodus/backend.h), and turn C++ exceptions
// into JavaScript errors. No math here. Friendly validation of user input happens in TypeScript
// (lib/); the checks below guard against anything that would crash the process.
#include "binding.h"
#include "cpu/cpu_features.h"

namespace exo_binding {

// ---- memory ------------------------------------------------------------------------------------
// write({ dst, data: Float32Array })
Napi::Value Write(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "write");
    Napi::Value d = a.get("data");
    if (!d.IsTypedArray() || d.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      a.fail("data", "must be a Float32Array");
    auto arr = d.As<Napi::Float32Array>();
    View v = a.view("dst", arr.ElementLength());
    exo::copy(arr.Data(), exo::Device{}, v.p, v.dev, arr.ElementLength());
    return info.Env().Undefined();
  });
}
// read({ src, n }) -> Float32Array
Napi::Value Read(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "read");
    size_t n = a.count("n");
    View v = a.view("src", n);
    auto out = Napi::Float32Array::New(info.Env(), n);
    exo::copy(v.p, v.dev, out.Data(), exo::Device{}, n);
    return out;
  });
}
// copy({ src, dst, n }): between any two devices
Napi::Value Copy(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "copy");
    size_t n = a.count("n");
    View s = a.view("src", n), d = a.view("dst", n);
    exo::copy(s.p, s.dev, d.p, d.dev, n);
    return info.Env().Undefined();
  });
}
// synchronize({ device, index })
Napi::Value Synchronize(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "synchronize");
    exo::synchronize(exo::Device{static_cast<exo::DevType>(a.integer("device")), a.integer("index")});
    return info.Env().Undefined();
  });
}

// ---- element-wise ------------------------------------------------------------------------------
// fill({ y, n, value })
Napi::Value Fill(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "fill");
    size_t n = a.count("n");
    View y = a.view("y", n);
    if (n) exo::on(y.dev).fill(y.dev.index, y.p, n, (float)a.num("value"));
    return info.Env().Undefined();
  });
}
// unary({ op, x, y, n, a, b })
Napi::Value Unary(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "unary");
    auto op = a.code<exo::Unary>("op");
    size_t n = a.count("n");
    View x = a.view("x", n), y = a.view("y", n, x);
    if (n) exo::on(x.dev).unary(x.dev.index, op, x.p, y.p, n, (float)a.num("a", 0), (float)a.num("b", 0));
    return info.Env().Undefined();
  });
}
// binary({ op, x, w, y, n, nb, inner }): y[i] = op(x[i], w[(i / inner) % nb])
Napi::Value Binary(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "binary");
    auto op = a.code<exo::Binary>("op");
    size_t n = a.count("n"), nb = a.count("nb"), inner = a.count("inner");
    if (nb == 0 || inner == 0 || n % (nb * inner) != 0)
      throw Napi::RangeError::New(info.Env(), "binary: operand of " + std::to_string(nb) + " x " + std::to_string(inner) +
                                                  " elements does not broadcast over " + std::to_string(n));
    View x = a.view("x", n), w = a.view("w", nb, x), y = a.view("y", n, x);
    if (n) exo::on(x.dev).binary(x.dev.index, op, x.p, w.p, y.p, n, nb, inner);
    return info.Env().Undefined();
  });
}
// axpby({ alpha, x, beta, y, n }): y = alpha·x + beta·y
Napi::Value Axpby(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "axpby");
    size_t n = a.count("n");
    View x = a.view("x", n), y = a.view("y", n, x);
    if (n) exo::on(x.dev).axpby(x.dev.index, (float)a.num("alpha"), x.p, (float)a.num("beta"), y.p, n);
    return info.Env().Undefined();
  });
}
// reduce({ op, x, y, outer, axis, inner })
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "reduce");
    auto op = a.code<exo::Reduce>("op");
    size_t outer = a.count("outer"), axis = a.count("axis"), inner = a.count("inner");
    if (axis == 0) throw Napi::RangeError::New(info.Env(), "reduce: cannot reduce an empty axis");
    View x = a.view("x", outer * axis * inner), y = a.view("y", outer * inner, x);
    if (outer && inner) exo::on(x.dev).reduce(x.dev.index, op, x.p, y.p, outer, axis, inner);
    return info.Env().Undefined();
  });
}

// ---- GEMM and losses ---------------------------------------------------------------------------
// Elements a row-major [rows, cols] matrix with leading dimension ld spans.
inline size_t extent(int rows, int cols, int ld) { return rows == 0 || cols == 0 ? 0 : (size_t)(rows - 1) * ld + cols; }

// gemm({ transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc })
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "gemm");
    bool ta = a.flag("transA"), tb = a.flag("transB");
    int M = a.dim("M"), N = a.dim("N"), K = a.dim("K");
    int lda = a.dim("lda"), ldb = a.dim("ldb"), ldc = a.dim("ldc");
    if (lda < (ta ? M : K) || ldb < (tb ? K : N) || ldc < N)
      throw Napi::RangeError::New(info.Env(), "gemm: leading dimension smaller than the row length");
    View A = a.view("A", ta ? extent(K, M, lda) : extent(M, K, lda));
    View B = a.view("B", tb ? extent(N, K, ldb) : extent(K, N, ldb), A), C = a.view("C", extent(M, N, ldc), A);
    exo::on(A.dev).gemm(A.dev.index, ta, tb, M, N, K, (float)a.num("alpha"), A.p, lda, B.p, ldb, (float)a.num("beta"), C.p,
                        ldc);
    return info.Env().Undefined();
  });
}
// softmaxXent({ logits, labels, loss, grad?, rows, cols, gradScale })
Napi::Value SoftmaxXent(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "softmaxXent");
    int rows = a.dim("rows"), cols = a.dim("cols");
    if (cols < 1) throw Napi::RangeError::New(info.Env(), "softmaxXent: cols must be >= 1");
    View x = a.view("logits", (size_t)rows * cols), l = a.view("labels", rows, x), loss = a.view("loss", rows, x);
    float* grad = a.optional("grad", (size_t)rows * cols, x);
    if (rows) exo::on(x.dev).softmax_xent(x.dev.index, x.p, l.p, loss.p, grad, rows, cols, (float)a.num("gradScale", 1));
    return info.Env().Undefined();
  });
}
// logSoftmax({ x, y, rows, cols })
Napi::Value LogSoftmax(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "logSoftmax");
    int rows = a.dim("rows"), cols = a.dim("cols");
    if (cols < 1) throw Napi::RangeError::New(info.Env(), "logSoftmax: cols must be >= 1");
    View x = a.view("x", (size_t)rows * cols), y = a.view("y", (size_t)rows * cols, x);
    if (rows) exo::on(x.dev).log_softmax(x.dev.index, x.p, y.p, rows, cols);
    return info.Env().Undefined();
  });
}

// ---- the code tables (codes.h) -----------------------------------------------------------------
// FastSigmoid -> fast_sigmoid
std::string snake(const char* camel) {
  std::string out;
  for (const char* c = camel; *c; ++c) {
    if (*c >= 'A' && *c <= 'Z') {
      if (c != camel) out += '_';
      out += (char)(*c - 'A' + 'a');
    } else out += *c;
  }
  return out;
}

// { unary: { copy: 0, …, count: 15 }, binary: …, surrogate: …, reset: …, grad: … }
Napi::Object code_tables(Napi::Env env) {
  Napi::Object all = Napi::Object::New(env);
#define EXO_CODE_ENTRY(name) t.Set(snake(#name), (int)E::name);
#define EXO_CODE_TABLE(js, Enum, LIST)                                        \
  {                                                                           \
    using E = exo::Enum;                                                      \
    Napi::Object t = Napi::Object::New(env);                                  \
    LIST(EXO_CODE_ENTRY)                                                      \
    t.Set("count", (int)E::Count);                                            \
    all.Set(#js, t);                                                          \
  }
  EXO_CODE_TABLES(EXO_CODE_TABLE)
#undef EXO_CODE_TABLE
#undef EXO_CODE_ENTRY
  return all;
}

// ---- runtime information -----------------------------------------------------------------------
// What the CPU kernels run: the build's ISA, and whether the AVX-512 twins (cpu/cpu_features.h) are
// taken on this CPU, so that benchmark records name what ran. A bad EXODUS_AVX512 is reported where
// the kernels read it; here it only leaves the twins unnamed.
std::string cpu_isa() {
#if defined(__AVX512F__)
  return "avx512";
#elif defined(__AVX2__)
  bool twins = false;
  try {
    twins = exo::cpu::cpu_avx512_enabled();
  } catch (...) {
  }
  return twins ? "avx2+fma (+ avx512 twins)" : "avx2+fma";
#else
  return "generic";
#endif
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    exo::CudaInfo ci = exo::cuda_info();
    Napi::Object o = Napi::Object::New(env);
    o.Set("version", EXODUS_VERSION);
    o.Set("cudaCompiled", ci.compiled);
    o.Set("cudaArchs", ci.archs);
    o.Set("cudaRuntimeVersion", ci.runtime_version);
    o.Set("cudaDriverVersion", ci.driver_version);
    o.Set("cudaDeviceCount", ci.device_count);
    o.Set("cudaReason", ci.reason);
    o.Set("cpuThreads", exo::cpu_threads());
    o.Set("cpuIsa", cpu_isa());
    return o;
  });
}
// What this build contains, without touching the CUDA driver (lib/device.ts probes the driver in a
// child process, so a broken one cannot take this process down).
Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("version", EXODUS_VERSION);
    o.Set("cudaCompiled", exo::gpu::compiled());
    o.Set("cpuThreads", exo::cpu_threads());
    o.Set("cpuIsa", cpu_isa());
    return o;
  });
}
Napi::Value CudaDeviceInfo(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    exo::CudaDeviceInfo d = exo::cuda_device_info(Args(info, "cudaDeviceInfo").integer("index"));
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("name", d.name);
    o.Set("computeCapability", std::to_string(d.major) + "." + std::to_string(d.minor));
    o.Set("totalMemory", (double)d.total_mem);
    o.Set("multiprocessors", d.sm_count);
    return o;
  });
}
Napi::Object StatsObject(Napi::Env env, const exo::AllocatorStats& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("inUse", (double)s.in_use);
  o.Set("cached", (double)s.cached);
  o.Set("peak", (double)s.peak);
  o.Set("mallocs", (double)s.mallocs);
  return o;
}
Napi::Value AllocatorStats(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "allocatorStats");
    int index = a.integer("index");
    if (index < 0) throw Napi::RangeError::New(info.Env(), "allocatorStats: index must be a CUDA device index >= 0, received " + std::to_string(index));
    return StatsObject(info.Env(), exo::cuda_allocator_stats(index));
  });
}
Napi::Value HostAllocatorStats(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value { return StatsObject(info.Env(), exo::host_allocator_stats()); });
}
Napi::Value EmptyCache(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    exo::cuda_empty_cache();
    return info.Env().Undefined();
  });
}
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    exo::set_cpu_threads(Args(info, "setThreads").integer("threads"));
    return info.Env().Undefined();
  });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeBuffer", NativeBuffer::Init(env));
  exports.Set("codes", code_tables(env));
#define EXO_EXPORT(name, fn) exports.Set(name, Napi::Function::New(env, fn, name))
  EXO_EXPORT("write", Write);
  EXO_EXPORT("read", Read);
  EXO_EXPORT("copy", Copy);
  EXO_EXPORT("synchronize", Synchronize);
  EXO_EXPORT("fill", Fill);
  EXO_EXPORT("unary", Unary);
  EXO_EXPORT("binary", Binary);
  EXO_EXPORT("axpby", Axpby);
  EXO_EXPORT("reduce", Reduce);
  EXO_EXPORT("gemm", Gemm);
  EXO_EXPORT("softmaxXent", SoftmaxXent);
  EXO_EXPORT("logSoftmax", LogSoftmax);
  EXO_EXPORT("info", Info);
  EXO_EXPORT("buildInfo", BuildInfo);
  EXO_EXPORT("cudaDeviceInfo", CudaDeviceInfo);
  EXO_EXPORT("allocatorStats", AllocatorStats);
  EXO_EXPORT("hostAllocatorStats", HostAllocatorStats);
  EXO_EXPORT("emptyCache", EmptyCache);
  EXO_EXPORT("setThreads", SetThreads);
#undef EXO_EXPORT
  register_neuron_bindings(env, exports);
  register_nn_op_bindings(env, exports);
  register_sparse_bindings(env, exports);
  register_table_bindings(env, exports);
  register_comm_bindings(env, exports);
  register_delay_bindings(env, exports);
  register_recurrent_bindings(env, exports);
  register_fused_bindings(env, exports);
  return exports;
}

}  // namespace exo_binding

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return exo_binding::Init(env, exports); }

NODE_API_MODULE(exodus, InitModule)
