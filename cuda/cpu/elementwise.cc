// CPU element-wise ops: each thread takes a contiguous chunk; the op is a template so the inner
// loop is a plain vectorisable loop over floats.
#include "kernels/elementwise.cuh"
#include "parallel.h"

#include <string>
#include "exodus/backend.h"

namespace exo {
namespace cpu {

void fill(float* y, size_t n, float v) {
  parallel_chunks(n, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) y[i] = v;
  });
}

namespace {
template <Unary OP>
void unary_loop(const float* x, float* y, size_t n, float a, float b_) {
  parallel_chunks(n, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) y[i] = k::unary_op<OP>(x[i], a, b_);
  });
}

template <Binary OP>
void binary_loop(const float* x, const float* w, float* y, size_t n, size_t nb, size_t inner) {
  if (nb == n) {
    parallel_chunks(n, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) y[i] = k::binary_op<OP>(x[i], w[i]);
    });
  } else if (inner == 1) {
    // w repeats along the trailing axis (bias over the last dimension): rows of length nb.
    size_t rows = n / nb;
    parallel_chunks(rows, [&](size_t b, size_t e) {
      for (size_t r = b; r < e; ++r) {
        const float* xr = x + r * nb;
        float* yr = y + r * nb;
        for (size_t j = 0; j < nb; ++j) yr[j] = k::binary_op<OP>(xr[j], w[j]);
      }
    }, kParallelMin / nb + 1);
  } else {
    // w indexed by the middle axis of [outer, nb, inner]: one scalar per run of `inner`.
    size_t runs = n / inner;
    parallel_chunks(runs, [&](size_t b, size_t e) {
      for (size_t r = b; r < e; ++r) {
        float wv = w[r % nb];
        const float* xr = x + r * inner;
        float* yr = y + r * inner;
        for (size_t j = 0; j < inner; ++j) yr[j] = k::binary_op<OP>(xr[j], wv);
      }
    }, kParallelMin / inner + 1);
  }
}
}  // namespace

void unary(Unary op, const float* x, float* y, size_t n, float a, float b) {
  switch (op) {
#define EXO_CASE(N) case Unary::N: unary_loop<Unary::N>(x, y, n, a, b); break;
    EXO_UNARY_OPS(EXO_CASE)
#undef EXO_CASE
    default: throw Error("unknown unary op " + std::to_string((int)op));
  }
}

void binary(Binary op, const float* x, const float* w, float* y, size_t n, size_t nb, size_t inner) {
  switch (op) {
#define EXO_CASE(N) case Binary::N: binary_loop<Binary::N>(x, w, y, n, nb, inner); break;
    EXO_BINARY_OPS(EXO_CASE)
#undef EXO_CASE
    default: throw Error("unknown binary op " + std::to_string((int)op));
  }
}

void axpby(float alpha, const float* x, float beta, float* y, size_t n) {
  parallel_chunks(n, [&](size_t b, size_t e) {
    if (beta == 0.f)
      for (size_t i = b; i < e; ++i) y[i] = alpha * x[i];
    else
      for (size_t i = b; i < e; ++i) y[i] = alpha * x[i] + beta * y[i];
  });
}

}  // namespace cpu
}  // namespace exo
