// float64 reference of the recurrent LIF layer (docs/neurons.md, Recurrent LIF), written from the
// equations independently of the kernels and of the layer: an unrolled forward over batch rows,
// and its reverse-mode derivative taken op by op (reset, spike, leak, recurrent product, bias) in
// reverse time order, as a BPTT tape would. It does not use the EXODUS adjoint recursion.
// Arrays are time-major [T, B, H]; V [H, H] row-major (V[i][j]: neuron j at t−1 into neuron i).
import { type SurrogateRef, spikeRef, surrogateRef } from "./neuron-reference.js";

export interface RlifRefParams {
  T: number;
  B: number;
  H: number;
  alpha: ArrayLike<number>; // [H]
  theta: ArrayLike<number>; // [H]; the subtract reset removes θ
  bias?: ArrayLike<number>; // [H]
  w: ArrayLike<number>; // [H, H]
  reset: "subtract" | "zero";
  sg: SurrogateRef;
}

export interface RlifRefForward {
  v: Float64Array; // before the reset
  s: Float64Array;
  u: Float64Array; // after the reset
  v0: Float64Array;
  s0: Float64Array;
}

/** The forward; `forced` (the kernel's spikes) replaces the spike decisions so both follow one path. */
export function rlifForwardRef(p: RlifRefParams, x: ArrayLike<number>, init: { v0?: ArrayLike<number>; s0?: ArrayLike<number> } = {},
  forced?: ArrayLike<number>): RlifRefForward {
  const { T, B, H } = p, N = B * H;
  const v = new Float64Array(T * N), s = new Float64Array(T * N), u = new Float64Array(T * N);
  const v0 = Float64Array.from(init.v0 ?? new Float64Array(N)), s0 = Float64Array.from(init.s0 ?? new Float64Array(N));
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) {
      const o = t * N + b * H, po = (t - 1) * N + b * H;
      for (let i = 0; i < H; i++) {
        let rec = 0;
        for (let j = 0; j < H; j++) rec += p.w[i * H + j] * (t > 0 ? s[po + j] : s0[b * H + j]);
        const uprev = t > 0 ? u[po + i] : v0[b * H + i];
        const vt = p.alpha[i] * uprev + x[o + i] + rec + (p.bias ? p.bias[i] : 0);
        const st = forced ? forced[o + i] : spikeRef(vt, p.theta[i], false, 0);
        v[o + i] = vt;
        s[o + i] = st;
        u[o + i] = p.reset === "subtract" ? vt - p.theta[i] * st : vt * (1 - st);
      }
    }
  return { v, s, u, v0, s0 };
}

export interface RlifRefGrads {
  dx: Float64Array;
  dv0: Float64Array;
  ds0: Float64Array;
  dalpha: Float64Array; // [H]
  dbias: Float64Array; // [H]
  dw: Float64Array; // [H, H]
}

/**
 * Gradients of L = Σ g·s + Σ h·v by reverse mode through the unrolled graph. slayer: the reset's
 * dependence on the spike (and, for the zero reset, on v through the spike) is dropped.
 */
export function rlifBackwardRef(p: RlifRefParams, f: RlifRefForward, g: ArrayLike<number>, o: { h?: ArrayLike<number>; slayer?: boolean } = {}): RlifRefGrads {
  const { T, B, H } = p, N = B * H;
  const dx = new Float64Array(T * N), dv0 = new Float64Array(N), ds0 = new Float64Array(N);
  const dalpha = new Float64Array(H), dbias = new Float64Array(H), dw = new Float64Array(H * H);
  for (let b = 0; b < B; b++) {
    let gu = new Float64Array(H); // ∂L/∂u[t] from step t+1
    let gsRec = new Float64Array(H); // ∂L/∂s[t] from step t+1's recurrent product
    for (let t = T - 1; t >= 0; t--) {
      const at = t * N + b * H, po = (t - 1) * N + b * H;
      const gv = new Float64Array(H), guPrev = new Float64Array(H), gsPrev = new Float64Array(H);
      for (let i = 0; i < H; i++) {
        const vt = f.v[at + i], st = f.s[at + i];
        let gs = g[at + i] + gsRec[i];
        let gvi = o.h ? o.h[at + i] : 0;
        // the reset u = v − θ·s, or u = v·(1 − s)
        if (p.reset === "subtract") {
          gvi += gu[i];
          if (!o.slayer) gs -= p.theta[i] * gu[i];
        } else {
          gvi += o.slayer ? gu[i] : gu[i] * (1 - st);
          if (!o.slayer) gs -= vt * gu[i];
        }
        // the spike: its surrogate derivative
        gvi += surrogateRef(p.sg, vt, p.theta[i]) * gs;
        gv[i] = gvi;
      }
      for (let i = 0; i < H; i++) {
        // v = α·u[t−1] + x + V·s[t−1] + bias
        const uprev = t > 0 ? f.u[po + i] : f.v0[b * H + i];
        dx[at + i] = gv[i];
        dbias[i] += gv[i];
        dalpha[i] += gv[i] * uprev;
        guPrev[i] = p.alpha[i] * gv[i];
        for (let j = 0; j < H; j++) {
          const sp = t > 0 ? f.s[po + j] : f.s0[b * H + j];
          dw[i * H + j] += gv[i] * sp;
          gsPrev[j] += p.w[i * H + j] * gv[i];
        }
      }
      gu = guPrev;
      gsRec = gsPrev;
    }
    for (let i = 0; i < H; i++) {
      dv0[b * H + i] = gu[i];
      ds0[b * H + i] = gsRec[i];
    }
  }
  return { dx, dv0, ds0, dalpha, dbias, dw };
}
