// N-API bindings of the fused layer scans that span two layers: a Linear over a spike index and the
// LIF/IAF after it (lif_forward_linear, lif_backward_linear, exodus/host_ops.h), which Sequential
// runs as one step.
#include <algorithm>
#include <numeric>

#include "binding.h"

namespace exo_binding {
namespace {

// lifForwardLinear({ offsets, cols, vals, rows, inFeatures, w, outFeatures, bias?, alpha, theta, m, state,
//                    s, v, mask?, T, N, P, …the LIF config of lifForward }): s, v (and the mask) as
// lifForward gives them for x = the index's product with w (+ bias), which is never stored.
Napi::Value LifForwardLinear(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "lifForwardLinear");
    exo::LifConfig c = lif_config(a);
    IndexArgs ix = index_args(a);
    const int O = a.dim("outFeatures");
    const size_t TN = (size_t)c.T * c.N;
    if (O < 1 || c.N % (size_t)O || (size_t)ix.R != (size_t)c.T * (c.N / (size_t)O))
      a.fail("rows", "must be T·B for N = B·outFeatures, received rows " + std::to_string(ix.R) + ", T " + std::to_string(c.T) +
                         ", N " + std::to_string(c.N) + ", outFeatures " + std::to_string(O));
    View w = a.view("w", (size_t)O * ix.F);
    const exo::Backend& be = backend_for(a, w.dev, exo::Op::lif_forward_linear, "w");
    View s = a.view("s", TN, w), v = a.view("v", TN, w), state = a.view("state", c.N, w);
    exo::LifParams p{a.view("alpha", c.P, w).p, a.view("theta", c.P, w).p, a.view("m", c.P, w).p};
    float* bias = a.optional("bias", (size_t)O, w);
    uint8_t* mask = spike_mask(a, c.N, TN);
    // A tile holds whole batch rows (and whole mask bytes): at most 512 neurons (neuron_tiles.h).
    const size_t unit = mask ? std::lcm((size_t)O, (size_t)8) : (size_t)O;
    if (unit > 512) a.fail("outFeatures", "must be at most 512 (with a mask: lcm(outFeatures, 8) at most 512), received " + std::to_string(O));
    if (TN) be.lif_forward_linear(w.dev.index, c, p, ix.offsets, ix.cols, ix.vals, ix.F, w.p, bias, O, state.p, s.p, v.p, mask);
    return info.Env().Undefined();
  });
}

// lifBackwardLinear({ method, alpha, theta, m, g, h?, v, v0, dv0?, dalpha?, …the LIF config, offsets, cols,
//                     vals, rows, inFeatures, w, outFeatures, dw, db?, dx? }): the LIF's backward and,
// from its ∂L/∂x in cache, the Linear's (dw, db added to; dx = the Linear's input gradient).
Napi::Value LifBackwardLinear(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Args a(info, "lifBackwardLinear");
    exo::LifConfig c = lif_config(a);
    auto method = a.code<exo::NeuronGrad>("method");
    IndexArgs ix = index_args(a);
    const int O = a.dim("outFeatures");
    const size_t TN = (size_t)c.T * c.N;
    if (O < 1 || O > 512 || c.N % (size_t)O || (size_t)ix.R != (size_t)c.T * (c.N / (size_t)O))
      a.fail("rows", "must be T·B for N = B·outFeatures (outFeatures at most 512), received rows " + std::to_string(ix.R) +
                         ", T " + std::to_string(c.T) + ", N " + std::to_string(c.N) + ", outFeatures " + std::to_string(O));
    if (c.norm_input && a.has("dalpha")) a.fail("dalpha", "is not taken with normInput (the fused backward keeps no input)");
    View g = a.view("g", TN);
    const exo::Backend& be = backend_for(a, g.dev, exo::Op::lif_backward_linear, "g");
    exo::LifParams p{a.view("alpha", c.P, g).p, a.view("theta", c.P, g).p, a.view("m", c.P, g).p};
    float* h = a.optional("h", TN, g);
    View v = a.view("v", TN, g), v0 = a.view("v0", c.N, g);
    float* dv0 = a.optional("dv0", c.N, g);
    float* dalpha = a.optional("dalpha", c.N, g);
    View w = a.view("w", (size_t)O * ix.F, g), dw = a.view("dw", (size_t)O * ix.F, g);
    float* db = a.optional("db", (size_t)O, g);
    float* dx = a.optional("dx", (size_t)ix.R * ix.F, g);
    // A chunk of time (TimeChunked): λ in from the chunk after, λ[0] out for the one before.
    const float* lam_in = a.optional("lamIn", c.N, g);
    float* lam_out = a.optional("lamOut", c.N, g);
    if (TN) be.lif_backward_linear(g.dev.index, c, method, p, g.p, h, v.p, v0.p, dv0, dalpha, ix.offsets, ix.cols, ix.vals, ix.F, w.p, O, dw.p, db, dx, lam_in, lam_out);
    else if (dx) std::fill(dx, dx + (size_t)ix.R * ix.F, 0.f);
    return info.Env().Undefined();
  });
}

}  // namespace

void register_fused_bindings(Napi::Env env, Napi::Object exports) {
  exports.Set("lifForwardLinear", Napi::Function::New(env, LifForwardLinear, "lifForwardLinear"));
  exports.Set("lifBackwardLinear", Napi::Function::New(env, LifBackwardLinear, "lifBackwardLinear"));
}

}  // namespace exo_binding
