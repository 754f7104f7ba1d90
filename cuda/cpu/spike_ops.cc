// The spike function and surrogate gradient as element ops (the BPTT tape's; kernels/surrogate.cuh).
#include "kernels/surrogate.cuh"
#include "neuron_tiles.h"  // also marks this file as a scan for CMakeLists.txt (-fno-trapping-math)
#include "exodus/backend.h"

namespace exo {
namespace cpu {
void spike_fn(const float* v, float* s, size_t n, const float* theta, size_t P, int multi, float max_spikes) {
  parallel_chunks(n, [&](size_t b, size_t e) {
    if (P == 1) {
      const float th = theta[0];
      for (size_t i = b; i < e; ++i) s[i] = k::spike_fn(v[i], th, multi, max_spikes);
    } else {
      for (size_t i = b; i < e; ++i) s[i] = k::spike_fn(v[i], theta[i % P], multi, max_spikes);
    }
  });
}

namespace {
template <Surrogate K>
void surrogate_loop(const float* v, const float* g, float* y, size_t n, const float* theta, size_t P, float a, float w) {
  parallel_chunks(n, [&](size_t b, size_t e) {
    if (P == 1) {
      const float th = theta[0];
      for (size_t i = b; i < e; ++i) y[i] = k::surrogate<K>(v[i], th, a, w) * g[i];
    } else {
      for (size_t i = b; i < e; ++i) y[i] = k::surrogate<K>(v[i], theta[i % P], a, w) * g[i];
    }
  });
}
}  // namespace

void surrogate_grad(Surrogate sg, const float* v, const float* g, float* y, size_t n, const float* theta, size_t P,
                    float scale, float width) {
  k::with_scan(sg, true, [&](auto t) { surrogate_loop<decltype(t)::kind>(v, g, y, n, theta, P, scale, width); });
}
}  // namespace cpu
}  // namespace exo
