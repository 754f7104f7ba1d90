// CPU layer ops: im2col/col2im, pooling, Adam, dropout masks (math in kernels/conv.cuh, optim.cuh).
#include "exodus/backend.h"
#include "kernels/scatter.cuh"
#include "parallel.h"

namespace exo {
namespace cpu {

void im2col(const float* x, float* cols, const k::ConvGeom& g, int count) {
  size_t R = g.ckk(), P = g.pixels(), in = (size_t)g.c * g.h * g.w;
  parallel_chunks((size_t)count * R, [&](size_t b, size_t e) {
    for (size_t row = b; row < e; ++row) {
      size_t n = row / R;
      int r = (int)(row % R);
      const float* img = x + n * in;
      float* out = cols + row * P;
      for (size_t p = 0; p < P; ++p) out[p] = k::im2col_value(img, g, r, (int)p);
    }
  }, 64);
}

void col2im(const float* cols, float* dx, const k::ConvGeom& g, int count) {
  size_t R = g.ckk(), P = g.pixels(), HW = (size_t)g.h * g.w;
  parallel_chunks((size_t)count * g.c, [&](size_t b, size_t e) {
    for (size_t plane = b; plane < e; ++plane) {
      size_t n = plane / g.c;
      int ci = (int)(plane % g.c);
      const float* c = cols + n * R * P;
      float* out = dx + plane * HW;
      for (int y = 0; y < g.h; ++y)
        for (int x = 0; x < g.w; ++x) out[y * g.w + x] = k::col2im_value(c, g, ci, y, x);
    }
  }, 16);
}

void pool2d(bool is_max, const float* x, float* y, float* arg, const k::PoolGeom& g, size_t planes) {
  size_t in = (size_t)g.h * g.w, out = (size_t)g.ho * g.wo;
  parallel_chunks(planes, [&](size_t b, size_t e) {
    for (size_t pl = b; pl < e; ++pl)
      for (int oy = 0; oy < g.ho; ++oy)
        for (int ox = 0; ox < g.wo; ++ox) {
          int best = 0;
          size_t o = pl * out + oy * g.wo + ox;
          y[o] = k::pool_value(x + pl * in, g, oy, ox, is_max, is_max ? &best : nullptr);
          if (is_max) arg[o] = (float)best;
        }
  }, 64);
}

void pool2d_backward(bool is_max, const float* dy, const float* arg, float* dx, const k::PoolGeom& g, size_t planes) {
  size_t in = (size_t)g.h * g.w, out = (size_t)g.ho * g.wo;
  parallel_chunks(planes, [&](size_t b, size_t e) {
    for (size_t pl = b; pl < e; ++pl)
      for (int y = 0; y < g.h; ++y)
        for (int x = 0; x < g.w; ++x)
          dx[pl * in + y * g.w + x] = k::pool_grad(dy + pl * out, is_max ? arg + pl * out : nullptr, g, y, x, is_max);
  }, 64);
}

void adam_step(float* p, const float* g, float* m, float* v, size_t n, const k::AdamConfig& c) {
  parallel_chunks(n, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) k::adam_update(p[i], g[i], m[i], v[i], c);
  });
}

void dropout_mask(float* mask, size_t n, float p, unsigned long long seed) {
  float keep = 1.f / (1.f - p);
  parallel_chunks(n, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) mask[i] = k::hash_uniform(seed, i) >= p ? keep : 0.f;
  });
}

void scatter_frames(float* dst, int T, int B, int F, int b, const uint32_t* index, const uint32_t* count, size_t n) {
  size_t limit = (size_t)T * F;
  for (size_t j = 0; j < n; ++j) {
    size_t o = k::frame_slot(index[j], limit, B, F, b);
    if (o != (size_t)-1) dst[o] = (float)count[j];
  }
}

}  // namespace cpu
}  // namespace exo
