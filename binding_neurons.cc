// N-API bindings of the spiking neuron kernels (LIF/IAF, ExpLeak, SRM, ALIF; forward and backward) and
// the spike/surrogate element ops of the BPTT tape. Each takes one options object: the tensors by
// name (checked to hold what the kernel will touch; optional ones may be absent or null) and the
// scan's configuration fields by name.
#include "binding.h"

namespace exo_binding {
namespace {

// The scan shape every neuron config starts with (neurons.h ScanShape): T and N, and with
// `tiled` P, the length of the parameter arrays, which must tile the N neurons (else P stays 1).
void read_shape(const Args& a, exo::ScanShape& c, bool tiled = true) {
  c.T = a.dim("T");
  c.N = a.count("N");
  if (!tiled) return;
  c.P = a.count("P");
  if (c.P == 0 || c.N % c.P)
    throw Napi::RangeError::New(a.env(), a.op() + ": parameter arrays of " + std::to_string(c.P) + " do not tile " +
                                             std::to_string(c.N) + " neurons");
}
// The surrogate spec of a spiking scan (neurons.h SurrogateSpec).
void read_surrogate(const Args& a, exo::SurrogateSpec& c) {
  c.sg = a.code<exo::Surrogate>("surrogate");
  c.sg_scale = (float)a.num("sgScale");
  c.sg_width = (float)a.num("sgWidth");
}

exo::LifConfig lif_config(const Args& a) {
  exo::LifConfig c;
  read_shape(a, c);
  read_surrogate(a, c);
  c.reset = a.code<exo::ResetMode>("reset");
  c.multi_spike = a.flag("multiSpike");
  c.max_spikes = (float)a.num("maxSpikes", 0);
  c.has_vmin = a.has("vMin");
  c.vmin = c.has_vmin ? (float)a.num("vMin") : 0.f;
  c.norm_input = a.flag("normInput");
  if (c.multi_spike && c.reset == exo::ResetMode::Zero)
    throw Napi::RangeError::New(a.env(), a.op() + ": multi-spike with zero reset is ill-defined");
  return c;
}

exo::SrmConfig srm_config(const Args& a) {
  exo::SrmConfig c;
  read_shape(a, c, false);
  c.Ke = a.dim("Ke");
  c.Kn = a.dim("Kn");
  if (c.Ke < 1) throw Napi::RangeError::New(a.env(), a.op() + ": expected a response kernel of at least one element");
  c.theta = (float)a.num("theta");
  c.multi_spike = a.flag("multiSpike");
  c.max_spikes = (float)a.num("maxSpikes", 0);
  read_surrogate(a, c);
  return c;
}

exo::ExpLeakConfig expleak_config(const Args& a) {
  exo::ExpLeakConfig c;
  read_shape(a, c);
  return c;
}

// The optional `mask` of a neuron forward: the spike bitmask for a following Linear layer's spike
// index (lif_forward_masked, exodus/host_ops.h), packed in the same scan; nullptr when absent.
uint8_t* spike_mask(const Args& a, size_t N, size_t TN) {
  if (!a.has("mask")) return nullptr;
  Napi::Value mv = a.get("mask");
  if (!mv.IsTypedArray() || mv.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) a.fail("mask", "must be a Uint8Array");
  if (N % 8) a.fail("mask", "needs N to be a multiple of 8, received N = " + std::to_string(N));
  if (mv.As<Napi::Uint8Array>().ElementLength() < (TN + 63) / 64 * 8) a.fail("mask", "must have ceil(T·N / 64)·8 bytes");
  return mv.As<Napi::Uint8Array>().Data();
}

// The optional `poolWidth` W of a LIF forward/backward: the layer runs fused with the AvgPool2d(2)
// after it (lif_forward_pool2, exodus/host_ops.h), over images of width W; 0 when absent.
int pool_width(const Args& a, size_t N) {
  if (!a.has("poolWidth")) return 0;
  int W = a.dim("poolWidth");
  if (W < 2 || W % 2 || 2 * W > 512 || N % (2 * (size_t)W))
    a.fail("poolWidth", "must be even, at most 256 and divide N / 2 (whole row pairs), received " + std::to_string(W) + " with N = " + std::to_string(N));
  return W;
}

// The optional Dropout fused after the pooling: { dropoutP, dropoutSeed } (with poolWidth).
bool pool_dropout(const Args& a, exo::PoolDropout& d) {
  if (!a.has("dropoutP")) return false;
  if (!a.has("poolWidth")) a.fail("dropoutP", "needs poolWidth (the dropout is fused after the pooling)");
  double p = a.num("dropoutP"), seed = a.num("dropoutSeed");
  if (!(p > 0 && p < 1)) a.fail("dropoutP", "must be in (0, 1)");
  if (!(seed >= 0 && seed <= 9007199254740991.0 && seed == (double)(unsigned long long)seed)) a.fail("dropoutSeed", "must be a non-negative integer");
  d = {(float)p, (unsigned long long)seed};
  return true;
}

// lifForward({ x, alpha, theta, m, state, s, v, T, N, P, reset, multiSpike, maxSpikes, vMin?, normInput,
//              surrogate, sgScale, sgWidth, mask? } | with poolWidth: y instead of s) -> the spike count
// where the path counts it (poolWidth), else -1. Three table entries: lif_forward, lif_forward_masked
// (mask) and lif_forward_pool2 (poolWidth), each checked against the device's backend.
Napi::Value LifForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "lifForward");
    exo::LifConfig c = lif_config(a);
    size_t TN = (size_t)c.T * c.N;
    View x = a.view("x", TN);
    exo::LifParams p{a.view("alpha", c.P, x).p, a.view("theta", c.P, x).p, a.view("m", c.P, x).p};
    View state = a.view("state", c.N, x), v = a.view("v", TN, x);
    const int W = pool_width(a, c.N);
    uint8_t* mask = W ? nullptr : spike_mask(a, c.N, TN);
    double spikes = -1;
    if (W) {
      // Fused with the pooling: y = AvgPool2d(2) of the spikes, which are counted.
      const exo::Backend& be = backend_for(a, x.dev, exo::Op::lif_forward_pool2, "poolWidth");
      View y = a.view("y", TN / 4, x);
      exo::PoolDropout d;
      const bool drop = pool_dropout(a, d);
      spikes = 0;
      if (TN) be.lif_forward_pool2(x.dev.index, c, p, x.p, state.p, v.p, y.p, W, drop ? &d : nullptr, &spikes);
    } else if (mask) {
      const exo::Backend& be = backend_for(a, x.dev, exo::Op::lif_forward_masked, "mask");
      View s = a.view("s", TN, x);
      if (TN) be.lif_forward_masked(x.dev.index, c, p, x.p, state.p, s.p, v.p, mask);
    } else {
      View s = a.view("s", TN, x);
      if (TN) exo::on(x.dev).lif_forward(x.dev.index, c, p, x.p, state.p, s.p, v.p);
    }
    return Napi::Number::New(info.Env(), spikes);
  });
}

