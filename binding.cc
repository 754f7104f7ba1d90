// The N-API layer: unpack arguments, check views against their buffers, call the C++ API in
// cuda/include/exodus/api.h, and turn C++ exceptions into JavaScript errors. No math here.
// Argument validation with friendly messages happens in TypeScript (lib/); the checks below only
// guard against what would crash the process.
#include "binding.h"

namespace exo_binding {

// ---- memory ------------------------------------------------------------------------------------
// write(buf, offset, Float32Array)
Napi::Value Write(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    auto arr = info[2].As<Napi::Float32Array>();
    View v = view(info, 0, arr.ElementLength());
    exo::copy(arr.Data(), exo::Device{}, v.p, v.dev, arr.ElementLength());
    return info.Env().Undefined();
  });
}
// read(buf, offset, n) -> Float32Array
Napi::Value Read(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    size_t n = count(info, 2);
    View v = view(info, 0, n);
    auto out = Napi::Float32Array::New(info.Env(), n);
    exo::copy(v.p, v.dev, out.Data(), exo::Device{}, n);
    return out;
  });
}
// copy(src, srcOff, dst, dstOff, n)
Napi::Value Copy(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    size_t n = count(info, 4);
    View s = view(info, 0, n), d = view(info, 2, n);
    exo::copy(s.p, s.dev, d.p, d.dev, n);
    return info.Env().Undefined();
  });
}
Napi::Value Synchronize(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    exo::synchronize(exo::Device{static_cast<exo::DevType>(integer(info, 0)), integer(info, 1)});
    return info.Env().Undefined();
  });
}

// ---- element-wise ------------------------------------------------------------------------------
// fill(buf, off, n, value)
Napi::Value Fill(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    size_t n = count(info, 2);
    View y = view(info, 0, n);
    exo::fill(y.dev, y.p, n, (float)num(info, 3));
    return info.Env().Undefined();
  });
}
// unary(op, x, xOff, y, yOff, n, a, b)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    int op = integer(info, 0);
    if (op < 0 || op >= (int)exo::Unary::Count) throw Napi::RangeError::New(info.Env(), "unknown unary op");
    size_t n = count(info, 5);
    View x = view(info, 1, n), y = view(info, 3, n);
    same_device(info, x, y);
    exo::unary(x.dev, (exo::Unary)op, x.p, y.p, n, (float)num(info, 6), (float)num(info, 7));
    return info.Env().Undefined();
  });
}
// binary(op, x, xOff, w, wOff, y, yOff, n, nb, inner)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    int op = integer(info, 0);
    if (op < 0 || op >= (int)exo::Binary::Count) throw Napi::RangeError::New(info.Env(), "unknown binary op");
    size_t n = count(info, 7), nb = count(info, 8), inner = count(info, 9);
    View x = view(info, 1, n), w = view(info, 3, nb), y = view(info, 5, n);
    same_device(info, x, w);
    same_device(info, x, y);
    exo::binary(x.dev, (exo::Binary)op, x.p, w.p, y.p, n, nb, inner);
    return info.Env().Undefined();
  });
}
// axpby(alpha, x, xOff, beta, y, yOff, n)
Napi::Value Axpby(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    size_t n = count(info, 6);
    View x = view(info, 1, n), y = view(info, 4, n);
    same_device(info, x, y);
    exo::axpby(x.dev, (float)num(info, 0), x.p, (float)num(info, 3), y.p, n);
    return info.Env().Undefined();
  });
}
// reduce(op, x, xOff, y, yOff, outer, axis, inner)
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    int op = integer(info, 0);
    if (op < 0 || op >= (int)exo::Reduce::Count) throw Napi::RangeError::New(info.Env(), "unknown reduction");
    size_t outer = count(info, 5), axis = count(info, 6), inner = count(info, 7);
    View x = view(info, 1, outer * axis * inner), y = view(info, 3, outer * inner);
    same_device(info, x, y);
    exo::reduce(x.dev, (exo::Reduce)op, x.p, y.p, outer, axis, inner);
    return info.Env().Undefined();
  });
}

