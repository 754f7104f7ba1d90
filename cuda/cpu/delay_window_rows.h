// Shared by the window path's two implementations (cuda/cpu/delay_window.cc: filters over dense
// operands; delay_window_events.cc: from the input's nonzeros): operands transposed to time rows
// [B, F, L], zero-padded so that no tap needs a bounds test.
#pragma once
#include <vector>

#include "exodus/delay.h"
#include "parallel.h"

namespace exo {
namespace cpu {

constexpr int kLanes = 8;  // floats per AVX2 vector

inline int round8(int n) { return (n + kLanes - 1) / kLanes * kLanes; }

// rows[(b·F + f)·L + pad + t] = x[(t·B + b)·F + f] for t < T; zeros elsewhere in each row of L.
inline void to_rows(const float* x, int T, int B, int F, int pad, int L, std::vector<float>& rows) {
  rows.assign((size_t)B * F * L, 0.f);
  parallel_for((size_t)B, [&](size_t b, int) {
    float* rb = rows.data() + b * F * L + pad;
    for (int t = 0; t < T; ++t) {
      const float* xr = x + ((size_t)t * B + b) * F;
      for (int f = 0; f < F; ++f) rb[(size_t)f * L + t] = xr[f];
    }
  });
}

// out[(t·B + b)·F + f] = rows[(b·F + f)·L + t] for t < T.
inline void from_rows(const std::vector<float>& rows, int T, int B, int F, int L, float* out) {
  parallel_for((size_t)B, [&](size_t b, int) {
    const float* rb = rows.data() + b * F * L;
    for (int t = 0; t < T; ++t) {
      float* o = out + ((size_t)t * B + b) * F;
      for (int f = 0; f < F; ++f) o[f] = rb[(size_t)f * L + t];
    }
  });
}

// Input density up to which the window entries take the input's nonzeros instead of the filters
// (measured at the SHD-delays shape on the development CPU: docs/delays.md).
constexpr double kDelayWindowEventsMaxDensity = 0.3;

// The window path from the input's nonzeros (delay_window_events.cc). Each returns false, having
// written nothing, where the input is denser than kDelayWindowEventsMaxDensity or the window wider
// than 16 taps: the caller then runs the filters.
bool delay_window_forward_events(const DelayGeom& g, const float* x, const float* coeff, const float* start, float* y);
bool delay_window_corr_events(const DelayGeom& g, const float* x, const float* dy, const float* start, float* A);

}  // namespace cpu
}  // namespace exo
