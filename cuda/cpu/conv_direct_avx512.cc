// AVX-512 register blocks of the direct conv ∂x (conv_direct_avx512.h). Only these functions are
// compiled for AVX-512 (a target attribute), and conv_direct.cc calls them only when the CPU has it.
#include "conv_direct_avx512.h"

#include <cstring>
#include <vector>

#include "cpu_features.h"

#if EXO_CPU_AVX512_SCANS
#include <immintrin.h>
#endif

namespace exo {
namespace cpu {

#if EXO_CPU_AVX512_SCANS
namespace {

// CB input channels × VB vectors of 16 pixels, along a row (DOWN false) or down VB consecutive
// rows of a 16-wide strip (DOWN true); per tap VB loads of ∂y and CB weight broadcasts feed CB·VB
// fmas. The loops and the order of the fmas are conv_direct.cc's block_rows.
template <int CB, int VB, bool DOWN>
__attribute__((target("avx512f"))) void block_rows_avx512(const float* wt, const float* dyp, float* dxn,
                                                         const k::ConvGeom& g, int cout, size_t plane, int X) {
  const int C = g.c, H = g.h, W = g.w, KH = g.kh, KW = g.kw;
  const size_t vstep = DOWN ? (size_t)X : 16, ostep = DOWN ? (size_t)W : 16;
  for (int cb = 0; cb < C; cb += CB)
    for (int iy = 0; iy < H; iy += DOWN ? VB : 1)
      for (int ix = 0; ix < W; ix += DOWN ? 16 : 16 * VB) {
        __m512 acc[CB][VB];
        for (int c = 0; c < CB; ++c)
          for (int q = 0; q < VB; ++q) acc[c][q] = _mm512_setzero_ps();
        for (int co = 0; co < cout; ++co)
          for (int ki = 0; ki < KH; ++ki) {
            const float* row = dyp + co * plane + (size_t)(iy + KH - 1 - ki) * X + ix + KW - 1;
            const float* wk = wt + (((size_t)co * KH + ki) * KW) * C + cb;
            for (int kj = 0; kj < KW; ++kj) {
              __m512 v[VB];
              for (int q = 0; q < VB; ++q) v[q] = _mm512_loadu_ps(row - kj + vstep * q);
              const float* wc = wk + (size_t)kj * C;
              for (int c = 0; c < CB; ++c) {
                const __m512 wv = _mm512_set1_ps(wc[c]);
                for (int q = 0; q < VB; ++q) acc[c][q] = _mm512_fmadd_ps(wv, v[q], acc[c][q]);
              }
            }
          }
        for (int c = 0; c < CB; ++c)
          for (int q = 0; q < VB; ++q) _mm512_storeu_ps(dxn + ((size_t)(cb + c) * H + iy) * W + ix + ostep * q, acc[c][q]);
      }
}

// 8-pixel-wide images: one zmm holds two rows. The taps shift ∂y along a row, so two rows of a
// shifted window are not contiguous in dyp (its rows are W + kw − 1 apart); dyk holds, per kj, the
// windows themselves: dyk[kj][co][y][x] = dyp[co][y][x + kw−1 − kj], rows W = 8 apart, so the
// vector for output rows (iy, iy + 1) at tap (ki, kj) is 16 contiguous floats. CB channels × VB
// vectors of two rows; the fmas in block_rows' order.
template <int CB, int VB>
__attribute__((target("avx512f"))) void block_pairs_avx512(const float* wt, const float* dyk, float* dxn,
                                                          const k::ConvGeom& g, int cout, int Y) {
  const int C = g.c, H = g.h, W = g.w, KH = g.kh, KW = g.kw;
  const size_t kplane = (size_t)Y * W, kstep = (size_t)cout * kplane;
  for (int cb = 0; cb < C; cb += CB)
    for (int iy = 0; iy < H; iy += 2 * VB) {
      __m512 acc[CB][VB];
      for (int c = 0; c < CB; ++c)
        for (int q = 0; q < VB; ++q) acc[c][q] = _mm512_setzero_ps();
      for (int co = 0; co < cout; ++co)
        for (int ki = 0; ki < KH; ++ki) {
          const float* rows = dyk + co * kplane + (size_t)(iy + KH - 1 - ki) * W;
          const float* wk = wt + (((size_t)co * KH + ki) * KW) * C + cb;
          for (int kj = 0; kj < KW; ++kj) {
            __m512 v[VB];
            for (int q = 0; q < VB; ++q) v[q] = _mm512_loadu_ps(rows + kj * kstep + (size_t)2 * W * q);
            const float* wc = wk + (size_t)kj * C;
            for (int c = 0; c < CB; ++c) {
              const __m512 wv = _mm512_set1_ps(wc[c]);
              for (int q = 0; q < VB; ++q) acc[c][q] = _mm512_fmadd_ps(wv, v[q], acc[c][q]);
            }
          }
        }
      for (int c = 0; c < CB; ++c)
        for (int q = 0; q < VB; ++q) _mm512_storeu_ps(dxn + ((size_t)(cb + c) * H + iy + 2 * q) * W, acc[c][q]);
    }
}

// The 8-wide case's shifted copies of one image's ∂y (block_pairs_avx512), built in a buffer each
// pool thread keeps from image to image.
const float* shifted_rows(const float* dyp, const k::ConvGeom& g, int cout, size_t plane, int X) {
  const int Y = g.h + g.kh - 1;
  thread_local std::vector<float> dyk;
  dyk.resize((size_t)g.kw * cout * Y * 8);
  for (int kj = 0; kj < g.kw; ++kj)
    for (int co = 0; co < cout; ++co)
      for (int y = 0; y < Y; ++y)
        std::memcpy(dyk.data() + (((size_t)kj * cout + co) * Y + y) * 8, dyp + co * plane + (size_t)y * X + g.kw - 1 - kj,
                    8 * sizeof(float));
  return dyk.data();
}

// Fewer than 8 input channels in a block (the 2- and 4-channel inputs of base-2 nets): more
// pixel vectors per block instead, so that there are still 8-16 independent accumulators.
template <int CB>
bool narrow_channels(const float* wt, const float* dyp, float* dxn, const k::ConvGeom& g, int cout, size_t plane, int X) {
  if (g.w % 16 == 0 && g.h % 4 == 0) block_rows_avx512<CB, 4, true>(wt, dyp, dxn, g, cout, plane, X);
  else if (g.w % 32 == 0) block_rows_avx512<CB, 2, false>(wt, dyp, dxn, g, cout, plane, X);
  else if (g.w == 8 && g.h % 8 == 0) block_pairs_avx512<CB, 4>(wt, shifted_rows(dyp, g, cout, plane, X), dxn, g, cout, g.h + g.kh - 1);
  else return false;
  return true;
}

}  // namespace

bool conv_direct_image_avx512(const float* wt, const float* dyp, float* dxn, const k::ConvGeom& g, int cout,
                              size_t plane, int X) {
  if (g.c % 8 != 0) {
    if (g.c % 4 == 0) return narrow_channels<4>(wt, dyp, dxn, g, cout, plane, X);
    if (g.c % 2 == 0) return narrow_channels<2>(wt, dyp, dxn, g, cout, plane, X);
    return narrow_channels<1>(wt, dyp, dxn, g, cout, plane, X);
  }
  if (g.w % 32 == 0) block_rows_avx512<8, 2, false>(wt, dyp, dxn, g, cout, plane, X);
  else if (g.w % 16 == 0 && g.h % 2 == 0) block_rows_avx512<8, 2, true>(wt, dyp, dxn, g, cout, plane, X);
  else if (g.w == 8 && g.h % 4 == 0) block_pairs_avx512<8, 2>(wt, shifted_rows(dyp, g, cout, plane, X), dxn, g, cout, g.h + g.kh - 1);
  else return false;
  return true;
}
#else
bool conv_direct_image_avx512(const float*, const float*, float*, const k::ConvGeom&, int, size_t, int) {
  return false;
}
#endif

}  // namespace cpu
}  // namespace exo