// ---- GEMM and losses ---------------------------------------------------------------------------
// gemm(transA, transB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc)
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    bool ta = info[0].ToBoolean(), tb = info[1].ToBoolean();
    int M = integer(info, 2), N = integer(info, 3), K = integer(info, 4);
    int lda = integer(info, 8), ldb = integer(info, 11), ldc = integer(info, 15);
    if (M < 0 || N < 0 || K < 0) throw Napi::RangeError::New(info.Env(), "gemm: negative dimension");
    auto extent = [](int rows, int cols, int ld) -> size_t {
      return rows == 0 || cols == 0 ? 0 : (size_t)(rows - 1) * ld + cols;
    };
    size_t na = ta ? extent(K, M, lda) : extent(M, K, lda);
    size_t nb = tb ? extent(N, K, ldb) : extent(K, N, ldb);
    if (lda < (ta ? M : K) || ldb < (tb ? K : N) || ldc < N)
      throw Napi::RangeError::New(info.Env(), "gemm: leading dimension smaller than the row length");
    View A = view(info, 6, na), B = view(info, 9, nb), C = view(info, 13, extent(M, N, ldc));
    same_device(info, A, B);
    same_device(info, A, C);
    exo::gemm(A.dev, ta, tb, M, N, K, (float)num(info, 5), A.p, lda, B.p, ldb, (float)num(info, 12), C.p, ldc);
    return info.Env().Undefined();
  });
}
// softmaxXent(logits, off, labels, off, loss, off, grad|null, off, rows, cols, gradScale)
Napi::Value SoftmaxXent(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    int rows = integer(info, 8), cols = integer(info, 9);
    if (rows < 0 || cols < 1) throw Napi::RangeError::New(info.Env(), "softmaxXent: bad shape");
    View x = view(info, 0, (size_t)rows * cols), l = view(info, 2, rows), loss = view(info, 4, rows);
    same_device(info, x, l);
    same_device(info, x, loss);
    float* grad = optional_view(info, 6, (size_t)rows * cols, x);
    exo::softmax_xent(x.dev, x.p, l.p, loss.p, grad, rows, cols, (float)num(info, 10));
    return info.Env().Undefined();
  });
}
// logSoftmax(x, off, y, off, rows, cols)
Napi::Value LogSoftmax(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    int rows = integer(info, 4), cols = integer(info, 5);
    if (rows < 0 || cols < 1) throw Napi::RangeError::New(info.Env(), "logSoftmax: bad shape");
    View x = view(info, 0, (size_t)rows * cols), y = view(info, 2, (size_t)rows * cols);
    same_device(info, x, y);
    exo::log_softmax(x.dev, x.p, y.p, rows, cols);
    return info.Env().Undefined();
  });
}

// ---- runtime information -----------------------------------------------------------------------
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
#if defined(__AVX512F__)
    o.Set("cpuIsa", "avx512");
#elif defined(__AVX2__)
    o.Set("cpuIsa", "avx2+fma");
#else
    o.Set("cpuIsa", "generic");
#endif
    return o;
  });
}
Napi::Value CudaDeviceInfo(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    exo::CudaDeviceInfo d = exo::cuda_device_info(integer(info, 0));
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("name", d.name);
    o.Set("computeCapability", std::to_string(d.major) + "." + std::to_string(d.minor));
    o.Set("totalMemory", (double)d.total_mem);
    o.Set("multiprocessors", d.sm_count);
    return o;
  });
}
Napi::Value AllocatorStats(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    exo::AllocatorStats s = exo::cuda_allocator_stats(integer(info, 0));
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("inUse", (double)s.in_use);
    o.Set("cached", (double)s.cached);
    o.Set("peak", (double)s.peak);
    o.Set("mallocs", (double)s.mallocs);
    return o;
  });
}
Napi::Value EmptyCache(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    exo::cuda_empty_cache();
    return info.Env().Undefined();
  });
}
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    exo::set_cpu_threads(integer(info, 0));
    return info.Env().Undefined();
  });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Napi::Function nb = NativeBuffer::Init(env);
  NativeBuffer::ctor = Napi::Persistent(nb);
  NativeBuffer::ctor.SuppressDestruct();
  exports.Set("NativeBuffer", nb);
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
  EXO_EXPORT("cudaDeviceInfo", CudaDeviceInfo);
  EXO_EXPORT("allocatorStats", AllocatorStats);
  EXO_EXPORT("emptyCache", EmptyCache);
  EXO_EXPORT("setThreads", SetThreads);
#undef EXO_EXPORT
  register_neuron_bindings(env, exports);
  register_nn_op_bindings(env, exports);
  return exports;
}

}  // namespace exo_binding

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return exo_binding::Init(env, exports); }

NODE_API_MODULE(exodus, InitModule)
