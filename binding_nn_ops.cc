// N-API bindings of the layer ops (EXO_LAYER_OPS in backend.h): batched GEMM, im2col/col2im,
// pooling, Adam, dropout, frame scatter. Named arguments, as everywhere (binding.h).
#include <algorithm>

#include "binding.h"

namespace exo_binding {
namespace {

int geom_field(const Args& a, const Napi::Object& g, const char* name) {
  Napi::Value v = g.Get(name);
  if (!v.IsNumber()) a.fail("geom", std::string("needs a number ") + name);
  return v.As<Napi::Number>().Int32Value();
}
Napi::Object geom_object(const Args& a) {
  Napi::Value g = a.get("geom");
  if (!g.IsObject()) a.fail("geom", "must be an object");
  return g.As<Napi::Object>();
}

// geom: { h, w, k, s } (window k, stride s)
exo::k::PoolGeom pool_geom(const Args& a) {
  Napi::Object o = geom_object(a);
  auto f = [&](const char* n) { return geom_field(a, o, n); };
  exo::k::PoolGeom g{f("h"), f("w"), f("k"), f("s"), 0, 0};
  if (g.h < 1 || g.w < 1 || g.k < 1 || g.s < 1 || g.k > g.h || g.k > g.w)
    throw Napi::RangeError::New(a.env(), a.op() + ": pool geometry: window must fit the input, stride >= 1");
  g.ho = (g.h - g.k) / g.s + 1;
  g.wo = (g.w - g.k) / g.s + 1;
  return g;
}

// The fields both pooling directions read first: max or average, geometry, plane count.
struct PoolArgs {
  bool is_max;
  exo::k::PoolGeom g;
  size_t planes;
};
PoolArgs pool_args(const Args& a) {
  bool is_max = a.flag("max");
  exo::k::PoolGeom g = pool_geom(a);
  return {is_max, g, a.count("planes")};
}
// The winning indices [planes, ho, wo]: needed for max pooling (else `missing` is the error), optional otherwise.
float* pool_indices(const Args& a, const PoolArgs& p, const View& like, const char* missing) {
  float* arg = a.optional("indices", p.planes * p.g.ho * p.g.wo, like);
  if (p.is_max && !arg) a.fail("indices", missing);
  return arg;
}

size_t extent(int rows, int cols, int ld) { return rows == 0 || cols == 0 ? 0 : (size_t)(rows - 1) * ld + cols; }

// gemmBatched({ transA, transB, M, N, K, alpha, A, lda, strideA, B, ldb, strideB, beta, C, ldc, strideC, batch })
Napi::Value GemmBatched(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "gemmBatched");
    bool ta = a.flag("transA"), tb = a.flag("transB");
    int M = a.dim("M"), N = a.dim("N"), K = a.dim("K"), batch = a.dim("batch");
    int lda = a.dim("lda"), ldb = a.dim("ldb"), ldc = a.dim("ldc");
    size_t sa = a.count("strideA"), sb = a.count("strideB"), sc = a.count("strideC");
    auto span = [&](size_t one, size_t stride) -> size_t { return batch == 0 || one == 0 ? 0 : (size_t)(batch - 1) * stride + one; };
    View A = a.view("A", span(ta ? extent(K, M, lda) : extent(M, K, lda), sa));
    View B = a.view("B", span(tb ? extent(N, K, ldb) : extent(K, N, ldb), sb), A);
    View C = a.view("C", span(extent(M, N, ldc), sc), A);
    if (batch > 0)
      exo::on(A.dev).gemm_batched(A.dev.index, ta, tb, M, N, K, (float)a.num("alpha"), A.p, lda, sa, B.p, ldb, sb,
                                  (float)a.num("beta"), C.p, ldc, sc, batch);
    return info.Env().Undefined();
  });
}

