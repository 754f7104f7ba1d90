// N-API bindings of the layer ops (nn_ops.h): batched GEMM, im2col/col2im, pooling, Adam, dropout.
#include <algorithm>

#include "binding.h"
#include "exodus/nn_ops.h"

namespace exo_binding {
namespace {

std::vector<double> numbers(const Napi::CallbackInfo& info, size_t i, size_t n) {
  if (i >= info.Length() || !info[i].IsArray() || info[i].As<Napi::Array>().Length() != n)
    throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be an array of " + std::to_string(n) + " numbers");
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<double> v(n);
  for (uint32_t j = 0; j < n; ++j) v[j] = a.Get(j).As<Napi::Number>().DoubleValue();
  return v;
}

exo::k::ConvGeom conv_geom(const Napi::CallbackInfo& info, size_t i) {
  auto v = numbers(info, i, 9);
  exo::k::ConvGeom g{(int)v[0], (int)v[1], (int)v[2], (int)v[3], (int)v[4], (int)v[5], (int)v[6], (int)v[7], (int)v[8], 0, 0};
  if (g.c < 1 || g.h < 1 || g.w < 1 || g.kh < 1 || g.kw < 1 || g.sh < 1 || g.sw < 1 || g.ph < 0 || g.pw < 0)
    throw Napi::RangeError::New(info.Env(), "conv geometry: sizes, kernel and stride must be >= 1, padding >= 0");
  g.ho = (g.h + 2 * g.ph - g.kh) / g.sh + 1;
  g.wo = (g.w + 2 * g.pw - g.kw) / g.sw + 1;
  if (g.ho < 1 || g.wo < 1) throw Napi::RangeError::New(info.Env(), "conv geometry: kernel larger than the padded input");
  return g;
}

exo::k::PoolGeom pool_geom(const Napi::CallbackInfo& info, size_t i) {
  auto v = numbers(info, i, 4);
  exo::k::PoolGeom g{(int)v[0], (int)v[1], (int)v[2], (int)v[3], 0, 0};
  if (g.h < 1 || g.w < 1 || g.k < 1 || g.s < 1 || g.k > g.h || g.k > g.w)
    throw Napi::RangeError::New(info.Env(), "pool geometry: window must fit the input, stride >= 1");
  g.ho = (g.h - g.k) / g.s + 1;
  g.wo = (g.w - g.k) / g.s + 1;
  return g;
}

// gemmBatched(ta, tb, M, N, K, alpha, A, aOff, lda, sa, B, bOff, ldb, sb, beta, C, cOff, ldc, sc, batch)
Napi::Value GemmBatched(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    bool ta = info[0].ToBoolean(), tb = info[1].ToBoolean();
    int M = integer(info, 2), N = integer(info, 3), K = integer(info, 4), batch = integer(info, 19);
    int lda = integer(info, 8), ldb = integer(info, 12), ldc = integer(info, 17);
    size_t sa = count(info, 9), sb = count(info, 13), sc = count(info, 18);
    if (M < 0 || N < 0 || K < 0 || batch < 0) throw Napi::RangeError::New(info.Env(), "gemmBatched: negative size");
    auto extent = [](int rows, int cols, int ld) -> size_t { return rows == 0 || cols == 0 ? 0 : (size_t)(rows - 1) * ld + cols; };
    auto span = [&](size_t one, size_t stride) -> size_t { return batch == 0 || one == 0 ? 0 : (size_t)(batch - 1) * stride + one; };
    View A = view(info, 6, span(ta ? extent(K, M, lda) : extent(M, K, lda), sa));
    View B = view(info, 10, span(tb ? extent(N, K, ldb) : extent(K, N, ldb), sb));
    View C = view(info, 15, span(extent(M, N, ldc), sc));
    same_device(info, A, B);
    same_device(info, A, C);
    exo::gemm_batched(A.dev, ta, tb, M, N, K, (float)num(info, 5), A.p, lda, sa, B.p, ldb, sb, (float)num(info, 14), C.p,
                      ldc, sc, batch);
    return info.Env().Undefined();
  });
}

// im2col(x, xOff, cols, colsOff, geom[9], count)
Napi::Value Im2col(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    exo::k::ConvGeom g = conv_geom(info, 4);
    size_t n = count(info, 5);
    View x = view(info, 0, n * g.c * g.h * g.w), cols = view(info, 2, n * g.ckk() * g.pixels());
    same_device(info, x, cols);
    exo::im2col(x.dev, x.p, cols.p, g, (int)n);
    return info.Env().Undefined();
  });
}

