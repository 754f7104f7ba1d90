// float64 reference of the recurrent CubaLIF, ALIF and adLIF layers (docs/neurons.md, Recurrent
// layers), written from the equations independently of the kernels and of the layers: the unrolled
// forward recorded as a graph of scalar operations, and its reverse-mode derivative taken node by
// node, as a BPTT tape would. It knows nothing of the EXODUS adjoint recursions. SLAYER detaches
// the spike where the model's reset (and ALIF's adaptation) reads it, as the kernels drop it.
// Arrays are time-major [T, B, H]; V [H, H] row-major (V[i][j]: neuron j at t−1 into neuron i);
// per-neuron parameters [H].
import { type SurrogateRef, surrogateRef } from "./neuron-reference.js";

export type RecurrentRefModel = "cuba" | "alif" | "adlif";

export interface RecurrentRefParams {
  model: RecurrentRefModel;
  T: number;
  B: number;
  H: number;
  /** The model's parameters by the layer's names (CubaLIF: alphaSyn, alpha, threshold; ALIF: alpha, rho, beta, threshold; adLIF: alpha, beta, a, b, threshold), [H] each. */
  params: Record<string, ArrayLike<number>>;
  w: ArrayLike<number>;
  bias?: ArrayLike<number>;
  reset: "subtract" | "zero";
  sg: SurrogateRef;
}

export interface RecurrentRefResult {
  v: Float64Array;
  s: Float64Array;
  /** Final states (v_post, second state, s), [B·H] each. */
  final: Float64Array[];
  dx: Float64Array;
  /** ∂L/∂ the initial (v, second state, s). */
  dinit: Float64Array[];
  dparams: Record<string, Float64Array>;
  dw: Float64Array;
  dbias: Float64Array;
}

/** A scalar reverse-mode graph: node k has value val[k] and edges (parent, ∂node/∂parent). */
class Graph {
  val: number[] = [];
  private edges: number[][] = [];
  leaf(v: number): number {
    this.val.push(v);
    this.edges.push([]);
    return this.val.length - 1;
  }
  /** A node of value v over parents [p0, d0, p1, d1, …]. */
  op(v: number, e: number[]): number {
    this.val.push(v);
    this.edges.push(e);
    return this.val.length - 1;
  }
  add(a: number, b: number): number { return this.op(this.val[a] + this.val[b], [a, 1, b, 1]); }
  sub(a: number, b: number): number { return this.op(this.val[a] - this.val[b], [a, 1, b, -1]); }
  mul(a: number, b: number): number { return this.op(this.val[a] * this.val[b], [a, this.val[b], b, this.val[a]]); }
  oneMinus(a: number): number { return this.op(1 - this.val[a], [a, -1]); }
  /** The same value cut from the graph (what SLAYER drops). */
  detach(a: number): number { return this.leaf(this.val[a]); }
  backward(seed: Map<number, number>): Float64Array {
    const g = new Float64Array(this.val.length);
    for (const [k, v] of seed) g[k] += v;
    for (let k = this.val.length - 1; k >= 0; k--) {
      const gk = g[k];
      if (gk === 0) continue;
      const e = this.edges[k];
      for (let q = 0; q < e.length; q += 2) g[e[q]] += gk * e[q + 1];
    }
    return g;
  }
}

/**
 * Forward from the given initial states (zeros by default) and the gradients of L = Σ g·s + Σ h·v.
 * forced: the spikes to take (a float32 run's), so that both follow one path.
 */
