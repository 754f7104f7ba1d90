// Index math of convolutions (im2col / col2im) and 2-D pooling, per output element, shared by the
// CPU loops and the CUDA kernels. Images are NCHW; a convolution over T·B images of a time-major
// [T, B, C, H, W] tensor is one batch.
#pragma once
#include "common.cuh"

namespace exo {
namespace k {

struct ConvGeom {
  int c, h, w;      // input channels and size
  int kh, kw;       // kernel
  int sh, sw;       // stride
  int ph, pw;       // zero padding
  int ho, wo;       // output size
  EXO_HD int ckk() const { return c * kh * kw; }
  EXO_HD int pixels() const { return ho * wo; }
};

// cols[r, p] for one image, r = (ci, ki, kj) row of the unrolled kernel, p = (oy, ox) output pixel.
EXO_HD float im2col_value(const float* img, const ConvGeom& g, int r, int p) {
  int kj = r % g.kw, ki = (r / g.kw) % g.kh, ci = r / (g.kw * g.kh);
  int ox = p % g.wo, oy = p / g.wo;
  int y = oy * g.sh - g.ph + ki, x = ox * g.sw - g.pw + kj;
  return (y >= 0 && y < g.h && x >= 0 && x < g.w) ? img[((size_t)ci * g.h + y) * g.w + x] : 0.f;
}

// The gradient of one input pixel (ci, y, x): the sum of every cols entry it was copied into.
// Written as a gather (no atomics), so both backends produce the same sums in the same order.
EXO_HD float col2im_value(const float* cols, const ConvGeom& g, int ci, int y, int x) {
  float s = 0.f;
  int P = g.pixels();
  for (int ki = 0; ki < g.kh; ++ki) {
    int ty = y + g.ph - ki;
    if (ty < 0 || ty % g.sh) continue;
    int oy = ty / g.sh;
    if (oy >= g.ho) continue;
    for (int kj = 0; kj < g.kw; ++kj) {
      int tx = x + g.pw - kj;
      if (tx < 0 || tx % g.sw) continue;
      int ox = tx / g.sw;
      if (ox >= g.wo) continue;
      int r = (ci * g.kh + ki) * g.kw + kj;
      s += cols[(size_t)r * P + oy * g.wo + ox];
    }
  }
  return s;
}

struct PoolGeom {
  int h, w;    // input size
  int k, s;    // window and stride
  int ho, wo;  // output size
};

// Average or max over the window of output (oy, ox) of one channel plane; for max, *arg receives
// the flat input index of the first maximum.
EXO_HD float pool_value(const float* plane, const PoolGeom& g, int oy, int ox, bool is_max, int* arg) {
  float acc = is_max ? plane[(oy * g.s) * g.w + ox * g.s] : 0.f;
  int best = (oy * g.s) * g.w + ox * g.s;
  for (int i = 0; i < g.k; ++i)
    for (int j = 0; j < g.k; ++j) {
      int idx = (oy * g.s + i) * g.w + ox * g.s + j;
      float v = plane[idx];
      if (!is_max) acc += v;
      else if (v > acc) { acc = v; best = idx; }
    }
  if (arg) *arg = best;
  return is_max ? acc : acc / (float)(g.k * g.k);
}

// Gradient of input pixel (y, x) of one plane: a gather over the windows that contain it.
// For max pooling, `arg` holds each output's winning input index.
EXO_HD float pool_grad(const float* dy, const float* arg, const PoolGeom& g, int y, int x, bool is_max) {
  float s = 0.f;
  int oy0 = y >= g.k ? (y - g.k) / g.s + 1 : 0, oy1 = y / g.s;
  int ox0 = x >= g.k ? (x - g.k) / g.s + 1 : 0, ox1 = x / g.s;
  if (oy1 >= g.ho) oy1 = g.ho - 1;
  if (ox1 >= g.wo) ox1 = g.wo - 1;
  int self = y * g.w + x;
  for (int oy = oy0; oy <= oy1; ++oy)
    for (int ox = ox0; ox <= ox1; ++ox) {
      int o = oy * g.wo + ox;
      if (!is_max) s += dy[o];
      else if ((int)arg[o] == self) s += dy[o];
    }
  return is_max ? s : s / (float)(g.k * g.k);
}

}  // namespace k
}  // namespace exo
