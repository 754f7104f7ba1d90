// The window path of learnable delays from the input's nonzeros: each spike (t, b, i, v) touches
// its synapses' own W taps only, so the cost is ∝ spikes × out × W instead of the event path's
// spikes × out × (D + 1) over the expanded kernel (σ 0.5 at D 25: 6 taps of 26), and neither the
// expanded kernel nor its gradient [D + 1, in, out] is ever written. In time rows [B, out, L]
// (delay_window_rows.h) a synapse's W taps are W consecutive floats of one row, so each
// (spike, synapse) is one 8-wide vector operation (two for W > 8):
//     forward:      y_row[b, j][t + s_ij + m] += v · c[i, j, m]   (a read-modify-write of the row)
//     correlation:  A[i, j, m] += v · dy_row[b, j][t + s_ij + m]   (the taps are the vector's lanes)
// Both are exact reorderings of the filters' sums (delay_window.cc); the rows are padded so that
// a vector starting at any tap stays inside its row, and lanes past W (or steps past T) are
// discarded. Threads split (sample, output block) or output blocks, and every sum runs over the
// spikes in one fixed order (inputs, then steps; samples, then steps), whatever the thread count.
#include <algorithm>
#include <type_traits>
#include <vector>

#include "cpu_features.h"
#include "delay_window_rows.h"
#include "exodus/backend.h"
#include "parallel.h"

#if (defined(__AVX2__) && defined(__FMA__)) || EXO_CPU_AVX512_SCANS
#include <immintrin.h>
#endif

