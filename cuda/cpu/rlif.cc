// CPU recurrent LIF scans (kernels/rlif.cuh): one scan per batch row, the rows in fixed chunks over
// the worker pool. The recurrent product of a step is a GEMV of the row's H neurons inside the
// loop over t, never a call back to JavaScript:
//   forward  rec = V·s[t-1] as the sum of the rows of Vᵀ whose neuron spiked (spikes are sparse,
//            and each row of Vᵀ is contiguous; the spikes found 8 neurons per compare);
//   backward r = Vᵀ·λ[t+1] for up to 8 batch rows at once, one small GEMM per step, and
//            ∂V += λ[t]·s[t-1]ᵀ, again only over the neurons that spiked.
// ∂V is accumulated per chunk of rows and the chunks are summed in order, so the result does not
// depend on the thread count.
#include <cstring>
#include <vector>

#include "kernels/rlif.cuh"
#include "cpu_features.h"
#include "exp_adjoint_avx.h"
#include "exp_adjoint_avx512.h"
#include "output_sparse_rows.h"
#include "packed_rows_gemm.h"
#include "parallel.h"
#include "recurrent_rows.h"
#include "sparse_rows.h"
#include "exodus/backend.h"

namespace exo {
namespace cpu {
namespace {

// One step of one batch row, kept out of the scans so that its pointers can be __restrict (they
// never alias) and the config a local copy (its branches then leave the loop): the compiler
// vectorises them. The arithmetic is the scalar kernels'.
void integrate_row(const LifConfig l, size_t H, const float* __restrict up, const float* __restrict x,
                   const float* __restrict rec, const float* __restrict bias, const float* __restrict alpha,
                   const float* __restrict theta, float* __restrict v, float* __restrict s) {
  for (size_t i = 0; i < H; ++i) {
    const float vt = k::rlif_integrate(l, up[i], x[i], rec[i], bias[i], alpha[i]);
    v[i] = vt;
    s[i] = k::spike_fn(vt, theta[i], 0, 0.f);
  }
}

// The adjoint of one row. RESET is a template argument and the LIF config is rebuilt here with the
// fields a recurrent layer fixes (no clamp, no input scaling) as constants: with them loaded from
// memory, GCC kept lif_adjoint_step's branches on the reset mode and the clamp inside the loop.
// The exponential surrogate (the default) still does not vectorise (exp_approx's select is not
// if-converted there): its 8-lane form is written out in exp_adjoint_avx.h, bit for bit the same.
template <Surrogate K, bool EXACT, ResetMode RESET>
void adjoint_row(size_t H, const float* __restrict theta, const float* __restrict alpha, const float* __restrict m,
                 const float* __restrict q0, const float* __restrict q1, const float* __restrict lam_next,
                 const float* __restrict r, const float* __restrict v, const float* __restrict g,
                 const float* __restrict h, float* __restrict lam, float* __restrict dx) {
  LifConfig l;
  l.reset = RESET;
  size_t i = 0;
#if defined(__AVX2__) && defined(__FMA__)
  if constexpr (K == Surrogate::Exponential)
    for (; i + 8 <= H; i += 8) {
      const __m256 li = exp_adjoint8<EXACT, RESET>(theta + i, alpha + i, m + i, q0 + i, q1 + i, lam_next + i, r + i, v + i, g + i, h + i);
      _mm256_storeu_ps(lam + i, li);
      _mm256_storeu_ps(dx + i, li);
    }
#endif
  for (; i < H; ++i) {
    const k::SgCoef q{theta[i], q0[i], q1[i]};
    const float li = k::rlif_adjoint_step<K, EXACT>(l, lam_next[i], r[i], v[i], g[i], h[i], alpha[i], q, m[i]);
    lam[i] = li;
    dx[i] = li;
  }
}

// ∂α and ∂b sums of one row at step t > 0, v_post[t-1] recomputed from v[t-1].
void param_sums_row(const LifConfig l, size_t H, const float* __restrict theta, const float* __restrict m,
                    const float* __restrict lam, const float* __restrict vprev, float* __restrict da, float* __restrict db) {
  for (size_t j = 0; j < H; ++j) {
    const float sp = k::rlif_prev_spike(vprev[j], theta[j]);
    da[j] += lam[j] * k::lif_reset(l, vprev[j], sp, m[j]);
    db[j] += lam[j];
  }
}

// σ(v[t]) of one row, into sg: branch-free for the compact surrogates, so it vectorises.
template <Surrogate K>
void surrogate_row(size_t H, const float* __restrict theta, const float* __restrict q0, const float* __restrict q1,
                   const float* __restrict v, float* __restrict sg) {
  for (size_t i = 0; i < H; ++i) sg[i] = k::surrogate_eval<K>(v[i], k::SgCoef{theta[i], q0[i], q1[i]});
}

// f(j) for every j with v[j] ≥ θ[j] (s[t−1] = rlif_prev_spike = 1 there, 0 elsewhere, NaN included),
// in ascending j; 8 compares at a time, since a neuron spikes in about one step of fifty.
template <typename F>
inline void for_spiking(const float* __restrict v, const float* __restrict theta, size_t H, F&& f) {
  size_t j = 0;
#if defined(__AVX2__)
  for (; j + 8 <= H; j += 8) {
    unsigned m = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(v + j), _mm256_loadu_ps(theta + j), _CMP_GE_OQ));
    for (; m; m &= m - 1) f(j + (size_t)__builtin_ctz(m));
  }
#endif
  for (; j < H; ++j)
    if (k::rlif_prev_spike(v[j], theta[j]) != 0.f) f(j);
}

// With a compact surrogate, a step whose block has at most this share of its neurons inside the
// window computes r only for those (output_sparse_rows.h); above it, the dense product pays. On the
// recurrent SHD step (1 thread, CPU time per step, all steps one way or the other): 36 % inside,
// 172 ms sparse / 211 dense; 61 %, 188 / 182; 90 %, 211 / 174. With the AVX-512 tile the dense
// product costs half as much and the crossover is lower (the triangle step, 35 % inside, 110–114 ms
// CPU with the output-sparse steps, 103–106 ms all dense), but the choice must not depend on the
// instruction set: the two paths sum in different orders, and the AVX-512 twins give the AVX2
// code's bits (cpu_features.h). So one threshold for both.
constexpr float kOutputSparseMax = 0.5f;

// Rows scanned together by the backward: r = Vᵀ·λ[t+1] for all of them is one small GEMM per
// step, which reads V once for the block instead of once per batch row (two 4-row tiles).
constexpr size_t kRows = 8;

template <Surrogate K, bool EXACT>
void backward_rows(const RlifConfig& c, RlifParams p, const float* g, const float* h, const float* v,
                   const float* v0, const float* s0, float* dx, float* dv0, float* ds0, RlifGrads gr,
                   float* dwt_chunk, const PackedRowsGemm& vw, const float* vt, size_t r0, size_t r1) {
  const LifConfig l = k::rlif_as_lif(c);
  const size_t H = c.P, N = c.N, nb = r1 - r0;
  const int T = c.T;
  std::vector<float> q0(H), q1(H), zeros(H, 0.f);
  const bool wide = cpu_avx512_enabled();  // exp_adjoint_avx512.h's twin (the same bits)
  for (size_t i = 0; i < H; ++i) {
    k::SgCoef q = k::surrogate_coef<K>(p.theta[i], c.sg_scale, c.sg_width);
    q0[i] = q.c0;
    q1[i] = q.c1;
  }
  // Per row u of the block: λ[t], λ[t+1], r, and the ∂α, ∂b sums, each [H].
  std::vector<float> lam(nb * H), lam_next(nb * H, 0.f), r(nb * H), da(nb * H, 0.f), db(nb * H, 0.f);
  // Compact surrogates: σ of the step's rows and, per row, the neurons where it is not 0.
  constexpr bool kCompact = K == Surrogate::Triangle || K == Surrogate::Rectangle;
  std::vector<float> sg(kCompact ? H : 0);
  std::vector<int> window(kCompact ? nb * H : 0);
  std::vector<size_t> in_window(kCompact ? nb : 0);
  for (int t = T - 1; t >= -1; --t) {
    // r_u = Vᵀ·λ_u[t+1], the gradient reaching s[t] through the recurrent weights: R = Λ·V for
    // the block's rows, one small GEMM against V packed once per call (packed_rows_gemm.h).
    if (t < 0) {
      if (ds0) {
        vw.multiply(lam_next.data(), H, nb, r.data(), H);
        for (size_t u = 0; u < nb; ++u) std::memcpy(ds0 + (r0 + u) * H, r.data() + u * H, H * sizeof(float));
      }
      break;
    }
    bool sparse = false;
    if constexpr (kCompact) {
      // r_i only multiplies σ_i[t]: where σ is exactly 0 it is not needed (docs/neurons.md).
      size_t count = 0;
      for (size_t u = 0; u < nb; ++u) {
        surrogate_row<K>(H, p.theta, q0.data(), q1.data(), v + (size_t)t * N + (r0 + u) * H, sg.data());
        int* w = window.data() + u * H;
        size_t n = 0;
        sparse_rows::for_nonzero(sg.data(), (int)H, [&](int i, float) { w[n++] = i; });
        in_window[u] = n;
        count += n;
      }
      sparse = (float)count <= kOutputSparseMax * (float)(nb * H);
      if (sparse)
        for (size_t u = 0; u < nb; ++u) {
          float* ru = r.data() + u * H;
          std::fill(ru, ru + H, 0.f);
          output_sparse_dots(lam_next.data() + u * H, vt, H, window.data() + u * H, in_window[u], ru);
        }
    }
    if (!sparse) vw.multiply(lam_next.data(), H, nb, r.data(), H);
    for (size_t u = 0; u < nb; ++u) {
      const size_t row = (r0 + u) * H, o = (size_t)t * N + row;
      float* lu = lam.data() + u * H;
      const float* ln = lam_next.data() + u * H;
      const float* ru = r.data() + u * H;
      const float* hu = h ? h + o : zeros.data();
      // s[t-1] and v_post[t-1]: from v[t-1], or the initial state at t = 0.
      float* dau = da.data() + u * H;
      float* dbu = db.data() + u * H;
      const float* vp = t > 0 ? v + o - N : nullptr;
      // The AVX-512 twin takes the first w neurons (a multiple of 16), with their ∂α, ∂b sums at
      // t > 0; the AVX2 code the rest.
      size_t w = 0;
#if EXO_CPU_AVX512_SCANS
      if constexpr (K == Surrogate::Exponential)
        if (wide) {
          w = H & ~size_t(15);
          exp_adjoint_row_avx512(EXACT, l.reset, w, p.theta, p.alpha, p.m, q0.data(), q1.data(), ln, ru, v + o, g + o, hu, vp,
                                 lu, dx + o, dau, dbu);
        }
#endif
      if (l.reset == ResetMode::Zero)
        adjoint_row<K, EXACT, ResetMode::Zero>(H - w, p.theta + w, p.alpha + w, p.m + w, q0.data() + w, q1.data() + w, ln + w,
                                               ru + w, v + o + w, g + o + w, hu + w, lu + w, dx + o + w);
      else
        adjoint_row<K, EXACT, ResetMode::Subtract>(H - w, p.theta + w, p.alpha + w, p.m + w, q0.data() + w, q1.data() + w,
                                                   ln + w, ru + w, v + o + w, g + o + w, hu + w, lu + w, dx + o + w);
      // Two passes over j: the dense ∂α, ∂b sums (branch-free, so the compiler vectorises them),
      // then ∂Vᵀ[j][:] += s_j·λ over the few neurons that spiked.
      const float* sprev = s0 + row;
      if (t > 0) {
        param_sums_row(l, H - w, p.theta + w, p.m + w, lu + w, vp + w, dau + w, dbu + w);
        for_spiking(vp, p.theta, H, [&](size_t j) { axpy(1.f, lu, dwt_chunk + j * H, H); });
      } else {
        for (size_t j = 0; j < H; ++j) {
          dau[j] += lu[j] * v0[row + j];
          dbu[j] += lu[j];
          if (sprev[j] != 0.f) axpy(sprev[j], lu, dwt_chunk + j * H, H);
        }
      }
    }
    std::swap(lam, lam_next);
  }
  // lam_next holds λ[0] now.
  for (size_t u = 0; u < nb; ++u) {
    const size_t row = (r0 + u) * H;
    for (size_t i = 0; i < H; ++i) {
      if (dv0) dv0[row + i] = k::lif_state_grad(lam_next[u * H + i], p.alpha[i]);
      if (gr.dalpha) gr.dalpha[row + i] = da[u * H + i];
      if (gr.dbias) gr.dbias[row + i] = db[u * H + i];
    }
  }
}

}  // namespace

