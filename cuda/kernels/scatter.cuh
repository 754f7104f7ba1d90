// Sparse -> dense frames: a sample's frames come as flat indices i = t·F + f with a count each
// (lib/data/transforms.ts); column b of a dense time-major [T, B, F] batch receives them. The one
// copy of this index math: the CPU and CUDA backends, and through the addon's scatterFramesHost
// the JavaScript paths (loader samples, batch worker threads), all call it.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "common.cuh"

namespace exo {
namespace k {

// Where frame entry i lands in [T, B, F]; (size_t)-1 (dropped) when its step is at or past T
// (limit = T·F).
EXO_HD size_t frame_slot(size_t i, size_t limit, int B, int F, int b) {
  if (i >= limit) return (size_t)-1;
  return ((i / F) * B + b) * F + i % F;
}

}  // namespace k
}  // namespace exo