namespace exo {
namespace cpu {
namespace {

// The nonzeros of x [T, B, in] by sample, then input: for sample b, entries off[b][i] ..
// off[b][i + 1] of t[b] (steps, ascending) and v[b] (values).
struct SampleSpikes {
  std::vector<std::vector<int32_t>> off, t;
  std::vector<std::vector<float>> v;
  int32_t begin(int b, int i) const { return off[(size_t)b][(size_t)i]; }
  int32_t end(int b, int i) const { return off[(size_t)b][(size_t)i + 1]; }
};

// Builds the index unless x holds more than max_density of nonzeros (then false). Threads split
// the samples; a sample's rows are scanned 8 inputs to a compare (most groups of a sparse input
// hold no spike), its nonzeros listed in row order and then sorted by input (a counting sort,
// which keeps the steps ascending).
bool sample_spikes(const DelayGeom& g, const float* x, double max_density, SampleSpikes& sp) {
  sp.off.assign((size_t)g.B, {});
  sp.t.assign((size_t)g.B, {});
  sp.v.assign((size_t)g.B, {});
  std::vector<size_t> nnz((size_t)g.B, 0);
  parallel_for((size_t)g.B, [&](size_t b, int) {
    std::vector<int32_t> ri, rt;
    std::vector<float> rv;
    std::vector<int32_t>& off = sp.off[b];
    off.assign((size_t)g.in + 1, 0);
    for (int t = 0; t < g.T; ++t) {
      const float* row = x + ((size_t)t * g.B + b) * g.in;
      int i = 0;
#if defined(__AVX2__)
      for (; i + kLanes <= g.in; i += kLanes) {
        unsigned mask = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(row + i), _mm256_setzero_ps(), _CMP_NEQ_UQ));
        for (; mask; mask &= mask - 1) {
          const int k = i + __builtin_ctz(mask);
          ri.push_back(k), rt.push_back(t), rv.push_back(row[k]);
        }
      }
#endif
      for (; i < g.in; ++i)
        if (row[i] != 0.f) ri.push_back(i), rt.push_back(t), rv.push_back(row[i]);
    }
    for (int32_t i : ri) ++off[(size_t)i + 1];
    for (int i = 0; i < g.in; ++i) off[(size_t)i + 1] += off[(size_t)i];
    std::vector<int32_t> at(off.begin(), off.end() - 1);
    sp.t[b].resize(ri.size());
    sp.v[b].resize(ri.size());
    for (size_t k = 0; k < ri.size(); ++k) {
      const int32_t n = at[(size_t)ri[k]]++;
      sp.t[b][(size_t)n] = rt[k];
      sp.v[b][(size_t)n] = rv[k];
    }
    nnz[b] = ri.size();
  });
  size_t total = 0;
  for (size_t n : nnz) total += n;
  return (double)total <= max_density * (double)g.T * g.B * g.in;
}

// Vectors per synapse: one for W <= 8 taps, two up to 16; 0: too wide for this path.
int vectors_per_synapse(const DelayGeom& g) { return g.W <= kLanes ? 1 : g.W <= 2 * kLanes ? 2 : 0; }

std::vector<int> int_starts(const DelayGeom& g, const float* start) {
  std::vector<int> st((size_t)g.in * g.out);
  for (size_t k = 0; k < st.size(); ++k) st[k] = (int)start[k];
  return st;
}

// y: per (sample, block of kJ outputs), the block's rows (kJ·L floats, in L1) take every spike
// of the sample, input by input. kJ rows lie between two updates of one row, so a spike's
// read-modify-write rarely waits on the previous spike's store to the same row.
template <int NV>
void forward_rows(const DelayGeom& g, const SampleSpikes& sp, const float* coeff, const std::vector<int>& st, float* y) {
  constexpr int V = NV * kLanes, kJ = 128;
  const int L = round8(g.T + g.D + V), nblk = (g.out + kJ - 1) / kJ;
  // The taps padded with zeros to V lanes per synapse: lanes past W add 0 to the row.
  std::vector<float> cp((size_t)g.in * g.out * V, 0.f);
  parallel_for((size_t)g.in, [&](size_t i, int) {
    for (int j = 0; j < g.out; ++j) std::copy(coeff + (i * g.out + j) * g.W, coeff + (i * g.out + j + 1) * g.W, cp.data() + (i * g.out + j) * V);
  });
  std::vector<float> yr((size_t)g.B * g.out * L, 0.f);
  parallel_for((size_t)g.B * nblk, [&, L, nblk](size_t c, int) {
    const int b = (int)(c / nblk), j0 = (int)(c % nblk) * kJ, jn = std::min(kJ, g.out - j0), in = g.in, out = g.out;
    float* rows = yr.data() + ((size_t)b * out + j0) * L;
    const int32_t* ts = sp.t[(size_t)b].data();
    const float* vs = sp.v[(size_t)b].data();
    float* at[kJ];  // each synapse's first tap in the block's rows, for a spike at step 0
    for (int i = 0; i < in; ++i) {
      const int32_t q0 = sp.begin(b, i), q1 = sp.end(b, i);
      if (q0 == q1) continue;
      const float* __restrict ci = cp.data() + ((size_t)i * out + j0) * V;
      for (int jj = 0; jj < jn; ++jj) at[jj] = rows + (size_t)jj * L + st[(size_t)i * out + j0 + jj];
      for (int32_t q = q0; q < q1; ++q) {
        const int t = ts[q];
        const float v = vs[q];
#if defined(__AVX2__) && defined(__FMA__)
        const __m256 vv = _mm256_set1_ps(v);
        for (int jj = 0; jj < jn; ++jj) {
          float* p = at[jj] + t;
          for (int u = 0; u < NV; ++u)
            _mm256_storeu_ps(p + u * kLanes, _mm256_fmadd_ps(vv, _mm256_loadu_ps(ci + jj * V + u * kLanes), _mm256_loadu_ps(p + u * kLanes)));
        }
#else
        for (int jj = 0; jj < jn; ++jj)
          for (int m = 0; m < V; ++m) at[jj][t + m] += v * ci[jj * V + m];
#endif
      }
    }
  });
  from_rows(yr, g.T, g.B, g.out, L, y);
}

#if EXO_CPU_AVX512_SCANS
// The correlation's AVX-512 twin for W <= 8 (chosen at run time, cpu_features.h): 16 synapses'
// taps in 8 zmm accumulators, two synapses to a register (lanes 0-7 and 8-15, P's layout), so a
// spike costs 8 multiply-adds of 16 lanes instead of 16 of 8. Each lane takes the same fused
// multiply-adds in the same order as the AVX2 loop's: the same floats.
// Lanes 0-7 from lo, 8-15 from hi. AVX-512F only (cpu_avx512_enabled() checks no more): the
// 256-bit insert of the double form, not AVX512DQ's float one; the bits moved are the same.
// (GCC 12 warns that the insert's undefined pass-through, in its own header, may be uninitialised:
// every lane is written.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
__attribute__((target("avx512f"))) inline __m512 pair(const float* lo, const float* hi) {
  return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(_mm256_loadu_ps(lo))), _mm256_castps_pd(_mm256_loadu_ps(hi)), 1));
}
#pragma GCC diagnostic pop