// lifBackward({ method, alpha, theta, m, g, h?, v, x?, v0, dx, dv0?, dalpha?, …config })
Napi::Value LifBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "lifBackward");
    exo::LifConfig c = lif_config(a);
    auto method = a.code<exo::NeuronGrad>("method");
    size_t TN = (size_t)c.T * c.N;
    const int W = pool_width(a, c.N);
    View g = a.view("g", W ? TN / 4 : TN);  // with poolWidth: the pooled gradient
    exo::LifParams p{a.view("alpha", c.P, g).p, a.view("theta", c.P, g).p, a.view("m", c.P, g).p};
    float* h = a.optional("h", TN, g);
    View v = a.view("v", TN, g);
    float* x = a.optional("x", TN, g);
    View v0 = a.view("v0", c.N, g), dx = a.view("dx", TN, g);
    float* dv0 = a.optional("dv0", c.N, g);
    float* dalpha = a.optional("dalpha", c.N, g);
    if (c.norm_input && dalpha && !x) a.fail("x", "is needed for dalpha with normInput");
    exo::PoolDropout d;
    const bool drop = pool_dropout(a, d);
    if (W) {
      const exo::Backend& be = backend_for(a, g.dev, exo::Op::lif_backward_pool2, "poolWidth");
      if (c.N) be.lif_backward_pool2(g.dev.index, c, method, p, g.p, W, h, v.p, x, v0.p, dx.p, dv0, dalpha, drop ? &d : nullptr);
    } else if (c.N) {
      exo::on(g.dev).lif_backward(g.dev.index, c, method, p, g.p, h, v.p, x, v0.p, dx.p, dv0, dalpha);
    }
    return info.Env().Undefined();
  });
}

