// CPU dropout (dropout_factors.h): the counter-based factors are cheap enough to recompute in the
// backward instead of storing a float mask per element (157 MB for the DVS net's first dropout).
#include "dropout_factors.h"
#include "exodus/backend.h"
#include "parallel.h"

namespace exo {
namespace cpu {

using dropout_factors::dropout_range;

void dropout_mask(float* mask, size_t n, float p, unsigned long long seed) {
  parallel_chunks(n, [&](size_t b, size_t e) { dropout_range(nullptr, mask + b, e - b, b, p, seed); });
}

void dropout_apply(const float* x, float* y, size_t n, float p, unsigned long long seed) {
  parallel_chunks(n, [&](size_t b, size_t e) { dropout_range(x + b, y + b, e - b, b, p, seed); });
}

}  // namespace cpu
}  // namespace exo
