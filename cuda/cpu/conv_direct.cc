// The input gradient of a stride-1 convolution computed directly, for the small channel counts of
// the DVS nets (conv_direct_input_grad in exodus/host_ops.h). GEMM + col2im spends most of its time writing
// and re-reading the unrolled columns there (K = Cout is 2-64, too short to amortise them); this
// loop keeps a block of input channels × 8-pixel vectors in registers and reads each ∂y vector
// once per tap. With AVX-512 the blocks of conv_direct_avx512.cc (same bits); widths that are not
// a multiple of 8 go to conv_pixel_major.cc.
#include <cmath>
#include <cstring>
#include <vector>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "conv_direct_avx512.h"
#include "conv_pixel_major.h"
#include "cpu_features.h"
#include "exodus/backend.h"
#include "parallel.h"

namespace exo {
namespace cpu {

namespace {

// dx of one image for blocks of CB input channels × VB vectors of 8 pixels, held in registers:
// per tap, VB loads of ∂y and CB weight broadcasts feed CB·VB fmas (4 × 2: 6 loads per 8 fmas, so
// the FMA units, not the loads, bound it). The VB vectors lie along a row, or with DOWN in VB
// consecutive rows (8-pixel-wide images). Terms in the order co, ki, kj, one fma each.
template <int CB, int VB, bool DOWN>
void block_rows(const float* wt, const float* dyp, float* dxn, const k::ConvGeom& g, int cout, size_t plane, int X) {
  const int C = g.c, H = g.h, W = g.w, KH = g.kh, KW = g.kw;
  const size_t vstep = DOWN ? (size_t)X : 8, ostep = DOWN ? (size_t)W : 8;  // from one vector to the next
  for (int cb = 0; cb < C; cb += CB)
    for (int iy = 0; iy < H; iy += DOWN ? VB : 1)
      for (int ix = 0; ix < W; ix += DOWN ? 8 : 8 * VB) {
#if defined(__AVX2__)
        __m256 acc[CB][VB];
        for (int c = 0; c < CB; ++c)
          for (int q = 0; q < VB; ++q) acc[c][q] = _mm256_setzero_ps();
        for (int co = 0; co < cout; ++co)
          for (int ki = 0; ki < KH; ++ki) {
            const float* row = dyp + co * plane + (size_t)(iy + KH - 1 - ki) * X + ix + KW - 1;
            const float* wk = wt + (((size_t)co * KH + ki) * KW) * C + cb;
            for (int kj = 0; kj < KW; ++kj) {
              __m256 v[VB];
              for (int q = 0; q < VB; ++q) v[q] = _mm256_loadu_ps(row - kj + vstep * q);
              const float* wc = wk + (size_t)kj * C;
              for (int c = 0; c < CB; ++c) {
                const __m256 wv = _mm256_broadcast_ss(wc + c);
                for (int q = 0; q < VB; ++q) acc[c][q] = _mm256_fmadd_ps(wv, v[q], acc[c][q]);
              }
            }
          }
        for (int c = 0; c < CB; ++c)
          for (int q = 0; q < VB; ++q) _mm256_storeu_ps(dxn + ((size_t)(cb + c) * H + iy) * W + ix + ostep * q, acc[c][q]);
#else
        float acc[CB][VB][8] = {};
        for (int co = 0; co < cout; ++co)
          for (int ki = 0; ki < KH; ++ki)
            for (int kj = 0; kj < KW; ++kj) {
              const float* row = dyp + co * plane + (size_t)(iy + KH - 1 - ki) * X + ix + KW - 1 - kj;
              const float* wc = wt + (((size_t)co * KH + ki) * KW + kj) * C + cb;
              for (int c = 0; c < CB; ++c)
                for (int q = 0; q < VB; ++q)
                  for (int l = 0; l < 8; ++l) acc[c][q][l] = std::fma(wc[c], row[vstep * q + l], acc[c][q][l]);
            }
        for (int c = 0; c < CB; ++c)
          for (int q = 0; q < VB; ++q) std::memcpy(dxn + ((size_t)(cb + c) * H + iy) * W + ix + ostep * q, acc[c][q], sizeof(acc[c][q]));
#endif
      }
}

// The AVX2 blocks for an image: CB input channels (C a multiple of it) × 2 vectors along a row
// (W a multiple of 16) or down two rows, else × 1 vector.
template <int CB>
void image_blocks(const float* wt, const float* dyp, float* dxn, const k::ConvGeom& g, int cout, size_t plane, int X) {
  if (g.w % 16 == 0) block_rows<CB, 2, false>(wt, dyp, dxn, g, cout, plane, X);
  else if (g.h % 2 == 0) block_rows<CB, 2, true>(wt, dyp, dxn, g, cout, plane, X);
  else block_rows<CB, 1, false>(wt, dyp, dxn, g, cout, plane, X);
}

}  // namespace

void conv_direct_input_grad(const float* w, const float* dy, float* dx, const k::ConvGeom& g, int cout, int count) {
  if (g.w % 8 != 0) {
    // Too narrow for 8-pixel vectors (the 4 × 4 maps): the turned-around GEMM + col2im.
    conv_pixel_major_input_grad(w, dy, dx, g, cout, count);
    return;
  }
  const int C = g.c, H = g.h, W = g.w, KH = g.kh, KW = g.kw;
  // ∂y of one image, zero-padded so that every tap of every input pixel reads inside it:
  // dyp[co][iy + KH-1 - ki][ix + KW-1 - kj] = ∂y[co][iy + ph - ki][ix + pw - kj] (0 outside).
  const int Y = H + KH - 1, X = W + KW - 1, oy0 = KH - 1 - g.ph, ox0 = KW - 1 - g.pw;
  const size_t plane = (size_t)Y * X;
  // wt[((co·KH + ki)·KW + kj)·C + ci]: the 8 input channels of a block side by side.
  std::vector<float> wt((size_t)cout * KH * KW * C);
  for (int co = 0; co < cout; ++co)
    for (int ci = 0; ci < C; ++ci)
      for (int ki = 0; ki < KH; ++ki)
        for (int kj = 0; kj < KW; ++kj)
          wt[(((size_t)co * KH + ki) * KW + kj) * C + ci] = w[(((size_t)co * C + ci) * KH + ki) * KW + kj];
  const int threads = pool_threads();
  const bool wide = cpu_avx512_enabled();
  std::vector<std::vector<float>> pads((size_t)threads, std::vector<float>((size_t)cout * plane, 0.f));
  const size_t in = (size_t)C * H * W, outp = (size_t)cout * g.ho * g.wo;
  parallel_for((size_t)count, [&](size_t n, int slot) {
    float* dyp = pads[(size_t)slot].data();  // the border stays zero: only the interior is written
    const float* dyn = dy + n * outp;
    for (int co = 0; co < cout; ++co)
      for (int oy = 0; oy < g.ho; ++oy)
        std::memcpy(dyp + co * plane + (size_t)(oy + oy0) * X + ox0, dyn + ((size_t)co * g.ho + oy) * g.wo, sizeof(float) * g.wo);
    float* dxn = dx + n * in;
    if (wide && conv_direct_image_avx512(wt.data(), dyp, dxn, g, cout, plane, X)) return;
    if (C % 8 == 0) {
      if (W % 16 == 0) block_rows<4, 2, false>(wt.data(), dyp, dxn, g, cout, plane, X);
      else if (H % 2 == 0) block_rows<4, 2, true>(wt.data(), dyp, dxn, g, cout, plane, X);
      else block_rows<8, 1, false>(wt.data(), dyp, dxn, g, cout, plane, X);
    } else if (C % 4 == 0) image_blocks<4>(wt.data(), dyp, dxn, g, cout, plane, X);
    else if (C % 2 == 0) image_blocks<2>(wt.data(), dyp, dxn, g, cout, plane, X);
    else image_blocks<1>(wt.data(), dyp, dxn, g, cout, plane, X);
  }, threads);
}

}  // namespace cpu
}  // namespace exo
