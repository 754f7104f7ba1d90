// N-API bindings of the recurrent CubaLIF, ALIF and adLIF scans (exodus/recurrent.h): one pair for
// the three models, the model a code (0 CubaLIF, 1 ALIF, 2 adLIF; lib/native.ts RECURRENT_MODELS)
// whose parameters and gradients are read by the model's own names.
#include <string>

#include "binding.h"

namespace exo_binding {
namespace {

// Per model: its parameter names in RecurrentParams order, and its learnable ones' gradient names.
struct ModelNames {
  const char* params[exo::kRecParams];
  const char* grads[exo::kRecGrads];
};
const ModelNames kNames[] = {
    {{"alphaSyn", "alpha", "theta", nullptr, nullptr}, {"dalphaSyn", "dalpha", nullptr, nullptr}},
    {{"alpha", "rho", "beta", "theta0", nullptr}, {"dalpha", "drho", "dbeta", "dtheta0"}},
    {{"alpha", "beta", "a", "b", "theta"}, {"dalpha", "dbeta", "da", "db"}},
};

// { T, N, P (= H), model, reset, surrogate, sgScale, sgWidth }: P neurons per row, N = B·P.
exo::RecurrentConfig config(const Args& a) {
  exo::RecurrentConfig c;
  c.T = a.dim("T");
  c.N = a.count("N");
  c.P = a.count("P");
  if (c.P == 0 || c.N % c.P) a.fail("P", "must divide N (" + std::to_string(c.N) + " = batch × neurons), received " + std::to_string(c.P));
  const int m = a.integer("model");
  if (m < 0 || m > 2) a.fail("model", "must be 0 (CubaLIF), 1 (ALIF) or 2 (adLIF), received " + std::to_string(m));
  c.model = (exo::RecModel)m;
  c.reset = a.code<exo::ResetMode>("reset");
  c.sg = a.code<exo::Surrogate>("surrogate");
  c.sg_scale = (float)a.num("sgScale");
  c.sg_width = (float)a.num("sgWidth");
  return c;
}

exo::RecurrentParams params(const Args& a, const exo::RecurrentConfig& c, const View& like) {
  const size_t H = c.P;
  if (like.dev.type == exo::DevType::CUDA && H > exo::kRlifMaxH)
    a.fail("P", "is " + std::to_string(H) + ": a CUDA recurrent layer holds at most " + std::to_string(exo::kRlifMaxH) +
                    " neurons (its scans keep a row in shared memory); use fewer neurons or the CPU");
  exo::RecurrentParams p{};
  const ModelNames& n = kNames[(int)c.model];
  for (int k = 0; k < exo::kRecParams; ++k) p.p[k] = n.params[k] ? a.view(n.params[k], H, like).p : nullptr;
  p.bias = a.optional("bias", H, like);
  p.w = a.view("w", H * H, like).p;
  return p;
}

// recurrentForward({ x, <model's parameters>, bias?, w, vState, aState, sState, s, v, aux, u?, …config })
Napi::Value RecurrentForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "recurrentForward");
    exo::RecurrentConfig c = config(a);
    const size_t TN = (size_t)c.T * c.N;
    View x = a.view("x", TN);
    exo::RecurrentParams p = params(a, c, x);
    View vs = a.view("vState", c.N, x), as = a.view("aState", c.N, x), ss = a.view("sState", c.N, x);
    View s = a.view("s", TN, x), v = a.view("v", TN, x), aux = a.view("aux", TN, x);
    float* u = a.optional("u", TN, x);
    if (c.model == exo::RecModel::Adlif && !u) a.fail("u", "must be given for adLIF (its ∂α reads the input u[t]) [T, N]");
    if (TN) exo::on(x.dev).recurrent_forward(x.dev.index, c, p, x.p, vs.p, as.p, ss.p, s.p, v.p, aux.p, u);
    return info.Env().Undefined();
  });
}

// recurrentBackward({ method, <parameters>, bias?, w, g, h?, v, aux, u?, v0, a0, s0, dx, dv0?, da0?, ds0?,
//                     <gradients>?, dbias?, dw, …config })
Napi::Value RecurrentBackward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "recurrentBackward");
    exo::RecurrentConfig c = config(a);
    auto method = a.code<exo::NeuronGrad>("method");
    const size_t TN = (size_t)c.T * c.N;
    View g = a.view("g", TN);
    exo::RecurrentParams p = params(a, c, g);
    float* h = a.optional("h", TN, g);
    View v = a.view("v", TN, g), aux = a.view("aux", TN, g);
    float* u = a.optional("u", TN, g);
    if (c.model == exo::RecModel::Adlif && !u) a.fail("u", "must be given for adLIF (the forward's u) [T, N]");
    View v0 = a.view("v0", c.N, g), a0 = a.view("a0", c.N, g), s0 = a.view("s0", c.N, g), dx = a.view("dx", TN, g);
    View dw = a.view("dw", c.P * c.P, g);
    exo::RecurrentGrads gr{};
    const ModelNames& n = kNames[(int)c.model];
    for (int k = 0; k < exo::kRecGrads; ++k) gr.dp[k] = n.grads[k] ? a.optional(n.grads[k], c.N, g) : nullptr;
    gr.dbias = a.optional("dbias", c.N, g);
    gr.dw = dw.p;
    float *dv0 = a.optional("dv0", c.N, g), *da0 = a.optional("da0", c.N, g), *ds0 = a.optional("ds0", c.N, g);
    if (c.N)
      exo::on(g.dev).recurrent_backward(g.dev.index, c, method, p, g.p, h, v.p, aux.p, u, v0.p, a0.p, s0.p, dx.p, dv0, da0,
                                        ds0, gr);
    return info.Env().Undefined();
  });
}

}  // namespace

void register_recurrent_bindings(Napi::Env env, Napi::Object exports) {
  exports.Set("recurrentForward", Napi::Function::New(env, RecurrentForward, "recurrentForward"));
  exports.Set("recurrentBackward", Napi::Function::New(env, RecurrentBackward, "recurrentBackward"));
}

}  // namespace exo_binding
