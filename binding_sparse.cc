// N-API bindings of the spike-sparse products and the max-over-time readout's backward
// (EXO_SPARSE_OPS in backend.h; math in cuda/kernels/sparse.cuh).
#include "binding.h"

namespace exo_binding {
namespace {

// The fields every sparse Linear product reads first: rows × inFeatures → outFeatures, and the
// spike tensor s [rows, inFeatures] whose device the other operands must share.
struct LinearArgs {
  int R, F, O;
  View s;
};
LinearArgs linear_args(const Args& a) {
  int R = a.dim("rows"), F = a.dim("inFeatures"), O = a.dim("outFeatures");
  return {R, F, O, a.view("s", (size_t)R * F)};
}

// The same for a sparse Conv2d product: geometry, output channels, image count and the input x.
struct ConvArgs {
  exo::k::ConvGeom g;
  int cout, n;
  View x;
};
ConvArgs conv_args(const Args& a) {
  exo::k::ConvGeom g = conv_geom(a);
  int cout = a.dim("cout"), n = a.dim("count");
  return {g, cout, n, a.view("x", (size_t)n * g.c * g.h * g.w)};
}

// countNonzero({ x, n, out }): out[0] = the number of nonzero x[i]
Napi::Value CountNonzero(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "countNonzero");
    size_t n = a.count("n");
    View x = a.view("x", n), out = a.view("out", 1, x);
    exo::on(x.dev).count_nonzero(x.dev.index, x.p, n, out.p);
    return info.Env().Undefined();
  });
}

// sparseLinearForward({ s, rows, inFeatures, w, outFeatures, y }): y = s·wᵀ
Napi::Value SparseLinearForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "sparseLinearForward");
    auto [R, F, O, s] = linear_args(a);
    View w = a.view("w", (size_t)O * F, s), y = a.view("y", (size_t)R * O, s);
    if (R && O) exo::on(s.dev).sparse_linear_forward(s.dev.index, s.p, R, F, w.p, O, y.p);
    return info.Env().Undefined();
  });
}

// sparseLinearWeightGrad({ g, s, rows, inFeatures, outFeatures, dw }): dw += gᵀ·s
Napi::Value SparseLinearWeightGrad(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "sparseLinearWeightGrad");
    auto [R, F, O, s] = linear_args(a);
    View g = a.view("g", (size_t)R * O, s), dw = a.view("dw", (size_t)O * F, s);
    if (R && O && F) exo::on(s.dev).sparse_linear_weight_grad(s.dev.index, g.p, s.p, R, F, O, dw.p);
    return info.Env().Undefined();
  });
}

// sparseConvForward({ x, w, y, geom, cout, count })
Napi::Value SparseConvForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "sparseConvForward");
    auto [g, cout, n, x] = conv_args(a);
    View w = a.view("w", (size_t)cout * g.ckk(), x), y = a.view("y", (size_t)n * cout * g.pixels(), x);
    if (n && cout) exo::on(x.dev).sparse_conv_forward(x.dev.index, x.p, w.p, y.p, g, cout, n);
    return info.Env().Undefined();
  });
}

// sparseConvWeightGrad({ x, dy, dw, geom, cout, count }): dw += ∂conv/∂w
Napi::Value SparseConvWeightGrad(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "sparseConvWeightGrad");
    auto [g, cout, n, x] = conv_args(a);
    View dy = a.view("dy", (size_t)n * cout * g.pixels(), x), dw = a.view("dw", (size_t)cout * g.ckk(), x);
    if (n && cout) exo::on(x.dev).sparse_conv_weight_grad(x.dev.index, x.p, dy.p, dw.p, g, cout, n);
    return info.Env().Undefined();
  });
}

// maxTimeBackward({ arg, g, dy, T, n }): dy[t, i] = t == arg[i] ? g[i] : 0
Napi::Value MaxTimeBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "maxTimeBackward");
    int T = a.dim("T");
    size_t n = a.count("n");
    View arg = a.view("arg", n), g = a.view("g", n, arg), dy = a.view("dy", (size_t)T * n, arg);
    if (T && n) exo::on(arg.dev).max_time_backward(arg.dev.index, arg.p, g.p, dy.p, T, n);
    return info.Env().Undefined();
  });
}

// ---- the spike index (exodus/host_ops.h), held in JavaScript typed arrays -----------------------

