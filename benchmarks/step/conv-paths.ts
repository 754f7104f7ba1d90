// The CPU's convolution paths side by side, per product, on the DVS nets' layer shapes (4,800
// images = B 16 × T 300): the forward by im2col + GEMM, the direct loop (lib/conv-direct.ts) and
// the spike-sparse product; ∂x by GEMM + col2im and the direct loop; ∂W by im2col + GEMM, the
// direct loop and the sparse product. CPU time of this process at one thread (so that other jobs'
// load counts less), the fastest of --reps runs. The break-even densities of DIRECT_OVER_SPARSE
// (lib/conv-direct.ts) come from it.
//
//   node dist/benchmarks/step/conv-paths.js [--images 4800] [--reps 3] [--out file.json]
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { conv2d, conv2dBackward, conv2dGeometry, directWeightGradFits } from "../../lib/conv.js";
import { Rng } from "../../lib/random.js";
import { setCpuThreads } from "../../lib/runtime.js";
import { sparseConv2d, sparseConv2dWeightGrad } from "../../lib/sparse.js";
import { Tensor } from "../../lib/tensor.js";

const args = process.argv.slice(2);
const value = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const images = Number(value("images", "4800"));
const reps = Number(value("reps", "3"));
const out = value("out", "");

// [Cin, Cout, side, input density]: the network bench's base-2 net at its measured densities,
// then configs/dvs-gesture.yaml's convs at theirs (benchmarks/step/profile.js).
const SHAPES: [number, number, number, number][] = [
  [2, 2, 64, 0.05], [2, 4, 32, 0.075], [4, 8, 16, 0.18], [8, 16, 8, 0.27],
  [2, 8, 64, 0.01], [8, 16, 32, 0.038], [16, 32, 16, 0.024], [32, 64, 8, 0.026], [64, 64, 4, 0.026],
];

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
function best(f: () => Tensor | void): number {
  let min = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = cpuMs();
    const y = f();
    min = Math.min(min, cpuMs() - t0);
    if (y) y.dispose();
  }
  return min;
}

setCpuThreads(1);
const rows = [];
for (const [ci, co, side, d] of SHAPES) {
  const rng = new Rng(ci * 100 + co);
  const xs = new Float32Array(images * ci * side * side);
  for (let i = 0; i < xs.length; i++) if (rng.uniform() < d) xs[i] = 1;
  const x = Tensor.from(xs, [images, ci, side, side]);
  const w = Tensor.uniform([co, ci, 3, 3], rng, { low: -0.5, high: 0.5 });
  const dy = Tensor.uniform([images, co, side, side], rng, { low: -1, high: 1 });
  const dw = Tensor.zeros([co, ci, 3, 3]);
  const bw = (o: object) => () => conv2dBackward(x, w, dy, { padding: 1, accumulate: { dw }, ...o }).dx;
  const row = {
    shape: `${ci}→${co} at ${side}×${side}`, density: d,
    forward: { gemm: best(() => conv2d(x, w, { padding: 1, forwardPath: "gemm" })), direct: best(() => conv2d(x, w, { padding: 1, forwardPath: "direct" })), sparse: best(() => sparseConv2d(x, w, { padding: 1 })) },
    inputGrad: { gemm: best(bw({ weightGrad: false, inputGradPath: "gemm" })), direct: best(bw({ weightGrad: false, inputGradPath: "direct" })) },
    weightGrad: {
      gemm: best(bw({ inputGrad: false, weightGradPath: "gemm" })),
      // (4 × 4 outputs: no direct ∂W, the output width is not a multiple of 8)
      ...(directWeightGradFits(conv2dGeometry(x, w, { padding: 1 })) ? { direct: best(bw({ inputGrad: false, weightGradPath: "direct" })) } : {}),
      sparse: best(() => void sparseConv2dWeightGrad(x, dy, dw, { padding: 1 })),
    },
  };
  rows.push(row);
  const f = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ");
  console.log(`${row.shape}, ${(d * 100).toFixed(1)} %: forward ${f(row.forward)} | ∂x ${f(row.inputGrad)} | ∂W ${f(row.weightGrad)} (CPU ms)`);
  for (const t of [x, w, dy, dw]) t.dispose();
}
const load = loadavg().map((v) => v.toFixed(2)).join(" ");
console.log(`images ${images}, 1 thread, fastest of ${reps}, load average ${load}`);
if (out) writeFileSync(out, JSON.stringify({ images, reps, threads: 1, unit: "CPU ms", loadavg: load, date: new Date().toISOString(), rows }, null, 2));
