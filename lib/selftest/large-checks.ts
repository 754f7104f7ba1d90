// The large-size self-checks (`exodus selftest --large`): the sizes where CUDA code changes path
// or overflows, which the ≤ 10⁵-element checks never reach:
//   - more than 536,862,720 elements (65,535·32 blocks of 256 threads): the grid-stride loops
//     take a second lap;
//   - more than 2³¹ and 2³² elements: signed and unsigned 32-bit offsets overflow (the
//     32-bit fast paths must hand over to 64-bit ones);
//   - more than 65,535 products in one batched GEMM (the grid's z limit);
//   - a 196M-element neuron scan (SHD-sized layers at batch 64);
//   - the two-pass reductions and split-K GEMM (few outputs over a long axis).
// On CUDA each runs at full size against the CPU backend; on the CPU at a reduced size against
// a float64 reference, so the same code is tested everywhere.
//
// Inputs are generated on the device (dropout masks: the same hash on both backends), on a lattice
// of 1/8 with zero mean, so float32 sums of up to 2²¹ in magnitude are exact in any order: the
// CPU's sequential sums and the GPU's trees must agree to the last bit.
import { Device } from "../device.js";
import { dropoutMask } from "../dropout.js";
import { native } from "../native.js";
import { LIF } from "../nn/lif.js";
import * as ops from "../ops.js";
import { Rng } from "../random.js";
import { type Shape, Tensor } from "../tensor.js";
import { lifForwardRef } from "./neuron-reference.js";
import { gemmRef } from "./reference.js";

export type LargeScale = "full" | "reduced";

export interface LargeCheck<P = any> {
  name: string;
  /** Largest acceptable relative error (max |a-b| / max |b|). */
  tolerance: number;
  params: Record<LargeScale, P>;
  /** Memory (bytes) the check holds at once on one device, for the host and GPU memory gate. */
  bytes(p: P): number;
  /** Runs on a device; returns samples and summaries of the outputs (host arrays, fixed order). */
  run(device: Device, p: P): Float32Array[];
  /** float64 reference of the same outputs (used at the reduced size: it regenerates the inputs on the CPU). */
  reference(p: P): ArrayLike<number>[];
}

/** Lattice input of zero mean: ½·mask(p=½) + ⅛·mask(p=¾) − ⅝ ∈ {−0.625, −0.125, 0.375, 0.875}. */
export function latticeInput(shape: Shape, seed: number, device: Device): Tensor {
  const x = dropoutMask(shape, 0.5, seed, device); // {0, 2}
  const m = dropoutMask(shape, 0.75, seed + 1, device); // {0, 4}
  ops.axpby(0.125, m, 0.5, x);
  m.dispose();
  return ops.affine(x, 1, -0.625, x);
}

/** Rows `rows` of a [R, C] view of t, concatenated (reads a few rows of a tensor too big for the host). */
function rowsOf(t: Tensor, cols: number, rows: number[]): Float32Array {
  const v = t.reshape([t.size / cols, cols]);
  const out = new Float32Array(rows.length * cols);
  rows.forEach((r, k) => {
    const row = v.at(r);
    out.set(row.toArray(), k * cols);
    row.dispose();
  });
  v.dispose();
  return out;
}

/** The same rows of a host array viewed as [R, C]. */
function rowsOfArray(x: ArrayLike<number>, cols: number, rows: number[]): Float64Array {
  const out = new Float64Array(rows.length * cols);
  rows.forEach((r, k) => {
    for (let c = 0; c < cols; c++) out[k * cols + c] = x[r * cols + c];
  });
  return out;
}

function sumRows(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const s = new Float64Array(rows);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) s[r] += x[r * cols + c];
  return s;
}

const sampleRows = (R: number, extra: number[] = []) => [...new Set([0, Math.floor(R / 2), R - 1, ...extra.filter((r) => r < R)])];

// ---- broadcast multiply with a [B, 1] weight: the general (divide) path of the element-wise kernels
interface BroadcastP { A: number; B: number; C: number; seed: number }
function broadcastCheck(name: string, full: BroadcastP, reduced: BroadcastP, extraRows: (p: BroadcastP) => number[]): LargeCheck<BroadcastP> {
  // Weights on a lattice of ¼ too: products and their sums stay exact.
  const weight = (p: BroadcastP) => {
    const rng = new Rng(p.seed);
    return Float32Array.from({ length: p.B }, () => 0.5 + 0.25 * rng.int(7));
  };
  return {
    name,
    tolerance: 0,
    params: { full, reduced },
    bytes: (p) => 2 * 4 * p.A * p.B * p.C,
    run: (d, p) => {
      const x = latticeInput([p.A, p.B, p.C], p.seed, d);
      const w = Tensor.from(weight(p), [p.B, 1], d);
      ops.mul(x, w, x);
      const rows = sampleRows(p.A, extraRows(p));
      const sampled = rowsOf(x, p.B * p.C, rows);
      const sums = ops.sum(x, 2); // [A, B]: every element counts
      const out = [sampled, sums.toArray()];
      [x, w, sums].forEach((t) => t.dispose());
      return out;
    },
    reference: (p) => {
      const x = latticeInput([p.A, p.B, p.C], p.seed, Device.cpu);
      const xs = x.toArray();
      x.dispose();
      const w = weight(p);
      const y = Float64Array.from(xs, (v, i) => v * w[Math.floor(i / p.C) % p.B]);
      return [rowsOfArray(y, p.B * p.C, sampleRows(p.A, extraRows(p))), sumRows(y, p.A * p.B, p.C)];
    },
  };
}

