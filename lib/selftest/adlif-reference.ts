// float64 reference of the adLIF layer (docs/neurons.md §8, symplectic Euler), written from the
// equations independently of the kernels and the layer: a straight unrolled forward, and its
// reverse-mode derivative taken op by op (adaptation, reset, spike, membrane) in reverse time
// order. Used by the tests (test/neurons/adlif.test.ts) and by `exodus selftest`. Arrays are
// time-major [T, N]; parameters [P], neuron i uses p[i % P].
import { type SurrogateRef, surrogateRef } from "./neuron-reference.js";

export interface AdlifRefParams {
  T: number;
  N: number;
  alpha: ArrayLike<number>;
  beta: ArrayLike<number>;
  a: ArrayLike<number>;
  b: ArrayLike<number>;
  theta: ArrayLike<number>;
  reset: "subtract" | "zero";
  sg: SurrogateRef;
}
export interface AdlifRefForward {
  v: Float64Array;
  s: Float64Array;
  vpost: Float64Array;
  w: Float64Array;
  vState: Float64Array;
  wState: Float64Array;
}
export interface AdlifRefGrads {
  dx: Float64Array;
  dv0: Float64Array;
  dw0: Float64Array;
  /** [P] each. */
  dalpha: Float64Array;
  dbeta: Float64Array;
  da: Float64Array;
  db: Float64Array;
}
const at = (a: ArrayLike<number>, i: number) => a[i % a.length];

/** Forward from (v0, w0) (zeros by default); forcedSpikes: take the spikes from there (a float32 run's). */
export function adlifForwardRef(p: AdlifRefParams, x: ArrayLike<number>, init: { v0?: ArrayLike<number>; w0?: ArrayLike<number> } = {},
  forcedSpikes?: ArrayLike<number>): AdlifRefForward {
  const { T, N } = p;
  const f: AdlifRefForward = {
    v: new Float64Array(T * N), s: new Float64Array(T * N), vpost: new Float64Array(T * N), w: new Float64Array(T * N),
    vState: new Float64Array(N), wState: new Float64Array(N),
  };
  for (let n = 0; n < N; n++) {
    const al = at(p.alpha, n), be = at(p.beta, n), A = at(p.a, n), Bc = at(p.b, n), th = at(p.theta, n);
    let vp = init.v0 ? init.v0[n] : 0;
    let w = init.w0 ? init.w0[n] : 0;
    for (let t = 0; t < T; t++) {
      const o = t * N + n;
      const v = al * vp + (1 - al) * (x[o] - w);
      const s = forcedSpikes ? forcedSpikes[o] : v >= th ? 1 : 0;
      vp = p.reset === "subtract" ? v - th * s : v * (1 - s);
      w = be * w + (1 - be) * (A * vp + Bc * s);
      f.v[o] = v;
      f.s[o] = s;
      f.vpost[o] = vp;
      f.w[o] = w;
    }
    f.vState[n] = vp;
    f.wState[n] = w;
  }
  return f;
}

/** Reverse mode through the unrolled forward (g = ∂L/∂s); slayer drops the reset's dependence on the spike and on v. */
export function adlifBackwardRef(p: AdlifRefParams, f: AdlifRefForward, x: ArrayLike<number>, g: ArrayLike<number>,
  opts: { v0?: ArrayLike<number>; w0?: ArrayLike<number>; slayer?: boolean } = {}): AdlifRefGrads {
  const { T, N } = p;
  const P = Math.max(p.alpha.length, p.beta.length, p.a.length, p.b.length, p.theta.length);
  const out: AdlifRefGrads = {
    dx: new Float64Array(T * N), dv0: new Float64Array(N), dw0: new Float64Array(N), dalpha: new Float64Array(P),
    dbeta: new Float64Array(P), da: new Float64Array(P), db: new Float64Array(P),
  };
  for (let n = 0; n < N; n++) {
    const al = at(p.alpha, n), be = at(p.beta, n), A = at(p.a, n), Bc = at(p.b, n), th = at(p.theta, n), k = n % P;
    let postBar = 0; // ∂L/∂v_post[t] through v[t+1]
    let wBar = 0; // ∂L/∂w[t] through w[t+1] and v[t+1]
    for (let t = T - 1; t >= 0; t--) {
      const o = t * N + n;
      const v = f.v[o], s = f.s[o], vp = f.vpost[o];
      const wPrev = t > 0 ? f.w[o - N] : opts.w0 ? opts.w0[n] : 0;
      const vpPrev = t > 0 ? f.vpost[o - N] : opts.v0 ? opts.v0[n] : 0;
      // w[t] = β·w[t−1] + (1 − β)·(a·v_post[t] + b·s[t])
      out.dbeta[k] += wBar * (wPrev - A * vp - Bc * s);
      out.da[k] += wBar * (1 - be) * vp;
      out.db[k] += wBar * (1 - be) * s;
      const wPrevBar = be * wBar;
      const vpBar = postBar + (1 - be) * A * wBar;
      let sBar = g[o] + (1 - be) * Bc * wBar;
      // v_post = v − θ·s  or  v·(1 − s)
      let vBar: number;
      if (p.reset === "subtract") {
        vBar = vpBar;
        if (!opts.slayer) sBar += -th * vpBar;
      } else {
        vBar = vpBar * (opts.slayer ? 1 : 1 - s);
        if (!opts.slayer) sBar += -v * vpBar;
      }
      vBar += surrogateRef(p.sg, v, th) * sBar;
      // v = α·v_post[t−1] + (1 − α)·(x − w[t−1])
      out.dalpha[k] += vBar * (vpPrev - x[o] + wPrev);
      out.dx[o] = (1 - al) * vBar;
      postBar = al * vBar;
      wBar = wPrevBar - (1 - al) * vBar;
    }
    out.dv0[n] = postBar;
    out.dw0[n] = wBar;
  }
  return out;
}
