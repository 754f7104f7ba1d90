// The AVX-512 block of the window path's ∂x (delay_window_dx_avx512.h). One zmm holds 16 samples
// of a dy row, so a block of 16 samples is one vector per row (delay_window_dx.cc's 16-sample
// chunks and L1 blocking stay as they are), and with 32 registers a block takes 8 steps: 8
// accumulators, the synapse's W taps broadcast once per output, and one row in flight. Each loaded
// row of output j then serves up to W of the 8 steps: (W + 7) loads and W broadcasts feed 8·W
// multiply-adds of 16 lanes, where the AVX2 block spends (W + 3)·2 loads and 4·W broadcasts on
// 4·W·2 multiply-adds of 8 lanes. A last block of 4 steps keeps T 100 from being padded to 104.
#include "delay_window_dx_avx512.h"

#include <utility>

#include "cpu_features.h"

#if EXO_CPU_AVX512_SCANS
#include <immintrin.h>
#endif

namespace exo {
namespace cpu {
namespace {

constexpr int kSteps = 8;     // steps of dx per block
constexpr int kTail = 4;      // steps of the last block, where the steps are 4 short of a block
constexpr int kSamples = 16;  // samples per block: one zmm

#if EXO_CPU_AVX512_SCANS
template <int W, int S>
__attribute__((target("avx512f"))) void block512(float* __restrict out, size_t out_step, bool first, const float* __restrict dyj, size_t jstep,
                                                 size_t rstep, const int* __restrict off, const float* __restrict c, int count) {
  __m512 a[S];
#pragma GCC unroll 8
  for (int tt = 0; tt < S; ++tt) a[tt] = first ? _mm512_setzero_ps() : _mm512_load_ps(out + tt * out_step);
  for (int j = 0; j < count; ++j) {
    const float* base = dyj + j * jstep + (size_t)off[j] * rstep;
    // The taps broadcast once per output where they fit in registers beside the S accumulators
    // and the row (W <= kHeldTaps); wider windows broadcast each tap from memory at its
    // multiply-add (a load per multiply-add, but W + S − 1 rows feed S·W of them). The same
    // multiply-adds in the same order either way.
    constexpr int kHeldTaps = 16;
    __m512 cq[W <= kHeldTaps ? W : 1];
    const float* cj = c + (size_t)j * W;
    if constexpr (W <= kHeldTaps) {
#pragma GCC unroll 16
      for (int q = 0; q < W; ++q) cq[q] = _mm512_set1_ps(cj[q]);
    }
    // Row r of the output reaches step tt through tap q = r − tt: per step, q ascends with r, as
    // in the AVX2 block.
#pragma GCC unroll 40
    for (int r = 0; r < W + S - 1; ++r) {
      __m512 row = _mm512_load_ps(base + r * rstep);
      // Held in a register: g++ otherwise folds the load into each of its W multiply-adds, and
      // the loads, not the multiply-adds, then bound the block.
      __asm__("" : "+v"(row));
#pragma GCC unroll 8
      for (int tt = 0; tt < S; ++tt)
        if (r - tt >= 0 && r - tt < W) {
          if constexpr (W <= kHeldTaps) a[tt] = _mm512_fmadd_ps(cq[r - tt], row, a[tt]);
          else a[tt] = _mm512_fmadd_ps(_mm512_set1_ps(cj[r - tt]), row, a[tt]);
        }
    }
  }
#pragma GCC unroll 8
  for (int tt = 0; tt < S; ++tt) _mm512_store_ps(out + tt * out_step, a[tt]);
}

template <int S, int... Ws>
DxBlockFn block512_table(int W, std::integer_sequence<int, Ws...>) {
  DxBlockFn fns[] = {nullptr, &block512<Ws + 1, S>...};
  return W >= 1 && W <= (int)sizeof...(Ws) ? fns[W] : nullptr;
}
#endif

}  // namespace

DxBlock delay_window_dx_block_avx512(int W) {
#if EXO_CPU_AVX512_SCANS
  const auto taps = std::make_integer_sequence<int, kDelayWindowDxMaxTaps>{};
  return {block512_table<kSteps>(W, taps), kSteps, kSamples, block512_table<kTail>(W, taps), kTail};
#else
  (void)W;
  return {nullptr, kSteps, kSamples, nullptr, kTail};
#endif
}

}  // namespace cpu
}  // namespace exo
