// Self-checks of the tensor ops: element-wise, broadcasting, reductions, GEMM, softmax losses.
import type { Device } from "../device.js";
import { UNARY_OPS } from "../native.js";
import * as ops from "../ops.js";
import type { Rng } from "../random.js";
import { Tensor } from "../tensor.js";
import { binaryBroadcastRef, binaryRef, gemmRef, logSoftmaxRef, reduceRef, softmaxXentRef, unaryRef } from "./reference.js";
import { registerCheck } from "./registry.js";

const rand = (rng: Rng, n: number, lo = -2, hi = 2) => rng.fillUniform(new Float32Array(n), lo, hi);
const t = (d: Device, x: Float32Array, shape: number[]) => Tensor.from(x, shape, d);

// ---- unary ---------------------------------------------------------------------------------------
const unaryParams: Record<string, { lo: number; hi: number; a: number; b: number; tol: number }> = {
  log: { lo: 0.05, hi: 5, a: 0, b: 0, tol: 1e-6 },
  sqrt: { lo: 0.05, hi: 5, a: 0, b: 0, tol: 1e-6 },
  pow: { lo: 0.1, hi: 3, a: 1.7, b: 0, tol: 1e-6 },
  reciprocal: { lo: 0.2, hi: 4, a: 0, b: 0, tol: 1e-6 },
  affine: { lo: -3, hi: 3, a: 0.75, b: -0.5, tol: 1e-6 },
  clamp: { lo: -3, hi: 3, a: -1, b: 1.5, tol: 0 },
  step: { lo: -3, hi: 3, a: 0.25, b: 0, tol: 0 },
};
for (const name of UNARY_OPS) {
  const p = unaryParams[name] ?? { lo: -3, hi: 3, a: 0, b: 0, tol: 1e-6 };
  const n = 10007;
  registerCheck({
    name: `${name} [${n}]`,
    group: "element-wise",
    tolerance: p.tol,
    inputs: (rng) => rand(rng, n, p.lo, p.hi),
    run: (d, x) => {
      const y = Tensor.empty([n], d);
      // Every unary op goes through the same native entry point; call it by code.
      const fn: Record<string, () => Tensor> = {
        affine: () => ops.affine(t(d, x, [n]), p.a, p.b, y),
        clamp: () => ops.clamp(t(d, x, [n]), p.a, p.b, y),
        pow: () => ops.pow(t(d, x, [n]), p.a, y),
        step: () => ops.step(t(d, x, [n]), p.a, y),
      };
      const simple = (ops as unknown as Record<string, (x: Tensor, out?: Tensor) => Tensor>)[name];
      return [(fn[name] ?? (() => simple(t(d, x, [n]), y)))().toArray()];
    },
    reference: (x) => [Float64Array.from(x, (v) => unaryRef[name](v, p.a, p.b))],
  });
}

// ---- binary with broadcasting -------------------------------------------------------------------------
const layouts: { label: string; x: number[]; w: number[]; nb: number; inner: number }[] = [
  { label: "same shape", x: [6, 7, 9], w: [6, 7, 9], nb: 378, inner: 1 },
  { label: "bias over last axis", x: [30, 4, 33], w: [33], nb: 33, inner: 1 },
  { label: "per channel [C,1,1]", x: [5, 8, 6, 7], w: [8, 1, 1], nb: 8, inner: 42 },
  { label: "scalar", x: [13, 17], w: [1], nb: 1, inner: 1 },
];
for (const name of ["add", "sub", "mul", "div", "max", "min"] as const) {
  for (const L of layouts) {
    const n = L.x.reduce((a, b) => a * b, 1);
    const nw = L.w.reduce((a, b) => a * b, 1);
    registerCheck({
      name: `${name} ${L.label}`,
      group: "element-wise",
      tolerance: 1e-6,
      inputs: (rng) => ({ x: rand(rng, n), w: rand(rng, nw, 0.5, 2) }),
      run: (d, { x, w }) => [(ops as any)[name === "max" ? "maximum" : name === "min" ? "minimum" : name](t(d, x, L.x), t(d, w, L.w)).toArray()],
      reference: ({ x, w }) => [binaryBroadcastRef(binaryRef[name], x, w, L.nb, L.inner)],
    });
  }
}

