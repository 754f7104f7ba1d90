// N-API bindings of the spiking neuron kernels (LIF/IAF, ExpLeak, SRM; forward and backward) and
// the spike/surrogate element ops of the BPTT tape. Arguments come as (buffer, offset) pairs,
// each checked to hold what the kernel will touch; optional arrays are null.
#include "binding.h"
#include "exodus/neurons.h"

namespace exo_binding {
namespace {

double field(const Napi::Object& o, const char* name) {
  Napi::Value v = o.Get(name);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("neuron config: ") + name + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}
size_t field_count(const Napi::Object& o, const char* name) {
  double v = field(o, name);
  if (!(v >= 0)) throw Napi::RangeError::New(o.Env(), std::string("neuron config: ") + name + " must be >= 0");
  return (size_t)v;
}
Napi::Object config(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsObject()) throw Napi::TypeError::New(info.Env(), "neuron config must be an object");
  return info[i].As<Napi::Object>();
}

exo::LifConfig lif_config(const Napi::CallbackInfo& info, size_t i) {
  Napi::Object o = config(info, i);
  exo::LifConfig c;
  c.T = (int)field_count(o, "T");
  c.N = field_count(o, "N");
  c.P = field_count(o, "P");
  c.reset = (exo::ResetMode)(int)field(o, "reset");
  c.multi_spike = (int)field(o, "multiSpike");
  c.max_spikes = (float)field(o, "maxSpikes");
  c.has_vmin = (int)field(o, "hasVmin");
  c.vmin = (float)field(o, "vmin");
  c.norm_input = (int)field(o, "normInput");
  c.sg = (exo::Surrogate)(int)field(o, "surrogate");
  c.sg_scale = (float)field(o, "sgScale");
  c.sg_width = (float)field(o, "sgWidth");
  if (c.P == 0 || c.N % c.P) throw Napi::RangeError::New(info.Env(), "lif: P must divide N");
  return c;
}

exo::SrmConfig srm_config(const Napi::CallbackInfo& info, size_t i) {
  Napi::Object o = config(info, i);
  exo::SrmConfig c;
  c.T = (int)field_count(o, "T");
  c.N = field_count(o, "N");
  c.Ke = (int)field_count(o, "Ke");
  c.Kn = (int)field_count(o, "Kn");
  c.theta = (float)field(o, "theta");
  c.multi_spike = (int)field(o, "multiSpike");
  c.max_spikes = (float)field(o, "maxSpikes");
  c.sg = (exo::Surrogate)(int)field(o, "surrogate");
  c.sg_scale = (float)field(o, "sgScale");
  c.sg_width = (float)field(o, "sgWidth");
  return c;
}

exo::NeuronGrad method_arg(const Napi::CallbackInfo& info, size_t i) {
  int m = integer(info, i);
  if (m != 0 && m != 1) throw Napi::RangeError::New(info.Env(), "neuron backward: method must be 0 (exodus) or 1 (slayer)");
  return (exo::NeuronGrad)m;
}

// lifForward(cfg, x,o, alpha,o, theta,o, m,o, state,o, s,o, v,o)
Napi::Value LifForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    exo::LifConfig c = lif_config(info, 0);
    size_t TN = (size_t)c.T * c.N;
    View x = view(info, 1, TN);
    exo::LifParams p{view_like(info, 3, c.P, x).p, view_like(info, 5, c.P, x).p, view_like(info, 7, c.P, x).p};
    View state = view_like(info, 9, c.N, x), s = view_like(info, 11, TN, x), v = view_like(info, 13, TN, x);
    exo::lif_forward(x.dev, c, p, x.p, state.p, s.p, v.p);
    return info.Env().Undefined();
  });
}

// lifBackward(cfg, method, alpha,o, theta,o, m,o, g,o, h|null,o, v,o, x|null,o, v0,o, dx,o, dv0|null,o, dalpha|null,o)
Napi::Value LifBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    exo::LifConfig c = lif_config(info, 0);
    exo::NeuronGrad method = method_arg(info, 1);
    size_t TN = (size_t)c.T * c.N;
    View g = view(info, 8, TN);
    exo::LifParams p{view_like(info, 2, c.P, g).p, view_like(info, 4, c.P, g).p, view_like(info, 6, c.P, g).p};
    float* h = optional_view(info, 10, TN, g);
    View v = view_like(info, 12, TN, g);
    float* x = optional_view(info, 14, TN, g);
    View v0 = view_like(info, 16, c.N, g), dx = view_like(info, 18, TN, g);
    float* dv0 = optional_view(info, 20, c.N, g);
    float* dalpha = optional_view(info, 22, c.N, g);
    exo::lif_backward(g.dev, c, method, p, g.p, h, v.p, x, v0.p, dx.p, dv0, dalpha);
    return info.Env().Undefined();
  });
}