// col2im(cols, colsOff, dx, dxOff, geom[9], count)
Napi::Value Col2im(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    exo::k::ConvGeom g = conv_geom(info, 4);
    size_t n = count(info, 5);
    View cols = view(info, 0, n * g.ckk() * g.pixels()), dx = view(info, 2, n * g.c * g.h * g.w);
    same_device(info, cols, dx);
    exo::col2im(cols.dev, cols.p, dx.p, g, (int)n);
    return info.Env().Undefined();
  });
}

// pool2d(isMax, x, xOff, y, yOff, arg|null, argOff, geom[4], planes)
Napi::Value Pool2d(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    bool is_max = info[0].ToBoolean();
    exo::k::PoolGeom g = pool_geom(info, 7);
    size_t planes = count(info, 8);
    View x = view(info, 1, planes * g.h * g.w), y = view(info, 3, planes * g.ho * g.wo);
    same_device(info, x, y);
    float* arg = optional_view(info, 5, planes * g.ho * g.wo, x);
    if (is_max && !arg) throw Napi::TypeError::New(info.Env(), "max pooling needs an index buffer");
    exo::pool2d(x.dev, is_max, x.p, y.p, arg, g, planes);
    return info.Env().Undefined();
  });
}

// pool2dBackward(isMax, dy, dyOff, arg|null, argOff, dx, dxOff, geom[4], planes)
Napi::Value Pool2dBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    bool is_max = info[0].ToBoolean();
    exo::k::PoolGeom g = pool_geom(info, 7);
    size_t planes = count(info, 8);
    View dy = view(info, 1, planes * g.ho * g.wo), dx = view(info, 5, planes * g.h * g.w);
    same_device(info, dy, dx);
    float* arg = optional_view(info, 3, planes * g.ho * g.wo, dy);
    if (is_max && !arg) throw Napi::TypeError::New(info.Env(), "max pooling backward needs the index buffer");
    exo::pool2d_backward(dy.dev, is_max, dy.p, arg, dx.p, g, planes);
    return info.Env().Undefined();
  });
}

// adamStep(p, pOff, g, gOff, m, mOff, v, vOff, n, [lr, beta1, beta2, eps, weightDecay, bias1, bias2, decoupled])
Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    size_t n = count(info, 8);
    auto c = numbers(info, 9, 8);
    View p = view(info, 0, n), g = view(info, 2, n), m = view(info, 4, n), v = view(info, 6, n);
    same_device(info, p, g);
    same_device(info, p, m);
    same_device(info, p, v);
    exo::k::AdamConfig cfg{(float)c[0], (float)c[1], (float)c[2], (float)c[3], (float)c[4], (float)c[5], (float)c[6], (int)c[7]};
    exo::adam_step(p.dev, p.p, g.p, m.p, v.p, n, cfg);
    return info.Env().Undefined();
  });
}

// dropoutMask(mask, off, n, p, seed)
Napi::Value DropoutMask(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    size_t n = count(info, 2);
    double p = num(info, 3);
    if (!(p >= 0 && p < 1)) throw Napi::RangeError::New(info.Env(), "dropout probability must be in [0, 1)");
    View m = view(info, 0, n);
    exo::dropout_mask(m.dev, m.p, n, (float)p, (unsigned long long)num(info, 4));
    return info.Env().Undefined();
  });
}

// scatterFrames(dst, dstOff, T, B, F, b, index: Uint32Array, count: Uint32Array)
Napi::Value ScatterFrames(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    int T = integer(info, 2), B = integer(info, 3), F = integer(info, 4), b = integer(info, 5);
    if (T < 0 || B < 1 || F < 1 || b < 0 || b >= B) throw Napi::RangeError::New(info.Env(), "scatterFrames: bad geometry");
    if (!info[6].IsTypedArray() || info[6].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array ||
        !info[7].IsTypedArray() || info[7].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
      throw Napi::TypeError::New(info.Env(), "scatterFrames: index and count must be Uint32Arrays");
    auto index = info[6].As<Napi::Uint32Array>();
    auto cnt = info[7].As<Napi::Uint32Array>();
    if (index.ElementLength() != cnt.ElementLength())
      throw Napi::RangeError::New(info.Env(), "scatterFrames: index and count differ in length");
    View dst = view(info, 0, (size_t)T * B * F);
    exo::scatter_frames(dst.dev, dst.p, T, B, F, b, index.Data(), cnt.Data(), index.ElementLength());
    return info.Env().Undefined();
  });
}

