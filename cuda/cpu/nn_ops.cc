// CPU layer ops: im2col/col2im, pooling, Adam, frame scatter (math in kernels/conv.cuh, optim.cuh);
// dropout is in dropout.cc.
#include "exodus/backend.h"
#include "kernels/scatter.cuh"
#include "parallel.h"

namespace exo {
namespace cpu {

// im2col/col2im and pooling walk whole rows (no per-element index division), and add in the
// order of the per-element definitions in kernels/conv.cuh, so results equal the CUDA backend's
// bit for bit.

void im2col(const float* x, float* cols, const k::ConvGeom& g, int count) {
  size_t R = g.ckk(), P = g.pixels(), in = (size_t)g.c * g.h * g.w;
  parallel_chunks((size_t)count * R, [&](size_t b, size_t e) {
    for (size_t row = b; row < e; ++row) {
      size_t n = row / R;
      int r = (int)(row % R);
      int kj = r % g.kw, ki = (r / g.kw) % g.kh, ci = r / (g.kw * g.kh);
      const float* plane = x + n * in + (size_t)ci * g.h * g.w;
      float* out = cols + row * P;
      // Output columns whose input column x = ox*sw - pw + kj lies inside the image.
      int ox0 = 0, ox1 = g.wo;
      while (ox0 < g.wo && ox0 * g.sw - g.pw + kj < 0) ++ox0;
      while (ox1 > ox0 && (ox1 - 1) * g.sw - g.pw + kj >= g.w) --ox1;
      for (int oy = 0; oy < g.ho; ++oy, out += g.wo) {
        int y = oy * g.sh - g.ph + ki;
        if (y < 0 || y >= g.h) {
          for (int ox = 0; ox < g.wo; ++ox) out[ox] = 0.f;
          continue;
        }
        const float* src = plane + (size_t)y * g.w - g.pw + kj;
        for (int ox = 0; ox < ox0; ++ox) out[ox] = 0.f;
        if (g.sw == 1)
          for (int ox = ox0; ox < ox1; ++ox) out[ox] = src[ox];
        else
          for (int ox = ox0; ox < ox1; ++ox) out[ox] = src[ox * g.sw];
        for (int ox = ox1; ox < g.wo; ++ox) out[ox] = 0.f;
      }
    }
  }, 64);
}

// The gather of col2im_value, turned inside out: every pixel starts at 0 and receives its terms
// in (ki, kj) order, as the gather adds them.
void col2im(const float* cols, float* dx, const k::ConvGeom& g, int count) {
  size_t R = g.ckk(), P = g.pixels(), HW = (size_t)g.h * g.w;
  parallel_chunks((size_t)count * g.c, [&](size_t b, size_t e) {
    for (size_t plane = b; plane < e; ++plane) {
      size_t n = plane / g.c;
      int ci = (int)(plane % g.c);
      float* out = dx + plane * HW;
      for (size_t i = 0; i < HW; ++i) out[i] = 0.f;
      for (int ki = 0; ki < g.kh; ++ki)
        for (int kj = 0; kj < g.kw; ++kj) {
          const float* c = cols + n * R * P + (size_t)((ci * g.kh + ki) * g.kw + kj) * P;
          int ox0 = 0, ox1 = g.wo;
          while (ox0 < g.wo && ox0 * g.sw - g.pw + kj < 0) ++ox0;
          while (ox1 > ox0 && (ox1 - 1) * g.sw - g.pw + kj >= g.w) --ox1;
          for (int oy = 0; oy < g.ho; ++oy) {
            int y = oy * g.sh - g.ph + ki;
            if (y < 0 || y >= g.h) continue;
            float* dst = out + (size_t)y * g.w - g.pw + kj;
            const float* src = c + (size_t)oy * g.wo;
            if (g.sw == 1)
              for (int ox = ox0; ox < ox1; ++ox) dst[ox] += src[ox];
            else
              for (int ox = ox0; ox < ox1; ++ox) dst[ox * g.sw] += src[ox];
          }
        }
    }
  }, 16);
}

void pool2d(bool is_max, const float* x, float* y, float* arg, const k::PoolGeom& g, size_t planes) {
  size_t in = (size_t)g.h * g.w, out = (size_t)g.ho * g.wo;
  if (!is_max && g.k == 2 && g.s == 2) {
    // The DVS networks' AvgPool 2: two input rows per output row, summed as pool_value does.
    parallel_chunks(planes * g.ho, [&](size_t b, size_t e) {
      for (size_t r = b; r < e; ++r) {
        size_t pl = r / g.ho;
        int oy = (int)(r % g.ho);
        const float* r0 = x + pl * in + (size_t)(2 * oy) * g.w;
        const float* r1 = r0 + g.w;
        float* o = y + pl * out + (size_t)oy * g.wo;
        for (int ox = 0; ox < g.wo; ++ox) o[ox] = ((((0.f + r0[2 * ox]) + r0[2 * ox + 1]) + r1[2 * ox]) + r1[2 * ox + 1]) / 4.f;
      }
    }, 256);
    return;
  }
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
  if (g.k == g.s) {
    // Windows do not overlap: each input pixel has at most one window, so the gather is a copy
    // (0 + dy, scaled as pool_grad scales it); pixels left over at the edge get 0.
    parallel_chunks(planes * g.h, [&](size_t b, size_t e) {
      for (size_t r = b; r < e; ++r) {
        size_t pl = r / g.h;
        int yy = (int)(r % g.h), oy = yy / g.k;
        float* d = dx + pl * in + (size_t)yy * g.w;
        if (oy >= g.ho) {
          for (int xx = 0; xx < g.w; ++xx) d[xx] = 0.f;
          continue;
        }
        const float* src = dy + pl * out + (size_t)oy * g.wo;
        const float* a = is_max ? arg + pl * out + (size_t)oy * g.wo : nullptr;
        int wcov = g.wo * g.k;
        if (is_max) {
          for (int xx = 0; xx < wcov; ++xx) d[xx] = (int)a[xx / g.k] == yy * g.w + xx ? 0.f + src[xx / g.k] : 0.f;
        } else if (g.k == 2) {
          for (int ox = 0; ox < g.wo; ++ox) d[2 * ox] = d[2 * ox + 1] = (0.f + src[ox]) / 4.f;
        } else {
          for (int xx = 0; xx < wcov; ++xx) d[xx] = (0.f + src[xx / g.k]) / (float)(g.k * g.k);
        }
        for (int xx = wcov; xx < g.w; ++xx) d[xx] = 0.f;
      }
    }, 256);
    return;
  }
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

void scatter_frames(float* dst, int T, int B, int F, int b, const uint32_t* index, const uint32_t* count, size_t n) {
  size_t limit = (size_t)T * F;
  for (size_t j = 0; j < n; ++j) {
    size_t o = k::frame_slot(index[j], limit, B, F, b);
    if (o != (size_t)-1) dst[o] = (float)count[j];
  }
}

void scatter_batch(float* dst, int T, int B, int F, const uint32_t* const* index, const uint32_t* const* count,
                   const size_t* n) {
  for (int b = 0; b < B; ++b)
    if (n[b]) scatter_frames(dst, T, B, F, b, index[b], count[b], n[b]);
}

}  // namespace cpu
}  // namespace exo
