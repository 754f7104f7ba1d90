// Generic SRM neuron with finite kernels (math.md §3). Per neuron, with time-major arrays of
// stride N (the neuron count per step):
//   forward   u[t] = Σ_k ε[k]·a[t-k] + Σ_k ν[k]·s[t-1-k];  s[t] = S(u[t])
//   backward  ψ[t] = g[t] + Σ_k ν[k]·q[t+1+k]   with q[t] = σ[t]·ψ[t]   (back-substitution)
//             ∂L/∂a[t] = Σ_k ε[k]·q[t+k]                              (correlation)
// SLAYER uses ψ = g. Cost O(T·(Kε + Kν)) per neuron.
#pragma once
#include "surrogate.cuh"

namespace exo {
namespace k {

EXO_HD float srm_potential(const float* a, const float* s, size_t N, int t, const float* eps, int Ke,
                           const float* nu, int Kn) {
  float u = 0.f;
  int ke = Ke < t + 1 ? Ke : t + 1;
  for (int k = 0; k < ke; ++k) u += eps[k] * a[(size_t)(t - k) * N];
  int kn = Kn < t ? Kn : t;
  for (int k = 0; k < kn; ++k) u += nu[k] * s[(size_t)(t - 1 - k) * N];
  return u;
}

// q[t] = σ(u[t])·ψ[t], where ψ[t] gathers the refractory feedback of the later steps.
template <Surrogate K, bool EXACT>
EXO_HD float srm_adjoint_q(const SrmConfig& c, const float* q, size_t N, int t, int T, float g, float u,
                           const float* nu, int Kn) {
  float psi = g;
  if (EXACT) {
    int kn = Kn < T - 1 - t ? Kn : T - 1 - t;
    for (int k = 0; k < kn; ++k) psi += nu[k] * q[(size_t)(t + 1 + k) * N];
  }
  return surrogate<K>(u, c.theta, c.sg_scale, c.sg_width) * psi;
}

EXO_HD float srm_input_grad(const float* q, size_t N, int t, int T, const float* eps, int Ke) {
  float d = 0.f;
  int ke = Ke < T - t ? Ke : T - t;
  for (int k = 0; k < ke; ++k) d += eps[k] * q[(size_t)(t + k) * N];
  return d;
}

}  // namespace k
}  // namespace exo