// The table passes the views one by one, in neurons.h's EXO_RLIF_FORWARD order.
void rlif_forward(const RlifConfig& c, const float* alpha, const float* theta, const float* m, const float* bias,
                  const float* w, const float* x, float* vs, float* ss, float* s, float* v) {
  const RlifParams p{alpha, theta, m, bias, w};
  const size_t H = c.P, B = c.N / c.P, N = c.N;
  const std::vector<float> wt = transposed(p.w, H);
  const std::vector<float> bias_or_0 = p.bias ? std::vector<float>(p.bias, p.bias + H) : std::vector<float>(H, 0.f);
  const size_t chunks = row_chunks(B);
  parallel_for(chunks, [&](size_t ch, int) {
    const LifConfig l = k::rlif_as_lif(c);
    std::vector<float> rec(H), up(H), spv(H);
    std::vector<size_t> spk(H);
    const size_t b0 = ch * B / chunks, b1 = (ch + 1) * B / chunks;
    // All the chunk's rows at step t, then step t+1: the rows' x[t], v[t] and s[t] are one
    // contiguous run of (b1 − b0)·H floats, where one row at a time through all t touched 1 KB
    // every N floats (a new page each step, which the hardware prefetcher does not follow):
    // 26 → 19 ms CPU time per forward at the recurrent SHD sizes. (A software prefetch of the
    // next step's x measured no faster on top.) Each row's arithmetic is unchanged.
    for (int t = 0; t < c.T; ++t) {
      for (size_t b = b0; b < b1; ++b) {
        const size_t row = b * H;
        const size_t o = (size_t)t * N + row;
        const float* sprev = t > 0 ? s + o - N : ss + row;
        const float* uprev_v = t > 0 ? v + o - N : nullptr;
        spike_driven_sums(sprev, wt.data(), H, spk.data(), spv.data(), rec.data());
        // v_post[t-1]: recomputed from v[t-1] and s[t-1], or the state at t = 0.
        if (uprev_v)
          for (size_t i = 0; i < H; ++i) up[i] = k::lif_reset(l, uprev_v[i], sprev[i], p.m[i]);
        else
          std::memcpy(up.data(), vs + row, H * sizeof(float));
        integrate_row(l, H, up.data(), x + o, rec.data(), bias_or_0.data(), p.alpha, p.theta, v + o, s + o);
      }
    }
    if (c.T > 0)
      for (size_t b = b0; b < b1; ++b) {
        const size_t row = b * H, o = (size_t)(c.T - 1) * N + row;
        for (size_t i = 0; i < H; ++i) {
          vs[row + i] = k::lif_reset(l, v[o + i], s[o + i], p.m[i]);
          ss[row + i] = s[o + i];
        }
      }
  });
}