template <typename A>
A typed(const Args& a, const char* name, napi_typedarray_type type, const char* what) {
  Napi::Value v = a.get(name);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type) a.fail(name, std::string("must be a ") + what);
  return v.As<A>();
}


// The index arrays of { offsets, cols, vals, rows, inFeatures }, checked so that the products
// never read outside them or outside a weight row: offsets ascend from 0, cols lie in [0, F).
}  // namespace

IndexArgs index_args(const Args& a) {
  int R = a.dim("rows"), F = a.dim("inFeatures");
  auto off = typed<Napi::Int32Array>(a, "offsets", napi_int32_array, "Int32Array");
  auto cols = typed<Napi::Int32Array>(a, "cols", napi_int32_array, "Int32Array");
  auto vals = typed<Napi::Float32Array>(a, "vals", napi_float32_array, "Float32Array");
  if (off.ElementLength() < (size_t)R + 1) a.fail("offsets", "must have rows + 1 entries");
  if (cols.ElementLength() != vals.ElementLength()) a.fail("vals", "must have as many entries as cols");
  const int32_t* o = off.Data();
  if (o[0] != 0) a.fail("offsets", "must start at 0");
  for (int r = 0; r < R; ++r)
    if (o[r + 1] < o[r]) a.fail("offsets", "must not decrease");
  if ((size_t)o[R] > cols.ElementLength()) a.fail("offsets", "point past the end of cols (an incomplete index: build it with a larger capacity)");
  const int32_t* c = cols.Data();
  int32_t lo = 0, hi = 0;
  for (int32_t k = 0; k < o[R]; ++k) {
    lo = c[k] < lo ? c[k] : lo;
    hi = c[k] > hi ? c[k] : hi;
  }
  if (lo < 0 || (o[R] > 0 && hi >= F)) a.fail("cols", "must lie in [0, inFeatures)");
  return {R, F, o, c, vals.Data()};
}

namespace {

// spikeIndexBuild({ s, rows, inFeatures, offsets, cols, vals, mask?, collect? }) -> { nnz, complete }:
// the nonzeros of s [rows, F] into the arrays when they fit (cols.length) and no chunk of rows is
// denser than `collect`; with the neuron scan's bitmask of s, s is read at its nonzeros only.
Napi::Value SpikeIndexBuild(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "spikeIndexBuild");
    int R = a.dim("rows"), F = a.dim("inFeatures");
    View s = a.view("s", (size_t)R * F);
    const exo::Backend& be = backend_for(a, s.dev, exo::Op::spike_index_build, "s");
    auto off = typed<Napi::Int32Array>(a, "offsets", napi_int32_array, "Int32Array");
    auto cols = typed<Napi::Int32Array>(a, "cols", napi_int32_array, "Int32Array");
    auto vals = typed<Napi::Float32Array>(a, "vals", napi_float32_array, "Float32Array");
    if (off.ElementLength() < (size_t)R + 1) a.fail("offsets", "must have rows + 1 entries");
    if (cols.ElementLength() != vals.ElementLength()) a.fail("vals", "must have as many entries as cols");
    if (cols.ElementLength() > 2147483647u) a.fail("cols", "must have fewer than 2^31 entries");
    const uint8_t* mask = nullptr;
    if (a.has("mask")) {
      auto m = typed<Napi::Uint8Array>(a, "mask", napi_uint8_array, "Uint8Array");
      if (m.ElementLength() < ((size_t)R * F + 63) / 64 * 8) a.fail("mask", "must have ceil(rows·inFeatures / 64)·8 bytes");
      mask = m.Data();
    }
    double collect = a.num("collect", 1.0);
    if (!(collect >= 0 && collect <= 1)) a.fail("collect", "must be a fraction in [0, 1]");
    exo::SpikeIndexBuild r{0, true};
    be.spike_index_build(s.dev.index, s.p, R, F, off.Data(), cols.Data(), vals.Data(), cols.ElementLength(), mask, (float)collect, &r);
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("nnz", (double)r.nnz);
    o.Set("complete", r.complete);
    return o;
  });
}

