// float64 reference of the CubaLIF layer (docs/neurons.md §7), written from the equations
// independently of the kernels and the layer: a straight unrolled forward, and its reverse-mode
// derivative taken op by op (reset, spike, membrane, current) in reverse time order. Used by the
// tests (test/neurons/cuba.test.ts) and by `exodus selftest`. Arrays are time-major [T, N];
// parameters [P], neuron i uses p[i % P].
import { type SurrogateRef, surrogateRef } from "./neuron-reference.js";

export interface CubaRefParams {
  T: number;
  N: number;
  alphaSyn: ArrayLike<number>;
  alpha: ArrayLike<number>;
  theta: ArrayLike<number>;
  reset: "subtract" | "zero";
  sg: SurrogateRef;
}
export interface CubaRefForward {
  i: Float64Array;
  v: Float64Array;
  s: Float64Array;
  vpost: Float64Array;
  /** Final (v_post[T−1], i[T−1]). */
  vState: Float64Array;
  iState: Float64Array;
}
export interface CubaRefGrads {
  dx: Float64Array;
  dv0: Float64Array;
  di0: Float64Array;
  /** [P] each. */
  dalpha: Float64Array;
  dalphaSyn: Float64Array;
}
const at = (a: ArrayLike<number>, i: number) => a[i % a.length];
const plen = (p: CubaRefParams) => Math.max(p.alphaSyn.length, p.alpha.length, p.theta.length);

/** Forward from (v0, i0) (zeros by default); forcedSpikes: take the spikes from there (a float32 run's). */
export function cubaForwardRef(p: CubaRefParams, x: ArrayLike<number>, init: { v0?: ArrayLike<number>; i0?: ArrayLike<number> } = {},
  forcedSpikes?: ArrayLike<number>): CubaRefForward {
  const { T, N } = p;
  const f: CubaRefForward = {
    i: new Float64Array(T * N), v: new Float64Array(T * N), s: new Float64Array(T * N), vpost: new Float64Array(T * N),
    vState: new Float64Array(N), iState: new Float64Array(N),
  };
  for (let n = 0; n < N; n++) {
    const as = at(p.alphaSyn, n), al = at(p.alpha, n), th = at(p.theta, n);
    let cur = init.i0 ? init.i0[n] : 0;
    let vp = init.v0 ? init.v0[n] : 0;
    for (let t = 0; t < T; t++) {
      const o = t * N + n;
      cur = as * cur + x[o];
      const v = al * vp + cur;
      const s = forcedSpikes ? forcedSpikes[o] : v >= th ? 1 : 0;
      vp = p.reset === "subtract" ? v - th * s : v * (1 - s);
      f.i[o] = cur;
      f.v[o] = v;
      f.s[o] = s;
      f.vpost[o] = vp;
    }
    f.vState[n] = vp;
    f.iState[n] = cur;
  }
  return f;
}

/** Reverse mode through the unrolled forward (g = ∂L/∂s); slayer drops the reset's dependence on the spike. */
export function cubaBackwardRef(p: CubaRefParams, f: CubaRefForward, g: ArrayLike<number>,
  opts: { v0?: ArrayLike<number>; i0?: ArrayLike<number>; slayer?: boolean } = {}): CubaRefGrads {
  const { T, N } = p;
  const P = plen(p);
  const out: CubaRefGrads = { dx: new Float64Array(T * N), dv0: new Float64Array(N), di0: new Float64Array(N), dalpha: new Float64Array(P), dalphaSyn: new Float64Array(P) };
  for (let n = 0; n < N; n++) {
    const as = at(p.alphaSyn, n), al = at(p.alpha, n), th = at(p.theta, n), k = n % P;
    let postBar = 0; // ∂L/∂v_post[t]
    let curBar = 0; // ∂L/∂i[t] through i[t+1]
    for (let t = T - 1; t >= 0; t--) {
      const o = t * N + n;
      const v = f.v[o], s = f.s[o];
      let sBar = g[o];
      let vBar: number;
      // v_post = v − θ·s  or  v·(1 − s)
      if (p.reset === "subtract") {
        vBar = postBar;
        if (!opts.slayer) sBar += -th * postBar;
      } else {
        vBar = postBar * (opts.slayer ? 1 : 1 - s);
        if (!opts.slayer) sBar += -v * postBar;
      }
      // s = H(v − θ), differentiated by the surrogate
      vBar += surrogateRef(p.sg, v, th) * sBar;
      // v = α·v_post[t−1] + i[t]
      const prevPost = t > 0 ? f.vpost[o - N] : opts.v0 ? opts.v0[n] : 0;
      out.dalpha[k] += vBar * prevPost;
      postBar = al * vBar;
      // i[t] = α_s·i[t−1] + x[t]
      const iBar = curBar + vBar;
      out.dx[o] = iBar;
      const prevCur = t > 0 ? f.i[o - N] : opts.i0 ? opts.i0[n] : 0;
      out.dalphaSyn[k] += iBar * prevCur;
      curBar = as * iBar;
    }
    out.dv0[n] = postBar;
    out.di0[n] = curBar;
  }
  return out;
}
