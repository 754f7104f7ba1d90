// Shared by the window path's two implementations (cuda/cpu/delay_window.cc: filters over dense
// operands; delay_window_events.cc: from the input's nonzeros): operands transposed to time rows
// [B, F, L], zero-padded so that no tap needs a bounds test.
#pragma once
#include <vector>

#include "exodus/delay.h"
#include "parallel.h"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace exo {
namespace cpu {

constexpr int kLanes = 8;  // floats per AVX2 vector

inline int round8(int n) { return (n + kLanes - 1) / kLanes * kLanes; }

// dst[r·ld_dst + c] = src[c·ld_src + r] for an 8×8 block: eight loads, the AVX2 transpose in
// registers, eight stores (scalar without AVX2).
inline void transpose8(const float* src, size_t ld_src, float* dst, size_t ld_dst) {
#if defined(__AVX2__)
  __m256 r[8], u[8];
  for (int k = 0; k < 8; ++k) r[k] = _mm256_loadu_ps(src + k * ld_src);
  for (int k = 0; k < 8; k += 2) u[k] = _mm256_unpacklo_ps(r[k], r[k + 1]), u[k + 1] = _mm256_unpackhi_ps(r[k], r[k + 1]);
  for (int k = 0; k < 8; k += 4) {
    r[k] = _mm256_shuffle_ps(u[k], u[k + 2], 0x44), r[k + 1] = _mm256_shuffle_ps(u[k], u[k + 2], 0xEE);
    r[k + 2] = _mm256_shuffle_ps(u[k + 1], u[k + 3], 0x44), r[k + 3] = _mm256_shuffle_ps(u[k + 1], u[k + 3], 0xEE);
  }
  for (int k = 0; k < 4; ++k) {
    _mm256_storeu_ps(dst + k * ld_dst, _mm256_permute2f128_ps(r[k], r[k + 4], 0x20));
    _mm256_storeu_ps(dst + (k + 4) * ld_dst, _mm256_permute2f128_ps(r[k], r[k + 4], 0x31));
  }
#else
  for (int rr = 0; rr < 8; ++rr)
    for (int c = 0; c < 8; ++c) dst[rr * ld_dst + c] = src[c * ld_src + rr];
#endif
}

// rows[(b·F + f)·L + pad + t] = x[(t·B + b)·F + f] for t < T; zeros elsewhere in each row of L.
// 8×8 blocks transposed in registers, the ragged edges element by element.
inline void to_rows(const float* x, int T, int B, int F, int pad, int L, std::vector<float>& rows) {
  rows.assign((size_t)B * F * L, 0.f);
  const size_t ldx = (size_t)B * F;
  parallel_for((size_t)B, [&](size_t b, int) {
    float* rb = rows.data() + b * F * L + pad;
    const float* xb = x + b * F;
    const int T8 = T / 8 * 8, F8 = F / 8 * 8;
    for (int t = 0; t < T8; t += 8)
      for (int f = 0; f < F8; f += 8) transpose8(xb + t * ldx + f, ldx, rb + (size_t)f * L + t, (size_t)L);
    for (int t = 0; t < T; ++t)
      for (int f = t < T8 ? F8 : 0; f < F; ++f) rb[(size_t)f * L + t] = xb[t * ldx + f];
  });
}

// out[(t·B + b)·F + f] = rows[(b·F + f)·L + t] for t < T.
inline void from_rows(const std::vector<float>& rows, int T, int B, int F, int L, float* out) {
  const size_t ldo = (size_t)B * F;
  parallel_for((size_t)B, [&](size_t b, int) {
    const float* rb = rows.data() + b * F * L;
    float* ob = out + b * F;
    const int T8 = T / 8 * 8, F8 = F / 8 * 8;
    for (int t = 0; t < T8; t += 8)
      for (int f = 0; f < F8; f += 8) transpose8(rb + (size_t)f * L + t, (size_t)L, ob + t * ldo + f, ldo);
    for (int t = 0; t < T; ++t)
      for (int f = t < T8 ? F8 : 0; f < F; ++f) ob[t * ldo + f] = rb[(size_t)f * L + t];
  });
}

// Input density up to which the window entries take the input's nonzeros instead of the filters:
// at the SHD-delays shape (256 → 256, σ 0.5) the two cost the same within the noise at 35 % and
// 50 % (docs/delays.md), so the spikes are taken up to 30 %, where they are not the slower.
constexpr double kDelayWindowEventsMaxDensity = 0.3;

// The window path from the input's nonzeros (delay_window_events.cc). Each returns false, having
// written nothing, where the input is denser than kDelayWindowEventsMaxDensity or the window wider
// than 16 taps: the caller then runs the filters.
bool delay_window_forward_events(const DelayGeom& g, const float* x, const float* coeff, const float* start, float* y);
bool delay_window_corr_events(const DelayGeom& g, const float* x, const float* dy, const float* start, float* A);
// ∂x with the samples in the vector lanes (delay_window_dx.cc): false, having written nothing,
// for fewer than 16 samples, more than kDelayWindowDxMaxTaps (32) taps or without AVX2.
bool delay_window_input_grad_lanes(const DelayGeom& g, const float* dy, const float* coeff, const float* start, float* dx);
// The forward in the same form (time reversed), under the same conditions. Its cost does not
// depend on x's density, the forward from the spikes' grows with it: the two cost the same at
// about 12 % input density at the SHD-delays shape (140 → 256 and 256 → 256, σ 0.5, B 32; forward
// alone, alternated processes, docs/delays.md), so the lanes take the forward from 12 % on.
constexpr double kDelayWindowForwardLanesDensity = 0.12;
bool delay_window_forward_lanes(const DelayGeom& g, const float* x, const float* coeff, const float* start, float* y);

}  // namespace cpu
}  // namespace exo