__attribute__((target("avx512f"))) void corr_chunk512(float* __restrict Pi, const float* __restrict dr, size_t sample_rows, int b0,
                                                              int b1, int i, const SampleSpikes& sp, const size_t* __restrict ro) {
  __m512 acc[8];
  for (int k = 0; k < 8; ++k) acc[k] = _mm512_loadu_ps(Pi + 16 * k);
  for (int b = b0; b < b1; ++b) {
    const float* base = dr + (size_t)b * sample_rows;
    const int32_t* ts = sp.t[(size_t)b].data();
    const float* vs = sp.v[(size_t)b].data();
    for (int32_t q = sp.begin(b, i); q < sp.end(b, i); ++q) {
      const __m512 vv = _mm512_set1_ps(vs[q]);
      const float* p = base + ts[q];
      for (int k = 0; k < 8; ++k)
        acc[k] = _mm512_fmadd_ps(vv, pair(p + ro[2 * k], p + ro[2 * k + 1]), acc[k]);
    }
  }
  for (int k = 0; k < 8; ++k) _mm512_storeu_ps(Pi + 16 * k, acc[k]);
}
#endif

// A: per block of kJ outputs (a thread's own columns of A), every input's spikes correlated with
// the block's rows of dy, kS samples at a time (kJ·kS rows, in L1), the kJ synapses' taps held in
// registers across a chunk's spikes and kept between chunks in P [in, kJ, V]. KJ 16 (one vector per
// synapse): the AVX-512 twin's block.
template <int NV, int KJ = 8 / NV>
void corr_rows(const DelayGeom& g, const SampleSpikes& sp, const float* dy, const std::vector<int>& st, float* A) {
  constexpr int V = NV * kLanes, kJ = KJ, kS = 4;
  static_assert(kJ * NV == 8 || (kJ == 16 && NV == 1), "a block of 8 ymm or 8 zmm accumulators");
  const int L = round8(g.T + g.D + V), nblk = (g.out + kJ - 1) / kJ;
  std::vector<float> dr;
  to_rows(dy, g.T, g.B, g.out, 0, L, dr);
  parallel_for((size_t)nblk, [&](size_t blk, int) {
    const int j0 = (int)blk * kJ, jn = std::min(kJ, g.out - j0);
    std::vector<float> P((size_t)g.in * kJ * V, 0.f);
    for (int b0 = 0; b0 < g.B; b0 += kS) {
      const int b1 = std::min(g.B, b0 + kS);
      for (int i = 0; i < g.in; ++i) {
        bool any = false;
        for (int b = b0; b < b1 && !any; ++b) any = sp.begin(b, i) != sp.end(b, i);
        if (!any) continue;
        size_t ro[kJ];  // each synapse's first tap in a sample's rows; past the block's end, row j0's (discarded)
        for (int jj = 0; jj < kJ; ++jj) {
          const int j = jj < jn ? j0 + jj : j0;
          ro[jj] = (size_t)j * L + st[(size_t)i * g.out + j];
        }
        float* Pi = P.data() + (size_t)i * kJ * V;
#if EXO_CPU_AVX512_SCANS
        if constexpr (kJ == 16) {
          corr_chunk512(Pi, dr.data(), (size_t)g.out * L, b0, b1, i, sp, ro);
          continue;
        }
#endif
#if defined(__AVX2__) && defined(__FMA__)
        __m256 acc[kJ * NV];
        for (int k = 0; k < kJ * NV; ++k) acc[k] = _mm256_loadu_ps(Pi + k * kLanes);
        for (int b = b0; b < b1; ++b) {
          const float* base = dr.data() + (size_t)b * g.out * L;
          const int32_t* ts = sp.t[(size_t)b].data();
          const float* vs = sp.v[(size_t)b].data();
          for (int32_t q = sp.begin(b, i); q < sp.end(b, i); ++q) {
            const __m256 vv = _mm256_set1_ps(vs[q]);
            const float* p = base + ts[q];
            for (int jj = 0; jj < kJ; ++jj)
              for (int u = 0; u < NV; ++u) acc[jj * NV + u] = _mm256_fmadd_ps(vv, _mm256_loadu_ps(p + ro[jj] + u * kLanes), acc[jj * NV + u]);
          }
        }
        for (int k = 0; k < kJ * NV; ++k) _mm256_storeu_ps(Pi + k * kLanes, acc[k]);
#else
        for (int b = b0; b < b1; ++b) {
          const float* base = dr.data() + (size_t)b * g.out * L;
          for (int32_t q = sp.begin(b, i); q < sp.end(b, i); ++q) {
            const float* p = base + sp.t[(size_t)b][(size_t)q];
            for (int jj = 0; jj < kJ; ++jj)
              for (int m = 0; m < V; ++m) Pi[jj * V + m] += sp.v[(size_t)b][(size_t)q] * p[ro[jj] + m];
          }
        }
#endif
      }
    }
    for (int i = 0; i < g.in; ++i)
      for (int jj = 0; jj < jn; ++jj)
        std::copy(P.data() + ((size_t)i * kJ + jj) * V, P.data() + ((size_t)i * kJ + jj) * V + g.W, A + ((size_t)i * g.out + j0 + jj) * g.W);
  });
}

