// Self-checks of the spike-sparse products (lib/sparse.ts) and the fused max-over-time readout
// backward: sparse inputs (spikes and event counts at a few densities), compared with float64
// references on the CPU and with the CPU backend on CUDA.
import { sparseConv2d, sparseConv2dWeightGrad, sparseLinear, sparseLinearWeightGrad } from "../sparse.js";
import { native } from "../native.js";
import type { Rng } from "../random.js";
import { Tensor } from "../tensor.js";
import { type ConvRefGeom, conv2dRef, convOut, gemmRef } from "./reference.js";
import { registerCheck } from "./registry.js";

const rand = (rng: Rng, n: number, lo = -1, hi = 1) => rng.fillUniform(new Float32Array(n), lo, hi);
/** Spikes (1) or event counts (1–3) at the given density; never all zero. */
function spikes(rng: Rng, n: number, density: number, counts = false): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) if (rng.uniform() < density) x[i] = counts ? 1 + rng.int(3) : 1;
  x[rng.int(n)] = 1;
  return x;
}

for (const [R, F, O, density] of [[300, 70, 33, 0.05], [64, 129, 16, 0.5], [1000, 24, 8, 0.002]] as const)
  registerCheck({
    name: `sparse linear [${R}x${F}]·[${O}x${F}]ᵀ at ${density * 100}% y, dW`,
    group: "sparse",
    tolerance: 1e-5,
    inputs: (rng) => ({ s: spikes(rng, R * F, density, density > 0.1), w: rand(rng, O * F), g: rand(rng, R * O), dw0: rand(rng, O * F) }),
    run: (d, { s, w, g, dw0 }) => {
      const S = Tensor.from(s, [R, F], d);
      const y = sparseLinear(S, Tensor.from(w, [O, F], d));
      const dw = Tensor.from(dw0, [O, F], d);
      sparseLinearWeightGrad(Tensor.from(g, [R, O], d), S, dw);
      return [y.toArray(), dw.toArray()];
    },
    reference: ({ s, w, g, dw0 }) => [gemmRef(false, true, R, O, F, 1, s, w, 0, []), gemmRef(true, false, O, F, R, 1, g, s, 1, dw0)],
  });

const convCases: (ConvRefGeom & { label: string; density: number })[] = [
  { label: "3x3 pad 1", n: 6, c: 2, h: 16, w: 16, cout: 8, kh: 3, kw: 3, s: 1, p: 1, density: 0.05 },
  { label: "3x3 stride 2", n: 3, c: 5, h: 13, w: 11, cout: 4, kh: 3, kw: 3, s: 2, p: 1, density: 0.3 },
  { label: "5x5 no pad", n: 2, c: 3, h: 12, w: 14, cout: 6, kh: 5, kw: 5, s: 1, p: 0, density: 0.01 },
];
for (const g of convCases) {
  const [ho, wo] = convOut(g);
  registerCheck({
    name: `sparse conv2d ${g.label} [${g.n},${g.c},${g.h},${g.w}] at ${g.density * 100}% y, dW`,
    group: "sparse",
    tolerance: 1e-5,
    inputs: (rng) => ({ x: spikes(rng, g.n * g.c * g.h * g.w, g.density, true), w: rand(rng, g.cout * g.c * g.kh * g.kw), dy: rand(rng, g.n * g.cout * ho * wo) }),
    run: (d, { x, w, dy }) => {
      const X = Tensor.from(x, [g.n, g.c, g.h, g.w], d);
      const opts = { stride: g.s, padding: g.p };
      const y = sparseConv2d(X, Tensor.from(w, [g.cout, g.c, g.kh, g.kw], d), opts);
      const dw = Tensor.zeros([g.cout, g.c, g.kh, g.kw], d);
      sparseConv2dWeightGrad(X, Tensor.from(dy, y.shape, d), dw, opts);
      return [y.toArray(), dw.toArray()];
    },
    reference: ({ x, w, dy }) => {
      const r = conv2dRef(x, w, dy, g);
      return [r.y, r.dw];
    },
  });
}

{
  const T = 37, n = 50;
  registerCheck({
    name: `max-over-time readout backward [${T},${n}]`,
    group: "sparse",
    tolerance: 0,
    inputs: (rng) => ({ arg: Float32Array.from({ length: n }, () => rng.int(T)), g: rand(rng, n) }),
    run: (d, { arg, g }) => {
      const dy = Tensor.empty([T, n], d);
      native().maxTimeBackward({ arg: Tensor.from(arg, [n], d), g: Tensor.from(g, [n], d), dy, T, n });
      return [dy.toArray()];
    },
    reference: ({ arg, g }) => {
      const dy = new Float64Array(T * n);
      for (let i = 0; i < n; i++) dy[arg[i] * n + i] = g[i];
      return [dy];
    },
  });
}