// im2col({ x, cols, geom, count })
Napi::Value Im2col(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "im2col");
    exo::k::ConvGeom g = conv_geom(a);
    int n = a.dim("count");
    View x = a.view("x", (size_t)n * g.c * g.h * g.w), cols = a.view("cols", (size_t)n * g.ckk() * g.pixels(), x);
    if (n) exo::on(x.dev).im2col(x.dev.index, x.p, cols.p, g, n);
    return info.Env().Undefined();
  });
}

// col2im({ cols, dx, geom, count })
Napi::Value Col2im(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "col2im");
    exo::k::ConvGeom g = conv_geom(a);
    int n = a.dim("count");
    View cols = a.view("cols", (size_t)n * g.ckk() * g.pixels()), dx = a.view("dx", (size_t)n * g.c * g.h * g.w, cols);
    if (n) exo::on(cols.dev).col2im(cols.dev.index, cols.p, dx.p, g, n);
    return info.Env().Undefined();
  });
}

// convWeightGradDirect({ x, dy, dw, geom, cout, count }): dw += the direct ∂W (conv_direct_weight_grad, exodus/host_ops.h)
Napi::Value ConvWeightGradDirect(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "convWeightGradDirect");
    exo::k::ConvGeom g = conv_geom(a);
    int cout = a.dim("cout"), n = a.dim("count");
    if (!exo::conv_direct_weight_grad_fits(g))
      a.fail("geom", "is not one the direct weight gradient handles (stride 1, padding < kernel, output width a multiple of 8, kernel width 1, 3 or 5)");
    View x = a.view("x", (size_t)n * g.c * g.h * g.w), dy = a.view("dy", (size_t)n * cout * g.pixels(), x),
         dw = a.view("dw", (size_t)cout * g.ckk(), x);
    const exo::Backend& be = backend_for(a, x.dev, exo::Op::conv_direct_weight_grad, "x");
    if (n && cout) be.conv_direct_weight_grad(x.dev.index, x.p, dy.p, dw.p, g, cout, n);
    return info.Env().Undefined();
  });
}

// convInputGradDirect({ w, dy, dx, geom, cout, count }): the direct ∂x (conv_direct_input_grad, exodus/host_ops.h)
Napi::Value ConvInputGradDirect(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "convInputGradDirect");
    exo::k::ConvGeom g = conv_geom(a);
    int cout = a.dim("cout"), n = a.dim("count");
    if (!exo::conv_direct_input_grad_fits(g))
      a.fail("geom", "is not one the direct input gradient handles (stride 1, padding < kernel)");
    View w = a.view("w", (size_t)cout * g.ckk()), dy = a.view("dy", (size_t)n * cout * g.pixels(), w),
         dx = a.view("dx", (size_t)n * g.c * g.h * g.w, w);
    const exo::Backend& be = backend_for(a, w.dev, exo::Op::conv_direct_input_grad, "w");
    if (n && cout) be.conv_direct_input_grad(w.dev.index, w.p, dy.p, dx.p, g, cout, n);
    else if (n) std::fill(dx.p, dx.p + (size_t)n * g.c * g.h * g.w, 0.f);
    return info.Env().Undefined();
  });
}

// pool2d({ max, x, y, indices?, geom, planes })
Napi::Value Pool2d(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "pool2d");
    PoolArgs pa = pool_args(a);
    auto [is_max, g, planes] = pa;
    View x = a.view("x", planes * g.h * g.w), y = a.view("y", planes * g.ho * g.wo, x);
    float* arg = pool_indices(a, pa, x, "are needed for max pooling");
    if (planes) exo::on(x.dev).pool2d(x.dev.index, is_max, x.p, y.p, arg, g, planes);
    return info.Env().Undefined();
  });
}

// pool2dBackward({ max, dy, indices?, dx, geom, planes })
Napi::Value Pool2dBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "pool2dBackward");
    PoolArgs pa = pool_args(a);
    auto [is_max, g, planes] = pa;
    View dy = a.view("dy", planes * g.ho * g.wo), dx = a.view("dx", planes * g.h * g.w, dy);
    float* arg = pool_indices(a, pa, dy, "are needed for the max pooling backward");
    if (planes) exo::on(dy.dev).pool2d_backward(dy.dev.index, is_max, dy.p, arg, dx.p, g, planes);
    return info.Env().Undefined();
  });
}

