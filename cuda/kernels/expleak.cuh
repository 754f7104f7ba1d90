// ExpLeak synaptic filter (math.md §2): i[t] = β·i[t-1] + x[t];  μ[t] = λ_i[t] + β·μ[t+1].
#pragma once
#include "common.cuh"

namespace exo {
namespace k {

EXO_HD float expleak_step(float i_prev, float x, float beta) { return beta * i_prev + x; }
EXO_HD float expleak_adjoint_step(float mu_next, float grad_i, float beta) { return grad_i + beta * mu_next; }

}  // namespace k
}  // namespace exo