export function recurrentRef(p: RecurrentRefParams, x: ArrayLike<number>, g: ArrayLike<number>,
  o: { h?: ArrayLike<number>; init?: (ArrayLike<number> | undefined)[]; forced?: ArrayLike<number>; slayer?: boolean } = {}): RecurrentRefResult {
  const { T, B, H } = p, N = B * H;
  const G = new Graph();
  const leaves = (a: ArrayLike<number>, n: number) => Array.from({ length: n }, (_, k) => G.leaf(a[k]));
  const prm: Record<string, number[]> = {};
  for (const [k, a] of Object.entries(p.params)) prm[k] = leaves(a, H);
  const W = leaves(p.w, H * H), bias = leaves(p.bias ?? new Float64Array(H), H);
  const X = leaves(x, T * N);
  const zeros = new Float64Array(N);
  const init = [0, 1, 2].map((k) => leaves(o.init?.[k] ?? zeros, N));
  const vNode: number[] = new Array(T * N), sNode: number[] = new Array(T * N);
  const seed = new Map<number, number>();
  const finals: number[][][] = [];
  const cut = (a: number) => (o.slayer ? G.detach(a) : a);
  for (let b = 0; b < B; b++) {
    let vp = init[0].slice(b * H, b * H + H), ap = init[1].slice(b * H, b * H + H), sp = init[2].slice(b * H, b * H + H);
    for (let t = 0; t < T; t++) {
      const ns: number[] = [], nv: number[] = [], na: number[] = [];
      for (let i = 0; i < H; i++) {
        const k = t * N + b * H + i;
        // u = x + Σ_j V[i][j]·s_j[t−1] + bias: one node over the 2H products' factors
        let rec = 0;
        const e: number[] = [];
        for (let j = 0; j < H; j++) {
          rec += G.val[W[i * H + j]] * G.val[sp[j]];
          e.push(W[i * H + j], G.val[sp[j]], sp[j], G.val[W[i * H + j]]);
        }
        const u = G.add(G.add(X[k], G.op(rec, e)), bias[i]);
        const th = prm.threshold[i];
        const spike = (d: number, dTheta: number) => {
          const val = o.forced ? o.forced[k] : G.val[d] >= G.val[dTheta] ? 1 : 0;
          const sg = surrogateRef(p.sg, G.val[d], G.val[dTheta]);
          return G.op(val, [d, sg, dTheta, -sg]);
        };
        const reset = (v: number, s: number) => (p.reset === "subtract" ? G.sub(v, cut(G.mul(s, th))) : G.sub(v, cut(G.mul(v, s))));
        let v: number, s: number, vpost: number, a: number;
        if (p.model === "cuba") {
          a = G.add(G.mul(prm.alphaSyn[i], ap[i]), u);
          v = G.add(G.mul(prm.alpha[i], vp[i]), a);
          s = spike(v, th);
          vpost = reset(v, s);
        } else if (p.model === "alif") {
          const thr = G.add(th, G.mul(prm.beta[i], ap[i]));
          v = G.add(G.mul(prm.alpha[i], vp[i]), u);
          // σ at v − θ[t] with θ0's coefficients: the distance v − β·b from θ0
          s = spike(G.sub(v, G.mul(prm.beta[i], ap[i])), th);
          vpost = G.sub(v, cut(G.mul(thr, s)));
          a = G.add(G.mul(prm.rho[i], ap[i]), G.mul(G.oneMinus(prm.rho[i]), cut(s)));
        } else {
          v = G.add(G.mul(prm.alpha[i], vp[i]), G.mul(G.oneMinus(prm.alpha[i]), G.sub(u, ap[i])));
          s = spike(v, th);
          vpost = reset(v, s);
          a = G.add(G.mul(prm.beta[i], ap[i]), G.mul(G.oneMinus(prm.beta[i]), G.add(G.mul(prm.a[i], vpost), G.mul(prm.b[i], s))));
        }
        vNode[k] = v;
        sNode[k] = s;
        seed.set(s, (seed.get(s) ?? 0) + g[k]);
        if (o.h) seed.set(v, (seed.get(v) ?? 0) + o.h[k]);
        ns.push(s);
        nv.push(vpost);
        na.push(a);
      }
      vp = nv;
      ap = na;
      sp = ns;
    }
    finals.push([vp, ap, sp]);
  }
  const gr = G.backward(seed);
  const pick = (ids: number[]) => Float64Array.from(ids, (k) => gr[k]);
  const vals = (ids: number[]) => Float64Array.from(ids, (k) => G.val[k]);
  const dparams: Record<string, Float64Array> = {};
  for (const [k, ids] of Object.entries(prm)) dparams[k] = pick(ids);
  const final = [0, 1, 2].map((q) => Float64Array.from(finals.flatMap((f) => f[q].map((k) => G.val[k]))));
  return {
    v: vals(vNode), s: vals(sNode), final, dx: pick(X), dinit: init.map(pick), dparams, dw: pick(W), dbias: pick(bias),
  };
}
