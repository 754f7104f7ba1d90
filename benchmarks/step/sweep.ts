// Density sweep of the spike-sparse products against the dense ones (lib/sparse.ts), on the
// shapes of the paper's SHD hidden layer and of DVS Gesture's convolutions: forward + weight
// gradient of one layer, median of a few runs, side by side in one run. The crossover (where
// sparse stops winning) sets CPU_CROSSOVER.
//
//   node dist/benchmarks/step/sweep.js
import { loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import { conv2d, conv2dBackward } from "../../lib/conv.js";
import * as ops from "../../lib/ops.js";
import { Rng } from "../../lib/random.js";
import { SpikeIndex, sparseConv2d, sparseConv2dWeightGrad, sparseLinear, sparseLinearWeightGrad } from "../../lib/sparse.js";
import { Tensor } from "../../lib/tensor.js";

const DENSITIES = [0.001, 0.01, 0.03, 0.1, 0.2, 0.3, 0.5];

function median(f: () => void, reps = 3): number {
  f();
  const t: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  return t.sort((a, b) => a - b)[Math.floor(reps / 2)];
}

function spikes(shape: number[], d: number): Tensor {
  const rng = new Rng(3);
  const n = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) if (rng.uniform() < d) x[i] = 1;
  return Tensor.from(x, shape);
}

interface Row { layer: string; density: number; denseMs: number; sparseMs: number; speedup: number; loadavg: number; indexedMs?: number; indexedSpeedup?: number }

export function densitySweep(log = console.log): Row[] {
  const rows: Row[] = [];
  const rng = new Rng(1);
  const add = (layer: string, d: number, dense: number, sparse: number, indexed?: number) => {
    rows.push({ layer, density: d, denseMs: dense, sparseMs: sparse, speedup: dense / sparse, loadavg: loadavg()[0], ...(indexed === undefined ? {} : { indexedMs: indexed, indexedSpeedup: dense / indexed }) });
    const ix = indexed === undefined ? "" : `  indexed ${indexed.toFixed(1).padStart(6)} ms  ×${(dense / indexed).toFixed(2)}`;
    log(`${layer.padEnd(34)} ${(d * 100).toFixed(1).padStart(5)}%  dense ${dense.toFixed(1).padStart(7)} ms  sparse ${sparse.toFixed(1).padStart(7)} ms  ×${(dense / sparse).toFixed(2)}${ix}  (load ${loadavg()[0].toFixed(1)})`);
  };
  // SHD hidden layer: T·B = 250·128 rows, 128 → 128.
  {
    const [R, F, O] = [250 * 128, 128, 128];
    const w = Tensor.uniform([O, F], rng, { low: -0.1, high: 0.1 });
    const g = Tensor.uniform([R, O], rng, { low: -1, high: 1 });
    const dw = Tensor.zeros([O, F]);
    const index = new SpikeIndex();
    for (const d of [...DENSITIES, 0.4]) {
      const s = spikes([R, F], d);
      const y = Tensor.empty([R, O]);
      const dense = median(() => {
        ops.gemm(y, s, w, { transB: true });
        ops.gemm(dw, g, s, { transA: true, beta: 1 });
      });
      const sparse = median(() => {
        sparseLinear(s, w).dispose();
        sparseLinearWeightGrad(g, s, dw);
      });
      // The layers' path on the CPU: one pass builds the index, the products read it.
      const indexed = median(() => {
        index.build(s, R, F);
        index.linear(w).dispose();
        index.linearWeightGrad(g, dw);
      });
      add(`linear [${R}x${F}]→${O}`, d, dense, sparse, indexed);
      s.dispose();
      y.dispose();
    }
  }
  // DVS Gesture convolutions (3×3, pad 1) on 300 images: the first three layers' shapes.
  for (const [C, H, O] of [[2, 64, 8], [8, 32, 16], [16, 16, 32], [32, 8, 64]]) {
    const N = 300;
    const w = Tensor.uniform([O, C, 3, 3], rng, { low: -0.1, high: 0.1 });
    const dy = Tensor.uniform([N, O, H, H], rng, { low: -1, high: 1 });
    const dw = Tensor.zeros([O, C, 3, 3]);
    for (const d of DENSITIES) {
      const x = spikes([N, C, H, H], d);
      const opts = { padding: 1 };
      const dense = median(() => {
        conv2d(x, w, opts).dispose();
        conv2dBackward(x, w, dy, { ...opts, inputGrad: false, accumulate: { dw } });
      });
      const sparse = median(() => {
        sparseConv2d(x, w, opts).dispose();
        sparseConv2dWeightGrad(x, dy, dw, opts);
      });
      add(`conv ${C}→${O} at ${H}x${H} (${N} images)`, d, dense, sparse);
      x.dispose();
    }
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) densitySweep();