// ---- unary, reductions and argmax over a [R, C] tensor ------------------------------------------------
interface RowsP { R: number; C: number; seed: number }
const rowsCheck: LargeCheck<RowsP> = {
  name: "affine, row sums, argmax over > 2³¹ elements",
  tolerance: 0,
  // [2049, 2²⁰] = 2,148,532,224 elements: past 2³¹ by one row of 2²⁰.
  params: { full: { R: 2049, C: 1 << 20, seed: 11 }, reduced: { R: 9, C: 1000, seed: 11 } },
  bytes: (p) => 2 * 4 * p.R * p.C,
  run: (d, p) => {
    const x = latticeInput([p.R, p.C], p.seed, d);
    ops.affine(x, 2, 0.25, x); // still on the lattice of 1/8
    const sampled = rowsOf(x, p.C, sampleRows(p.R));
    const sums = ops.sum(x, 1);
    const arg = ops.argmax(x, 1); // ties everywhere: the first index must win on both
    const colMax = ops.max(x, 0); // [C] over the long axis of rows
    const out = [sampled, sums.toArray(), arg.toArray(), colMax.toArray()];
    [x, sums, arg, colMax].forEach((t) => t.dispose());
    return out;
  },
  reference: (p) => {
    const x = latticeInput([p.R, p.C], p.seed, Device.cpu);
    const xs = Float64Array.from(x.toArray(), (v) => 2 * v + 0.25);
    x.dispose();
    const arg = new Float64Array(p.R);
    const colMax = new Float64Array(p.C).fill(-Infinity);
    for (let r = 0; r < p.R; r++)
      for (let c = 0; c < p.C; c++) {
        const v = xs[r * p.C + c];
        if (v > xs[r * p.C + arg[r]]) arg[r] = c;
        if (v > colMax[c]) colMax[c] = v;
      }
    return [rowsOfArray(xs, p.C, sampleRows(p.R)), sumRows(xs, p.R, p.C), arg, colMax];
  },
};

// ---- few outputs over a long axis: the two-pass reductions ------------------------------------------------
interface LongP { T: number; N: number; seed: number }
const longAxisCheck: LargeCheck<LongP> = {
  name: "sum/mean/argmin over a long leading axis and of one long row",
  tolerance: 1e-6, // the means round once in float32
  // The bias gradient sum(dy, 0) of [T·B, 128], and a sumAll-like reduction of one row.
  params: { full: { T: 32000, N: 128, seed: 21 }, reduced: { T: 3000, N: 16, seed: 21 } },
  bytes: (p) => 4 * p.T * p.N * 2,
  run: (d, p) => {
    const x = latticeInput([p.T, p.N], p.seed, d);
    const flat = x.reshape([1, p.T * p.N]);
    const r = [ops.sum(x, 0), ops.mean(x, 0), ops.argmin(x, 0), ops.sum(flat, 1), ops.argmax(flat, 1)];
    const out = r.map((t) => t.toArray());
    [x, flat, ...r].forEach((t) => t.dispose());
    return out;
  },
  reference: (p) => {
    const x = latticeInput([p.T, p.N], p.seed, Device.cpu);
    const xs = x.toArray();
    x.dispose();
    const sum = new Float64Array(p.N);
    const argmin = new Float64Array(p.N);
    let total = 0;
    let argmax = 0;
    for (let t = 0; t < p.T; t++)
      for (let i = 0; i < p.N; i++) {
        const v = xs[t * p.N + i];
        sum[i] += v;
        if (v < xs[argmin[i] * p.N + i]) argmin[i] = t;
        total += v;
        if (v > xs[argmax]) argmax = t * p.N + i;
      }
    return [sum, sum.map((s) => Math.fround(s) / p.T), argmin, [total], [argmax]];
  },
};

// ---- GEMM: split-K weight gradient, and a batch over the grid's z limit ------------------------------------
interface GemmP { M: number; N: number; K: number; seed: number }
const splitKCheck: LargeCheck<GemmP> = {
  name: "weight-gradient GEMM xᵀ·dy (split-K)",
  tolerance: 1e-4,
  params: { full: { M: 128, N: 128, K: 32000, seed: 31 }, reduced: { M: 40, N: 24, K: 3000, seed: 31 } },
  bytes: (p) => 4 * (p.K * (p.M + p.N) + p.M * p.N),
  run: (d, p) => {
    const a = latticeInput([p.K, p.M], p.seed, d);
    const b = latticeInput([p.K, p.N], p.seed + 7, d);
    const c = ops.matmul(a, b, { transA: true });
    const out = [c.toArray()];
    [a, b, c].forEach((t) => t.dispose());
    return out;
  },
  reference: (p) => {
    const a = latticeInput([p.K, p.M], p.seed, Device.cpu);
    const b = latticeInput([p.K, p.N], p.seed + 7, Device.cpu);
    const r = gemmRef(true, false, p.M, p.N, p.K, 1, a.toArray(), b.toArray(), 0, new Float32Array(p.M * p.N));
    a.dispose();
    b.dispose();
    return [r];
  },
};

