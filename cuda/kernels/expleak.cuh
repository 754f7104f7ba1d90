// ExpLeak synaptic filter (math.md §2): i[t] = β·i[t-1] + x[t];  μ[t] = λ_i[t] + β·μ[t+1],
// and its parameter and state gradients.
#pragma once
#include "common.cuh"

namespace exo {
namespace k {

EXO_HD float expleak_step(float i_prev, float x, float beta) { return beta * i_prev + x; }
EXO_HD float expleak_adjoint_step(float mu_next, float grad_i, float beta) { return grad_i + beta * mu_next; }
// Step t's share of ∂L/∂β = Σ_t μ[t]·i[t-1]  (i[-1] = i0).
EXO_HD float expleak_dbeta_term(float mu, float i_prev) { return mu * i_prev; }
// ∂L/∂i0 = β·μ[0].
EXO_HD float expleak_state_grad(float mu0, float beta) { return beta * mu0; }

}  // namespace k
}  // namespace exo
