// Reductions along one axis of a tensor viewed as [outer, axis, inner]. An accumulator walks the
// axis for one (outer, inner) position; both backends use these steps so results agree bit-wise
// where the order of accumulation agrees.
#pragma once
#include "common.cuh"
#include "exodus/api.h"

namespace exo {
namespace k {

struct ReduceAcc {
  float value;
  int index;
};

EXO_HD ReduceAcc reduce_init(Reduce op, float first) {
  (void)op;
  return ReduceAcc{first, 0};
}

// Folds element x at position j (j > 0) into the accumulator. Ties keep the first index, as numpy.
EXO_HD void reduce_step(Reduce op, ReduceAcc& acc, float x, int j) {
  switch (op) {
    case Reduce::Sum:
    case Reduce::Mean: acc.value += x; break;
    case Reduce::Max:
    case Reduce::Argmax:
      if (x > acc.value || (x != x && acc.value == acc.value)) { acc.value = x; acc.index = j; }
      break;
    default:
      if (x < acc.value || (x != x && acc.value == acc.value)) { acc.value = x; acc.index = j; }
      break;
  }
}

EXO_HD float reduce_finish(Reduce op, const ReduceAcc& acc, size_t axis) {
  switch (op) {
    case Reduce::Mean: return acc.value / (float)axis;
    case Reduce::Argmax:
    case Reduce::Argmin: return (float)acc.index;
    default: return acc.value;
  }
}

// One row of softmax cross-entropy, numerically stable (max subtracted). Returns the loss and
// writes (softmax - onehot) * scale into grad when grad is not null.
EXO_HD float softmax_xent_row(const float* x, int label, float* grad, int cols, float scale) {
  float m = x[0];
  for (int c = 1; c < cols; ++c) m = fmax_(m, x[c]);
  float z = 0.f;
  for (int c = 0; c < cols; ++c) z += expf(x[c] - m);
  float logz = logf(z) + m;
  if (grad) {
    for (int c = 0; c < cols; ++c) {
      float p = expf(x[c] - logz);
      grad[c] = (p - (c == label ? 1.f : 0.f)) * scale;
    }
  }
  return logz - x[label];
}

EXO_HD void log_softmax_row(const float* x, float* y, int cols) {
  float m = x[0];
  for (int c = 1; c < cols; ++c) m = fmax_(m, x[c]);
  float z = 0.f;
  for (int c = 0; c < cols; ++c) z += expf(x[c] - m);
  float logz = logf(z) + m;
  for (int c = 0; c < cols; ++c) y[c] = x[c] - logz;
}

}  // namespace k
}  // namespace exo
