// CPU LIF/IAF scans (kernels/lif.cuh), tiled as neuron_tiles.h says, and the LIF forward and
// backward fused with the AvgPool2d(2) (and Dropout) after them (exodus/host_ops.h).
#include <cstdint>
#include <vector>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "kernels/lif.cuh"
#include "dropout_factors.h"
#include "cpu_features.h"
#include "lif_linear_grad.h"
#include "lif_tiles.h"
#include "neuron_tiles.h"
#include "exodus/backend.h"

namespace exo {
namespace cpu {
namespace {

// A neuron layer followed by AvgPool2d(2) over images of width W (and a Dropout), fused
// (exodus/host_ops.h).
struct Pool2 {
  const float* g;  // the pooled gradient [T, N / 4] (backward)
  int W;
  const PoolDropout* drop;
};

// The reverse scan's adjoint λ across a boundary of time chunks (lif_backward_carry): in, λ of the
// first step after the chunk [N] (null: none); out, λ of the chunk's first step [N]. λ itself
// crosses, not ∂v0 = α·λ, so a chunked scan computes what one scan over all steps does, bit for bit.
struct Carry {
  const float* in;
  float* out;
};

// dst[j] for the tile's neurons [b, b + n) at step t: the gradient the pooling's backward (after
// the dropout's, when fused) would give them, (0 + g) / 4 as pool2d_backward computes it; b and n
// are whole row pairs. gp: step t's pooled gradient, flat: its index in the [T, N / 4] map.
inline void unpool2_tile(const float* gp, size_t flat, int W, size_t b, size_t n, float* dst, const PoolDropout* drop) {
  const size_t pair = 2 * (size_t)W;
  float dropped[kTile / 4];
  for (size_t u = 0; u < n / pair; ++u) {
    const size_t at = (b / pair + u) * (size_t)(W / 2);
    const float* src = gp + at;
    if (drop) {
      dropout_factors::dropout_range(src, dropped, (size_t)W / 2, flat + at, drop->p, drop->seed);
      src = dropped;
    }
    float* d = dst + u * pair;
    int x = 0;
#if defined(__AVX2__)
    const __m256 zero = _mm256_setzero_ps(), quarter = _mm256_set1_ps(0.25f);  // × 1/4 = / 4 exactly
    for (; x + 16 <= W; x += 16) {
      const __m256 v = _mm256_mul_ps(_mm256_add_ps(zero, _mm256_loadu_ps(src + x / 2)), quarter);
      const __m256 lo = _mm256_unpacklo_ps(v, v), hi = _mm256_unpackhi_ps(v, v);
      const __m256 d0 = _mm256_permute2f128_ps(lo, hi, 0x20), d1 = _mm256_permute2f128_ps(lo, hi, 0x31);
      _mm256_storeu_ps(d + x, d0);
      _mm256_storeu_ps(d + x + 8, d1);
      _mm256_storeu_ps(d + W + x, d0);
      _mm256_storeu_ps(d + W + x + 8, d1);
    }
#endif
    for (; x < W; ++x) d[x] = d[W + x] = (0.f + src[x / 2]) / 4.f;
  }
}

// out[ox] = ((((0 + r0[2ox]) + r0[2ox+1]) + r1[2ox]) + r1[2ox+1]) / 4 for ox < W / 2, as pool2d.
inline void pool2_rows(const float* r0, const float* r1, int W, float* out) {
  int ox = 0;
#if defined(__AVX2__)
  const __m256 zero = _mm256_setzero_ps(), quarter = _mm256_set1_ps(0.25f);
  // Even and odd elements of 16 consecutive ones, in order.
  auto split = [](const float* p, __m256& even, __m256& odd) {
    const __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
    even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0))), _MM_SHUFFLE(3, 1, 2, 0)));
    odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1))), _MM_SHUFFLE(3, 1, 2, 0)));
  };
  for (; 2 * ox + 16 <= W; ox += 8) {
    __m256 e0, o0, e1, o1;
    split(r0 + 2 * ox, e0, o0);
    split(r1 + 2 * ox, e1, o1);
    const __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(_mm256_add_ps(zero, e0), o0), e1), o1);
    _mm256_storeu_ps(out + ox, _mm256_mul_ps(s, quarter));
  }
#endif
  for (; ox < W / 2; ++ox) out[ox] = ((((0.f + r0[2 * ox]) + r0[2 * ox + 1]) + r1[2 * ox]) + r1[2 * ox + 1]) / 4.f;
}

