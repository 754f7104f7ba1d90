// Every code that crosses the JavaScript boundary, as X-macro lists. The C++ enums are generated
// from them, and so is the table the addon exports (`codes` in binding.cc, read by lib/native.ts),
// so no list is kept by hand anywhere else. Each enum ends with a Count sentinel that the binding
// checks codes against. Add an entry here and it exists in C++, in the backends' switches and in
// JavaScript at once (JavaScript names are the entries in snake_case: FastSigmoid -> fast_sigmoid).
#pragma once

#define EXO_UNARY_OPS(X) \
  X(Copy) X(Neg) X(Exp) X(Log) X(Abs) X(Sqrt) X(Square) X(Relu) X(Sigmoid) X(Tanh) X(Affine) X(Clamp) \
  X(Pow) X(Step) X(Reciprocal)
#define EXO_BINARY_OPS(X) X(Add) X(Sub) X(Mul) X(Div) X(Max) X(Min)
#define EXO_REDUCE_OPS(X) X(Sum) X(Mean) X(Max) X(Min) X(Argmax) X(Argmin)
// Surrogate gradients of math.md §1, and two with compact support (σ = 0 outside |v−θ| < wθ).
#define EXO_SURROGATES(X) X(Exponential) X(Boxcar) X(Gaussian) X(FastSigmoid) X(Arctan) X(Triangle) X(Rectangle)
#define EXO_RESET_MODES(X) X(Subtract) X(Zero)
// Backward scans: EXODUS (exact) or SLAYER (the reset and adaptation paths dropped). BPTT is not
// a scan: it is the tape in lib/nn/tape.ts.
#define EXO_NEURON_GRADS(X) X(Exodus) X(Slayer)

// The tables the addon exports: (JavaScript name, enum, list).
#define EXO_CODE_TABLES(T)               \
  T(unary, Unary, EXO_UNARY_OPS)         \
  T(binary, Binary, EXO_BINARY_OPS)      \
  T(reduce, Reduce, EXO_REDUCE_OPS)      \
  T(surrogate, Surrogate, EXO_SURROGATES) \
  T(reset, ResetMode, EXO_RESET_MODES)   \
  T(grad, NeuronGrad, EXO_NEURON_GRADS)

namespace exo {

#define EXO_ENUM_ENTRY(name) name,
#define EXO_ENUM(js, Enum, LIST) enum class Enum : int { LIST(EXO_ENUM_ENTRY) Count };
EXO_CODE_TABLES(EXO_ENUM)
#undef EXO_ENUM
#undef EXO_ENUM_ENTRY

}  // namespace exo
