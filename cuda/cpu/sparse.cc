// CPU spike-sparse products (see kernels/sparse.cuh for the math and the order of the sums).
// Nonzeros are found with an 8-wide compare per step, so scanning a spike row costs about
// what reading it does; the work is then one FMA row of `outputs` per nonzero.
#include <cstring>

#include "kernels/sparse.cuh"
#include "parallel.h"
#include "sparse_rows.h"
#include "exodus/backend.h"

namespace exo {
namespace cpu {
namespace {
using namespace sparse_rows;

// Calls f(v, r, o) for every nonzero v = img[ci, y, x] and every kernel tap (ki, kj) that carries
// it to output pixel o, with r = (ci, ki, kj) the weight's row: ascending (ci, y, x), then (ki, kj),
// the order in which every output receives its terms on both backends.
template <typename F>
inline void for_conv_term(const float* img, const k::ConvGeom& g, F&& f) {
  const int taps = g.kh * g.kw;
  if (g.sh == 1 && g.sw == 1) {
    // Stride 1 (the paper's nets): the target pixel is a shift, without conv_target's divisions,
    // which cost more than the multiply-adds. Same taps in the same order.
    for (int ci = 0; ci < g.c; ++ci)
      for (int yy = 0; yy < g.h; ++yy)
        for_nonzero(img + ((size_t)ci * g.h + yy) * g.w, g.w, [&](int xx, float v) {
          for (int ki = 0; ki < g.kh; ++ki) {
            const int oy = yy + g.ph - ki;
            if (oy < 0 || oy >= g.ho) continue;
            for (int kj = 0; kj < g.kw; ++kj) {
              const int ox = xx + g.pw - kj;
              if (ox >= 0 && ox < g.wo) f(v, (size_t)ci * taps + ki * g.kw + kj, oy * g.wo + ox);
            }
          }
        });
    return;
  }
  for (int ci = 0; ci < g.c; ++ci)
    for (int yy = 0; yy < g.h; ++yy)
      for_nonzero(img + ((size_t)ci * g.h + yy) * g.w, g.w, [&](int xx, float v) {
        for (int ki = 0; ki < g.kh; ++ki)
          for (int kj = 0; kj < g.kw; ++kj) {
            int o = k::conv_target(g, yy, xx, ki, kj);
            if (o >= 0) f(v, (size_t)ci * taps + ki * g.kw + kj, o);
          }
      });
}

// Whether an image (the raw events of a first layer) has so few nonzeros that adding each term
// straight into the NCHW layout costs less than transposing to a channels-innermost buffer.
inline bool very_sparse(const float* img, size_t in, const k::ConvGeom& g) {
  size_t nnz = 0;
  for_nonzero(img, (int)in, [&](int, float) { ++nnz; });
  return nnz * g.kh * g.kw * 4 < (size_t)g.pixels();
}

}  // namespace

void count_nonzero(const float* x, size_t n, float* out) {
  constexpr size_t kChunk = 1 << 16;
  size_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<size_t> counts(chunks, 0);
  parallel_for(chunks, [&](size_t c, int) {
    size_t b = c * kChunk, e = b + kChunk < n ? b + kChunk : n, cnt = 0;
    for_nonzero(x + b, (int)(e - b), [&](int, float) { ++cnt; });
    counts[c] = cnt;
  });
  size_t total = 0;
  for (size_t c : counts) total += c;
  *out = (float)total;
}

void max_time_backward(const float* arg, const float* g, float* dy, int T, size_t n) {
  parallel_chunks((size_t)T, [&](size_t b, size_t e) {
    for (size_t t = b; t < e; ++t) {
      float* d = dy + t * n;
      const float ft = (float)t;
      for (size_t i = 0; i < n; ++i) d[i] = arg[i] == ft ? g[i] : 0.f;
    }
  }, kParallelMin / (n + 1) + 1);
}

void sparse_linear_forward(const float* s, int R, int F, const float* w, int Out, float* y) {
  std::vector<float> wt((size_t)F * Out);
  transpose(w, wt.data(), Out, F);  // wt[f, :] = W[:, f]: one contiguous row per input feature
  parallel_chunks((size_t)R, [&](size_t b, size_t e) {
    for (size_t r = b; r < e; ++r) {
      float* yr = y + r * Out;
      for (int o = 0; o < Out; ++o) yr[o] = 0.f;
      for_nonzero(s + r * F, F, [&](int f, float v) { fma_row(yr, v, wt.data() + (size_t)f * Out, Out); });
    }
  }, (size_t)(kParallelMin / ((size_t)F + 1)) + 1);
}

void sparse_linear_weight_grad(const float* g, const float* s, int R, int F, int Out, float* dw) {
  const int slices = k::sparse_slices(R);
  Scratch part(slices, (size_t)F * Out);  // part[s][f, o]
  parallel_for((size_t)slices, [&](size_t sl, int) {
    float* p = part[(int)sl];
    std::memset(p, 0, sizeof(float) * (size_t)F * Out);
    int r0 = k::sparse_slice_begin(R, slices, (int)sl), r1 = k::sparse_slice_begin(R, slices, (int)sl + 1);
    for (int r = r0; r < r1; ++r) {
      const float* gr = g + (size_t)r * Out;
      for_nonzero(s + (size_t)r * F, F, [&](int f, float v) { fma_row(p + (size_t)f * Out, v, gr, Out); });
    }
  });
  add_slices(part, slices, F, Out, dw);
}

void sparse_conv_forward(const float* x, const float* w, float* y, const k::ConvGeom& g, int cout, int count) {
  const int P = g.pixels();
  std::vector<float> wt((size_t)g.ckk() * cout);
  transpose(w, wt.data(), cout, g.ckk());  // wt[(ci, ki, kj), co]
  const int threads = pool_threads();
  Scratch acc(threads, (size_t)P * cout);  // acc[p, co]: one image's output, channels innermost
  const size_t in = (size_t)g.c * g.h * g.w;
  parallel_for((size_t)count, [&](size_t n, int slot) {
    const float* img = x + n * in;
    float* yn = y + n * (size_t)cout * P;
    // Very sparse images: add each tap straight into the NCHW output. Every output receives the
    // same terms in the same order either way.
    if (very_sparse(img, in, g)) {
      std::memset(yn, 0, sizeof(float) * (size_t)cout * P);
      for_conv_term(img, g, [&](float v, size_t r, int o) {
        const float* wr = wt.data() + r * cout;
        for (int co = 0; co < cout; ++co) yn[(size_t)co * P + o] = std::fma(v, wr[co], yn[(size_t)co * P + o]);
      });
      return;
    }
    float* a = acc[slot];
    std::memset(a, 0, sizeof(float) * (size_t)P * cout);
    for_conv_term(img, g, [&](float v, size_t r, int o) { fma_row(a + (size_t)o * cout, v, wt.data() + r * cout, cout); });
    transpose(a, yn, P, cout);
  }, threads);
}

void sparse_conv_weight_grad(const float* x, const float* dy, float* dw, const k::ConvGeom& g, int cout, int count) {
  const int P = g.pixels(), R = g.ckk();
  const int slices = k::sparse_slices(count);
  Scratch part(slices, (size_t)R * cout);  // part[s][(ci, ki, kj), co]
  Scratch dyt(slices, (size_t)P * cout);   // one image's ∂y, channels innermost
  const size_t in = (size_t)g.c * g.h * g.w;
  parallel_for((size_t)slices, [&](size_t sl, int) {
    float* p = part[(int)sl];
    float* d = dyt[(int)sl];
    std::memset(p, 0, sizeof(float) * (size_t)R * cout);
    int n0 = k::sparse_slice_begin(count, slices, (int)sl), n1 = k::sparse_slice_begin(count, slices, (int)sl + 1);
    for (int n = n0; n < n1; ++n) {
      const float* img = x + (size_t)n * in;
      const float* dyn = dy + (size_t)n * cout * P;
      if (very_sparse(img, in, g)) {
        // Very sparse: gather ∂y across channels directly instead of transposing the image's ∂y.
        for_conv_term(img, g, [&](float v, size_t r, int o) {
          float* pr = p + r * cout;
          for (int co = 0; co < cout; ++co) pr[co] = std::fma(v, dyn[(size_t)co * P + o], pr[co]);
        });
        continue;
      }
      transpose(dyn, d, cout, P);
      for_conv_term(img, g, [&](float v, size_t r, int o) { fma_row(p + r * cout, v, d + (size_t)o * cout, cout); });
    }
  });
  add_slices(part, slices, R, cout, dw);
}

}  // namespace cpu
}  // namespace exo
