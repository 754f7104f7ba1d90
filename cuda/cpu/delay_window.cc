// The window path of learnable delays (exodus/delay.h): the three products computed per synapse
// over its own W taps only, instead of over all D + 1 taps of the expanded kernel. Late in training
// (σ 0.5: W = 6 of D + 1 = 26 taps) that is a quarter of the dense form's multiply-adds, and it
// needs no expanded kernel at all:
//     y[t, b, j]  = Σ_i Σ_m c[i, j, m] · x[t − s_ij − m, b, i]
//     A[i, j, m]  = Σ_b Σ_t dy[t, b, j] · x[t − s_ij − m, b, i]
//     dx[t, b, i] = Σ_j Σ_m c[i, j, m] · dy[t + s_ij + m, b, j]
// Each is a short filter along time, so the operands are first transposed to time rows [B, F, T]
// (padded with zeros, so no tap needs a bounds test) and the filters run 8 steps to a vector, the
// output rows held in registers. Threads split samples (y, dx) or outputs (A) and every sum runs in
// a fixed order, so no result depends on the thread count; the order differs from the GEMM path's,
// so the two agree to float rounding.
#include <algorithm>
#include <utility>
#include <vector>

#include "exodus/backend.h"
#include "parallel.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace exo {
namespace cpu {
namespace {

constexpr int kLanes = 8;   // floats per vector of time steps
constexpr int kBlock = 8;   // vectors of an output row held in registers at once

inline int round8(int n) { return (n + kLanes - 1) / kLanes * kLanes; }

// rows[(b·F + f)·L + pad + t] = x[(t·B + b)·F + f] for t < T; zeros elsewhere in each row of L.
void to_rows(const float* x, int T, int B, int F, int pad, int L, std::vector<float>& rows) {
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
void from_rows(const std::vector<float>& rows, int T, int B, int F, int L, float* out) {
  parallel_for((size_t)B, [&](size_t b, int) {
    const float* rb = rows.data() + b * F * L;
    for (int t = 0; t < T; ++t) {
      float* o = out + ((size_t)t * B + b) * F;
      for (int f = 0; f < F; ++f) o[f] = rb[(size_t)f * L + t];
    }
  });
}

// out[0 .. NV·8) += Σ_q cq[q] · src[q + 0 .. q + NV·8) for q < W: NV vectors held in registers
// while the W taps stream through (eight independent chains when NV = 8). Written with intrinsics:
// left to itself, g++ vectorised these loops across the wrong axis.
template <int NV>
inline void fir_block(float* __restrict out, const float* __restrict src, const float* __restrict cq, int W) {
#if defined(__AVX2__) && defined(__FMA__)
  __m256 acc[NV];
  for (int v = 0; v < NV; ++v) acc[v] = _mm256_loadu_ps(out + v * kLanes);
  for (int q = 0; q < W; ++q) {
    const __m256 c = _mm256_set1_ps(cq[q]);
    for (int v = 0; v < NV; ++v) acc[v] = _mm256_fmadd_ps(c, _mm256_loadu_ps(src + q + v * kLanes), acc[v]);
  }
  for (int v = 0; v < NV; ++v) _mm256_storeu_ps(out + v * kLanes, acc[v]);
#else
  for (int q = 0; q < W; ++q)
    for (int e = 0; e < NV * kLanes; ++e) out[e] += cq[q] * src[q + e];
#endif
}

// The same over a row of Tr = 8·nv steps: blocks of kBlock vectors, then the rest.
inline void fir_row(float* out, const float* src, const float* cq, int W, int nv) {
  int v = 0;
  for (; v + kBlock <= nv; v += kBlock) fir_block<kBlock>(out + v * kLanes, src + v * kLanes, cq, W);
  const int left = nv - v;
  float* o = out + v * kLanes;
  const float* s = src + v * kLanes;
  switch (left) {
    case 7: fir_block<7>(o, s, cq, W); break;
    case 6: fir_block<6>(o, s, cq, W); break;
    case 5: fir_block<5>(o, s, cq, W); break;
    case 4: fir_block<4>(o, s, cq, W); break;
    case 3: fir_block<3>(o, s, cq, W); break;
    case 2: fir_block<2>(o, s, cq, W); break;
    case 1: fir_block<1>(o, s, cq, W); break;
    default: break;
  }
}

}  // namespace

// y[t, b, j]: per sample and output, the row y[·, b, j] in registers while every input's filter adds
// to it. x rows are padded in front by D zeros, so x[t − s − m] is row[D − s − m + t]; the taps
// reversed (q = W − 1 − m) make it a correlation starting at row[D − s − W + 1].
void delay_window_forward(const DelayGeom& g, const float* x, const float* coeff, const float* start, float* y) {
  const int Tr = round8(g.T), nv = Tr / kLanes, Lx = round8(g.D + Tr);
  std::vector<float> xr, yr((size_t)g.B * g.out * Tr, 0.f);
  to_rows(x, g.T, g.B, g.in, g.D, Lx, xr);
  // The reversed taps by output: cj[(j·in + i)·W + q] = coeff[(i·out + j)·W + W − 1 − q].
  std::vector<float> cj((size_t)g.out * g.in * g.W);
  std::vector<int> sj((size_t)g.out * g.in);
  parallel_for((size_t)g.out, [&](size_t j, int) {
    for (int i = 0; i < g.in; ++i) {
      const size_t syn = (size_t)i * g.out + j, ji = j * g.in + i;
      sj[ji] = (int)start[syn];
      for (int q = 0; q < g.W; ++q) cj[ji * g.W + q] = coeff[syn * g.W + g.W - 1 - q];
    }
  });
  parallel_for((size_t)g.B * g.out, [&](size_t bj, int) {
    const size_t b = bj / g.out, j = bj % g.out;
    float* out = yr.data() + bj * Tr;
    const float* xb = xr.data() + b * g.in * Lx;
    for (int i = 0; i < g.in; ++i) {
      const size_t ji = j * g.in + i;
      fir_row(out, xb + (size_t)i * Lx + g.D - sj[ji] - (g.W - 1), cj.data() + ji * g.W, g.W, nv);
    }
  });
  from_rows(yr, g.T, g.B, g.out, Tr, y);
}

// dx[t, b, i]: per sample and input, the row in registers while every output's filter adds to it;
// dy rows padded at the end, so dy[t + s + m] is row[s + m + t] for every t < Tr.
void delay_window_input_grad(const DelayGeom& g, const float* dy, const float* coeff, const float* start, float* dx) {
  const int Tr = round8(g.T), nv = Tr / kLanes, Ld = round8(Tr + g.D);
  std::vector<float> dr, xr((size_t)g.B * g.in * Tr, 0.f);
  to_rows(dy, g.T, g.B, g.out, 0, Ld, dr);
  parallel_for((size_t)g.B * g.in, [&](size_t bi, int) {
    const size_t b = bi / g.in, i = bi % g.in;
    float* out = xr.data() + bi * Tr;
    const float* db = dr.data() + b * g.out * Ld;
    for (int j = 0; j < g.out; ++j) {
      const size_t syn = i * g.out + j;
      fir_row(out, db + (size_t)j * Ld + (int)start[syn], coeff + syn * g.W, g.W, nv);
    }
  });
  from_rows(xr, g.T, g.B, g.in, Tr, dx);
}

namespace {
// a[m] += Σ_{t < 8·nv} d[t] · src[t − m] for m < W (src points at tap 0): W chains of vectors.
template <int W>
inline void corr_taps(float* __restrict a, const float* __restrict d, const float* __restrict src, int nv) {
#if defined(__AVX2__) && defined(__FMA__)
  __m256 acc[W];
  for (int m = 0; m < W; ++m) acc[m] = _mm256_setzero_ps();
  for (int v = 0; v < nv; ++v) {
    const __m256 dv = _mm256_loadu_ps(d + v * kLanes);
    for (int m = 0; m < W; ++m) acc[m] = _mm256_fmadd_ps(dv, _mm256_loadu_ps(src + v * kLanes - m), acc[m]);
  }
  for (int m = 0; m < W; ++m) {
    alignas(32) float l[kLanes];
    _mm256_store_ps(l, acc[m]);
    a[m] += ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
  }
#else
  for (int m = 0; m < W; ++m) {
    float s = 0;
    for (int t = 0; t < nv * kLanes; ++t) s += d[t] * src[t - m];
    a[m] += s;
  }
#endif
}

using CorrFn = void (*)(float*, const float*, const float*, int);
template <int... Ws>
CorrFn corr_table(int W, std::integer_sequence<int, Ws...>) {
  CorrFn fns[] = {nullptr, &corr_taps<Ws + 1>...};
  return W >= 1 && W <= (int)sizeof...(Ws) ? fns[W] : nullptr;
}
}  // namespace

// A[i, j, m]: threads split the outputs j in blocks; per sample b in order, each synapse's W
// correlations of the row dy[·, b, j] with the shifted x row, accumulated into A by output (then
// transposed). Inputs in blocks, so that a block's x rows stay in L1 while every output of the
// thread's block reads them.
void delay_window_corr(const DelayGeom& g, const float* x, const float* dy, const float* start, float* A) {
  constexpr int kJ = 16, kI = 32;
  const int Tr = round8(g.T), nv = Tr / kLanes, Lx = round8(g.D + Tr);
  const CorrFn corr = corr_table(g.W, std::make_integer_sequence<int, kDelayWindowMaxTaps>{});
  std::vector<float> xr, dr, aj((size_t)g.out * g.in * g.W, 0.f);
  to_rows(x, g.T, g.B, g.in, g.D, Lx, xr);
  to_rows(dy, g.T, g.B, g.out, 0, Tr, dr);
  parallel_for((size_t)(g.out + kJ - 1) / kJ, [&](size_t jb, int) {
    const int j0 = (int)jb * kJ, j1 = std::min(g.out, j0 + kJ);
    for (int b = 0; b < g.B; ++b) {
      const float* xb = xr.data() + (size_t)b * g.in * Lx;
      for (int i0 = 0; i0 < g.in; i0 += kI)
        for (int j = j0; j < j1; ++j) {
          const float* d = dr.data() + ((size_t)b * g.out + j) * Tr;
          float* a = aj.data() + (size_t)j * g.in * g.W;
          for (int i = i0; i < std::min(g.in, i0 + kI); ++i)
            corr(a + (size_t)i * g.W, d, xb + (size_t)i * Lx + g.D - (int)start[(size_t)i * g.out + j], nv);
        }
    }
  });
  parallel_for((size_t)g.in, [&](size_t i, int) {
    for (int j = 0; j < g.out; ++j)
      for (int m = 0; m < g.W; ++m) A[(i * g.out + j) * g.W + m] = aj[((size_t)j * g.in + i) * g.W + m];
  });
}

}  // namespace cpu
}  // namespace exo
