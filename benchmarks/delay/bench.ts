// DelayLinear forward + backward at the SHD-delays shapes, per product path: the dense temporal
// convolution (one GEMM per tap), the event-driven path, the window path (each synapse's own W
// taps) and "auto" (what the layer picks), over a sweep of input densities (2–30 % by default), at
// the start of training (σ = D/2: every tap) and at its end (σ 0.5: 6 taps). D 25 steps = 250 ms
// at 10 ms bins, T 100. Layers: the first (140 inputs after the config's 5-channel grouping, or
// 700 without; no ∂x), a hidden 256 → 256 and the 256 → 20 readout (both with ∂x). Paths
// interleaved per repetition; median and range of the runs; the load average is printed, since a
// shared machine's figures move with it. Each row gives dense / auto and dense / the best path;
// after the table, per σ and density, the layers together (Σ dense / Σ auto) and where auto falls
// under 5×. "auto-gemmdx" is auto with ∂x by the GEMMs (for windows wider than 12 taps, the rule
// before ∂x went over the window at every width). --json writes the rows; --paths times a subset (e.g. dense and auto alone, to
// compare two builds of the addon, EXODUS_ADDON, run after run).
//
//   node dist/benchmarks/delay/bench.js [--B 32] [--reps 3] [--densities 0.02,0.05,0.08,0.12,0.2,0.3] [--sigmas 12.5,0.5]
//        [--layers 140x256,256x256+dx,256x20+dx] [--paths dense,sparse,window,auto,auto-gemmdx] [--json out.json]
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { DelayLinear, type DelayPath } from "../../lib/nn/delay.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";

const { values } = parseArgs({
  options: {
    B: { type: "string", default: "32" }, reps: { type: "string", default: "3" }, densities: { type: "string", default: "0.02,0.05,0.08,0.12,0.2,0.3" },
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
type BenchPath = DelayPath | "auto-gemmdx";
const ALL_PATHS: BenchPath[] = ["dense", "sparse", "window", "auto", "auto-gemmdx"];
const PATHS = values.paths.split(",") as BenchPath[];
for (const p of PATHS) if (!ALL_PATHS.includes(p)) throw new Error(`--paths: expected a list of ${ALL_PATHS.join(", ")}, received ${p}`);

function layerFor(p: BenchPath, nin: number, nout: number, sigma: number, inputGrad: boolean): DelayLinear {
  const l = new DelayLinear(nin, nout, { maxDelay: D, sigma, products: p === "auto-gemmdx" ? "auto" : p, inputGrad, seed: 1 });
  if (p === "auto-gemmdx") l.inputGradPath = "dense";
  return l;
}

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
console.log(`| layer | σ (taps) | density | ${PATHS.join(" | ")} | auto's path (∂x) | dense / auto | dense / best |`);
console.log(`|---|---|---|${PATHS.map(() => "---|").join("")}---|---|---|`);
const rows: { nin: number; nout: number; sigma: number; density: number; med: Record<string, number> }[] = [];
const json: object[] = [];
const rng = new Rng(7);
const sigmas = list(values.sigmas), densities = list(values.densities);
for (const { nin, nout, inputGrad } of layerShapes)
  for (const sigma of sigmas)
    for (const d of densities) {
      const x = Tensor.from(spikes(T * B * nin, d, rng), [T, B, nin]);
      const dy = Tensor.from(Float32Array.from({ length: T * B * nout }, () => rng.range(-1, 1)), [T, B, nout]);
      const layers = PATHS.map((p) => layerFor(p, nin, nout, sigma, inputGrad));
      const times: number[][] = PATHS.map(() => []);
      for (let r = 0; r < reps; r++) layers.forEach((l, k) => times[k].push(step(l, x, dy)));
      const med = Object.fromEntries(PATHS.map((p, k) => [p, median(times[k])]));
      const cells = PATHS.map((p, k) => `${med[p].toFixed(3)} [${Math.min(...times[k]).toFixed(3)}–${Math.max(...times[k]).toFixed(3)}]`);
      const taps = sigma === 0 ? 1 : Math.min(2 * Math.ceil(4 * sigma) + 2, D + 1);
      const best = Math.min(...PATHS.filter((p) => p !== "dense").map((p) => med[p]));
      const autoLayer = layers[PATHS.indexOf("auto")];
      const autoPath = autoLayer ? `${autoLayer.path} (${inputGrad ? autoLayer.inputGradTaken : "none"})` : "–";
      const ratio = (a: number | undefined) => (med.dense === undefined || a === undefined || a === Infinity ? "–" : `${(med.dense / a).toFixed(1)}×`);
      console.log(`| ${nin}→${nout}${inputGrad ? " (+∂x)" : ""} | ${sigma} (${taps}) | ${(d * 100).toFixed(0)} % | ${cells.join(" | ")} | ${autoPath} | ${ratio(med.auto)} | ${ratio(best)} |`);
      rows.push({ nin, nout, sigma, density: d, med });
      json.push({ nin, nout, inputGrad, sigma, taps, density: d, seconds: Object.fromEntries(PATHS.map((p, k) => [p, times[k]])), autoPath: autoLayer?.path, inputGradPath: autoLayer?.inputGradTaken });
      layers.forEach((l) => l.dispose());
      x.dispose();
      dy.dispose();
    }
// The layers together: what a step of the stack spends in its DelayLinear layers.
if (PATHS.includes("dense") && PATHS.includes("auto")) {
  console.log("\nLayers together (Σ dense / Σ auto of the medians), per σ and input density; each layer under 5× named:");
  for (const sigma of sigmas)
    for (const d of densities) {
      const at = rows.filter((r) => r.sigma === sigma && r.density === d);
      const sum = (p: string) => at.reduce((a, r) => a + r.med[p], 0);
      const under = at.filter((r) => r.med.dense / r.med.auto < 5).map((r) => `${r.nin}→${r.nout} ${(r.med.dense / r.med.auto).toFixed(1)}×`);
      console.log(`σ ${sigma}, ${(d * 100).toFixed(0)} %: ${(sum("dense") / sum("auto")).toFixed(1)}×${under.length ? `; under 5×: ${under.join(", ")}` : "; every layer ≥ 5×"}`);
    }
}
console.log(`load average after: ${load()}`);
if (values.json) writeFileSync(values.json, JSON.stringify({ T, B, D, reps, loadAfter: loadavg(), rows: json }, null, 1));
