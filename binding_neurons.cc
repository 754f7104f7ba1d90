// N-API bindings of the spiking neuron kernels (LIF/IAF, ExpLeak, SRM, ALIF written here; the scan
// models of neurons.h's EXO_SCAN_MODELS list generated from it) and the spike/surrogate element ops
// of the BPTT tape. Each takes one options object: the tensors by
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

}  // namespace

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

namespace {

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
}  // namespace

uint8_t* spike_mask(const Args& a, size_t N, size_t TN) {
  if (!a.has("mask")) return nullptr;
  Napi::Value mv = a.get("mask");
  if (!mv.IsTypedArray() || mv.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) a.fail("mask", "must be a Uint8Array");
  if (N % 8) a.fail("mask", "needs N to be a multiple of 8, received N = " + std::to_string(N));
  if (mv.As<Napi::Uint8Array>().ElementLength() < (TN + 63) / 64 * 8) a.fail("mask", "must have ceil(T·N / 64)·8 bytes");
  return mv.As<Napi::Uint8Array>().Data();
}

namespace {

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
//              surrogate, sgScale, sgWidth, mask? } | with poolWidth: y instead of s | on the CPU s may be
//              left out: spikes not kept, v may be x) -> the spike count
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
    } else if (mask || !a.has("s")) {
      // Without s (the CPU only): the spikes are not kept, v may be x (lif_forward_masked).
      const exo::Backend& be = backend_for(a, x.dev, exo::Op::lif_forward_masked, "mask");
      if (!a.has("s") && !x.dev.cpu()) a.fail("s", "is required on a GPU (only the CPU scan may leave the spikes out)");
      float* s = a.has("s") ? a.view("s", TN, x).p : nullptr;
      if (TN) be.lif_forward_masked(x.dev.index, c, p, x.p, state.p, s, v.p, mask);
    } else {
      View s = a.view("s", TN, x);
      if (TN) exo::on(x.dev).lif_forward(x.dev.index, c, p, x.p, state.p, s.p, v.p);
    }
    return Napi::Number::New(info.Env(), spikes);
  });
}