// Where a backward tile puts ∂x: step t's n values at sink.at(t, o) (o = t·N + b), then
// sink.done(t) once the step is complete. DxRows: into dx [T, N]; lif_linear_grad.h: into a chunk
// of steps that the Linear before the layer takes its backward from, in cache.
struct DxRows {
  float* dx;
  float* at(int, size_t o) const { return dx + o; }
  void done(int) const {}
};

// The backward scan of the neurons [b, e) of one tile. Always inlined, so the AVX-512 twin below
// compiles the same loop for zmm registers.
template <Surrogate K, bool EXACT, bool HAS_H, bool SHARED, bool PLAIN, typename Sink>
__attribute__((always_inline)) inline void lif_backward_tile(const LifConfig& cfg, LifParams p, const float* g,
                                                             const float* h, const float* v, const float* x,
                                                             const float* v0, Sink& sink, float* dv0, float* dalpha,
                                                             const Pool2* pool, const Carry* carry, size_t b,
                                                             size_t e) {
  const size_t N = cfg.N;
  const int T = cfg.T;
  // A local copy: the compiler cannot prove the output stores leave a referenced config alone,
  // and reloading it every element blocks vectorisation.
  const LifConfig c = local_config(cfg, PLAIN);
  TileParams tp;
  tp.load(p, c.P, b, e);
  const size_t n = e - b;
  // Surrogate constants as separate arrays (not an array of structs) so the loop loads them
  // with plain vector loads.
  float lam[kTile], da[kTile], q0[kTile], q1[kTile];
  for (size_t j = 0; j < n; ++j) {
    // A chunk of time: λ enters from the chunk after it (λ of its first step), or 0 past the end.
    lam[j] = carry && carry->in ? carry->in[b + j] : 0.f;
    da[j] = 0.f;
    k::SgCoef q = k::surrogate_coef<K>(tp.theta[j], c.sg_scale, c.sg_width);
    q0[j] = q.c0;
    q1[j] = q.c1;
  }
  float gbuf[kTile];
  for (int t = T - 1; t >= 0; --t) {
    const size_t o = (size_t)t * N + b;
    const float* gt = g + o;
    if (pool) {
      unpool2_tile(pool->g + (size_t)t * (N / 4), (size_t)t * (N / 4), pool->W, b, n, gbuf, pool->drop);
      gt = gbuf;
    }
    const float* vt = v + o;
    float* dxt = sink.at(t, o);
    if (SHARED) {
      // One parameter set for all neurons: scalars in registers instead of five loads per step.
      const float a0 = tp.alpha[0], m0 = tp.m[0];
      const k::SgCoef q{tp.theta[0], q0[0], q1[0]};
      for (size_t j = 0; j < n; ++j) {
        float l = k::lif_adjoint_step<K, EXACT>(c, lam[j], vt[j], gt[j], HAS_H ? h[o + j] : 0.f, a0, q, m0);
        lam[j] = l;
        dxt[j] = k::lif_input_grad(c, l, a0);
      }
    } else {
      for (size_t j = 0; j < n; ++j) {
        float l = k::lif_adjoint_step<K, EXACT>(c, lam[j], vt[j], gt[j], HAS_H ? h[o + j] : 0.f, tp.alpha[j],
                                                k::SgCoef{tp.theta[j], q0[j], q1[j]}, tp.m[j]);
        lam[j] = l;
        dxt[j] = k::lif_input_grad(c, l, tp.alpha[j]);
      }
    }
    if (dalpha) {
      // ∂v[t]/∂α = v_post[t-1] (− x[t] with norm_input); v_post[t-1] is recomputed from v[t-1].
      for (size_t j = 0; j < n; ++j) {
        float vp = t > 0 ? k::lif_vpost(c, v[o - N + j], tp.theta[j], tp.m[j]) : v0[b + j];
        da[j] += k::lif_dalpha_term(c, lam[j], vp, c.norm_input ? x[o + j] : 0.f);
      }
    }
    sink.done(t);
  }
  if (dv0)
    for (size_t j = 0; j < n; ++j) dv0[b + j] = k::lif_state_grad(lam[j], tp.alpha[j]);
  if (carry && carry->out)
    for (size_t j = 0; j < n; ++j) carry->out[b + j] = lam[j];  // λ[0], for the chunk before
  if (dalpha)
    for (size_t j = 0; j < n; ++j) dalpha[b + j] = da[j];
}

