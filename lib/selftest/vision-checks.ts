// Self-checks of the event-vision layers (BatchNorm 2-D/1-D, WeightNorm, SEW, SumPool2d) against
// float64 references written from the formulas, independently of the composed ops.
import { BatchNorm1d, BatchNorm2d } from "../nn/batchnorm.js";
import { Linear } from "../nn/linear.js";
import { SumPool2d } from "../nn/pool.js";
import { SEW } from "../nn/sew.js";
import { WeightNorm } from "../nn/weightnorm.js";
import type { Device } from "../device.js";
import type { Rng } from "../random.js";
import { Tensor } from "../tensor.js";
import { registerCheck } from "./registry.js";

type Arr = ArrayLike<number>;
const rand = (rng: Rng, n: number, lo = -1, hi = 1) => rng.fillUniform(new Float32Array(n), lo, hi);

/** Batch norm of x viewed as [N, C, S] in float64: training (batch statistics) or with given statistics. */
function batchNormRef(x: Arr, dy: Arr, N: number, C: number, S: number, gamma: Arr, beta: Arr, stats?: { mean: Arr; var: Arr }) {
  const M = N * S;
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  const dg = new Float64Array(C);
  const db = new Float64Array(C);
  const mean = new Float64Array(C);
  const variance = new Float64Array(C);
  const ix = (n: number, c: number, s: number) => (n * C + c) * S + s;
  for (let c = 0; c < C; c++) {
    let m = 0;
    let v = 0;
    if (stats) {
      m = stats.mean[c];
      v = stats.var[c];
    } else {
      for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) m += x[ix(n, c, s)];
      m /= M;
      for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) v += (x[ix(n, c, s)] - m) ** 2;
      v /= M;
    }
    mean[c] = m;
    variance[c] = v;
    const inv = 1 / Math.sqrt(v + 1e-5);
    let sumD = 0;
    let sumDX = 0;
    for (let n = 0; n < N; n++)
      for (let s = 0; s < S; s++) {
        const i = ix(n, c, s);
        const xh = (x[i] - m) * inv;
        y[i] = gamma[c] * xh + beta[c];
        dg[c] += dy[i] * xh;
        db[c] += dy[i];
        sumD += gamma[c] * dy[i];
        sumDX += gamma[c] * dy[i] * xh;
      }
    for (let n = 0; n < N; n++)
      for (let s = 0; s < S; s++) {
        const i = ix(n, c, s);
        const xh = (x[i] - m) * inv;
        dx[i] = stats ? gamma[c] * dy[i] * inv : inv * (gamma[c] * dy[i] - sumD / M - xh * (sumDX / M));
      }
  }
  return { y, dx, dg, db, mean, variance };
}

// [T, B, C, H, W] = [3, 4, 5, 6, 6]: N = T·B = 12, S = 36
const bn2 = { T: 3, B: 4, C: 5, H: 6, W: 6 };
const bn2Size = bn2.T * bn2.B * bn2.C * bn2.H * bn2.W;
registerCheck({
  name: "BatchNorm2d training [3,4,5,6,6] y, dx, dγ, dβ, running mean/var",
  group: "layers",
  tolerance: 1e-5,
  inputs: (rng) => ({ x: rand(rng, bn2Size, -2, 3), dy: rand(rng, bn2Size), gamma: rand(rng, bn2.C, 0.5, 1.5), beta: rand(rng, bn2.C) }),
  run: (d: Device, { x, dy, gamma, beta }) => {
    const shape = [bn2.T, bn2.B, bn2.C, bn2.H, bn2.W];
    const bn = new BatchNorm2d(bn2.C, { device: d });
    bn.weight!.value.set(gamma);
    bn.bias!.value.set(beta);
    const y = bn.forward(Tensor.from(x, shape, d)).toArray();
    const dx = bn.backward(Tensor.from(dy, shape, d)).toArray();
    const r = [y, dx, bn.weight!.grad.toArray(), bn.bias!.grad.toArray(), bn.runningMean.value.toArray(), bn.runningVar.value.toArray()];
    bn.dispose();
    return r;
  },
  reference: ({ x, dy, gamma, beta }) => {
    const M = bn2.T * bn2.B * bn2.H * bn2.W;
    const r = batchNormRef(x, dy, bn2.T * bn2.B, bn2.C, bn2.H * bn2.W, gamma, beta);
    return [r.y, r.dx, r.dg, r.db, Array.from(r.mean, (m) => 0.1 * m), Array.from(r.variance, (v) => 0.9 + 0.1 * v * (M / (M - 1)))];
  },
});

