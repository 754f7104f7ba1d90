// Shared definitions for code compiled by both backends: g++ for the CPU, nvcc for CUDA.
#pragma once

#if defined(__CUDACC__)
#define EXO_HD __host__ __device__ __forceinline__
#else
#define EXO_HD inline
#endif

#include <math.h>
#include <string.h>

namespace exo {
namespace k {

EXO_HD float fmax_(float a, float b) { return a > b ? a : b; }
EXO_HD float fmin_(float a, float b) { return a < b ? a : b; }

// exp(x) for the surrogate gradients. On the GPU, expf. On the CPU, libm's expf is a scalar call
// that stops the backward scan from vectorising (and dominated its time), so: Cody-Waite range
// reduction x = n·ln2 + r and a degree-6 polynomial for exp(r) (relative error ~1e-7, the
// classic Cephes expf scheme), written as plain arithmetic the compiler vectorises.
EXO_HD float exp_approx(float x) {
#if defined(__CUDA_ARCH__)
  return expf(x);
#else
  // Only x <= 0 occurs (exp(-|d|/w), exp(-z²/2)); below 2^-126 the result is 0. The cut is
  // an integer select on n, which vectorises where a float compare on x would not.
  float n = floorf(x * 1.44269504088896341f + 0.5f);
  float r = x - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float e = p * r * r + r + 1.f;
  int ni = (int)n;
  int bits = ni < -126 ? 0 : (ni + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);  // 2^n; a bit copy the compiler turns into a register move
  return e * scale;
#endif
}

}  // namespace k
}  // namespace exo