// expleakForward({ beta, x, state, i, T, N, P })
Napi::Value ExpLeakForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "expleakForward");
    exo::ExpLeakConfig c = expleak_config(a);
    size_t TN = (size_t)c.T * c.N;
    View x = a.view("x", TN);
    View beta = a.view("beta", c.P, x), state = a.view("state", c.N, x), out = a.view("i", TN, x);
    if (TN) exo::on(x.dev).expleak_forward(x.dev.index, c, beta.p, x.p, state.p, out.p);
    return info.Env().Undefined();
  });
}

// expleakBackward({ beta, gradI, i, i0, dx, di0?, dbeta?, T, N, P })
Napi::Value ExpLeakBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "expleakBackward");
    exo::ExpLeakConfig c = expleak_config(a);
    size_t TN = (size_t)c.T * c.N;
    View gi = a.view("gradI", TN);
    View beta = a.view("beta", c.P, gi), cur = a.view("i", TN, gi), i0 = a.view("i0", c.N, gi);
    View dx = a.view("dx", TN, gi);
    float* di0 = a.optional("di0", c.N, gi);
    float* dbeta = a.optional("dbeta", c.N, gi);
    if (c.N) exo::on(gi.dev).expleak_backward(gi.dev.index, c, beta.p, gi.p, cur.p, i0.p, dx.p, di0, dbeta);
    return info.Env().Undefined();
  });
}

// srmForward({ eps, nu?, a, s, u, T, N, Ke, Kn, theta, multiSpike, maxSpikes, surrogate, sgScale, sgWidth })
Napi::Value SrmForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "srmForward");
    exo::SrmConfig c = srm_config(a);
    size_t TN = (size_t)c.T * c.N;
    View in = a.view("a", TN);
    View eps = a.view("eps", c.Ke, in);
    float* nu = c.Kn ? a.view("nu", c.Kn, in).p : nullptr;
    View s = a.view("s", TN, in), u = a.view("u", TN, in);
    if (TN) exo::on(in.dev).srm_forward(in.dev.index, c, eps.p, nu, in.p, s.p, u.p);
    return info.Env().Undefined();
  });
}

// srmBackward({ method, eps, nu?, g, u, q, da, …config })
Napi::Value SrmBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "srmBackward");
    exo::SrmConfig c = srm_config(a);
    auto method = a.code<exo::NeuronGrad>("method");
    size_t TN = (size_t)c.T * c.N;
    View g = a.view("g", TN);
    View eps = a.view("eps", c.Ke, g);
    float* nu = c.Kn ? a.view("nu", c.Kn, g).p : nullptr;
    View u = a.view("u", TN, g), q = a.view("q", TN, g), da = a.view("da", TN, g);
    if (TN) exo::on(g.dev).srm_backward(g.dev.index, c, method, eps.p, nu, g.p, u.p, q.p, da.p);
    return info.Env().Undefined();
  });
}

exo::AlifConfig alif_config(const Args& a) {
  exo::AlifConfig c;
  read_shape(a, c);
  read_surrogate(a, c);
  return c;
}
exo::AlifParams alif_params(const Args& a, size_t P, const View& like) {
  return {a.view("alpha", P, like).p, a.view("rho", P, like).p, a.view("beta", P, like).p, a.view("theta0", P, like).p};
}

// alifForward({ x, alpha, rho, beta, theta0, vState, bState, s, v, b, T, N, P, surrogate, sgScale, sgWidth })
Napi::Value AlifForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "alifForward");
    exo::AlifConfig c = alif_config(a);
    size_t TN = (size_t)c.T * c.N;
    View x = a.view("x", TN);
    exo::AlifParams p = alif_params(a, c.P, x);
    View vs = a.view("vState", c.N, x), bs = a.view("bState", c.N, x);
    View s = a.view("s", TN, x), v = a.view("v", TN, x), b = a.view("b", TN, x);
    if (uint8_t* mask = spike_mask(a, c.N, TN)) {
      const exo::Backend& be = backend_for(a, x.dev, exo::Op::alif_forward_masked, "mask");
      if (TN) be.alif_forward_masked(x.dev.index, c, p, x.p, vs.p, bs.p, s.p, v.p, b.p, mask);
    } else if (TN) {
      exo::on(x.dev).alif_forward(x.dev.index, c, p, x.p, vs.p, bs.p, s.p, v.p, b.p);
    }
    return info.Env().Undefined();
  });
}