registerCheck({
  name: "BatchNorm1d evaluation [7,3,6] y, dx, dγ, dβ (running statistics)",
  group: "layers",
  tolerance: 1e-5,
  inputs: (rng) => ({ x: rand(rng, 7 * 3 * 6, -2, 2), dy: rand(rng, 7 * 3 * 6), gamma: rand(rng, 6, 0.5, 1.5), beta: rand(rng, 6), mean: rand(rng, 6), var: rand(rng, 6, 0.2, 2) }),
  run: (d, { x, dy, gamma, beta, mean, var: v }) => {
    const bn = new BatchNorm1d(6, { device: d });
    bn.weight!.value.set(gamma);
    bn.bias!.value.set(beta);
    bn.runningMean.value.set(mean);
    bn.runningVar.value.set(v);
    bn.eval();
    const y = bn.forward(Tensor.from(x, [7, 3, 6], d)).toArray();
    const dx = bn.backward(Tensor.from(dy, [7, 3, 6], d)).toArray();
    const r = [y, dx, bn.weight!.grad.toArray(), bn.bias!.grad.toArray()];
    bn.dispose();
    return r;
  },
  reference: ({ x, dy, gamma, beta, mean, var: v }) => {
    const r = batchNormRef(x, dy, 21, 6, 1, gamma, beta, { mean, var: v });
    return [r.y, r.dx, r.dg, r.db];
  },
});

registerCheck({
  name: "WeightNorm(Linear 20→9, bias) [5,4,20] y, dx, dg, dV, db",
  group: "layers",
  tolerance: 1e-5,
  inputs: (rng) => ({ x: rand(rng, 5 * 4 * 20), dy: rand(rng, 5 * 4 * 9), v: rand(rng, 9 * 20), g: rand(rng, 9, 0.3, 2), b: rand(rng, 9) }),
  run: (d, { x, dy, v, g, b }) => {
    const wn = new WeightNorm(new Linear(20, 9, { device: d }));
    wn.v.value.set(v);
    wn.g.value.set(g);
    (wn.inner as Linear).bias!.value.set(b);
    const y = wn.forward(Tensor.from(x, [5, 4, 20], d)).toArray();
    const dx = wn.backward(Tensor.from(dy, [5, 4, 9], d)).toArray();
    const r = [y, dx, wn.g.grad.toArray(), wn.v.grad.toArray(), (wn.inner as Linear).bias!.grad.toArray()];
    wn.dispose();
    return r;
  },
  reference: ({ x, dy, v, g, b }) => {
    const rows = 20;
    const out = 9;
    const K = 20;
    const norm = Array.from({ length: out }, (_, o) => Math.sqrt(Array.from({ length: K }, (_, k) => v[o * K + k] ** 2).reduce((a, c) => a + c, 0)));
    const W = Float64Array.from({ length: out * K }, (_, i) => (g[Math.floor(i / K)] * v[i]) / norm[Math.floor(i / K)]);
    const y = new Float64Array(rows * out);
    const dx = new Float64Array(rows * K);
    const dW = new Float64Array(out * K);
    const db = new Float64Array(out);
    for (let r = 0; r < rows; r++)
      for (let o = 0; o < out; o++) {
        let s = b[o];
        for (let k = 0; k < K; k++) {
          s += x[r * K + k] * W[o * K + k];
          dx[r * K + k] += dy[r * out + o] * W[o * K + k];
          dW[o * K + k] += dy[r * out + o] * x[r * K + k];
        }
        y[r * out + o] = s;
        db[o] += dy[r * out + o];
      }
    const dg = new Float64Array(out);
    const dv = new Float64Array(out * K);
    for (let o = 0; o < out; o++) {
      let dot = 0;
      for (let k = 0; k < K; k++) dot += dW[o * K + k] * v[o * K + k];
      dg[o] = dot / norm[o];
      for (let k = 0; k < K; k++) dv[o * K + k] = (g[o] / norm[o]) * (dW[o * K + k] - (dg[o] / norm[o]) * v[o * K + k]);
    }
    return [y, dx, dg, dv, db];
  },
});

registerCheck({
  name: "SEW(BatchNorm2d) + SumPool2d(2) [2,3,4,6,6] y, dx",
  group: "layers",
  tolerance: 1e-5,
  inputs: (rng) => ({ x: rand(rng, 2 * 3 * 4 * 36, -1, 2), dy: rand(rng, 2 * 3 * 4 * 9) }),
  run: (d, { x, dy }) => {
    const sew = new SEW(new BatchNorm2d(4, { device: d }));
    const pool = new SumPool2d(2);
    const y = pool.forward(sew.forward(Tensor.from(x, [2, 3, 4, 6, 6], d)));
    const dx = sew.backward(pool.backward(Tensor.from(dy, y.shape, d))).toArray();
    const r = [y.toArray(), dx];
    sew.dispose();
    return r;
  },
  reference: ({ x, dy }) => {
    const N = 6;
    const C = 4;
    const planes = N * C;
    // h = x + bn(x); y = 2×2 sums of h; dh = dy spread over each window; dx = dh + bn backward(dh)
    const dh = new Float64Array(x.length);
    for (let p = 0; p < planes; p++) for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) dh[p * 36 + i * 6 + j] = dy[p * 9 + Math.floor(i / 2) * 3 + Math.floor(j / 2)];
    const ones = new Float64Array(C).fill(1);
    const bn = batchNormRef(x, dh, N, C, 36, ones, new Float64Array(C));
    const y = new Float64Array(planes * 9);
    for (let p = 0; p < planes; p++)
      for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) y[p * 9 + Math.floor(i / 2) * 3 + Math.floor(j / 2)] += x[p * 36 + i * 6 + j] + bn.y[p * 36 + i * 6 + j];
    return [y, Float64Array.from(dh, (v, i) => v + bn.dx[i])];
  },
});
