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
// so the two agree to float rounding. Each entry first offers the work to a faster form where it
// applies: y and A from the input's nonzeros when it is sparse (delay_window_events.cc), dx with
// the samples in the vector lanes from 16 samples on (delay_window_dx.cc, the same sums in the
// same order as the filter here), and y in that form too above 12 % input density.
#include <algorithm>
#include <utility>
#include <vector>

#include "delay_window_rows.h"
#include "exodus/backend.h"
#include "parallel.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace exo {
namespace cpu {
namespace {

constexpr int kBlock = 12;     // vectors of an output row held in registers at once
constexpr int kMaxBlock = 14;  // a row of up to this many vectors is one block

// out[0 .. NV·8) += Σ_n Σ_q cq[n·W + q] · src[off[n] + q + 0 .. NV·8) over n < count sources and
// q < W taps: NV vectors held in registers across every source and tap (eight independent chains
// when NV = 8), loaded and stored once. Written with intrinsics: left to itself, g++ vectorised
// these loops across the wrong axis.
template <int NV>
inline void fir_block(float* __restrict out, const float* __restrict src, const int* __restrict off, const float* __restrict cq,
                      int count, int W) {
#if defined(__AVX2__) && defined(__FMA__)
  __m256 acc[NV];
  for (int v = 0; v < NV; ++v) acc[v] = _mm256_loadu_ps(out + v * kLanes);
  for (int n = 0; n < count; ++n) {
    const float* p = src + off[n];
    const float* c = cq + (size_t)n * W;
    for (int q = 0; q < W; ++q) {
      const __m256 cv = _mm256_set1_ps(c[q]);
      for (int v = 0; v < NV; ++v) acc[v] = _mm256_fmadd_ps(cv, _mm256_loadu_ps(p + q + v * kLanes), acc[v]);
    }
  }
  for (int v = 0; v < NV; ++v) _mm256_storeu_ps(out + v * kLanes, acc[v]);
#else
  for (int n = 0; n < count; ++n)
    for (int q = 0; q < W; ++q)
      for (int e = 0; e < NV * kLanes; ++e) out[e] += cq[(size_t)n * W + q] * src[off[n] + q + e];
#endif
}

using FirFn = void (*)(float*, const float*, const int*, const float*, int, int);
template <int... NVs>
FirFn fir_table(int nv, std::integer_sequence<int, NVs...>) {
  FirFn fns[] = {nullptr, &fir_block<NVs + 1>...};
  return fns[nv];
}

// The same over a row of Tr = 8·nv steps: a row of up to kMaxBlock vectors in one block (AVX2's 16
// registers hold its accumulators, the tap's broadcast and a load), so each source and tap is
// walked once per row (T 100: 13 vectors, instead of blocks of 8 and 5); longer rows in blocks of kBlock.
inline void fir_row(float* out, const float* src, const int* off, const float* cq, int count, int W, int nv) {
  int v = 0;
  for (; nv - v > kMaxBlock; v += kBlock) fir_block<kBlock>(out + v * kLanes, src + v * kLanes, off, cq, count, W);
  if (nv > v) fir_table(nv - v, std::make_integer_sequence<int, kMaxBlock>{})(out + v * kLanes, src + v * kLanes, off, cq, count, W);
}

}  // namespace

// y[t, b, j]: per sample and output, the row y[·, b, j] in registers while every input's filter adds
// to it. x rows are padded in front by D zeros, so x[t − s − m] is row[D − s − m + t]; the taps
// reversed (q = W − 1 − m) make it a correlation starting at row[D − s − W + 1].
void delay_window_forward(const DelayGeom& g, const float* x, const float* coeff, const float* start, float* y) {
  // Below kDelayWindowForwardLanesDensity from the spikes; above, the lanes form where it runs
  // (16 samples and more), else the spikes up to kDelayWindowEventsMaxDensity, else the filters.
  std::vector<size_t> nz((size_t)g.T, 0);
  parallel_for((size_t)g.T, [&](size_t t, int) {
    const float* r = x + t * g.B * g.in;
    size_t k = 0;
    for (size_t e = 0; e < (size_t)g.B * g.in; ++e) k += r[e] != 0.f;
    nz[t] = k;
  });
  size_t nnz = 0;
  for (size_t k : nz) nnz += k;
  const bool sparse = (double)nnz < kDelayWindowForwardLanesDensity * (double)g.T * g.B * g.in;
  if (sparse && delay_window_forward_events(g, x, coeff, start, y)) return;
  if (delay_window_forward_lanes(g, x, coeff, start, y)) return;
  if (delay_window_forward_events(g, x, coeff, start, y)) return;
  const int Tr = round8(g.T), nv = Tr / kLanes, Lx = round8(g.D + Tr);
  std::vector<float> xr, yr((size_t)g.B * g.out * Tr, 0.f);
  to_rows(x, g.T, g.B, g.in, g.D, Lx, xr);
  // By output: the reversed taps cj[(j·in + i)·W + q] = coeff[(i·out + j)·W + W − 1 − q] and the
  // offset of each input's first tap in the sample's rows.
  std::vector<float> cj((size_t)g.out * g.in * g.W);
  std::vector<int> oj((size_t)g.out * g.in);
  parallel_for((size_t)g.out, [&](size_t j, int) {
    for (int i = 0; i < g.in; ++i) {
      const size_t syn = (size_t)i * g.out + j, ji = j * g.in + i;
      oj[ji] = i * Lx + g.D - (int)start[syn] - (g.W - 1);
      for (int q = 0; q < g.W; ++q) cj[ji * g.W + q] = coeff[syn * g.W + g.W - 1 - q];
    }
  });
  parallel_for((size_t)g.B * g.out, [&](size_t bj, int) {
    const size_t b = bj / g.out, j = bj % g.out;
    fir_row(yr.data() + bj * Tr, xr.data() + b * g.in * Lx, oj.data() + j * g.in, cj.data() + j * g.in * g.W, g.in, g.W, nv);
  });
  from_rows(yr, g.T, g.B, g.out, Tr, y);
}

// dx[t, b, i]: per sample and input, the row in registers while every output's filter adds to it;
// dy rows padded at the end, so dy[t + s + m] is row[s + m + t] for every t < Tr. A sample's dy
// rows (out·Ld floats) exceed L1, so the outputs are taken kJ at a time (their rows in L1) for a
// chunk of kI inputs, each input's row accumulating across the blocks in the same order.
void delay_window_input_grad(const DelayGeom& g, const float* dy, const float* coeff, const float* start, float* dx) {
  if (delay_window_input_grad_lanes(g, dy, coeff, start, dx)) return;
  constexpr int kJ = 48, kI = 16;
  const int Tr = round8(g.T), nv = Tr / kLanes, Ld = round8(Tr + g.D), nic = (g.in + kI - 1) / kI;
  std::vector<float> dr, xr((size_t)g.B * g.in * Tr, 0.f);
  to_rows(dy, g.T, g.B, g.out, 0, Ld, dr);
  std::vector<int> oi((size_t)g.in * g.out);  // by input: the offset of each output's first tap
  for (size_t syn = 0; syn < oi.size(); ++syn) oi[syn] = (int)(syn % g.out) * Ld + (int)start[syn];
  parallel_for((size_t)g.B * nic, [&](size_t c, int) {
    const size_t b = c / nic;
    const int i0 = (int)(c % nic) * kI, i1 = std::min(g.in, i0 + kI);
    for (int j0 = 0; j0 < g.out; j0 += kJ)
      for (int i = i0; i < i1; ++i) {
        const size_t syn = (size_t)i * g.out + j0;
        fir_row(xr.data() + (b * g.in + i) * Tr, dr.data() + b * g.out * Ld, oi.data() + syn, coeff + syn * g.W, std::min(kJ, g.out - j0), g.W, nv);
      }
  });
  from_rows(xr, g.T, g.B, g.in, Tr, dx);
}

namespace {
// a[m] = Σ_b Σ_{t < 8·nv} d_b[t] · src_b[t − m] for m < W, over the B samples' rows (d_b = d + b·dstep,
// src_b = src + b·sstep, src at tap 0): W chains of vectors, summed across lanes once at the end.
template <int W>
inline void corr_taps(float* __restrict a, const float* __restrict d, size_t dstep, const float* __restrict src, size_t sstep, int B, int nv) {
#if defined(__AVX2__) && defined(__FMA__)
  __m256 acc[W];
  for (int m = 0; m < W; ++m) acc[m] = _mm256_setzero_ps();
  for (int b = 0; b < B; ++b) {
    const float* db = d + b * dstep;
    const float* sb = src + b * sstep;
    for (int v = 0; v < nv; ++v) {
      const __m256 dv = _mm256_loadu_ps(db + v * kLanes);
      for (int m = 0; m < W; ++m) acc[m] = _mm256_fmadd_ps(dv, _mm256_loadu_ps(sb + v * kLanes - m), acc[m]);
    }
  }
  for (int m = 0; m < W; ++m) {
    alignas(32) float l[kLanes];
    _mm256_store_ps(l, acc[m]);
    a[m] = ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
  }
#else
  for (int m = 0; m < W; ++m) {
    float s = 0;
    for (int b = 0; b < B; ++b)
      for (int t = 0; t < nv * kLanes; ++t) s += d[b * dstep + t] * src[b * sstep + t - m];
    a[m] = s;
  }
#endif
}

using CorrFn = void (*)(float*, const float*, size_t, const float*, size_t, int, int);
template <int... Ws>
CorrFn corr_table(int W, std::integer_sequence<int, Ws...>) {
  CorrFn fns[] = {nullptr, &corr_taps<Ws + 1>...};
  return W >= 1 && W <= (int)sizeof...(Ws) ? fns[W] : nullptr;
}
}  // namespace

// A[i, j, m]: each synapse's W correlations of the rows dy[·, b, j] with its shifted x rows, summed
// over the samples in registers (one lane sum per synapse and tap). Threads split the outputs in
// blocks, inputs blocked inside, so that a block's rows (every sample's) stay in cache while every
// output of the thread's block reads them.
void delay_window_corr(const DelayGeom& g, const float* x, const float* dy, const float* start, float* A) {
  if (delay_window_corr_events(g, x, dy, start, A)) return;
  constexpr int kJ = 8, kI = 8;
  const int Tr = round8(g.T), nv = Tr / kLanes, Lx = round8(g.D + Tr);
  const CorrFn corr = corr_table(g.W, std::make_integer_sequence<int, kDelayWindowMaxTaps>{});
  std::vector<float> xr, dr;
  to_rows(x, g.T, g.B, g.in, g.D, Lx, xr);
  to_rows(dy, g.T, g.B, g.out, 0, Tr, dr);
  const size_t xs = (size_t)g.in * Lx, ds = (size_t)g.out * Tr;  // one sample's rows
  parallel_for((size_t)(g.out + kJ - 1) / kJ, [&](size_t jb, int) {
    const int j0 = (int)jb * kJ, j1 = std::min(g.out, j0 + kJ);
    for (int i0 = 0; i0 < g.in; i0 += kI)
      for (int j = j0; j < j1; ++j)
        for (int i = i0; i < std::min(g.in, i0 + kI); ++i) {
          const size_t syn = (size_t)i * g.out + j;
          corr(A + syn * g.W, dr.data() + (size_t)j * Tr, ds, xr.data() + (size_t)i * Lx + g.D - (int)start[syn], xs, g.B, nv);
        }
  });
}

}  // namespace cpu
}  // namespace exo