// alifBackward({ method, alpha, rho, beta, theta0, g, v, b, v0, dx, dv0?, db0?, dalpha?, drho?, dbeta?, dtheta0?, …config })
Napi::Value AlifBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "alifBackward");
    exo::AlifConfig c = alif_config(a);
    auto method = a.code<exo::NeuronGrad>("method");
    size_t TN = (size_t)c.T * c.N;
    View g = a.view("g", TN);
    exo::AlifParams p = alif_params(a, c.P, g);
    View v = a.view("v", TN, g), b = a.view("b", TN, g), v0 = a.view("v0", c.N, g), dx = a.view("dx", TN, g);
    float* dv0 = a.optional("dv0", c.N, g);
    float* db0 = a.optional("db0", c.N, g);
    exo::AlifGrads gr{a.optional("dalpha", c.N, g), a.optional("drho", c.N, g), a.optional("dbeta", c.N, g),
                      a.optional("dtheta0", c.N, g)};
    if (c.N) exo::on(g.dev).alif_backward(g.dev.index, c, method, p, g.p, v.p, b.p, v0.p, dx.p, dv0, db0, gr);
    return info.Env().Undefined();
  });
}

// ---- recurrent LIF (neurons.h RlifConfig): P = H, the layer's neurons; N = B·H ----------------
exo::RlifConfig rlif_config(const Args& a) {
  exo::RlifConfig c;
  read_shape(a, c);  // P tiles N: B = N / P rows
  read_surrogate(a, c);
  c.reset = a.code<exo::ResetMode>("reset");
  return c;
}
exo::RlifParams rlif_params(const Args& a, size_t H, const View& like) {
  if (like.dev.type == exo::DevType::CUDA && H > exo::kRlifMaxH)
    a.fail("P", "is " + std::to_string(H) + ": a CUDA recurrent layer holds at most " + std::to_string(exo::kRlifMaxH) +
                    " neurons (its scans keep a row in shared memory); use fewer neurons or the CPU");
  return {a.view("alpha", H, like).p, a.view("theta", H, like).p, a.view("m", H, like).p, a.optional("bias", H, like),
          a.view("w", H * H, like).p};
}

// rlifForward({ x, alpha, theta, m, bias?, w, vState, sState, s, v, T, N, P, reset, surrogate, sgScale, sgWidth })
Napi::Value RlifForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "rlifForward");
    exo::RlifConfig c = rlif_config(a);
    size_t TN = (size_t)c.T * c.N;
    View x = a.view("x", TN);
    exo::RlifParams p = rlif_params(a, c.P, x);
    View vs = a.view("vState", c.N, x), ss = a.view("sState", c.N, x), s = a.view("s", TN, x), v = a.view("v", TN, x);
    if (TN) exo::on(x.dev).rlif_forward(x.dev.index, c, p, x.p, vs.p, ss.p, s.p, v.p);
    return info.Env().Undefined();
  });
}

// rlifBackward({ method, alpha, theta, m, bias?, w, g, h?, v, v0, s0, dx, dv0?, ds0?, dalpha?, dbias?, dw, …config })
Napi::Value RlifBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "rlifBackward");
    exo::RlifConfig c = rlif_config(a);
    auto method = a.code<exo::NeuronGrad>("method");
    size_t TN = (size_t)c.T * c.N;
    View g = a.view("g", TN);
    exo::RlifParams p = rlif_params(a, c.P, g);
    float* h = a.optional("h", TN, g);
    View v = a.view("v", TN, g), v0 = a.view("v0", c.N, g), s0 = a.view("s0", c.N, g), dx = a.view("dx", TN, g);
    View dw = a.view("dw", c.P * c.P, g);
    float* dv0 = a.optional("dv0", c.N, g);
    float* ds0 = a.optional("ds0", c.N, g);
    exo::RlifGrads gr{a.optional("dalpha", c.N, g), a.optional("dbias", c.N, g), dw.p};
    if (c.N) exo::on(g.dev).rlif_backward(g.dev.index, c, method, p, g.p, h, v.p, v0.p, s0.p, dx.p, dv0, ds0, gr);
    return info.Env().Undefined();
  });
}
// ---- end of recurrent LIF ------------------------------------------------------------------------