void rlif_backward(const RlifConfig& c, NeuronGrad method, const float* alpha, const float* theta, const float* m,
                   const float* bias, const float* w, const float* g, const float* h, const float* v, const float* v0,
                   const float* s0, float* dx, float* dv0, float* ds0, float* dalpha, float* dbias, float* dw) {
  const RlifParams p{alpha, theta, m, bias, w};
  const RlifGrads gr{dalpha, dbias, dw};
  const size_t H = c.P, B = c.N / c.P;
  const size_t chunks = row_chunks(B);
  std::vector<float> dwt(chunks * H * H, 0.f);
  const PackedRowsGemm vw(p.w, H, H);
  // Vᵀ, read by the compact surrogates' output-sparse steps (one row per neuron that needs r).
  const bool compact = c.sg == Surrogate::Triangle || c.sg == Surrogate::Rectangle;
  const std::vector<float> vt = compact ? transposed(p.w, H) : std::vector<float>();
  k::with_scan(c.sg, method == NeuronGrad::Exodus, [&](auto tag) {
    parallel_for(chunks, [&](size_t ch, int) {
      const size_t e = (ch + 1) * B / chunks;
      for (size_t b = ch * B / chunks; b < e; b += kRows)
        backward_rows<decltype(tag)::kind, decltype(tag)::exact>(c, p, g, h, v, v0, s0, dx, dv0, ds0, gr,
                                                                  dwt.data() + ch * H * H, vw, vt.data(), b, b + kRows < e ? b + kRows : e);
    });
  });
  sum_chunks_transposed(dwt, chunks, H, gr.dw);
}

}  // namespace cpu
}  // namespace exo
