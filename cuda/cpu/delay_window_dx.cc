// ∂x of the window path with the samples in the vector lanes (delay_window.cc's filter puts time
// there):
//     dx[t, b, i] = Σ_j Σ_q c[i, j, q] · dy[t + s_ij + q, b, j]
// A synapse's offset s_ij + q is the same for every sample, so with dy laid out [out, step, B']
// (B' = B rounded up to 16) the operand of each multiply-add is an aligned vector of 8 samples,
// and one loaded row of dy (step r of output j) serves all the taps that reach it from the 4
// steps of a block: (W + 3) rows of 2 vectors feed 4·W·2 multiply-adds, where the filter along
// time loads one unaligned vector (often split across two cache lines) per multiply-add. Each dx
// value sums over j, then q, ascending: the filter's order, so the two give the same floats.
// On a CPU with AVX-512 the block is delay_window_dx_avx512.cc's (16 samples to a vector, 8 steps to
// a block, the same sums in the same order); the loops here lay out the operands for either.
// The forward is the same filter with time reversed and inputs and outputs swapped
// (delay_window_forward_lanes, below), taken for denser inputs.
#include <algorithm>
#include <utility>
#include <vector>

#include "cpu_features.h"
#include "delay_window_dx_avx512.h"
#include "delay_window_rows.h"
#include "exodus/backend.h"
#include "exodus/host_alloc.h"
#include "parallel.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace exo {
namespace cpu {
namespace {

// A 64-byte-aligned scratch block (the aligned loads below need 32).
struct Aligned {
  float* p;
  explicit Aligned(size_t n) : p(aligned_host_alloc(n * sizeof(float))) {}
  ~Aligned() { aligned_host_free(p); }
  Aligned(const Aligned&) = delete;
  Aligned& operator=(const Aligned&) = delete;
};

constexpr int kTB = 4;   // steps of dx per block
constexpr int kSB = 16;  // samples per block: two vectors

#if defined(__AVX2__) && defined(__FMA__)
// out[tt·out_step + 8u ..] (+)= Σ_j Σ_q c_jq · rows_j[s_j + tt + q][8u ..] over the count outputs
// of a block (steps t0 + tt, 16 samples): row r = tt + q of each output is loaded once and
// multiplied by every tap that reaches it; first: start from zero instead of out.
template <int W>
void block(float* __restrict out, size_t out_step, bool first, const float* __restrict dyj, size_t jstep, size_t rstep,
           const int* __restrict off, const float* __restrict c, int count) {
  __m256 a0[kTB], a1[kTB];
#pragma GCC unroll 8
  for (int tt = 0; tt < kTB; ++tt) {
    a0[tt] = first ? _mm256_setzero_ps() : _mm256_load_ps(out + tt * out_step);
    a1[tt] = first ? _mm256_setzero_ps() : _mm256_load_ps(out + tt * out_step + 8);
  }
  for (int j = 0; j < count; ++j) {
    const float* base = dyj + j * jstep + (size_t)off[j] * rstep;
    const float* cj = c + (size_t)j * W;
#pragma GCC unroll 40
    for (int r = 0; r < W + kTB - 1; ++r) {
      const __m256 r0 = _mm256_load_ps(base + r * rstep), r1 = _mm256_load_ps(base + r * rstep + 8);
#pragma GCC unroll 8
      for (int tt = 0; tt < kTB; ++tt)
        if (r - tt >= 0 && r - tt < W) {
          const __m256 cq = _mm256_broadcast_ss(cj + (r - tt));
          a0[tt] = _mm256_fmadd_ps(cq, r0, a0[tt]);
          a1[tt] = _mm256_fmadd_ps(cq, r1, a1[tt]);
        }
    }
  }
#pragma GCC unroll 8
  for (int tt = 0; tt < kTB; ++tt) {
    _mm256_store_ps(out + tt * out_step, a0[tt]);
    _mm256_store_ps(out + tt * out_step + 8, a1[tt]);
  }
}

using BlockFn = DxBlockFn;
template <int... Ws>
BlockFn block_table(int W, std::integer_sequence<int, Ws...>) {
  BlockFn fns[] = {nullptr, &block<Ws + 1>...};
  return W >= 1 && W <= (int)sizeof...(Ws) ? fns[W] : nullptr;
}
#endif

}  // namespace

namespace {
// The lanes form of one window filter:
//     out[t, b, o] = Σ_f Σ_q c[(o·nsrc + f)·W + q] · src[t + st[o·nsrc + f] + q, b, f]
// over the nsrc sources f (ascending), then the taps q (ascending), for src [T, B, nsrc] and
// out [T, B, nout]. reverse: src and out are read and written with time reversed (step t is
// T − 1 − t), which turns the forward's x[t − s − m] into this form (below). False, having
// written nothing, where no block applies (fewer than 16 samples, W > kDelayWindowDxMaxTaps, no
// AVX2) or the scratch cannot be allocated.
bool lanes(const DelayGeom& g, int nsrc, int nout, const float* src, bool reverse, const float* c, const int* st, float* out) {
#if defined(__AVX2__) && defined(__FMA__)
  // The AVX-512 twin where the CPU has it (the same bits), else the AVX2 block.
  const DxBlock blk = cpu_avx512_enabled() ? delay_window_dx_block_avx512(g.W)
                                           : DxBlock{block_table(g.W, std::make_integer_sequence<int, kDelayWindowDxMaxTaps>{}), kTB, kSB, nullptr, kTB};
  const BlockFn fn = blk.fn;
  const int sb = blk.samples, tb = blk.steps;
  if (!fn || (blk.tail_steps != tb && !blk.tail) || g.B < kSB) return false;
  // Steps rounded to the tail's block (a multiple of it fills whole blocks, the last maybe a tail).
  const int ts = blk.tail_steps, Bp = (g.B + sb - 1) / sb * sb, Tb = (g.T + ts - 1) / ts * ts, L = Tb + g.D + tb;
  const size_t rstep = (size_t)Bp, jstep = (size_t)L * Bp;
  // src as [nsrc, L, Bp], zeros past T and past B; 32-byte aligned rows (Bp is a multiple of 16).
  Aligned S((size_t)nsrc * jstep), X((size_t)nout * Tb * Bp);
  if (!S.p || !X.p) return false;
  // Zeros where no step of src lands: the rows past T of every source, the samples past B of the others.
  parallel_for((size_t)nsrc, [&](size_t j, int) { std::fill(S.p + j * jstep + (size_t)g.T * rstep, S.p + (j + 1) * jstep, 0.f); });
  parallel_for((size_t)g.T, [&](size_t t, int) {
    const float* from = src + (reverse ? g.T - 1 - t : t) * g.B * nsrc;
    float* dst = S.p + t * rstep;
    if (g.B < Bp)
      for (int j = 0; j < nsrc; ++j) std::fill(dst + j * jstep + g.B, dst + j * jstep + Bp, 0.f);
    const int B8 = g.B / 8 * 8, J8 = nsrc / 8 * 8;
    for (int b = 0; b < B8; b += 8)
      for (int j = 0; j < J8; j += 8) transpose8(from + (size_t)b * nsrc + j, (size_t)nsrc, dst + j * jstep + b, jstep);
    for (int b = 0; b < g.B; ++b)
      for (int j = b < B8 ? J8 : 0; j < nsrc; ++j) dst[j * jstep + b] = from[(size_t)b * nsrc + j];
  });
  // out as [nout, Tb, Bp] (X), then back to [T, B, nout].
  // Chunks of kI outputs and 16 samples; inside, the sources kJ at a time (their rows of src, kJ·L·16
  // floats, stay in L1 while every output and step block of the chunk reads them), each out block
  // carried from one source block to the next in X.
  constexpr int kI = 32, kJ = 8;
  const int nb = Bp / sb, nic = (nout + kI - 1) / kI;
  parallel_for((size_t)nb * nic, [&](size_t ch, int) {
    const int b0 = (int)(ch / nic) * sb, i0 = (int)(ch % nic) * kI, i1 = std::min(nout, i0 + kI);
    for (int j0 = 0; j0 < nsrc; j0 += kJ)
      for (int i = i0; i < i1; ++i) {
        const size_t syn = (size_t)i * nsrc + j0;
        for (int t0 = 0; t0 < Tb;) {
          const bool full = t0 + tb <= Tb;
          (full ? fn : blk.tail)(X.p + ((size_t)i * Tb + t0) * Bp + b0, rstep, j0 == 0, S.p + j0 * jstep + (size_t)t0 * rstep + b0, jstep, rstep,
                                 st + syn, c + syn * g.W, std::min(kJ, nsrc - j0));
          t0 += full ? tb : ts;
        }
      }
  });
  parallel_for((size_t)g.T, [&](size_t t, int) {
    float* dst = out + (reverse ? g.T - 1 - t : t) * g.B * nout;
    const float* from = X.p + t * Bp;
    const size_t ld = (size_t)Tb * Bp;
    const int B8 = g.B / 8 * 8, I8 = nout / 8 * 8;
    for (int b = 0; b < B8; b += 8)
      for (int i = 0; i < I8; i += 8) transpose8(from + i * ld + b, ld, dst + (size_t)b * nout + i, (size_t)nout);
    for (int b = 0; b < g.B; ++b)
      for (int i = b < B8 ? I8 : 0; i < nout; ++i) dst[(size_t)b * nout + i] = from[i * ld + b];
  });
  return true;
#else
  (void)g, (void)nsrc, (void)nout, (void)src, (void)reverse, (void)c, (void)st, (void)out;
  return false;
#endif
}

// Whether a lanes block exists for g (the same test lanes() makes before allocating).
bool lanes_apply(const DelayGeom& g) {
#if defined(__AVX2__) && defined(__FMA__)
  return g.B >= kSB && g.W >= 1 && g.W <= kDelayWindowDxMaxTaps;
#else
  (void)g;
  return false;
#endif
}
}  // namespace

// ∂x: outputs the inputs i, sources the outputs j; coeff and start are already [in, out, W] and [in, out].
bool delay_window_input_grad_lanes(const DelayGeom& g, const float* dy, const float* coeff, const float* start, float* dx) {
  if (!lanes_apply(g)) return false;
  std::vector<int> st((size_t)g.in * g.out);
  for (size_t k = 0; k < st.size(); ++k) st[k] = (int)start[k];
  return lanes(g, g.out, g.in, dy, false, coeff, st.data(), dx);
}

// The forward, y[t, b, j] = Σ_i Σ_m c[i, j, m] · x[t − s_ij − m, b, i]: with time reversed
// (x'[τ] = x[T − 1 − τ], y' likewise) it reads y'[τ, b, j] = Σ_i Σ_m c[i, j, m] · x'[τ + s_ij + m, b, i],
// ∂x's form with the roles of inputs and outputs swapped, so the same blocks compute it from the
// taps and starts transposed to [out, in]. Dense in x: W·T·B·in·out multiply-adds whatever the
// input's density, where the forward from the spikes costs ∝ its nonzeros.
bool delay_window_forward_lanes(const DelayGeom& g, const float* x, const float* coeff, const float* start, float* y) {
  if (!lanes_apply(g)) return false;
  std::vector<float> ct((size_t)g.out * g.in * g.W);
  std::vector<int> st((size_t)g.out * g.in);
  parallel_for((size_t)g.out, [&](size_t j, int) {
    for (int i = 0; i < g.in; ++i) {
      const size_t syn = (size_t)i * g.out + j, ji = j * g.in + i;
      st[ji] = (int)start[syn];
      std::copy(coeff + syn * g.W, coeff + (syn + 1) * g.W, ct.data() + ji * g.W);
    }
  });
  return lanes(g, g.in, g.out, x, true, ct.data(), st.data(), y);
}

}  // namespace cpu
}  // namespace exo