// ---- CubaLIF (kernels/cuba.cuh): LIF's config (reset, surrogate), without LIF's extra switches (adLIF reads it too) ----
exo::LifConfig cuba_config(const Args& a) {
  exo::LifConfig c = lif_config(a);
  if (c.multi_spike || c.has_vmin || c.norm_input)
    throw Napi::RangeError::New(a.env(), a.op() + ": multiSpike, vMin and normInput are LIF's options; CubaLIF and adLIF have none of them");
  return c;
}

// cubaForward({ x, alphaSyn, alpha, theta, vState, iState, s, v, i, T, N, P, reset, surrogate, sgScale, sgWidth })
Napi::Value CubaForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "cubaForward");
    exo::LifConfig c = cuba_config(a);
    size_t TN = (size_t)c.T * c.N;
    View x = a.view("x", TN);
    View as = a.view("alphaSyn", c.P, x), al = a.view("alpha", c.P, x), th = a.view("theta", c.P, x);
    View vs = a.view("vState", c.N, x), is = a.view("iState", c.N, x);
    View s = a.view("s", TN, x), v = a.view("v", TN, x), i = a.view("i", TN, x);
    if (TN) exo::on(x.dev).cuba_forward(x.dev.index, c, as.p, al.p, th.p, x.p, vs.p, is.p, s.p, v.p, i.p);
    return info.Env().Undefined();
  });
}

// cubaBackward({ method, alphaSyn, alpha, theta, g, v, i, v0, i0, dx, dv0?, di0?, dalphaSyn?, dalpha?, …config })
Napi::Value CubaBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "cubaBackward");
    exo::LifConfig c = cuba_config(a);
    auto method = a.code<exo::NeuronGrad>("method");
    size_t TN = (size_t)c.T * c.N;
    View g = a.view("g", TN);
    View as = a.view("alphaSyn", c.P, g), al = a.view("alpha", c.P, g), th = a.view("theta", c.P, g);
    View v = a.view("v", TN, g), i = a.view("i", TN, g), v0 = a.view("v0", c.N, g), i0 = a.view("i0", c.N, g);
    View dx = a.view("dx", TN, g);
    float *dv0 = a.optional("dv0", c.N, g), *di0 = a.optional("di0", c.N, g);
    float *das = a.optional("dalphaSyn", c.N, g), *dal = a.optional("dalpha", c.N, g);
    if (c.N)
      exo::on(g.dev).cuba_backward(g.dev.index, c, method, as.p, al.p, th.p, g.p, v.p, i.p, v0.p, i0.p, dx.p, dv0, di0,
                                   das, dal);
    return info.Env().Undefined();
  });
}
// ---- end CubaLIF ----

// ---- adLIF (kernels/adlif.cuh): LIF's config, as CubaLIF's ----
// adlifForward({ x, alpha, beta, a, b, theta, vState, wState, s, v, w, T, N, P, reset, surrogate, sgScale, sgWidth })
Napi::Value AdlifForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "adlifForward");
    exo::LifConfig c = cuba_config(a);
    size_t TN = (size_t)c.T * c.N;
    View x = a.view("x", TN);
    View al = a.view("alpha", c.P, x), be = a.view("beta", c.P, x), pa = a.view("a", c.P, x), pb = a.view("b", c.P, x),
         th = a.view("theta", c.P, x);
    View vs = a.view("vState", c.N, x), ws = a.view("wState", c.N, x);
    View s = a.view("s", TN, x), v = a.view("v", TN, x), w = a.view("w", TN, x);
    if (TN) exo::on(x.dev).adlif_forward(x.dev.index, c, al.p, be.p, pa.p, pb.p, th.p, x.p, vs.p, ws.p, s.p, v.p, w.p);
    return info.Env().Undefined();
  });
}

