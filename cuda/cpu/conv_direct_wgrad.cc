// The weight gradient of a stride-1 convolution computed directly (conv_direct_weight_grad in
// exodus/host_ops.h), for the few-channel convolutions of the DVS nets.
//
// Why: im2col + GEMM computes one [Cout, C·k·k] product per image with K = the image's pixels and
// then adds the per-image products: for 2-16 channels the columns (C·k·k per pixel) are written
// and re-read, the products are tiny, and the partial products are summed in another pass
// (docs/performance.md). Here each image is zero-padded once and every (ci, ki) row of taps is a
// dot product over the output pixels, 8 pixels per vector: for a block of CO output channels
// and the KW taps of a kernel row, CO·KW accumulators of 8 lanes stay in registers over the
// image, fed by KW loads of the shifted input and CO loads of ∂y per 8 pixels.
//
// Order of the sums (fixed by the shape, never by the thread count): images are split into
// kernels/sparse.cuh's fixed slices; within a slice each weight has 8 lane sums, each adding its
// pixels (ox ≡ lane mod 8) image by image, row by row, in ascending order; the lanes are added
// in lane order, then the slices in slice order into dw. Equal to the GEMM path to float32
// rounding, not bit for bit.
#include <cmath>
#include <cstring>
#include <vector>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

#include "exodus/backend.h"
#include "kernels/sparse.cuh"
#include "parallel.h"
#include "sparse_rows.h"

namespace exo {
namespace cpu {
namespace {
using sparse_rows::Scratch;

#if defined(__AVX2__) && defined(__FMA__)
struct V8 {
  __m256 v;
};
inline V8 load8(const float* p) { return {_mm256_loadu_ps(p)}; }
inline void store8(float* p, V8 a) { _mm256_storeu_ps(p, a.v); }
inline V8 fma8(V8 a, V8 b, V8 c) { return {_mm256_fmadd_ps(a.v, b.v, c.v)}; }
#else
struct V8 {
  float v[8];
};
inline V8 load8(const float* p) {
  V8 r;
  std::memcpy(r.v, p, sizeof(r.v));
  return r;
}
inline void store8(float* p, V8 a) { std::memcpy(p, a.v, sizeof(a.v)); }
inline V8 fma8(V8 a, V8 b, V8 c) {
  for (int l = 0; l < 8; ++l) c.v[l] = std::fma(a.v[l], b.v[l], c.v[l]);
  return c;
}
#endif

// One image's contribution for input channel ci, kernel row ki and output channels [co0, co0+CO):
// lanes[((ci·KH + ki)·KW + kj)·cout + co][8] += the pixel products, 8 pixels at a time.
template <int CO, int KW>
void row_taps(const float* xp, const float* dyn, float* lanes, const k::ConvGeom& g, int cout, int ci, int ki,
              int co0, int XP, int YP) {
  const int HO = g.ho, WO = g.wo, KH = g.kh, P = HO * WO;
  V8 acc[CO][KW];
  float* base = lanes + ((((size_t)ci * KH + ki) * KW) * cout + co0) * 8;
  for (int c = 0; c < CO; ++c)
    for (int kj = 0; kj < KW; ++kj) acc[c][kj] = load8(base + ((size_t)kj * cout + c) * 8);
  const float* plane = xp + (size_t)ci * YP * XP;
  for (int oy = 0; oy < HO; ++oy) {
    const float* xr = plane + (size_t)(oy + ki) * XP;
    const float* dr = dyn + (size_t)co0 * P + (size_t)oy * WO;
    for (int ox = 0; ox < WO; ox += 8) {
      V8 xv[KW];
      for (int kj = 0; kj < KW; ++kj) xv[kj] = load8(xr + ox + kj);
      for (int c = 0; c < CO; ++c) {
        const V8 d = load8(dr + (size_t)c * P + ox);
        for (int kj = 0; kj < KW; ++kj) acc[c][kj] = fma8(d, xv[kj], acc[c][kj]);
      }
    }
  }
  for (int c = 0; c < CO; ++c)
    for (int kj = 0; kj < KW; ++kj) store8(base + ((size_t)kj * cout + c) * 8, acc[c][kj]);
}

// Output channels in blocks of CO (4, then 2 and 1 for a remainder; 2 at most for 5-wide
// kernels, whose 5 shifted vectors leave fewer registers).
template <int KW>
void image_taps(const float* xp, const float* dyn, float* lanes, const k::ConvGeom& g, int cout, int XP, int YP) {
  constexpr int CO = KW > 3 ? 2 : 4;
  for (int ci = 0; ci < g.c; ++ci)
    for (int ki = 0; ki < g.kh; ++ki) {
      int co = 0;
      for (; co + CO <= cout; co += CO) row_taps<CO, KW>(xp, dyn, lanes, g, cout, ci, ki, co, XP, YP);
      for (; co + 2 <= cout; co += 2) row_taps<2, KW>(xp, dyn, lanes, g, cout, ci, ki, co, XP, YP);
      for (; co < cout; ++co) row_taps<1, KW>(xp, dyn, lanes, g, cout, ci, ki, co, XP, YP);
    }
}

}  // namespace

void conv_direct_weight_grad(const float* x, const float* dy, float* dw, const k::ConvGeom& g, int cout, int count) {
  const int C = g.c, H = g.h, W = g.w, R = g.ckk(), P = g.pixels();
  // The input zero-padded so that every tap of every output pixel reads inside it:
  // xp[ci][oy + ki][ox + kj] = x[ci][oy − ph + ki][ox − pw + kj] (0 outside).
  const int YP = g.ho + g.kh - 1, XP = g.wo + g.kw - 1;
  const int slices = k::sparse_slices(count);
  Scratch lanes(slices, (size_t)R * cout * 8);
  Scratch part(slices, (size_t)R * cout);  // part[s][(ci, ki, kj), co], as add_slices reads it
  Scratch pads(slices, (size_t)C * YP * XP);
  const size_t in = (size_t)C * H * W;
  parallel_for((size_t)slices, [&](size_t sl, int) {
    float* ln = lanes[(int)sl];
    float* xp = pads[(int)sl];
    std::memset(ln, 0, sizeof(float) * (size_t)R * cout * 8);
    std::memset(xp, 0, sizeof(float) * (size_t)C * YP * XP);  // the border stays zero
    const int n0 = k::sparse_slice_begin(count, slices, (int)sl), n1 = k::sparse_slice_begin(count, slices, (int)sl + 1);
    for (int n = n0; n < n1; ++n) {
      const float* img = x + (size_t)n * in;
      for (int ci = 0; ci < C; ++ci)
        for (int y = 0; y < H; ++y)
          std::memcpy(xp + ((size_t)ci * YP + y + g.ph) * XP + g.pw, img + ((size_t)ci * H + y) * W, sizeof(float) * W);
      const float* dyn = dy + (size_t)n * cout * P;
      if (g.kw == 1) image_taps<1>(xp, dyn, ln, g, cout, XP, YP);
      else if (g.kw == 3) image_taps<3>(xp, dyn, ln, g, cout, XP, YP);
      else image_taps<5>(xp, dyn, ln, g, cout, XP, YP);
    }
    float* p = part[(int)sl];
    for (size_t i = 0; i < (size_t)R * cout; ++i) {
      float t = 0.f;
      for (int l = 0; l < 8; ++l) t += ln[i * 8 + l];
      p[i] = t;
    }
  });
  sparse_rows::add_slices(part, slices, R, cout, dw);
}

}  // namespace cpu
}  // namespace exo
