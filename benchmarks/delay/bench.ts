// DelayLinear forward + backward at the SHD-delays shapes, per product path: the dense temporal
// convolution (one GEMM per tap), the event-driven path, the window path (each synapse's own W
// taps) and "auto" (what the layer picks), over input densities, at the start of training
// (σ = D/2: every tap) and at its end (σ 0.5: 6 taps). D 25 steps = 250 ms at 10 ms bins, T 100.
// Layers: the first (140 inputs after the config's 5-channel grouping, or 700 without; no ∂x), a
// hidden 256 → 256 and the 256 → 20 readout (both with ∂x). Paths interleaved per repetition;
// median and range of the runs; the load average is printed, since a shared machine's figures
// move with it. --json writes the rows; --paths times a subset (a column left out prints "–"), e.g.
// dense and auto alone to compare two builds of the addon (EXODUS_ADDON) run after run.
//
//   node dist/benchmarks/delay/bench.js [--B 32] [--reps 3] [--densities 0.05,0.12] [--sigmas 12.5,0.5]
//        [--layers 140x256,256x256+dx,256x20+dx] [--paths dense,sparse,window,auto] [--json out.json]
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { DelayLinear, type DelayPath } from "../../lib/nn/delay.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";

const { values } = parseArgs({
  options: {
    B: { type: "string", default: "32" }, reps: { type: "string", default: "3" }, densities: { type: "string", default: "0.05,0.12" },
    sigmas: { type: "string", default: "12.5,0.5" }, layers: { type: "string", default: "140x256,256x256+dx,256x20+dx" }, json: { type: "string" },
    paths: { type: "string", default: "dense,sparse,window,auto" },
  },
});
const B = Number(values.B), reps = Number(values.reps), T = 100, D = 25;
const list = (s: string) => s.split(",").map(Number);
const layerShapes = values.layers.split(",").map((s) => {
  const m = /^(\d+)x(\d+)(\+dx)?$/.exec(s);
  if (!m) throw new Error(`--layers: expected entries like 256x256+dx, received ${s}`);
  return { nin: Number(m[1]), nout: Number(m[2]), inputGrad: m[3] !== undefined };
});
const ALL_PATHS: DelayPath[] = ["dense", "sparse", "window", "auto"];
const PATHS = values.paths.split(",") as DelayPath[];
for (const p of PATHS) if (!ALL_PATHS.includes(p)) throw new Error(`--paths: expected a list of ${ALL_PATHS.join(", ")}, received ${p}`);

function spikes(n: number, d: number, rng: Rng): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) if (rng.uniform() < d) x[i] = 1;
  return x;
}

function step(layer: DelayLinear, x: Tensor, dy: Tensor): number {
  const t0 = performance.now();
  layer.forward(x).dispose();
  layer.backward(dy).dispose();
  return (performance.now() - t0) / 1000;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const load = () => loadavg().map((v) => v.toFixed(1)).join(" ");

console.log(`DelayLinear fwd+bwd, T ${T}, B ${B}, D ${D}, ${reps} interleaved runs per path (median [min–max] s); load average ${load()}`);
console.log("| layer | σ (taps) | density | dense | event | window | auto (path) | dense / best |\n|---|---|---|---|---|---|---|---|");
const rows: object[] = [];
const rng = new Rng(7);
for (const { nin, nout, inputGrad } of layerShapes)
  for (const sigma of list(values.sigmas))
    for (const d of list(values.densities)) {
      const x = Tensor.from(spikes(T * B * nin, d, rng), [T, B, nin]);
      const dy = Tensor.from(Float32Array.from({ length: T * B * nout }, () => rng.range(-1, 1)), [T, B, nout]);
      const layers = PATHS.map((products) => new DelayLinear(nin, nout, { maxDelay: D, sigma, products, inputGrad, seed: 1 }));
      const times: number[][] = PATHS.map(() => []);
      for (let r = 0; r < reps; r++) layers.forEach((l, k) => times[k].push(step(l, x, dy)));
      const med = times.map(median);
      const at = (p: DelayPath) => PATHS.indexOf(p);
      const cell = (p: DelayPath) => {
        const k = at(p);
        return k < 0 ? "–" : `${med[k].toFixed(3)} [${Math.min(...times[k]).toFixed(3)}–${Math.max(...times[k]).toFixed(3)}]`;
      };
      const taps = sigma === 0 ? 1 : Math.min(2 * Math.ceil(4 * sigma) + 2, D + 1);
      const best = Math.min(...PATHS.map((p, k) => (p === "dense" ? Infinity : med[k])));
      const auto = at("auto") < 0 ? "" : ` (${layers[at("auto")].path})`;
      const ratio = at("dense") < 0 || best === Infinity ? "–" : `${(med[at("dense")] / best).toFixed(1)}×`;
      console.log(`| ${nin}→${nout}${inputGrad ? " (+∂x)" : ""} | ${sigma} (${taps}) | ${(d * 100).toFixed(0)} % | ${cell("dense")} | ${cell("sparse")} | ${cell("window")} | ${cell("auto")}${auto} | ${ratio} |`);
      rows.push({ nin, nout, inputGrad, sigma, taps, density: d, seconds: Object.fromEntries(PATHS.map((p, k) => [p, times[k]])), autoPath: at("auto") < 0 ? undefined : layers[at("auto")].path });
      layers.forEach((l) => l.dispose());
      x.dispose();
      dy.dispose();
    }
console.log(`load average after: ${load()}`);
if (values.json) writeFileSync(values.json, JSON.stringify({ T, B, D, reps, loadAfter: loadavg(), rows }, null, 1));
