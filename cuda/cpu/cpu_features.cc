// cpu_features.h: the EXODUS_AVX512 switch and the CPU's AVX-512 support, read once.
#include "cpu_features.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include "exodus/backend.h"

namespace exo {
namespace cpu {

namespace {
bool read_switch() {
  const char* s = std::getenv("EXODUS_AVX512");
  if (s && std::strcmp(s, "0") != 0 && std::strcmp(s, "1") != 0)
    throw Error(std::string("EXODUS_AVX512: expected 0 (use AVX2 only) or 1 (use AVX-512 where the CPU has it), received \"") +
                s + "\"; unset it or set it to 0 or 1");
  if (s && std::strcmp(s, "0") == 0) return false;
#if EXO_CPU_AVX512_SCANS
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}
}  // namespace

bool cpu_avx512_enabled() {
  // A static: the environment of a running process does not change what an op computes.
  static const bool enabled = read_switch();
  return enabled;
}

}  // namespace cpu
}  // namespace exo
