// N-API bindings of the learnable-delay entries (exodus/delay.h, cuda/cpu/delay.cc): every call
// takes the geometry as named numbers { T, B, inFeatures, outFeatures, maxDelay, taps, below,
// sigma, perNeuron } and checks it, each tensor's size and, where a call reads window starts,
// that every start is an integer window inside [0, maxDelay], before the native loop runs.
#include <cmath>
#include <string>
#include <vector>

#include "binding.h"

namespace exo_binding {
namespace {

exo::DelayGeom delay_geom(const Args& a) {
  exo::DelayGeom g{};
  g.T = a.dim("T");
  g.B = a.dim("B");
  g.in = a.dim("inFeatures");
  g.out = a.dim("outFeatures");
  g.D = a.dim("maxDelay");
  g.W = a.dim("taps");
  g.R = a.dim("below");
  double sigma = a.num("sigma");
  g.per_neuron = a.flag("perNeuron");
  if (!(sigma >= 0) || !std::isfinite(sigma)) a.fail("sigma", "must be a finite number >= 0, received " + std::to_string(sigma));
  g.sigma = (float)sigma;
  if (g.W < 1 || g.W > g.D + 1) a.fail("taps", "must be in [1, maxDelay + 1] = [1, " + std::to_string(g.D + 1) + "], received " + std::to_string(g.W));
  if (g.sigma == 0.f && g.W != 1) a.fail("taps", "must be 1 when sigma is 0 (a hard integer delay), received " + std::to_string(g.W));
  if (g.R >= g.W) a.fail("below", "must be < taps, received " + std::to_string(g.R));
  return g;
}

size_t synapses(const exo::DelayGeom& g) { return (size_t)g.out * g.in; }
size_t delays(const exo::DelayGeom& g) { return g.per_neuron ? (size_t)g.out : synapses(g); }

// The window starts [in, out]: integers in [0, D + 1 − W], as delay_taps writes them. The kernels
// index K and dK by them, so they are checked first (on CUDA from a copy in host memory).
View starts(const Args& a, const exo::DelayGeom& g, const View& like) {
  View s = a.view("start", synapses(g), like);
  std::vector<float> host;
  const float* p = s.p;
  if (!s.dev.cpu()) {
    host.resize(synapses(g));
    exo::copy(s.p, s.dev, host.data(), exo::Device{}, host.size());
    p = host.data();
  }
  const float hi = (float)(g.D + 1 - g.W);
  for (size_t k = 0; k < synapses(g); ++k)
    if (!(p[k] >= 0.f && p[k] <= hi) || p[k] != std::floor(p[k]))
      a.fail("start", "must hold integer window starts in [0, " + std::to_string(g.D + 1 - g.W) + "] (from delayTaps), received " +
                          std::to_string(p[k]) + " at " + std::to_string(k));
  return s;
}

const exo::Backend& table(const Args& a, const View& v, exo::Op op, const char* field) { return backend_for(a, v.dev, op, field); }

// delayTaps({ geom…, w, d, coeff, start }): coeff [in, out, W] = w·p, start [in, out]
Napi::Value DelayTaps(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "delayTaps");
    exo::DelayGeom g = delay_geom(a);
    View w = a.view("w", synapses(g)), d = a.view("d", delays(g), w), c = a.view("coeff", synapses(g) * g.W, w),
         s = a.view("start", synapses(g), w);
    const exo::Backend& be = table(a, w, exo::Op::delay_taps, "w");
    if (synapses(g)) be.delay_taps(w.dev.index, g, w.p, d.p, c.p, s.p);
    return info.Env().Undefined();
  });
}

// delayDenseKernel({ geom…, coeff, start, K }): K [D + 1, in, out]
Napi::Value DelayDenseKernel(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "delayDenseKernel");
    exo::DelayGeom g = delay_geom(a);
    View c = a.view("coeff", synapses(g) * g.W), K = a.view("K", synapses(g) * (g.D + 1), c);
    const exo::Backend& be = table(a, c, exo::Op::delay_dense_kernel, "coeff");
    View s = starts(a, g, c);
    be.delay_dense_kernel(c.dev.index, g, c.p, s.p, K.p);
    return info.Env().Undefined();
  });
}

// delayForwardEvents({ geom…, x, K, y }): y [T, B, out] from the nonzeros of x [T, B, in]
Napi::Value DelayForwardEvents(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "delayForwardEvents");
    exo::DelayGeom g = delay_geom(a);
    const size_t rows = (size_t)g.T * g.B;
    View x = a.view("x", rows * g.in), K = a.view("K", synapses(g) * (g.D + 1), x), y = a.view("y", rows * g.out, x);
    const exo::Backend& be = table(a, x, exo::Op::delay_forward_events, "x");
    if (rows && g.out) be.delay_forward_events(x.dev.index, g, x.p, K.p, y.p);
    return info.Env().Undefined();
  });
}

// delayCorrEvents({ geom…, x, dy, dK }): dK [D + 1, in, out] from the nonzeros of x
Napi::Value DelayCorrEvents(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "delayCorrEvents");
    exo::DelayGeom g = delay_geom(a);
    const size_t rows = (size_t)g.T * g.B;
    View x = a.view("x", rows * g.in), dy = a.view("dy", rows * g.out, x), dK = a.view("dK", synapses(g) * (g.D + 1), x);
    const exo::Backend& be = table(a, x, exo::Op::delay_corr_events, "x");
    if (synapses(g)) be.delay_corr_events(x.dev.index, g, x.p, dy.p, dK.p);
    return info.Env().Undefined();
  });
}

