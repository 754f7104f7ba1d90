// The recurrent LIF backward's per-row step with the exponential surrogate in AVX-512 (cpu/rlif.cc),
// chosen at run time (cpu_features.h): λ[t] and ∂x[t] for 16 neurons per instruction
// (exp_adjoint_avx.h's 8-lane form, op for op), and in the same pass the ∂α and ∂b sums of step t
// (param_sums_row's operations, as GCC forms them for that loop: s = (θ ≤ v), the reset
// v − m·s or v·(1 − s), then ∂α += λ·reset and ∂b += λ), so that λ is not read back from memory.
// Same bits as the AVX2 code, lane for lane (test/neurons/recurrent-avx512.test.ts).
#pragma once
#include <cstddef>

#include "exodus/neurons.h"

namespace exo {
namespace cpu {

// Neurons [0, n), n a multiple of 16; every pointer is per neuron (the row's, or the layer's
// parameters). vprev = v[t−1] of the row, or nullptr at t = 0 (then da and db are not touched).
void exp_adjoint_row_avx512(bool exact, ResetMode reset, size_t n, const float* theta, const float* alpha,
                            const float* m, const float* q0, const float* q1, const float* lam_next, const float* r,
                            const float* v, const float* g, const float* h, const float* vprev, float* lam, float* dx,
                            float* da, float* db);

}  // namespace cpu
}  // namespace exo