interface BatchP { M: number; N: number; K: number; batch: number; seed: number }
const batchedCheck: LargeCheck<BatchP> = {
  name: "batched GEMM of more than 65,535 products",
  tolerance: 1e-5,
  params: { full: { M: 5, N: 7, K: 9, batch: 70000, seed: 41 }, reduced: { M: 5, N: 7, K: 9, batch: 300, seed: 41 } },
  bytes: (p) => 4 * p.batch * (p.M * p.K + p.K * p.N + p.M * p.N),
  run: (d, p) => {
    const { M, N, K, batch } = p;
    const rng = new Rng(p.seed);
    const A = Tensor.from(rng.fillUniform(new Float32Array(batch * M * K), -1, 1), [batch, M, K], d);
    const B = Tensor.from(rng.fillUniform(new Float32Array(batch * K * N), -1, 1), [batch, K, N], d);
    const C = Tensor.empty([batch, M, N], d);
    native().gemmBatched({ transA: false, transB: false, M, N, K, alpha: 1, A, lda: K, strideA: M * K, B, ldb: N, strideB: K * N, beta: 0, C, ldc: N, strideC: M * N, batch });
    const out = [C.toArray()];
    [A, B, C].forEach((t) => t.dispose());
    return out;
  },
  reference: (p) => {
    const { M, N, K, batch } = p;
    const rng = new Rng(p.seed);
    const a = rng.fillUniform(new Float32Array(batch * M * K), -1, 1);
    const b = rng.fillUniform(new Float32Array(batch * K * N), -1, 1);
    const c = new Float64Array(batch * M * N);
    const zero = new Float32Array(M * N);
    for (let i = 0; i < batch; i++)
      c.set(gemmRef(false, false, M, N, K, 1, a.subarray(i * M * K, (i + 1) * M * K), b.subarray(i * K * N, (i + 1) * K * N), 0, zero), i * M * N);
    return [c];
  },
};

// ---- a 196M-element IAF scan (exact on the lattice: spikes must agree everywhere) -------------------------
interface ScanP { T: number; B: number; N: number; seed: number }
const scanCheck: LargeCheck<ScanP> = {
  name: "IAF forward scan of 196M elements",
  tolerance: 0,
  params: { full: { T: 300, B: 64, N: 10240, seed: 51 }, reduced: { T: 60, B: 3, N: 50, seed: 51 } },
  bytes: (p) => 4 * p.T * p.B * p.N * 4,
  run: (d, p) => {
    const x = latticeInput([p.T, p.B, p.N], p.seed, d);
    ops.affine(x, 0.5, 0.125, x); // drift up: neurons spike; multiples of 1/16 keep v exact
    const lif = new LIF({ alpha: 1, threshold: 1, device: d });
    const s = lif.forward(x);
    const sampled = rowsOf(s, p.B * p.N, sampleRows(p.T));
    const counts = ops.sum(s, 0);
    const out = [sampled, counts.toArray()];
    [x, s, counts].forEach((t) => t.dispose());
    lif.dispose();
    return out;
  },
  reference: (p) => {
    const x = latticeInput([p.T, p.B, p.N], p.seed, Device.cpu);
    const xs = Float64Array.from(x.toArray(), (v) => 0.5 * v + 0.125);
    x.dispose();
    const N = p.B * p.N;
    const { s } = lifForwardRef({ T: p.T, N, alpha: [1], theta: [1], m: [1], reset: "subtract", sg: { name: "exponential", scale: 1, width: 1 } }, xs);
    const counts = new Float64Array(N);
    for (let t = 0; t < p.T; t++) for (let i = 0; i < N; i++) counts[i] += s[t * N + i];
    return [rowsOfArray(s, N, sampleRows(p.T)), counts];
  },
};

export const largeChecks: readonly LargeCheck[] = [
  // [600, 1000, 1000] = 6·10⁸ elements: row 537 onwards is the grid-stride loop's second lap.
  broadcastCheck("broadcast multiply past the grid-stride limit (536,862,720)", { A: 600, B: 1000, C: 1000, seed: 1 }, { A: 6, B: 10, C: 100, seed: 1 }, () => [537, 560]),
  rowsCheck,
  longAxisCheck,
  splitKCheck,
  batchedCheck,
  scanCheck,
  // [4097, 64, 2¹⁴] = 4,296,015,872 elements: past 2³², where the 64-bit index path takes over.
  broadcastCheck("broadcast multiply past 2³² elements (64-bit indexing)", { A: 4097, B: 64, C: 1 << 14, seed: 2 }, { A: 5, B: 3, C: 40, seed: 2 }, (p) => [p.A - 2]),
];

