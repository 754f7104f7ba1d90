// CPU ExpLeak scans (kernels/expleak.cuh), tiled as neuron_tiles.h says.
#include "kernels/expleak.cuh"
#include "neuron_tiles.h"
#include "exodus/backend.h"

namespace exo {
namespace cpu {
void expleak_forward(const ExpLeakConfig& c, const float* beta, const float* x, float* state, float* out) {
  const size_t N = c.N;
  parallel_neurons(N, c.T, [&](size_t b, size_t e) {
    const size_t n = e - b;
    float bt[kTile], cur[kTile];
    for (size_t j = 0; j < n; ++j) {
      bt[j] = beta[(b + j) % c.P];
      cur[j] = state[b + j];
    }
    for (int t = 0; t < c.T; ++t) {
      const size_t o = (size_t)t * N + b;
      for (size_t j = 0; j < n; ++j) out[o + j] = cur[j] = k::expleak_step(cur[j], x[o + j], bt[j]);
    }
    for (size_t j = 0; j < n; ++j) state[b + j] = cur[j];
  });
}

void expleak_backward(const ExpLeakConfig& c, const float* beta, const float* grad_i, const float* cur,
                      const float* i0, float* dx, float* di0, float* dbeta) {
  const size_t N = c.N;
  parallel_neurons(N, c.T, [&](size_t b, size_t e) {
    const size_t n = e - b;
    float bt[kTile], mu[kTile], db[kTile];
    for (size_t j = 0; j < n; ++j) {
      bt[j] = beta[(b + j) % c.P];
      mu[j] = db[j] = 0.f;
    }
    for (int t = c.T - 1; t >= 0; --t) {
      const size_t o = (size_t)t * N + b;
      for (size_t j = 0; j < n; ++j) {
        mu[j] = k::expleak_adjoint_step(mu[j], grad_i[o + j], bt[j]);
        dx[o + j] = mu[j];
      }
      if (dbeta)
        for (size_t j = 0; j < n; ++j) db[j] += k::expleak_dbeta_term(mu[j], t > 0 ? cur[o - N + j] : i0[b + j]);
    }
    if (di0)
      for (size_t j = 0; j < n; ++j) di0[b + j] = k::expleak_state_grad(mu[j], bt[j]);
    if (dbeta)
      for (size_t j = 0; j < n; ++j) dbeta[b + j] = db[j];
  });
}
}  // namespace cpu
}  // namespace exo
