// CPU reductions over one axis and the row-wise softmax losses.
#include <string>
#include <vector>

#include "kernels/reduce.cuh"
#include "parallel.h"
#include "exodus/backend.h"

namespace exo {
namespace cpu {

namespace {
// A float32 running sum stops moving once the total dwarfs each element (2^24 ones sum to 2^24
// whatever follows), so long sums form float partials of kSumBlock elements with the shared
// reduce_step and fold them into a double total: the error is then that of one block.
constexpr size_t kSumBlock = 4096;

bool is_sum(Reduce op) { return op == Reduce::Sum || op == Reduce::Mean; }

k::ReduceAcc blocked_sum(const float* xr, size_t axis) {
  double total = 0;
  for (size_t j0 = 0; j0 < axis; j0 += kSumBlock) {
    const size_t j1 = j0 + kSumBlock < axis ? j0 + kSumBlock : axis;
    k::ReduceAcc part = k::reduce_init(Reduce::Sum, xr[j0]);
    for (size_t j = j0 + 1; j < j1; ++j) k::reduce_step(Reduce::Sum, part, xr[j], (int)j);
    total += part.value;
  }
  return k::ReduceAcc{(float)total, 0};
}
}  // namespace

void reduce(Reduce op, const float* x, float* y, size_t outer, size_t axis, size_t inner) {
  if (inner == 1) {
    // Reducing contiguous rows: one accumulator per row.
    parallel_chunks(outer, [&](size_t b, size_t e) {
      for (size_t o = b; o < e; ++o) {
        const float* xr = x + o * axis;
        if (is_sum(op)) {
          y[o] = k::reduce_finish(op, blocked_sum(xr, axis), axis);
          continue;
        }
        k::ReduceAcc acc = k::reduce_init(op, xr[0]);
        for (size_t j = 1; j < axis; ++j) k::reduce_step(op, acc, xr[j], (int)j);
        y[o] = k::reduce_finish(op, acc, axis);
      }
    }, axis > 4096 ? 2 : kParallelMin / (axis ? axis : 1) + 1);
    return;
  }
  // Reducing a strided axis (e.g. over time in [T, B, N]): each thread owns a slice of `inner`
  // and walks the axis, so every step reads a contiguous slice.
  for (size_t o = 0; o < outer; ++o) {
    const float* xo = x + o * axis * inner;
    float* yo = y + o * inner;
    parallel_chunks(inner, [&](size_t b, size_t e) {
      std::vector<k::ReduceAcc> acc(e - b);
      for (size_t i = b; i < e; ++i) acc[i - b] = k::reduce_init(op, xo[i]);
      // A long strided sum folds per-block partials into double totals, as blocked_sum does.
      const bool blocked = is_sum(op) && axis > kSumBlock;
      const size_t first_end = blocked ? kSumBlock : axis;
      for (size_t j = 1; j < first_end; ++j) {
        const float* xj = xo + j * inner;
        for (size_t i = b; i < e; ++i) k::reduce_step(op, acc[i - b], xj[i], (int)j);
      }
      if (blocked) {
        std::vector<double> total(e - b);
        for (size_t i = b; i < e; ++i) total[i - b] = acc[i - b].value;
        for (size_t j0 = first_end; j0 < axis; j0 += kSumBlock) {
          const size_t j1 = j0 + kSumBlock < axis ? j0 + kSumBlock : axis;
          for (size_t i = b; i < e; ++i) acc[i - b] = k::reduce_init(op, xo[j0 * inner + i]);
          for (size_t j = j0 + 1; j < j1; ++j) {
            const float* xj = xo + j * inner;
            for (size_t i = b; i < e; ++i) k::reduce_step(op, acc[i - b], xj[i], (int)j);
          }
          for (size_t i = b; i < e; ++i) total[i - b] += acc[i - b].value;
        }
        for (size_t i = b; i < e; ++i) acc[i - b].value = (float)total[i - b];
      }
      for (size_t i = b; i < e; ++i) yo[i] = k::reduce_finish(op, acc[i - b], axis);
    }, kParallelMin / (axis ? axis : 1) + 1);
  }
}

void softmax_xent(const float* logits, const float* labels, float* loss, float* grad, int rows,
                  int cols, float grad_scale) {
  for (int r = 0; r < rows; ++r) {
    float l = labels[r];
    if (!(l >= 0.f && l < (float)cols) || l != (float)(int)l)
      throw Error("softmax cross-entropy: label of row " + std::to_string(r) + " is " +
                  std::to_string(l) + ", expected an integer class in [0, " +
                  std::to_string(cols) + ")");
  }
  parallel_chunks((size_t)rows, [&](size_t b, size_t e) {
    for (size_t r = b; r < e; ++r)
      loss[r] = k::softmax_xent_row(logits + r * cols, (int)labels[r], grad ? grad + r * cols : nullptr, cols,
                                    grad_scale);
  }, 65536 / (cols ? cols : 1) + 1);
}

void log_softmax(const float* x, float* y, int rows, int cols) {
  parallel_chunks((size_t)rows, [&](size_t b, size_t e) {
    for (size_t r = b; r < e; ++r) k::log_softmax_row(x + r * cols, y + r * cols, cols);
  }, 65536 / (cols ? cols : 1) + 1);
}

}  // namespace cpu
}  // namespace exo