exo::ExpLeakConfig expleak_config(const Napi::CallbackInfo& info, size_t i) {
  Napi::Object o = config(info, i);
  exo::ExpLeakConfig c;
  c.T = (int)field_count(o, "T");
  c.N = field_count(o, "N");
  c.P = field_count(o, "P");
  if (c.P == 0 || c.N % c.P) throw Napi::RangeError::New(info.Env(), "expleak: P must divide N");
  return c;
}

// expleakForward(cfg, beta,o, x,o, state,o, i,o)
Napi::Value ExpLeakForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    exo::ExpLeakConfig c = expleak_config(info, 0);
    size_t TN = (size_t)c.T * c.N;
    View x = view(info, 3, TN);
    View beta = view_like(info, 1, c.P, x), state = view_like(info, 5, c.N, x), out = view_like(info, 7, TN, x);
    exo::expleak_forward(x.dev, c, beta.p, x.p, state.p, out.p);
    return info.Env().Undefined();
  });
}

// expleakBackward(cfg, beta,o, gradI,o, i,o, i0,o, dx,o, di0|null,o, dbeta|null,o)
Napi::Value ExpLeakBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    exo::ExpLeakConfig c = expleak_config(info, 0);
    size_t TN = (size_t)c.T * c.N;
    View gi = view(info, 3, TN);
    View beta = view_like(info, 1, c.P, gi), cur = view_like(info, 5, TN, gi), i0 = view_like(info, 7, c.N, gi);
    View dx = view_like(info, 9, TN, gi);
    float* di0 = optional_view(info, 11, c.N, gi);
    float* dbeta = optional_view(info, 13, c.N, gi);
    exo::expleak_backward(gi.dev, c, beta.p, gi.p, cur.p, i0.p, dx.p, di0, dbeta);
    return info.Env().Undefined();
  });
}

// srmForward(cfg, eps,o, nu|null,o, a,o, s,o, u,o)
Napi::Value SrmForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    exo::SrmConfig c = srm_config(info, 0);
    size_t TN = (size_t)c.T * c.N;
    View a = view(info, 5, TN);
    View eps = view_like(info, 1, c.Ke, a);
    float* nu = c.Kn ? view_like(info, 3, c.Kn, a).p : nullptr;
    View s = view_like(info, 7, TN, a), u = view_like(info, 9, TN, a);
    exo::srm_forward(a.dev, c, eps.p, nu, a.p, s.p, u.p);
    return info.Env().Undefined();
  });
}

// srmBackward(cfg, method, eps,o, nu|null,o, g,o, u,o, q,o, da,o)
Napi::Value SrmBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    exo::SrmConfig c = srm_config(info, 0);
    exo::NeuronGrad method = method_arg(info, 1);
    size_t TN = (size_t)c.T * c.N;
    View g = view(info, 6, TN);
    View eps = view_like(info, 2, c.Ke, g);
    float* nu = c.Kn ? view_like(info, 4, c.Kn, g).p : nullptr;
    View u = view_like(info, 8, TN, g), q = view_like(info, 10, TN, g), da = view_like(info, 12, TN, g);
    exo::srm_backward(g.dev, c, method, eps.p, nu, g.p, u.p, q.p, da.p);
    return info.Env().Undefined();
  });
}

// spikeFn(v,o, s,o, n, theta,o, P, multi, maxSpikes)
Napi::Value SpikeFn(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    size_t n = count(info, 4), P = count(info, 7);
    View v = view(info, 0, n), s = view_like(info, 2, n, v), th = view_like(info, 5, P, v);
    exo::spike_fn(v.dev, v.p, s.p, n, th.p, P, integer(info, 8), (float)num(info, 9));
    return info.Env().Undefined();
  });
}

// surrogateGrad(kind, v,o, g,o, y,o, n, theta,o, P, scale, width)
Napi::Value SurrogateGrad(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    size_t n = count(info, 7), P = count(info, 10);
    View v = view(info, 1, n), g = view_like(info, 3, n, v), y = view_like(info, 5, n, v), th = view_like(info, 8, P, v);
    exo::surrogate_grad(v.dev, (exo::Surrogate)integer(info, 0), v.p, g.p, y.p, n, th.p, P, (float)num(info, 11),
                        (float)num(info, 12));
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
  EXO_EXPORT("spikeFn", SpikeFn);
  EXO_EXPORT("surrogateGrad", SurrogateGrad);
#undef EXO_EXPORT
}

}  // namespace exo_binding