// Builds a dense [T, B, F] batch from per-sample sparse frames on a libuv thread, so the main
// thread (driving a training step) does not pay for zeroing and filling a batch of up to hundreds
// of MB. Holds references to its inputs until it completes.
class ScatterBatchWorker : public Napi::AsyncWorker {
 public:
  ScatterBatchWorker(Napi::Env env, const Napi::Object& dst_obj, View dst, int T, int B, int F, Napi::Array index,
                     Napi::Array counts)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), dst_(dst), T_(T), B_(B), F_(F) {
    keep_ = Napi::Persistent(Napi::Object::New(env));
    keep_.Value().Set("dst", dst_obj);
    keep_.Value().Set("index", index);
    keep_.Value().Set("counts", counts);
    for (uint32_t b = 0; b < index.Length(); ++b) {
      auto i = index.Get(b).As<Napi::Uint32Array>();
      auto c = counts.Get(b).As<Napi::Uint32Array>();
      samples_.push_back({i.Data(), c.Data(), i.ElementLength()});
    }
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      size_t n = (size_t)T_ * B_ * F_;
      if (dst_.dev.cpu()) {
        std::fill(dst_.p, dst_.p + n, 0.f);  // one thread: the main thread's OpenMP team is busy
      } else {
        exo::fill(dst_.dev, dst_.p, n, 0.f);
      }
      for (size_t b = 0; b < samples_.size(); ++b)
        exo::scatter_frames(dst_.dev, dst_.p, T_, B_, F_, (int)b, samples_[b].index, samples_[b].count, samples_[b].n);
      if (!dst_.dev.cpu()) exo::synchronize(dst_.dev);
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  struct Sample {
    const uint32_t* index;
    const uint32_t* count;
    size_t n;
  };
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference keep_;
  View dst_;
  int T_, B_, F_;
  std::vector<Sample> samples_;
};

// scatterBatchAsync(dst, dstOff, T, B, F, index: Uint32Array[B], count: Uint32Array[B]) -> Promise
Napi::Value ScatterBatchAsync(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    int T = integer(info, 2), B = integer(info, 3), F = integer(info, 4);
    if (T < 0 || B < 1 || F < 1) throw Napi::RangeError::New(env, "scatterBatchAsync: bad geometry");
    if (!info[5].IsArray() || !info[6].IsArray()) throw Napi::TypeError::New(env, "scatterBatchAsync: index and count must be arrays");
    Napi::Array index = info[5].As<Napi::Array>(), counts = info[6].As<Napi::Array>();
    if ((int)index.Length() != B || (int)counts.Length() != B)
      throw Napi::RangeError::New(env, "scatterBatchAsync: expected one index and one count array per batch column");
    for (uint32_t b = 0; b < index.Length(); ++b) {
      Napi::Value i = index.Get(b), c = counts.Get(b);
      if (!i.IsTypedArray() || i.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array || !c.IsTypedArray() ||
          c.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array ||
          i.As<Napi::TypedArray>().ElementLength() != c.As<Napi::TypedArray>().ElementLength())
        throw Napi::TypeError::New(env, "scatterBatchAsync: column " + std::to_string(b) + " needs Uint32Arrays of equal length");
    }
    View dst = view(info, 0, (size_t)T * B * F);
    auto* w = new ScatterBatchWorker(env, info[0].As<Napi::Object>(), dst, T, B, F, index, counts);
    Napi::Promise p = w->Promise();
    w->Queue();
    return p;
  });
}

}  // namespace

void register_nn_op_bindings(Napi::Env env, Napi::Object exports) {
  exports.Set("gemmBatched", Napi::Function::New(env, GemmBatched, "gemmBatched"));
  exports.Set("im2col", Napi::Function::New(env, Im2col, "im2col"));
  exports.Set("col2im", Napi::Function::New(env, Col2im, "col2im"));
  exports.Set("pool2d", Napi::Function::New(env, Pool2d, "pool2d"));
  exports.Set("pool2dBackward", Napi::Function::New(env, Pool2dBackward, "pool2dBackward"));
  exports.Set("adamStep", Napi::Function::New(env, AdamStep, "adamStep"));
  exports.Set("dropoutMask", Napi::Function::New(env, DropoutMask, "dropoutMask"));
  exports.Set("scatterFrames", Napi::Function::New(env, ScatterFrames, "scatterFrames"));
  exports.Set("scatterBatchAsync", Napi::Function::New(env, ScatterBatchAsync, "scatterBatchAsync"));
}

}  // namespace exo_binding
