// One training step (forward + backward, no optimiser) of configs/shd-delays.yaml's network on a
// random SHD-shaped batch (T 100, 140 inputs at the given spike density) at a given σ, and the SHD
// epoch (8,156 samples) it extrapolates to. Three settings of the DelayLinear layers, interleaved
// per repetition: "auto" (the layer's choice: events at low density, the window path for a narrow
// σ, else dense), "before" (the choice before the window path existed: events below 10 % input
// density, else dense, and ∂x always dense) and "dense". Median and range; the load average is
// printed: figures from a shared machine move with it. --json writes the times.
//
//   node dist/benchmarks/delay/step.js [--B 256] [--density 0.05] [--sigma 0.5] [--reps 3] [--json out.json]
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DelayLinear } from "../../lib/nn/delay.js";
import { Rng } from "../../lib/random.js";
import { loadConfig } from "../../lib/train/config.js";
import { buildModel } from "../../lib/train/model.js";
import { Tensor, scope } from "../../lib/tensor.js";

const { values } = parseArgs({
  options: {
    B: { type: "string", default: "256" }, density: { type: "string", default: "0.05" }, sigma: { type: "string", default: "0.5" },
    reps: { type: "string", default: "3" }, json: { type: "string" },
  },
});
const B = Number(values.B), density = Number(values.density), sigma = Number(values.sigma), reps = Number(values.reps), T = 100, F = 140;
const cfg = loadConfig(join(import.meta.dirname, "..", "..", "..", "configs", "shd-delays.yaml"));
const rng = new Rng(1);
const x = Tensor.from(Float32Array.from({ length: T * B * F }, () => (rng.uniform() < density ? 1 : 0)), [T, B, F]);
const load = () => loadavg().map((v) => v.toFixed(1)).join(" ");
console.log(`shd-delays step, T ${T}, B ${B}, input density ${density}, σ ${sigma}; load average ${load()}`);

const SETTINGS = ["auto", "before", "dense"] as const;
const models = SETTINGS.map(() => buildModel(cfg, { sampleShape: [T, F], numClasses: 20 }));
const delays = models.map((m) => m.net.layers.filter((l): l is DelayLinear => l instanceof DelayLinear));
for (const ls of delays) for (const l of ls) l.setSigma(sigma);
const g = (y: Tensor) => Tensor.from(Float32Array.from({ length: y.size }, () => rng.range(-1e-3, 1e-3)), y.shape);
// "before": the density each layer sees (measured by an "auto" step), then the old rule on it
// (events below 10 %, the crossover before the window path).
scope(() => models[1].net.forward(x));
for (const l of delays[1]) l.products = (l.inputDensity ?? 1) < 0.1 ? "sparse" : "dense";
for (const l of delays[2]) l.products = "dense";
const times: number[][] = SETTINGS.map(() => []);
for (let r = 0; r < reps; r++)
  models.forEach((model, k) =>
    scope(() => {
      const t0 = performance.now();
      model.net.zeroGrad();
      const y = model.net.forward(x);
      model.net.backward(g(y));
      times[k].push((performance.now() - t0) / 1000);
    }),
  );
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
SETTINGS.forEach((name, k) => {
  const s = median(times[k]);
  const paths = delays[k].map((l) => `${l.path}${l.inputDensity === undefined ? "" : ` at ${(100 * l.inputDensity).toFixed(1)} %`}`);
  console.log(`${name}: ${s.toFixed(2)} s per step (median of ${reps}, ${Math.min(...times[k]).toFixed(2)}–${Math.max(...times[k]).toFixed(2)}); epoch of 8156 samples ≈ ${((s * 8156) / B / 60).toFixed(1)} min; DelayLinear paths ${paths.join(", ")}`);
});
console.log(`load average after: ${load()}`);
if (values.json) writeFileSync(values.json, JSON.stringify({ T, B, density, sigma, reps, loadAfter: loadavg(), seconds: Object.fromEntries(SETTINGS.map((s, k) => [s, times[k]])) }, null, 1));
for (const m of models) m.net.dispose();