// adlifBackward({ method, alpha, beta, a, b, theta, g, x, v, w, v0, w0, dx, dv0?, dw0?, dalpha?, dbeta?, da?, db?, …config })
Napi::Value AdlifBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "adlifBackward");
    exo::LifConfig c = cuba_config(a);
    auto method = a.code<exo::NeuronGrad>("method");
    size_t TN = (size_t)c.T * c.N;
    View g = a.view("g", TN);
    View al = a.view("alpha", c.P, g), be = a.view("beta", c.P, g), pa = a.view("a", c.P, g), pb = a.view("b", c.P, g),
         th = a.view("theta", c.P, g);
    View x = a.view("x", TN, g), v = a.view("v", TN, g), w = a.view("w", TN, g);
    View v0 = a.view("v0", c.N, g), w0 = a.view("w0", c.N, g), dx = a.view("dx", TN, g);
    float *dv0 = a.optional("dv0", c.N, g), *dw0 = a.optional("dw0", c.N, g);
    float *dal = a.optional("dalpha", c.N, g), *dbe = a.optional("dbeta", c.N, g), *da = a.optional("da", c.N, g),
          *db = a.optional("db", c.N, g);
    if (c.N)
      exo::on(g.dev).adlif_backward(g.dev.index, c, method, al.p, be.p, pa.p, pb.p, th.p, g.p, x.p, v.p, w.p, v0.p, w0.p,
                                    dx.p, dv0, dw0, dal, dbe, da, db);
    return info.Env().Undefined();
  });
}
// ---- end adLIF ----

// spikeFn({ v, s, n, theta, P, multi, maxSpikes }): theta[i % P]
Napi::Value SpikeFn(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "spikeFn");
    size_t n = a.count("n"), P = a.count("P");
    if (P == 0) throw Napi::RangeError::New(info.Env(), "spikeFn: empty threshold array");
    View v = a.view("v", n), s = a.view("s", n, v), th = a.view("theta", P, v);
    if (n) exo::on(v.dev).spike_fn(v.dev.index, v.p, s.p, n, th.p, P, a.flag("multi"), (float)a.num("maxSpikes", 0));
    return info.Env().Undefined();
  });
}

// surrogateGrad({ surrogate, v, g, y, n, theta, P, scale, width }): y = σ(v)·g
Napi::Value SurrogateGrad(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "surrogateGrad");
    auto sg = a.code<exo::Surrogate>("surrogate");
    size_t n = a.count("n"), P = a.count("P");
    if (P == 0) throw Napi::RangeError::New(info.Env(), "surrogateGrad: empty threshold array");
    View v = a.view("v", n), g = a.view("g", n, v), y = a.view("y", n, v), th = a.view("theta", P, v);
    if (n)
      exo::on(v.dev).surrogate_grad(v.dev.index, sg, v.p, g.p, y.p, n, th.p, P, (float)a.num("scale"),
                                    (float)a.num("width"));
    return info.Env().Undefined();
  });
}

}  // namespace

void register_neuron_bindings(Napi::Env env, Napi::Object exports) {
#define EXO_EXPORT(name, fn) exports.Set(name, Napi::Function::New(env, fn, name))
  EXO_EXPORT("lifForward", LifForward);
  EXO_EXPORT("lifBackward", LifBackward);
  EXO_EXPORT("expleakForward", ExpLeakForward);
  EXO_EXPORT("expleakBackward", ExpLeakBackward);
  EXO_EXPORT("srmForward", SrmForward);
  EXO_EXPORT("srmBackward", SrmBackward);
  EXO_EXPORT("alifForward", AlifForward);
  EXO_EXPORT("alifBackward", AlifBackward);
  EXO_EXPORT("cubaForward", CubaForward);
  EXO_EXPORT("cubaBackward", CubaBackward);
  EXO_EXPORT("adlifForward", AdlifForward);
  EXO_EXPORT("adlifBackward", AdlifBackward);
  EXO_EXPORT("spikeFn", SpikeFn);
  EXO_EXPORT("surrogateGrad", SurrogateGrad);
  EXO_EXPORT("rlifForward", RlifForward);
  EXO_EXPORT("rlifBackward", RlifBackward);
#undef EXO_EXPORT
}

}  // namespace exo_binding
