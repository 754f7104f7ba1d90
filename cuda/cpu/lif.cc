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

struct TileParams {
  float alpha[kTile], theta[kTile], m[kTile];
  void load(LifParams p, size_t P, size_t b, size_t e) {
    load_tile(alpha, p.alpha, P, b, e);
    load_tile(theta, p.theta, P, b, e);
    load_tile(m, p.m, P, b, e);
  }
};

// The configs' LIF (subtractive reset, single spikes, no clamp, no input scaling): with these
// fields known at compile time the loops carry no blend per element for the other modes (GCC
// if-converts the runtime tests on c.reset, c.has_vmin, c.norm_input into both branches and a
// select), ~20 % fewer instructions per element in the backward. Same operations, same results.
inline bool plain_config(const LifConfig& c) {
  return c.reset == ResetMode::Subtract && !c.multi_spike && !c.has_vmin && !c.norm_input;
}
inline LifConfig local_config(const LifConfig& cfg, bool plain) {
  LifConfig c = cfg;
  if (plain) {
    c.reset = ResetMode::Subtract;
    c.multi_spike = 0;
    c.has_vmin = 0;
    c.norm_input = 0;
  }
  return c;
}

// The backward scan of the neurons [b, e) of one tile. Always inlined, so the AVX-512 twin below
// compiles the same loop for zmm registers.
template <Surrogate K, bool EXACT, bool HAS_H, bool SHARED, bool PLAIN>
__attribute__((always_inline)) inline void lif_backward_tile(const LifConfig& cfg, LifParams p, const float* g,
                                                             const float* h, const float* v, const float* x,
                                                             const float* v0, float* dx, float* dv0, float* dalpha,
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
    float* dxt = dx + o;
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
template <Surrogate K, bool EXACT>
__attribute__((target("avx512f"))) void lif_backward_tile_avx512(const LifConfig& cfg, LifParams p, const float* g,
                                                                 const float* v, float* dx, float* dv0,
                                                                 const Pool2* pool, const Carry* carry, size_t b, size_t e) {
  lif_backward_tile<K, EXACT, false, true, true>(cfg, p, g, nullptr, v, nullptr, nullptr, dx, dv0, nullptr, pool, carry, b, e);
}
#endif

template <Surrogate K, bool EXACT, bool HAS_H, bool SHARED, bool PLAIN = false>
void lif_backward_scan(const LifConfig& cfg, LifParams p, const float* g, const float* h, const float* v,
                       const float* x, const float* v0, float* dx, float* dv0, float* dalpha, const Pool2* pool,
                       const Carry* carry) {
#if EXO_CPU_AVX512_SCANS
  if constexpr (PLAIN && SHARED && !HAS_H)
    if (cpu_avx512_enabled())
      return neuron_tiles(cfg.N, cfg.T, pool ? 2 * (size_t)pool->W : 1, [&](size_t b, size_t e) {
        lif_backward_tile_avx512<K, EXACT>(cfg, p, g, v, dx, dv0, pool, carry, b, e);
      });
#endif
  neuron_tiles(cfg.N, cfg.T, pool ? 2 * (size_t)pool->W : 1, [&](size_t b, size_t e) {
    lif_backward_tile<K, EXACT, HAS_H, SHARED, PLAIN>(cfg, p, g, h, v, x, v0, dx, dv0, dalpha, pool, carry, b, e);
  });
}

// Picks the specialisation for an optional h and for shared (P = 1) parameters.
template <Surrogate K, bool EXACT>
void lif_backward_for(const LifConfig& c, LifParams p, const float* g, const float* h, const float* v,
                      const float* x, const float* v0, float* dx, float* dv0, float* dalpha, const Pool2* pool,
                      const Carry* carry = nullptr) {
  bool shared = c.P == 1;
  if (!h && shared && !dalpha && plain_config(c))
    return lif_backward_scan<K, EXACT, false, true, true>(c, p, g, h, v, x, v0, dx, dv0, dalpha, pool, carry);
  if (h && shared) lif_backward_scan<K, EXACT, true, true>(c, p, g, h, v, x, v0, dx, dv0, dalpha, pool, carry);
  else if (h) lif_backward_scan<K, EXACT, true, false>(c, p, g, h, v, x, v0, dx, dv0, dalpha, pool, carry);
  else if (shared) lif_backward_scan<K, EXACT, false, true>(c, p, g, h, v, x, v0, dx, dv0, dalpha, pool, carry);
  else lif_backward_scan<K, EXACT, false, false>(c, p, g, h, v, x, v0, dx, dv0, dalpha, pool, carry);
}

// The LIF forward scan over the neurons [b, e) of one tile: the membranes into v, step t's spikes
// into out(o) (o = t·N + b; n floats), then step(t, o, spikes) while they are in L1.
template <bool PLAIN = false, typename Out, typename Step>
void lif_forward_tile(const LifConfig& cfg, LifParams p, const float* x, float* state, float* v, size_t b, size_t e,
                      Out&& out, Step&& step) {
  const LifConfig c = local_config(cfg, PLAIN);  // local: see lif_backward_scan
  const size_t N = c.N;
  TileParams tp;
  tp.load(p, c.P, b, e);
  const size_t n = e - b;
  float vp[kTile];
  for (size_t j = 0; j < n; ++j) vp[j] = state[b + j];
  for (int t = 0; t < c.T; ++t) {
    const size_t o = (size_t)t * N + b;
    float* s = out(o);
    if (t + kPrefetchSteps < c.T) {
      const size_t ahead = o + (size_t)kPrefetchSteps * N;
      prefetch_row(x + ahead, n);
      prefetch_row(v + ahead, n, true);
      prefetch_row(out(ahead), n, true);
    }
    for (size_t j = 0; j < n; ++j) {
      float vt = k::lif_integrate(c, vp[j], x[o + j], tp.alpha[j]);
      float st = k::spike_fn(vt, tp.theta[j], c.multi_spike, c.max_spikes);
      v[o + j] = vt;
      s[j] = st;
      vp[j] = k::lif_reset(c, vt, st, tp.m[j]);
    }
    step(t, o, s);
  }
  for (size_t j = 0; j < n; ++j) state[b + j] = vp[j];
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
    if (plain) lif_forward_tile<true>(cfg, p, x, state, v, b, e, out, step);
    else lif_forward_tile(cfg, p, x, state, v, b, e, out, step);
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
    if (plain) lif_forward_tile<true>(cfg, p, x, state, v, b, e, out, step);
    else lif_forward_tile(cfg, p, x, state, v, b, e, out, step);
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
    lif_backward_for<decltype(t)::kind, decltype(t)::exact>(c, p, nullptr, h, v, x, v0, dx, dv0, dalpha, &pool);
  });
}

void lif_backward(const LifConfig& c, NeuronGrad method, LifParams p, const float* g, const float* h,
                  const float* v, const float* x, const float* v0, float* dx, float* dv0, float* dalpha) {
  k::with_scan(c.sg, method == NeuronGrad::Exodus, [&](auto t) {
    lif_backward_for<decltype(t)::kind, decltype(t)::exact>(c, p, g, h, v, x, v0, dx, dv0, dalpha, nullptr);
  });
}

void lif_backward_carry(const LifConfig& c, NeuronGrad method, LifParams p, const float* g, const float* h,
                        const float* v, const float* x, const float* v0, float* dx, float* dv0, float* dalpha,
                        const float* lam_in, float* lam_out) {
  const Carry carry{lam_in, lam_out};
  k::with_scan(c.sg, method == NeuronGrad::Exodus, [&](auto t) {
    lif_backward_for<decltype(t)::kind, decltype(t)::exact>(c, p, g, h, v, x, v0, dx, dv0, dalpha, nullptr, &carry);
  });
}
}  // namespace cpu
}  // namespace exo