// adamStep({ p, g, m, v, n, lr, beta1, beta2, eps, weightDecay, bias1, bias2, decoupled })
Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "adamStep");
    size_t n = a.count("n");
    View p = a.view("p", n), g = a.view("g", n, p), m = a.view("m", n, p), v = a.view("v", n, p);
    exo::k::AdamConfig cfg{(float)a.num("lr"), (float)a.num("beta1"), (float)a.num("beta2"), (float)a.num("eps"),
                           (float)a.num("weightDecay"), (float)a.num("bias1"), (float)a.num("bias2"),
                           a.flag("decoupled") ? 1 : 0};
    if (n) exo::on(p.dev).adam_step(p.dev.index, p.p, g.p, m.p, v.p, n, cfg);
    return info.Env().Undefined();
  });
}

// The { n, p, seed } of a dropout op, p checked.
struct DropoutArgs {
  size_t n;
  float p;
  unsigned long long seed;
};
DropoutArgs dropout_args(const Args& a) {
  size_t n = a.count("n");
  double p = a.num("p");
  if (!(p >= 0 && p < 1)) throw Napi::RangeError::New(a.env(), a.op() + ": p must be in [0, 1)");
  return {n, (float)p, (unsigned long long)a.num("seed")};
}

// dropoutApply({ x, y, n, p, seed }): y = x · the mask dropoutMask would give (y may be x)
Napi::Value DropoutApply(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "dropoutApply");
    DropoutArgs d = dropout_args(a);
    View x = a.view("x", d.n), y = a.view("y", d.n, x);
    if (d.n) exo::on(x.dev).dropout_apply(x.dev.index, x.p, y.p, d.n, d.p, d.seed);
    return info.Env().Undefined();
  });
}

// dropoutMask({ mask, n, p, seed })
Napi::Value DropoutMask(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "dropoutMask");
    DropoutArgs d = dropout_args(a);
    View m = a.view("mask", d.n);
    if (d.n) exo::on(m.dev).dropout_mask(m.dev.index, m.p, d.n, d.p, d.seed);
    return info.Env().Undefined();
  });
}

// A Uint32Array field.
Napi::Uint32Array u32(const Args& a, const Napi::Value& v, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) a.fail(name, "must be a Uint32Array");
  return v.As<Napi::Uint32Array>();
}

struct FrameGeom {
  int T, B, F, b;
};
FrameGeom frame_geom(const Args& a) {
  FrameGeom g{a.dim("T"), a.integer("B"), a.integer("F"), a.dim("b")};
  if (g.B < 1 || g.F < 1 || g.b >= g.B)
    throw Napi::RangeError::New(a.env(), a.op() + ": expected B >= 1, F >= 1 and a column b < B");
  return g;
}

// scatterFrames({ dst, T, B, F, b, index: Uint32Array, count: Uint32Array })
Napi::Value ScatterFrames(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "scatterFrames");
    FrameGeom g = frame_geom(a);
    auto index = u32(a, a.get("index"), "index"), cnt = u32(a, a.get("count"), "count");
    if (index.ElementLength() != cnt.ElementLength()) a.fail("count", "must have as many entries as index");
    View dst = a.view("dst", (size_t)g.T * g.B * g.F);
    if (index.ElementLength())
      exo::on(dst.dev).scatter_frames(dst.dev.index, dst.p, g.T, g.B, g.F, g.b, index.Data(), cnt.Data(), index.ElementLength());
    return info.Env().Undefined();
  });
}