#if EXO_CPU_AVX512_SCANS
// The plain configuration's backward tile compiled for AVX-512 (cpu_features.h): the same scalar
// operations per element, 16 lanes per instruction instead of 8 — the scan is two-thirds
// arithmetic (the exponential surrogate's polynomial) at the SHD sizes.
template <Surrogate K, bool EXACT, typename Sink>
__attribute__((target("avx512f"))) void lif_backward_tile_avx512(const LifConfig& cfg, LifParams p, const float* g,
                                                                 const float* v, Sink& sink, float* dv0,
                                                                 const Pool2* pool, const Carry* carry, size_t b, size_t e) {
  lif_backward_tile<K, EXACT, false, true, true>(cfg, p, g, nullptr, v, nullptr, nullptr, sink, dv0, nullptr, pool, carry, b, e);
}
#endif

// The tiles of a backward scan and each one's sink: drive(unit, tile) calls tile(b, e, sink) over
// tiles of whole `unit`s. DxTiles: neuron_tiles, writing dx [T, N].
struct DxTiles {
  const LifConfig& c;
  float* dx;
  template <typename F>
  void operator()(size_t unit, F&& tile) const {
    neuron_tiles(c.N, c.T, unit, [&](size_t b, size_t e) {
      DxRows sink{dx};
      tile(b, e, sink);
    });
  }
};

template <Surrogate K, bool EXACT, bool HAS_H, bool SHARED, bool PLAIN = false, typename Drive>
void lif_backward_scan(const LifConfig& cfg, LifParams p, const float* g, const float* h, const float* v,
                       const float* x, const float* v0, const Drive& drive, float* dv0, float* dalpha, const Pool2* pool,
                       const Carry* carry) {
  const size_t unit = pool ? 2 * (size_t)pool->W : 1;
#if EXO_CPU_AVX512_SCANS
  if constexpr (PLAIN && SHARED && !HAS_H)
    if (cpu_avx512_enabled())
      return drive(unit, [&](size_t b, size_t e, auto& sink) {
        lif_backward_tile_avx512<K, EXACT>(cfg, p, g, v, sink, dv0, pool, carry, b, e);
      });
#endif
  drive(unit, [&](size_t b, size_t e, auto& sink) {
    lif_backward_tile<K, EXACT, HAS_H, SHARED, PLAIN>(cfg, p, g, h, v, x, v0, sink, dv0, dalpha, pool, carry, b, e);
  });
}

// Picks the specialisation for an optional h and for shared (P = 1) parameters.
template <Surrogate K, bool EXACT, typename Drive>
void lif_backward_for(const LifConfig& c, LifParams p, const float* g, const float* h, const float* v,
                      const float* x, const float* v0, const Drive& dx, float* dv0, float* dalpha, const Pool2* pool,
                      const Carry* carry = nullptr) {
  bool shared = c.P == 1;
  if (!h && shared && !dalpha && plain_config(c))
    return lif_backward_scan<K, EXACT, false, true, true>(c, p, g, h, v, x, v0, dx, dv0, dalpha, pool, carry);
  if (h && shared) lif_backward_scan<K, EXACT, true, true>(c, p, g, h, v, x, v0, dx, dv0, dalpha, pool, carry);
  else if (h) lif_backward_scan<K, EXACT, true, false>(c, p, g, h, v, x, v0, dx, dv0, dalpha, pool, carry);
  else if (shared) lif_backward_scan<K, EXACT, false, true>(c, p, g, h, v, x, v0, dx, dv0, dalpha, pool, carry);
  else lif_backward_scan<K, EXACT, false, false>(c, p, g, h, v, x, v0, dx, dv0, dalpha, pool, carry);
}

}  // namespace

void lif_forward(const LifConfig& cfg, LifParams p, const float* x, float* state, float* s, float* v) {
  lif_forward_masked(cfg, p, x, state, s, v, nullptr);
}

// s may be null: the spikes then stay in a tile buffer (a checkpoint's recompute, whose output
// nobody reads, keeps only v; v may then be x itself, as each x[o] is read before v[o] is written).
void lif_forward_masked(const LifConfig& cfg, LifParams p, const float* x, float* state, float* s, float* v,
                        uint8_t* mask) {
  const size_t N = cfg.N;
  const bool plain = plain_config(cfg);
  neuron_tiles(N, cfg.T, mask ? 8 : 1, [&](size_t b, size_t e) {
    float sb[kTile];  // the tile's spikes when the caller keeps none (s null)
    auto out = [&](size_t o) { return s ? s + o : sb; };
    auto step = [&](int, size_t o, const float* st) {
      if (mask) pack_nonzero(st, e - b, mask + o / 8);  // the tile's spikes, still in L1
    };
    if (plain) lif_forward_tile<true>(cfg, p, x, rows_of(x), state, v, b, e, out, step);
    else lif_forward_tile(cfg, p, x, rows_of(x), state, v, b, e, out, step);
  });
}