// delayCorrDense({ geom…, dK, start, A }): A [in, out, W] gathered from dK [D + 1, in, out]
Napi::Value DelayCorrDense(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "delayCorrDense");
    exo::DelayGeom g = delay_geom(a);
    View dK = a.view("dK", synapses(g) * (g.D + 1)), A = a.view("A", synapses(g) * g.W, dK);
    const exo::Backend& be = table(a, dK, exo::Op::delay_corr_dense, "dK");
    View s = starts(a, g, dK);
    if (synapses(g)) be.delay_corr_dense(dK.dev.index, g, dK.p, s.p, A.p);
    return info.Env().Undefined();
  });
}

// delayParamGrad({ geom…, A, w, d, dw, dd }): dw += ∂/∂w, dd += ∂/∂d
Napi::Value DelayParamGrad(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "delayParamGrad");
    exo::DelayGeom g = delay_geom(a);
    View A = a.view("A", synapses(g) * g.W), w = a.view("w", synapses(g), A), d = a.view("d", delays(g), A),
         dw = a.view("dw", synapses(g), A), dd = a.view("dd", delays(g), A);
    const exo::Backend& be = table(a, A, exo::Op::delay_param_grad, "A");
    if (synapses(g)) be.delay_param_grad(A.dev.index, g, A.p, w.p, d.p, dw.p, dd.p);
    return info.Env().Undefined();
  });
}

// delayWindowForward({ geom…, x, coeff, start, y }): y [T, B, out], and
// delayWindowInputGrad({ geom…, dy, coeff, start, dx }): dx [T, B, in], over each synapse's own
// taps: the window path's two filters, which take the same arguments with the roles swapped.
Napi::Value DelayWindowFilter(const Napi::CallbackInfo& info, bool forward) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, forward ? "delayWindowForward" : "delayWindowInputGrad");
    exo::DelayGeom g = delay_geom(a);
    const char *src = forward ? "x" : "dy", *dst = forward ? "y" : "dx";
    const size_t rows = (size_t)g.T * g.B, nsrc = forward ? g.in : g.out, ndst = forward ? g.out : g.in;
    View in = a.view(src, rows * nsrc), c = a.view("coeff", synapses(g) * g.W, in), out = a.view(dst, rows * ndst, in);
    const exo::Backend& be = table(a, in, forward ? exo::Op::delay_window_forward : exo::Op::delay_window_input_grad, src);
    View s = starts(a, g, in);
    if (rows && ndst) {
      if (forward) be.delay_window_forward(in.dev.index, g, in.p, c.p, s.p, out.p);
      else be.delay_window_input_grad(in.dev.index, g, in.p, c.p, s.p, out.p);
    }
    return info.Env().Undefined();
  });
}

// delayWindowCorr({ geom…, x, dy, start, A }): A [in, out, W] straight from x and dy
Napi::Value DelayWindowCorr(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "delayWindowCorr");
    exo::DelayGeom g = delay_geom(a);
    if (g.W > exo::kDelayWindowMaxTaps)
      a.fail("taps", "must be at most " + std::to_string(exo::kDelayWindowMaxTaps) + " on the window path, received " + std::to_string(g.W) +
                         " (take delayCorrEvents or the dense correlation for wider windows)");
    const size_t rows = (size_t)g.T * g.B;
    View x = a.view("x", rows * g.in), dy = a.view("dy", rows * g.out, x), A = a.view("A", synapses(g) * g.W, x);
    const exo::Backend& be = table(a, x, exo::Op::delay_window_corr, "x");
    View s = starts(a, g, x);
    if (synapses(g)) be.delay_window_corr(x.dev.index, g, x.p, dy.p, s.p, A.p);
    return info.Env().Undefined();
  });
}

}  // namespace

void register_delay_bindings(Napi::Env env, Napi::Object exports) {
  exports.Set("delayTaps", Napi::Function::New(env, DelayTaps, "delayTaps"));
  exports.Set("delayDenseKernel", Napi::Function::New(env, DelayDenseKernel, "delayDenseKernel"));
  exports.Set("delayForwardEvents", Napi::Function::New(env, DelayForwardEvents, "delayForwardEvents"));
  exports.Set("delayCorrEvents", Napi::Function::New(env, DelayCorrEvents, "delayCorrEvents"));
  exports.Set("delayCorrDense", Napi::Function::New(env, DelayCorrDense, "delayCorrDense"));
  exports.Set("delayParamGrad", Napi::Function::New(env, DelayParamGrad, "delayParamGrad"));
  exports.Set("delayWindowForward", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return DelayWindowFilter(i, true); }, "delayWindowForward"));
  exports.Set("delayWindowCorr", Napi::Function::New(env, DelayWindowCorr, "delayWindowCorr"));
  exports.Set("delayWindowInputGrad", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return DelayWindowFilter(i, false); }, "delayWindowInputGrad"));
}

}  // namespace exo_binding
