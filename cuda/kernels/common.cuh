// Shared definitions for code compiled by both backends: g++ for the CPU, nvcc for CUDA.
#pragma once

#if defined(__CUDACC__)
#define EXO_HD __host__ __device__ __forceinline__
#else
#define EXO_HD inline
#endif

#include <math.h>

namespace exo {
namespace k {

EXO_HD float fmax_(float a, float b) { return a > b ? a : b; }
EXO_HD float fmin_(float a, float b) { return a < b ? a : b; }

}  // namespace k
}  // namespace exo
