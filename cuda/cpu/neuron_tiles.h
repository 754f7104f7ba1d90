// The tiling every CPU neuron scan shares (cpu/lif.cc, alif.cc, expleak.cc, srm.cc): each thread
// owns a contiguous range of neurons and walks it in tiles of kTile; for a tile, t runs forward (or
// backward) and the inner loop covers the tile's neurons, which are contiguous at every step in
// time-major memory, so it vectorises, and the tile's state and parameters stay in L1 for the
// whole scan. Work is O(T) per neuron.
#pragma once
#include <cstddef>
#include <cstdint>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "parallel.h"

namespace exo {
namespace cpu {

constexpr size_t kTile = 512;

// A neuron scan is T steps of work per neuron: go parallel once there are enough neurons.
template <typename F>
void parallel_neurons(size_t N, int T, F&& f) {
  size_t min_neurons = kParallelMin / (size_t)(T > 0 ? T : 1) + 1;
  parallel_chunks(N, [&](size_t b, size_t e) {
    for (size_t t0 = b; t0 < e; t0 += kTile) f(t0, t0 + kTile < e ? t0 + kTile : e);
  }, min_neurons);
}

// The per-neuron copy of a parameter array for neurons [b, e): dst[i - b] = p[i % P], so the scan
// loops read it without a modulo.
inline void load_tile(float* dst, const float* p, size_t P, size_t b, size_t e) {
  for (size_t i = b; i < e; ++i) dst[i - b] = p[i % P];
}

// mask[j / 8] bit j % 8 = (x[j] != 0) for j in [0, n), n a multiple of 8.
inline void pack_nonzero(const float* x, size_t n, uint8_t* mask) {
  size_t j = 0;
#if defined(__AVX2__)
  const __m256 zero = _mm256_setzero_ps();
  for (; j + 8 <= n; j += 8)
    mask[j / 8] = (uint8_t)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + j), zero, _CMP_NEQ_UQ));
#endif
  for (; j < n; j += 8) {
    unsigned m = 0;
    for (size_t q = 0; q < 8 && j + q < n; ++q) m |= (x[j + q] != 0.f ? 1u : 0u) << q;
    mask[j / 8] = (uint8_t)m;
  }
}

// Software prefetch of the n floats at p, one hint per 64-byte line. A tile's rows are 2 KiB
// (kTile floats) at a stride of N floats: every step of a scan starts a new 4 KiB page, where the
// hardware's stream prefetchers restart, so the scans stalled on their loads (perf: ~half the
// cycles of the LIF forward on the first load of each row). Hinting the next step's rows
// (kPrefetchSteps) keeps them in flight: the LIF forward 15-20 % faster at 1 thread; farther
// ahead was slower, and the backward (more arithmetic per element) measured no gain, so it has
// none. `write`: the line will be stored to.
constexpr int kPrefetchSteps = 1;
inline void prefetch_row(const float* p, size_t n, bool write = false) {
  for (size_t i = 0; i < n; i += 16) {
    if (write) __builtin_prefetch(p + i, 1, 3);
    else __builtin_prefetch(p + i, 0, 3);
  }
}

// scan(b, e) over tiles of [0, N) in parallel, every tile a whole number of `unit` neurons (N a
// multiple of it, unit <= kTile): 8 for a spike mask, so each mask byte is written by the one
// thread that computed its 8 spikes; two image rows for a fused 2×2 pooling, so each pooled
// value's four neurons are in one tile.
template <typename F>
void neuron_tiles(size_t N, int T, size_t unit, F&& scan) {
  if (unit <= 1) return parallel_neurons(N, T, scan);
  const size_t tile = kTile / unit * unit;
  parallel_neurons(N / unit, T * (int)unit, [&](size_t b, size_t e) {
    for (size_t t0 = b * unit; t0 < e * unit; t0 += tile) scan(t0, t0 + tile < e * unit ? t0 + tile : e * unit);
  });
}

}  // namespace cpu
}  // namespace exo
