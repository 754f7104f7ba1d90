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

}  // namespace

void register_sparse_bindings(Napi::Env env, Napi::Object exports) {
  exports.Set("countNonzero", Napi::Function::New(env, CountNonzero, "countNonzero"));
  exports.Set("sparseLinearForward", Napi::Function::New(env, SparseLinearForward, "sparseLinearForward"));
  exports.Set("sparseLinearWeightGrad", Napi::Function::New(env, SparseLinearWeightGrad, "sparseLinearWeightGrad"));
  exports.Set("sparseConvForward", Napi::Function::New(env, SparseConvForward, "sparseConvForward"));
  exports.Set("sparseConvWeightGrad", Napi::Function::New(env, SparseConvWeightGrad, "sparseConvWeightGrad"));
  exports.Set("maxTimeBackward", Napi::Function::New(env, MaxTimeBackward, "maxTimeBackward"));
}

}  // namespace exo_binding
