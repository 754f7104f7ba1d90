// The launch shape the CUDA neuron scans share (gpu/lif.cu, alif.cu, expleak.cu, srm.cu): one thread
// per neuron loops over t; at each step the threads of a warp touch consecutive neurons of
// time-major arrays, so every load and store is coalesced. O(T) per neuron.
#pragma once
#include <cstddef>

namespace exo {
namespace gpu {

constexpr unsigned kBlock = 128;

inline unsigned blocks_for(size_t n) { return (unsigned)((n + kBlock - 1) / kBlock); }

}  // namespace gpu
}  // namespace exo