registerCheck({
  name: "axpby [5000]",
  group: "element-wise",
  tolerance: 1e-6,
  inputs: (rng) => ({ x: rand(rng, 5000), y: rand(rng, 5000) }),
  run: (d, { x, y }) => [ops.axpby(0.3, t(d, x, [5000]), -1.25, t(d, y, [5000])).toArray()],
  reference: ({ x, y }) => [Float64Array.from(x, (v, i) => 0.3 * v - 1.25 * y[i])],
});

// ---- reductions ------------------------------------------------------------------------------------------
const reduceShapes: { label: string; shape: number[]; axis: number }[] = [
  { label: "over time [T=300, 8, 50]", shape: [300, 8, 50], axis: 0 },
  { label: "middle axis [7, 40, 9]", shape: [7, 40, 9], axis: 1 },
  { label: "last axis [33, 20]", shape: [33, 20], axis: 1 },
  { label: "long rows [4, 5000]", shape: [4, 5000], axis: 1 },
];
for (const op of ["sum", "mean", "max", "min", "argmax", "argmin"] as const) {
  for (const S of reduceShapes) {
    const n = S.shape.reduce((a, b) => a * b, 1);
    const outer = S.shape.slice(0, S.axis).reduce((a, b) => a * b, 1);
    const inner = S.shape.slice(S.axis + 1).reduce((a, b) => a * b, 1);
    registerCheck({
      name: `${op} ${S.label}`,
      group: "reduce",
      tolerance: op === "sum" || op === "mean" ? 1e-5 : 0,
      inputs: (rng) => rand(rng, n),
      run: (d, x) => [(ops as any)[op](t(d, x, S.shape), S.axis).toArray()],
      reference: (x) => [reduceRef(op, x, outer, S.shape[S.axis], inner)],
    });
  }
}

// ---- GEMM ----------------------------------------------------------------------------------------------------
const gemmCases: { M: number; N: number; K: number; alpha: number; beta: number }[] = [
  { M: 37, N: 29, K: 53, alpha: 1, beta: 0 },
  { M: 130, N: 70, K: 300, alpha: 0.5, beta: 1.5 },
  { M: 3000, N: 128, K: 100, alpha: 1, beta: 0 },
  { M: 128, N: 100, K: 3000, alpha: 1, beta: 1 },
];
for (const g of gemmCases)
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    const { M, N, K, alpha, beta } = g;
    registerCheck({
      name: `gemm ${M}x${N}x${K}${ta ? " Aᵀ" : ""}${tb ? " Bᵀ" : ""} α=${alpha} β=${beta}`,
      group: "gemm",
      tolerance: 1e-5,
      inputs: (rng) => ({ a: rand(rng, M * K, -1, 1), b: rand(rng, K * N, -1, 1), c: rand(rng, M * N, -1, 1) }),
      run: (d, { a, b, c }) => [
        ops.gemm(t(d, c, [M, N]), t(d, a, ta ? [K, M] : [M, K]), t(d, b, tb ? [N, K] : [K, N]), { transA: ta, transB: tb, alpha, beta }).toArray(),
      ],
      reference: ({ a, b, c }) => [gemmRef(ta, tb, M, N, K, alpha, a, b, beta, c)],
    });
  }

// ---- softmax losses --------------------------------------------------------------------------------------
for (const [rows, cols] of [[128, 20], [64, 35], [7, 11]]) {
  registerCheck({
    name: `softmax cross-entropy [${rows}, ${cols}]`,
    group: "loss",
    tolerance: 1e-5,
    inputs: (rng) => ({ x: rand(rng, rows * cols, -4, 4), labels: Float32Array.from({ length: rows }, () => rng.int(cols)) }),
    run: (d, { x, labels }) => {
      const r = ops.softmaxCrossEntropy(t(d, x, [rows, cols]), Tensor.from(labels, [rows], d));
      return [r.losses.toArray(), r.grad.toArray()];
    },
    reference: ({ x, labels }) => {
      const r = softmaxXentRef(x, labels, rows, cols, 1 / rows);
      return [r.loss, r.grad];
    },
  });
  registerCheck({
    name: `log softmax [${rows}, ${cols}]`,
    group: "loss",
    tolerance: 1e-5,
    inputs: (rng) => rand(rng, rows * cols, -4, 4),
    run: (d, x) => [ops.logSoftmax(t(d, x, [rows, cols])).toArray()],
    reference: (x) => [logSoftmaxRef(x, rows, cols)],
  });
}
