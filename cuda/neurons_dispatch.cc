// Routes each neuron kernel to the CPU or the CUDA backend by device, after the checks that keep
// a bad configuration from reaching a kernel (the TypeScript layer gives the friendly messages).
#include <string>

#include "exodus/neurons.h"

namespace exo {
namespace {
void check_lif(const LifConfig& c) {
  if (c.T < 0 || c.P == 0 || (c.N % c.P) != 0)
    throw Error("lif: parameter arrays of " + std::to_string(c.P) + " do not tile " + std::to_string(c.N) + " neurons");
  if (c.multi_spike && c.reset == ResetMode::Zero)
    throw Error("lif: multi-spike with zero reset is ill-defined");
  if ((int)c.sg < 0 || c.sg >= Surrogate::Count) throw Error("lif: unknown surrogate " + std::to_string((int)c.sg));
}
void check_sg(Surrogate sg) {
  if ((int)sg < 0 || sg >= Surrogate::Count) throw Error("unknown surrogate " + std::to_string((int)sg));
}
}  // namespace

#define EXO_ROUTE(call_cpu, call_gpu) \
  do {                                \
    if (dev.cpu()) cpu::call_cpu;     \
    else gpu::call_gpu;               \
  } while (0)

void lif_forward(Device dev, const LifConfig& c, LifParams p, const float* x, float* state, float* s, float* v) {
  check_lif(c);
  if (c.T == 0 || c.N == 0) return;
  EXO_ROUTE(lif_forward(c, p, x, state, s, v), lif_forward(dev.index, c, p, x, state, s, v));
}

void lif_backward(Device dev, const LifConfig& c, NeuronGrad method, LifParams p, const float* g, const float* h,
                  const float* v, const float* x, const float* v0, float* dx, float* dv0, float* dalpha) {
  check_lif(c);
  if (c.norm_input && dalpha && !x) throw Error("lif backward: dalpha with norm_input needs the input x");
  if (c.N == 0) return;
  EXO_ROUTE(lif_backward(c, method, p, g, h, v, x, v0, dx, dv0, dalpha),
            lif_backward(dev.index, c, method, p, g, h, v, x, v0, dx, dv0, dalpha));
}

void expleak_forward(Device dev, const ExpLeakConfig& c, const float* beta, const float* x, float* state, float* i) {
  if (c.P == 0 || c.N % c.P) throw Error("expleak: beta of " + std::to_string(c.P) + " does not tile " + std::to_string(c.N));
  if (c.T == 0 || c.N == 0) return;
  EXO_ROUTE(expleak_forward(c, beta, x, state, i), expleak_forward(dev.index, c, beta, x, state, i));
}

void expleak_backward(Device dev, const ExpLeakConfig& c, const float* beta, const float* grad_i, const float* i,
                      const float* i0, float* dx, float* di0, float* dbeta) {
  if (c.P == 0 || c.N % c.P) throw Error("expleak: beta of " + std::to_string(c.P) + " does not tile " + std::to_string(c.N));
  if (c.N == 0) return;
  EXO_ROUTE(expleak_backward(c, beta, grad_i, i, i0, dx, di0, dbeta),
            expleak_backward(dev.index, c, beta, grad_i, i, i0, dx, di0, dbeta));
}

void srm_forward(Device dev, const SrmConfig& c, const float* eps, const float* nu, const float* a, float* s, float* u) {
  check_sg(c.sg);
  if (c.Ke < 1 || c.Kn < 0) throw Error("srm: expected a response kernel of at least one element");
  if (c.T == 0 || c.N == 0) return;
  EXO_ROUTE(srm_forward(c, eps, nu, a, s, u), srm_forward(dev.index, c, eps, nu, a, s, u));
}

void srm_backward(Device dev, const SrmConfig& c, NeuronGrad method, const float* eps, const float* nu,
                  const float* g, const float* u, float* q, float* da) {
  check_sg(c.sg);
  if (c.Ke < 1 || c.Kn < 0) throw Error("srm: expected a response kernel of at least one element");
  if (c.T == 0 || c.N == 0) return;
  EXO_ROUTE(srm_backward(c, method, eps, nu, g, u, q, da), srm_backward(dev.index, c, method, eps, nu, g, u, q, da));
}

void spike_fn(Device dev, const float* v, float* s, size_t n, const float* theta, size_t P, int multi, float max_spikes) {
  if (P == 0) throw Error("spike_fn: empty threshold array");
  if (n == 0) return;
  EXO_ROUTE(spike_fn(v, s, n, theta, P, multi, max_spikes), spike_fn(dev.index, v, s, n, theta, P, multi, max_spikes));
}

void surrogate_grad(Device dev, Surrogate sg, const float* v, const float* g, float* y, size_t n, const float* theta,
                    size_t P, float scale, float width) {
  check_sg(sg);
  if (P == 0) throw Error("surrogate_grad: empty threshold array");
  if (n == 0) return;
  EXO_ROUTE(surrogate_grad(sg, v, g, y, n, theta, P, scale, width),
            surrogate_grad(dev.index, sg, v, g, y, n, theta, P, scale, width));
}

}  // namespace exo