// scatterFramesHost({ out: Float32Array, T, B, F, b, index, count }): the same into host memory
// (the JavaScript paths that build a sample or a batch outside a tensor). count may also be a
// Uint16Array (the cache's compact form), widened here.
Napi::Value ScatterFramesHost(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "scatterFramesHost");
    FrameGeom g = frame_geom(a);
    Napi::Value o = a.get("out");
    if (!o.IsTypedArray() || o.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) a.fail("out", "must be a Float32Array");
    auto out = o.As<Napi::Float32Array>();
    if (out.ElementLength() < (size_t)g.T * g.B * g.F) a.fail("out", "is smaller than T·B·F");
    auto index = u32(a, a.get("index"), "index");
    Napi::Value cv = a.get("count");
    std::vector<uint32_t> wide;
    const uint32_t* cnt;
    size_t n = index.ElementLength();
    if (cv.IsTypedArray() && cv.As<Napi::TypedArray>().TypedArrayType() == napi_uint16_array) {
      auto c16 = cv.As<Napi::Uint16Array>();
      if (c16.ElementLength() != n) a.fail("count", "must have as many entries as index");
      wide.assign(c16.Data(), c16.Data() + n);
      cnt = wide.data();
    } else {
      auto c32 = u32(a, cv, "count");
      if (c32.ElementLength() != n) a.fail("count", "must have as many entries as index");
      cnt = c32.Data();
    }
    if (n) exo::cpu_backend().scatter_frames(0, out.Data(), g.T, g.B, g.F, g.b, index.Data(), cnt, n);
    return info.Env().Undefined();
  });
}

// Builds a dense [T, B, F] batch from per-sample sparse frames on a libuv thread, so the main
// thread (driving a training step) does not pay for zeroing and filling a batch of up to hundreds
// of MB. Holds references to its inputs until it completes.
class ScatterBatchWorker : public Napi::AsyncWorker {
 public:
  ScatterBatchWorker(Napi::Env env, const Napi::Object& dst_obj, View dst, int T, int B, int F, const FrameColumns& fc)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), dst_(dst), T_(T), B_(B), F_(F),
        index_(fc.idx), count_(fc.cnt), events_(fc.n) {
    keep_ = Napi::Persistent(Napi::Object::New(env));
    keep_.Value().Set("dst", dst_obj);
    keep_.Value().Set("index", fc.index);
    keep_.Value().Set("counts", fc.count);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      size_t n = (size_t)T_ * B_ * F_;
      if (dst_.dev.cpu()) {
        std::fill(dst_.p, dst_.p + n, 0.f);  // one thread: the main thread's OpenMP team is busy
      } else {
        if (n) exo::on(dst_.dev).fill(dst_.dev.index, dst_.p, n, 0.f);
      }
      // No device sync: the events are in pinned memory before this returns, and the fill and the
      // scatter run on the default stream, ahead of every kernel that reads the batch.
      exo::on(dst_.dev).scatter_batch(dst_.dev.index, dst_.p, T_, B_, F_, index_.data(), count_.data(), events_.data());
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference keep_;  // the arrays behind the pointers below
  View dst_;
  int T_, B_, F_;
  std::vector<const uint32_t*> index_, count_;
  std::vector<size_t> events_;
};

// scatterBatchAsync({ dst, T, B, F, index: Uint32Array[B], count: Uint32Array[B] }) -> Promise
Napi::Value ScatterBatchAsync(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Args a(info, "scatterBatchAsync");
    int T = a.dim("T"), B = a.integer("B"), F = a.integer("F");
    if (B < 1 || F < 1) throw Napi::RangeError::New(env, "scatterBatchAsync: expected B >= 1 and F >= 1");
    FrameColumns fc = frame_columns(a, B);
    View dst = a.view("dst", (size_t)T * B * F);
    auto* w = new ScatterBatchWorker(env, a.get("dst").As<Napi::Object>(), dst, T, B, F, fc);
    Napi::Promise p = w->Promise();
    w->Queue();
    return p;
  });
}

}  // namespace