// spikeIndexFromFrames({ T, B, F, index: Uint32Array[B], count: Uint32Array[B], offsets, cols, vals }):
// the index of the batch these frames scatter to; returns the nonzero count, or -1 when a
// sample's indices do not ascend (then build the index from the dense batch instead).
Napi::Value SpikeIndexFromFrames(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "spikeIndexFromFrames");
    int T = a.dim("T"), B = a.dim("B"), F = a.dim("F");
    FrameColumns fc = frame_columns(a, B);
    auto off = typed<Napi::Int32Array>(a, "offsets", napi_int32_array, "Int32Array");
    auto cols = typed<Napi::Int32Array>(a, "cols", napi_int32_array, "Int32Array");
    auto vals = typed<Napi::Float32Array>(a, "vals", napi_float32_array, "Float32Array");
    if (off.ElementLength() < (size_t)T * B + 1) a.fail("offsets", "must have T·B + 1 entries");
    if (cols.ElementLength() != vals.ElementLength()) a.fail("vals", "must have as many entries as cols");
    size_t nnz = 0;  // the index is built in host memory: the CPU backend's entry
    exo::cpu_backend().spike_index_from_frames(0, T, B, F, fc.idx.data(), fc.cnt.data(), fc.n.data(), off.Data(), cols.Data(),
                                               vals.Data(), cols.ElementLength(), &nnz);
    return Napi::Number::New(info.Env(), nnz == (size_t)-1 ? -1.0 : (double)nnz);
  });
}

// spikeIndexLinearForward({ offsets, cols, vals, rows, inFeatures, w, outFeatures, y, bias? }): y = s·wᵀ (+ bias)
Napi::Value SpikeIndexLinearForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "spikeIndexLinearForward");
    IndexArgs ix = index_args(a);
    int O = a.dim("outFeatures");
    View w = a.view("w", (size_t)O * ix.F), y = a.view("y", (size_t)ix.R * O, w);
    const exo::Backend& be = backend_for(a, w.dev, exo::Op::spike_index_linear_forward, "w");
    float* bias = a.optional("bias", (size_t)O, w);
    if (ix.R && O) be.spike_index_linear_forward(w.dev.index, ix.offsets, ix.cols, ix.vals, ix.R, ix.F, w.p, O, y.p, bias);
    return info.Env().Undefined();
  });
}

// spikeIndexLinearWeightGrad({ g, offsets, cols, vals, rows, inFeatures, outFeatures, dw }): dw += gᵀ·s
Napi::Value SpikeIndexLinearWeightGrad(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "spikeIndexLinearWeightGrad");
    IndexArgs ix = index_args(a);
    int O = a.dim("outFeatures");
    View g = a.view("g", (size_t)ix.R * O), dw = a.view("dw", (size_t)O * ix.F, g);
    const exo::Backend& be = backend_for(a, g.dev, exo::Op::spike_index_linear_weight_grad, "g");
    if (ix.R && O && ix.F) be.spike_index_linear_weight_grad(g.dev.index, g.p, ix.offsets, ix.cols, ix.vals, ix.R, ix.F, O, dw.p);
    return info.Env().Undefined();
  });
}

}  // namespace

void register_sparse_bindings(Napi::Env env, Napi::Object exports) {
  exports.Set("countNonzero", Napi::Function::New(env, CountNonzero, "countNonzero"));
  exports.Set("sparseLinearForward", Napi::Function::New(env, SparseLinearForward, "sparseLinearForward"));
  exports.Set("sparseLinearWeightGrad", Napi::Function::New(env, SparseLinearWeightGrad, "sparseLinearWeightGrad"));
  exports.Set("sparseConvForward", Napi::Function::New(env, SparseConvForward, "sparseConvForward"));
  exports.Set("sparseConvWeightGrad", Napi::Function::New(env, SparseConvWeightGrad, "sparseConvWeightGrad"));
  exports.Set("spikeIndexBuild", Napi::Function::New(env, SpikeIndexBuild, "spikeIndexBuild"));
  exports.Set("spikeIndexFromFrames", Napi::Function::New(env, SpikeIndexFromFrames, "spikeIndexFromFrames"));
  exports.Set("spikeIndexLinearForward", Napi::Function::New(env, SpikeIndexLinearForward, "spikeIndexLinearForward"));
  exports.Set("spikeIndexLinearWeightGrad", Napi::Function::New(env, SpikeIndexLinearWeightGrad, "spikeIndexLinearWeightGrad"));
  exports.Set("maxTimeBackward", Napi::Function::New(env, MaxTimeBackward, "maxTimeBackward"));
}

}  // namespace exo_binding