// Builds the spike index and integer starts, then run(std::integral_constant<int, NV>, sp, st)
// for the window's vectors per synapse; false (nothing run) where the path does not apply.
template <typename Run>
bool with_spikes(const DelayGeom& g, const float* x, const float* start, Run&& run) {
  const int nv = vectors_per_synapse(g);
  SampleSpikes sp;
  if (nv == 0 || !sample_spikes(g, x, kDelayWindowEventsMaxDensity, sp)) return false;
  const std::vector<int> st = int_starts(g, start);
  if (nv == 1) run(std::integral_constant<int, 1>{}, sp, st);
  else run(std::integral_constant<int, 2>{}, sp, st);
  return true;
}

}  // namespace

bool delay_window_forward_events(const DelayGeom& g, const float* x, const float* coeff, const float* start, float* y) {
  return with_spikes(g, x, start, [&](auto nv, const SampleSpikes& sp, const std::vector<int>& st) { forward_rows<decltype(nv)::value>(g, sp, coeff, st, y); });
}

bool delay_window_corr_events(const DelayGeom& g, const float* x, const float* dy, const float* start, float* A) {
  return with_spikes(g, x, start, [&](auto nv, const SampleSpikes& sp, const std::vector<int>& st) {
    constexpr int NV = decltype(nv)::value;
    if constexpr (NV == 1 && EXO_CPU_AVX512_SCANS)
      if (cpu_avx512_enabled()) return corr_rows<NV, 16>(g, sp, dy, st, A);
    corr_rows<NV>(g, sp, dy, st, A);
  });
}

}  // namespace cpu
}  // namespace exo
