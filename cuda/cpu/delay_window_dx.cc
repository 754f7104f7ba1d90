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

bool delay_window_input_grad_lanes(const DelayGeom& g, const float* dy, const float* coeff, const float* start, float* dx) {
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
  // dy as [out, L, Bp], zeros past T and past B; 32-byte aligned rows (Bp is a multiple of 16).
  Aligned D((size_t)g.out * jstep), X((size_t)g.in * Tb * Bp);
  if (!D.p || !X.p) return false;
  // Zeros where no step of dy lands: the rows past T of every output, the samples past B of the others.
  parallel_for((size_t)g.out, [&](size_t j, int) { std::fill(D.p + j * jstep + (size_t)g.T * rstep, D.p + (j + 1) * jstep, 0.f); });
  parallel_for((size_t)g.T, [&](size_t t, int) {
    const float* src = dy + t * g.B * g.out;
    float* dst = D.p + t * rstep;
    if (g.B < Bp)
      for (int j = 0; j < g.out; ++j) std::fill(dst + j * jstep + g.B, dst + j * jstep + Bp, 0.f);
    const int B8 = g.B / 8 * 8, J8 = g.out / 8 * 8;
    for (int b = 0; b < B8; b += 8)
      for (int j = 0; j < J8; j += 8) transpose8(src + (size_t)b * g.out + j, (size_t)g.out, dst + j * jstep + b, jstep);
    for (int b = 0; b < g.B; ++b)
      for (int j = b < B8 ? J8 : 0; j < g.out; ++j) dst[j * jstep + b] = src[(size_t)b * g.out + j];
  });
  std::vector<int> st((size_t)g.in * g.out);
  for (size_t k = 0; k < st.size(); ++k) st[k] = (int)start[k];
  // dx as [in, Tb, Bp] (X), then back to [T, B, in].
  // Chunks of kI inputs and 16 samples; inside, the outputs kJ at a time (their rows of dy, kJ·L·16
  // floats, stay in L1 while every input and step block of the chunk reads them), each dx block
  // carried from one output block to the next in X.
  constexpr int kI = 32, kJ = 8;
  const int nb = Bp / sb, nic = (g.in + kI - 1) / kI;
  parallel_for((size_t)nb * nic, [&](size_t c, int) {
    const int b0 = (int)(c / nic) * sb, i0 = (int)(c % nic) * kI, i1 = std::min(g.in, i0 + kI);
    for (int j0 = 0; j0 < g.out; j0 += kJ)
      for (int i = i0; i < i1; ++i) {
        const size_t syn = (size_t)i * g.out + j0;
        for (int t0 = 0; t0 < Tb;) {
          const bool full = t0 + tb <= Tb;
          (full ? fn : blk.tail)(X.p + ((size_t)i * Tb + t0) * Bp + b0, rstep, j0 == 0, D.p + j0 * jstep + (size_t)t0 * rstep + b0, jstep, rstep,
                                 st.data() + syn, coeff + syn * g.W, std::min(kJ, g.out - j0));
          t0 += full ? tb : ts;
        }
      }
  });
  parallel_for((size_t)g.T, [&](size_t t, int) {
    float* dst = dx + t * g.B * g.in;
    const float* src = X.p + t * Bp;
    const size_t ld = (size_t)Tb * Bp;
    const int B8 = g.B / 8 * 8, I8 = g.in / 8 * 8;
    for (int b = 0; b < B8; b += 8)
      for (int i = 0; i < I8; i += 8) transpose8(src + i * ld + b, ld, dst + (size_t)b * g.in + i, (size_t)g.in);
    for (int b = 0; b < g.B; ++b)
      for (int i = b < B8 ? I8 : 0; i < g.in; ++i) dst[(size_t)b * g.in + i] = src[i * ld + b];
  });
  return true;
#else
  (void)g, (void)dy, (void)coeff, (void)start, (void)dx;
  return false;
#endif
}

}  // namespace cpu
}  // namespace exo