void lif_forward_pool2(const LifConfig& cfg, LifParams p, const float* x, float* state, float* v, float* y, int W,
                       const PoolDropout* drop, double* spikes) {
  const size_t N = cfg.N, pair = 2 * (size_t)W, Np = N / 4;
  std::vector<double> counts(N / pair, 0.0);  // spikes per row pair: integers, exact in any order
  const bool plain = plain_config(cfg);
  neuron_tiles(N, cfg.T, pair, [&](size_t b, size_t e) {
    const size_t n = e - b;
    float sb[kTile], cnt[kTile];
    for (size_t j = 0; j < n; ++j) cnt[j] = 0.f;
    // The spikes never leave L1: counted, then AvgPool2d(2) of them, summed as pool2d sums them,
    // and the dropout's factors applied as dropout_apply applies them.
    auto out = [&](size_t) { return sb; };
    auto step = [&](int t, size_t, const float* st) {
      for (size_t j = 0; j < n; ++j) cnt[j] += st[j];
      for (size_t u = 0; u < n / pair; ++u) {
        const size_t at = (size_t)t * Np + (b / pair + u) * (size_t)(W / 2);
        pool2_rows(st + u * pair, st + u * pair + W, W, y + at);
        if (drop) dropout_factors::dropout_range(y + at, y + at, (size_t)W / 2, at, drop->p, drop->seed);
      }
    };
    if (plain) lif_forward_tile<true>(cfg, p, x, rows_of(x), state, v, b, e, out, step);
    else lif_forward_tile(cfg, p, x, rows_of(x), state, v, b, e, out, step);
    for (size_t u = 0; u < n / pair; ++u) {
      double sum = 0;
      for (size_t j = u * pair; j < (u + 1) * pair; ++j) sum += cnt[j];
      counts[b / pair + u] = sum;
    }
  });
  double total = 0;
  for (double c : counts) total += c;
  *spikes = total;
}

void lif_backward_pool2(const LifConfig& c, NeuronGrad method, LifParams p, const float* gpool, int W, const float* h,
                        const float* v, const float* x, const float* v0, float* dx, float* dv0, float* dalpha,
                        const PoolDropout* drop) {
  const Pool2 pool{gpool, W, drop};
  k::with_scan(c.sg, method == NeuronGrad::Exodus, [&](auto t) {
    lif_backward_for<decltype(t)::kind, decltype(t)::exact>(c, p, nullptr, h, v, x, v0, DxTiles{c, dx}, dv0, dalpha, &pool);
  });
}

void lif_backward(const LifConfig& c, NeuronGrad method, LifParams p, const float* g, const float* h,
                  const float* v, const float* x, const float* v0, float* dx, float* dv0, float* dalpha) {
  k::with_scan(c.sg, method == NeuronGrad::Exodus, [&](auto t) {
    lif_backward_for<decltype(t)::kind, decltype(t)::exact>(c, p, g, h, v, x, v0, DxTiles{c, dx}, dv0, dalpha, nullptr);
  });
}

void lif_backward_linear(const LifConfig& c, NeuronGrad method, LifParams p, const float* g, const float* h,
                         const float* v, const float* v0, float* dv0, float* dalpha, const int32_t* offsets,
                         const int32_t* cols, const float* vals, int features, const float* w, int out, float* dw,
                         float* db, float* dx_in, const float* lam_in, float* lam_out) {
  const LinearGradArgs L{offsets, cols, vals, features, out, w, dw, db, dx_in};
  const Carry carry{lam_in, lam_out};
  k::with_scan(c.sg, method == NeuronGrad::Exodus, [&](auto t) {
    lif_backward_for<decltype(t)::kind, decltype(t)::exact>(c, p, g, h, v, nullptr, v0, LinearGradTiles{c, L}, dv0, dalpha, nullptr, &carry);
  });
}

void lif_backward_carry(const LifConfig& c, NeuronGrad method, LifParams p, const float* g, const float* h,
                        const float* v, const float* x, const float* v0, float* dx, float* dv0, float* dalpha,
                        const float* lam_in, float* lam_out) {
  const Carry carry{lam_in, lam_out};
  k::with_scan(c.sg, method == NeuronGrad::Exodus, [&](auto t) {
    lif_backward_for<decltype(t)::kind, decltype(t)::exact>(c, p, g, h, v, x, v0, DxTiles{c, dx}, dv0, dalpha, nullptr, &carry);
  });
}
}  // namespace cpu
}  // namespace exo
