// Element-wise math, one definition per op, used by the CPU loops and the CUDA kernels alike.
// Ops are template parameters so each loop is specialised (and vectorised) for one op.
#pragma once
#include "common.cuh"
#include "exodus/api.h"

namespace exo {
namespace k {

template <Unary OP>
EXO_HD float unary_op(float x, float a, float b) {
  if constexpr (OP == Unary::Copy) return x;
  else if constexpr (OP == Unary::Neg) return -x;
  else if constexpr (OP == Unary::Exp) return expf(x);
  else if constexpr (OP == Unary::Log) return logf(x);
  else if constexpr (OP == Unary::Abs) return fabsf(x);
  else if constexpr (OP == Unary::Sqrt) return sqrtf(x);
  else if constexpr (OP == Unary::Square) return x * x;
  else if constexpr (OP == Unary::Relu) return x > 0.f ? x : 0.f;
  // Written so that large |x| never overflows exp().
  else if constexpr (OP == Unary::Sigmoid) {
    if (x >= 0.f) return 1.f / (1.f + expf(-x));
    float e = expf(x);
    return e / (1.f + e);
  }
  else if constexpr (OP == Unary::Tanh) return tanhf(x);
  else if constexpr (OP == Unary::Affine) return a * x + b;
  else if constexpr (OP == Unary::Clamp) return fmin_(fmax_(x, a), b);
  else if constexpr (OP == Unary::Pow) return powf(x, a);
  else if constexpr (OP == Unary::Step) return x >= a ? 1.f : 0.f;
  else if constexpr (OP == Unary::Reciprocal) return 1.f / x;
  else return x;
}

template <Binary OP>
EXO_HD float binary_op(float x, float w) {
  if constexpr (OP == Binary::Add) return x + w;
  else if constexpr (OP == Binary::Sub) return x - w;
  else if constexpr (OP == Binary::Mul) return x * w;
  else if constexpr (OP == Binary::Div) return x / w;
  else if constexpr (OP == Binary::Max) return fmax_(x, w);
  else return fmin_(x, w);
}

}  // namespace k
}  // namespace exo
