// The CUDA neuron kernels of a build made without nvcc: each explains how to get a CUDA build.
#include "missing.h"
#include "exodus/neurons.h"

namespace exo {
namespace gpu {
void lif_forward(int, const LifConfig&, LifParams, const float*, float*, float*, float*) { missing(); }
void lif_backward(int, const LifConfig&, NeuronGrad, LifParams, const float*, const float*, const float*, const float*,
                  const float*, float*, float*, float*) {
  missing();
}
void expleak_forward(int, const ExpLeakConfig&, const float*, const float*, float*, float*) { missing(); }
void expleak_backward(int, const ExpLeakConfig&, const float*, const float*, const float*, const float*, float*, float*,
                      float*) {
  missing();
}
void srm_forward(int, const SrmConfig&, const float*, const float*, const float*, float*, float*) { missing(); }
void srm_backward(int, const SrmConfig&, NeuronGrad, const float*, const float*, const float*, const float*, float*,
                  float*) {
  missing();
}
void spike_fn(int, const float*, float*, size_t, const float*, size_t, int, float) { missing(); }
void surrogate_grad(int, Surrogate, const float*, const float*, float*, size_t, const float*, size_t, float, float) {
  missing();
}

}  // namespace gpu
}  // namespace exo
