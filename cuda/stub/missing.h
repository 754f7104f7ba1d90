// The one error every CUDA entry point of a build without nvcc throws.
#pragma once
#include "exodus/api.h"

namespace exo {
namespace gpu {
[[noreturn]] inline void missing() {
  throw Error("this exodus build has no CUDA backend (nvcc was not found or EXODUS_CUDA=off when it "
              "was compiled); reinstall with nvcc on PATH and EXODUS_CUDA=on, or use device 'cpu'");
}
}  // namespace gpu
}  // namespace exo
