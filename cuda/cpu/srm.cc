// CPU SRM scans (kernels/srm.cuh): parallel over neurons (neuron_tiles.h), O(T·(Ke + Kn)) each.
#include "kernels/srm.cuh"
#include "neuron_tiles.h"
#include "exodus/backend.h"

namespace exo {
namespace cpu {
namespace {

template <Surrogate K, bool EXACT>
void srm_backward_scan(const SrmConfig& c, const float* eps, const float* nu, const float* g, const float* u,
                       float* q, float* da) {
  const size_t N = c.N;
  const int T = c.T;
  parallel_neurons(N, T * (c.Ke + c.Kn), [&](size_t b, size_t e) {
    for (int t = T - 1; t >= 0; --t)
      for (size_t i = b; i < e; ++i) {
        size_t o = (size_t)t * N + i;
        q[o] = k::srm_adjoint_q<K, EXACT>(c, q + i, N, t, T, g[o], u[o], nu, c.Kn);
      }
    for (int t = 0; t < T; ++t)
      for (size_t i = b; i < e; ++i) da[(size_t)t * N + i] = k::srm_input_grad(q + i, N, t, T, eps, c.Ke);
  });
}

}  // namespace

void srm_forward(const SrmConfig& c, const float* eps, const float* nu, const float* a, float* s, float* u) {
  const size_t N = c.N;
  parallel_neurons(N, c.T * (c.Ke + c.Kn), [&](size_t b, size_t e) {
    for (int t = 0; t < c.T; ++t)
      for (size_t i = b; i < e; ++i) {
        size_t o = (size_t)t * N + i;
        float ut = k::srm_potential(a + i, s + i, N, t, eps, c.Ke, nu, c.Kn);
        u[o] = ut;
        s[o] = k::spike_fn(ut, c.theta, c.multi_spike, c.max_spikes);
      }
  });
}

void srm_backward(const SrmConfig& c, NeuronGrad method, const float* eps, const float* nu, const float* g,
                  const float* u, float* q, float* da) {
  k::with_scan(c.sg, method == NeuronGrad::Exodus, [&](auto t) {
    srm_backward_scan<decltype(t)::kind, decltype(t)::exact>(c, eps, nu, g, u, q, da);
  });
}
}  // namespace cpu
}  // namespace exo