// lifBackward({ method, alpha, theta, m, g, h?, v, x?, v0, dx, dv0?, dalpha?, lamIn?, lamOut?, …config })
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
    } else if (a.has("lamIn") || a.has("lamOut")) {
      // A chunk of time (lif_backward_carry): λ in from the chunk after, λ[0] out for the one before.
      const exo::Backend& be = backend_for(a, g.dev, exo::Op::lif_backward_carry, a.has("lamIn") ? "lamIn" : "lamOut");
      const float* lam_in = a.optional("lamIn", c.N, g);
      float* lam_out = a.optional("lamOut", c.N, g);
      if (c.N) be.lif_backward_carry(g.dev.index, c, method, p, g.p, h, v.p, x, v0.p, dx.p, dv0, dalpha, lam_in, lam_out);
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

// ---- the scan models of neurons.h's EXO_SCAN_MODELS list: their config readers, then their
// bindings, generated from the list's views (no model writes its own) ----------------------------

// Recurrent LIF (neurons.h RlifConfig): P = H, the layer's neurons; N = B·H.
exo::RlifConfig rlif_config(const Args& a) {
  exo::RlifConfig c;
  read_shape(a, c);  // P tiles N: B = N / P rows
  read_surrogate(a, c);
  c.reset = a.code<exo::ResetMode>("reset");
  return c;
}
// CubaLIF's and adLIF's: LIF's config (reset, surrogate), without LIF's extra switches.
exo::LifConfig cuba_config(const Args& a) {
  exo::LifConfig c = lif_config(a);
  if (c.multi_spike || c.has_vmin || c.norm_input)
    throw Napi::RangeError::New(a.env(), a.op() + ": multiSpike, vMin and normInput are LIF's options; CubaLIF and adLIF have none of them");
  return c;
}

// What a device cannot run, checked once the lead view says the device: nothing for most configs
// (the overload for the base class), the recurrent layer's size on CUDA.
void device_limits(const Args&, const exo::ScanShape&, const View&) {}
void device_limits(const Args& a, const exo::RlifConfig& c, const View& lead) {
  if (lead.dev.type == exo::DevType::CUDA && c.P > exo::kRlifMaxH)
    a.fail("P", "is " + std::to_string(c.P) + ": a CUDA recurrent layer holds at most " + std::to_string(exo::kRlifMaxH) +
                    " neurons (its scans keep a row in shared memory); use fewer neurons or the CPU");
}

// A view's size in elements, by the list's name for it (TN and the config cfg in scope). The
// generated code's own names (args, cfg, TN, lead, method, info) must not be view names.
#define EXO_SCAN_SIZE_TN TN
#define EXO_SCAN_SIZE_N cfg.N
#define EXO_SCAN_SIZE_P cfg.P
#define EXO_SCAN_SIZE_PP cfg.P * cfg.P
// Reading the views: the lead first (it fixes the device), then the others in the list's order,
// each on the lead's device; an optional one absent or null is nullptr.
#define EXO_SCAN_LEAD(kind, js, name, size) EXO_SCAN_LEAD_##kind(js, name, EXO_SCAN_SIZE_##size)
#define EXO_SCAN_LEAD_lead(js, name, n)                                                             \
  const View lead = args.view(js, n);                                                               \
  const float* const name = lead.p;
#define EXO_SCAN_LEAD_in(js, name, n)
#define EXO_SCAN_LEAD_out(js, name, n)
#define EXO_SCAN_LEAD_opt_in(js, name, n)
#define EXO_SCAN_LEAD_opt_out(js, name, n)
#define EXO_SCAN_READ(kind, js, name, size) EXO_SCAN_READ_##kind(js, name, EXO_SCAN_SIZE_##size)
#define EXO_SCAN_READ_lead(js, name, n)
#define EXO_SCAN_READ_in(js, name, n) const float* const name = args.view(js, n, lead).p;
#define EXO_SCAN_READ_out(js, name, n) float* const name = args.view(js, n, lead).p;
#define EXO_SCAN_READ_opt_in(js, name, n) const float* const name = args.optional(js, n, lead);
#define EXO_SCAN_READ_opt_out(js, name, n) float* const name = args.optional(js, n, lead);

// modelForward({ <forward views>, …config }) and modelBackward({ method, <backward views>, …config })
#define EXO_SCAN_BINDINGS(X, model, Config, reader, fwd, bwd)                                       \
  Napi::Value model##_forward_binding(const Napi::CallbackInfo& info) {                             \
    return guarded(info, [&]() -> Napi::Value {                                                     \
      Args args(info, #model "Forward");                                                            \
      const exo::Config cfg = reader(args);                                                         \
      const size_t TN = (size_t)cfg.T * cfg.N;                                                      \
      fwd(EXO_SCAN_LEAD) device_limits(args, cfg, lead);                                            \
      fwd(EXO_SCAN_READ)                                                                            \
      if (TN) exo::on(lead.dev).model##_forward(lead.dev.index, cfg fwd(EXO_SCAN_ARG));             \
      return info.Env().Undefined();                                                                \
    });                                                                                             \
  }                                                                                                 \
  Napi::Value model##_backward_binding(const Napi::CallbackInfo& info) {                            \
    return guarded(info, [&]() -> Napi::Value {                                                     \
      Args args(info, #model "Backward");                                                           \
      const exo::Config cfg = reader(args);                                                         \
      const auto method = args.code<exo::NeuronGrad>("method");                                     \
      const size_t TN = (size_t)cfg.T * cfg.N;                                                      \
      bwd(EXO_SCAN_LEAD) device_limits(args, cfg, lead);                                            \
      bwd(EXO_SCAN_READ)                                                                            \
      if (cfg.N) exo::on(lead.dev).model##_backward(lead.dev.index, cfg, method bwd(EXO_SCAN_ARG)); \
      return info.Env().Undefined();                                                                \
    });                                                                                             \
  }
EXO_SCAN_MODELS(EXO_SCAN_BINDINGS, )

// scanModels() -> [{ model, config, forward, backward }], each pass { binding, entry, views: [{ name,
// kind, size }] }: the list as JavaScript sees it (lib/native.ts checks the table with it).
struct ScanView {
  const char *kind, *name, *size;
};
Napi::Object scan_pass(Napi::Env env, const char* binding, const char* entry, const ScanView* v, size_t n) {
  Napi::Object pass = Napi::Object::New(env);
  pass.Set("binding", binding);
  pass.Set("entry", entry);
  Napi::Array views = Napi::Array::New(env, n);
  for (size_t i = 0; i < n; ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", v[i].name);
    o.Set("kind", v[i].kind);
    o.Set("size", v[i].size);
    views.Set((uint32_t)i, o);
  }
  pass.Set("views", views);
  return pass;
}
#define EXO_SCAN_VIEW_SPEC(kind, js, name, size) {#kind, js, #size},
#define EXO_SCAN_SPEC(X, model, Config, reader, fwd, bwd)                                           \
  {                                                                                                 \
    static const ScanView f[] = {fwd(EXO_SCAN_VIEW_SPEC)}, b[] = {bwd(EXO_SCAN_VIEW_SPEC)};         \
    Napi::Object m = Napi::Object::New(env);                                                        \
    m.Set("model", #model);                                                                         \
    m.Set("config", #Config);                                                                       \
    m.Set("forward", scan_pass(env, #model "Forward", #model "_forward", f, sizeof f / sizeof *f)); \
    m.Set("backward", scan_pass(env, #model "Backward", #model "_backward", b, sizeof b / sizeof *b)); \
    list.Set(list.Length(), m);                                                                     \
  }
Napi::Value ScanModels(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Napi::Array list = Napi::Array::New(env);
    EXO_SCAN_MODELS(EXO_SCAN_SPEC, )
    return list;
  });
}

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
  EXO_EXPORT("spikeFn", SpikeFn);
  EXO_EXPORT("surrogateGrad", SurrogateGrad);
  EXO_EXPORT("scanModels", ScanModels);
#define EXO_SCAN_EXPORT(X, model, Config, reader, fwd, bwd) \
  EXO_EXPORT(#model "Forward", model##_forward_binding);    \
  EXO_EXPORT(#model "Backward", model##_backward_binding);
  EXO_SCAN_MODELS(EXO_SCAN_EXPORT, )
#undef EXO_SCAN_EXPORT
#undef EXO_EXPORT
}

}  // namespace exo_binding