FrameColumns frame_columns(const Args& a, int B) {
  Napi::Value iv = a.get("index"), cv = a.get("count");
  if (!iv.IsArray() || !cv.IsArray()) throw Napi::TypeError::New(a.env(), a.op() + ": index and count must be arrays");
  FrameColumns fc{iv.As<Napi::Array>(), cv.As<Napi::Array>(), {}, {}, {}};
  if ((int)fc.index.Length() != B || (int)fc.count.Length() != B)
    throw Napi::RangeError::New(a.env(), a.op() + ": expected one index and one count array per batch column");
  for (uint32_t b = 0; b < (uint32_t)B; ++b) {
    Napi::Value i = fc.index.Get(b), c = fc.count.Get(b);
    if (!i.IsTypedArray() || i.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array || !c.IsTypedArray() ||
        c.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array ||
        i.As<Napi::TypedArray>().ElementLength() != c.As<Napi::TypedArray>().ElementLength())
      throw Napi::TypeError::New(a.env(), a.op() + ": column " + std::to_string(b) + " needs Uint32Arrays of equal length");
    fc.idx.push_back(i.As<Napi::Uint32Array>().Data());
    fc.cnt.push_back(c.As<Napi::Uint32Array>().Data());
    fc.n.push_back(i.As<Napi::Uint32Array>().ElementLength());
  }
  return fc;
}

// geom: { cin, h, w, kh, kw, sh, sw, ph, pw } (lib/conv.ts's Conv2dGeometry)
exo::k::ConvGeom conv_geom(const Args& a) {
  Napi::Object o = geom_object(a);
  auto f = [&](const char* n) { return geom_field(a, o, n); };
  exo::k::ConvGeom g{f("cin"), f("h"), f("w"), f("kh"), f("kw"), f("sh"), f("sw"), f("ph"), f("pw"), 0, 0};
  if (g.c < 1 || g.h < 1 || g.w < 1 || g.kh < 1 || g.kw < 1 || g.sh < 1 || g.sw < 1 || g.ph < 0 || g.pw < 0)
    throw Napi::RangeError::New(a.env(), a.op() + ": conv geometry: sizes, kernel and stride must be >= 1, padding >= 0");
  g.ho = (g.h + 2 * g.ph - g.kh) / g.sh + 1;
  g.wo = (g.w + 2 * g.pw - g.kw) / g.sw + 1;
  if (g.ho < 1 || g.wo < 1) throw Napi::RangeError::New(a.env(), a.op() + ": conv geometry: kernel larger than the padded input");
  return g;
}

void register_nn_op_bindings(Napi::Env env, Napi::Object exports) {
  exports.Set("gemmBatched", Napi::Function::New(env, GemmBatched, "gemmBatched"));
  exports.Set("im2col", Napi::Function::New(env, Im2col, "im2col"));
  exports.Set("convInputGradDirect", Napi::Function::New(env, ConvInputGradDirect, "convInputGradDirect"));
  exports.Set("convWeightGradDirect", Napi::Function::New(env, ConvWeightGradDirect, "convWeightGradDirect"));
  exports.Set("col2im", Napi::Function::New(env, Col2im, "col2im"));
  exports.Set("pool2d", Napi::Function::New(env, Pool2d, "pool2d"));
  exports.Set("pool2dBackward", Napi::Function::New(env, Pool2dBackward, "pool2dBackward"));
  exports.Set("adamStep", Napi::Function::New(env, AdamStep, "adamStep"));
  exports.Set("dropoutMask", Napi::Function::New(env, DropoutMask, "dropoutMask"));
  exports.Set("dropoutApply", Napi::Function::New(env, DropoutApply, "dropoutApply"));
  exports.Set("scatterFrames", Napi::Function::New(env, ScatterFrames, "scatterFrames"));
  exports.Set("scatterFramesHost", Napi::Function::New(env, ScatterFramesHost, "scatterFramesHost"));
  exports.Set("scatterBatchAsync", Napi::Function::New(env, ScatterBatchAsync, "scatterBatchAsync"));
}

}  // namespace exo_binding
