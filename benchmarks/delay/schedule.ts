// Where a whole DCLS schedule spends its time: configs/shd-delays.yaml's σ per epoch (each
// DelayLinear's own sigmaDecay, set by startEpoch as `exodus train` does), grouped by the window
// width W it gives (the paths' cost depends on W, not on σ itself), one training step (forward +
// backward, no optimiser) timed with the layers' "auto" choice at each width on random inputs at
// the given density, and the run's time extrapolated to the SHD training set (8,156 samples per
// epoch). Prints per width the epochs, σ range, step time and minutes, and the share of the run
// spent where the window is the whole kernel (W = D + 1). The load average is printed.
//
//   node dist/benchmarks/delay/schedule.js [--B 64] [--density 0.05] [--reps 3] [--json out.json]
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
  options: { B: { type: "string", default: "64" }, density: { type: "string", default: "0.05" }, reps: { type: "string", default: "3" }, json: { type: "string" } },
});
const B = Number(values.B), density = Number(values.density), reps = Number(values.reps), T = 100, F = 140, SAMPLES = 8156;
const cfg = loadConfig(join(import.meta.dirname, "..", "..", "..", "configs", "shd-delays.yaml"));
const epochs = cfg.train.epochs;
const model = buildModel(cfg, { sampleShape: [T, F], numClasses: 20 });
const delays = model.net.layers.filter((l): l is DelayLinear => l instanceof DelayLinear);
const D = delays[0].maxDelay;
const taps = (s: number) => (s === 0 ? 1 : Math.min(2 * Math.ceil(delays[0].windowSigmas * s) + 2, D + 1));

// The schedule: σ of the first layer per epoch (every layer has the same decay in the config).
const groups = new Map<number, { epochs: number; sigmas: number[] }>();
for (let e = 0; e < epochs; e++) {
  model.net.startEpoch(e, epochs);
  const s = delays[0].sigma, w = taps(s);
  const g = groups.get(w) ?? { epochs: 0, sigmas: [] };
  g.epochs++;
  g.sigmas.push(s);
  groups.set(w, g);
}

const rng = new Rng(1);
const x = Tensor.from(Float32Array.from({ length: T * B * F }, () => (rng.uniform() < density ? 1 : 0)), [T, B, F]);
const load = () => loadavg().map((v) => v.toFixed(1)).join(" ");
console.log(`shd-delays schedule: ${epochs} epochs, B ${B}, input density ${density}, median of ${reps} steps per width; load average ${load()}`);
console.log("| W (taps) | epochs | σ | DelayLinear paths (∂x) | s per step | min per epoch | min in the run |\n|---|---|---|---|---|---|---|");
const rows: object[] = [];
let total = 0, wide = 0;
for (const [w, g] of [...groups].sort((a, b) => b[0] - a[0])) {
  const sigma = g.sigmas[0];
  for (const l of delays) l.setSigma(sigma);
  const times: number[] = [];
  for (let r = 0; r <= reps; r++)
    scope(() => {
      const t0 = performance.now();
      model.net.zeroGrad();
      const y = model.net.forward(x);
      model.net.backward(Tensor.from(Float32Array.from({ length: y.size }, () => rng.range(-1e-3, 1e-3)), y.shape));
      if (r > 0) times.push((performance.now() - t0) / 1000); // the first step warms the caches and allocator
    });
  const s = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)];
  const perEpoch = (s * SAMPLES) / B / 60, run = perEpoch * g.epochs;
  total += run;
  if (w === D + 1) wide += run;
  const paths = delays.map((l) => `${l.path} (${l.inputGradTaken ?? "none"})`).join(", ");
  const range = `${Math.min(...g.sigmas).toFixed(2)}–${Math.max(...g.sigmas).toFixed(2)}`;
  console.log(`| ${w} | ${g.epochs} | ${range} | ${paths} | ${s.toFixed(3)} [${Math.min(...times).toFixed(3)}–${Math.max(...times).toFixed(3)}] | ${perEpoch.toFixed(2)} | ${run.toFixed(1)} |`);
  rows.push({ taps: w, epochs: g.epochs, sigmas: g.sigmas, seconds: times, minutesPerEpoch: perEpoch });
}
console.log(`whole run: ${total.toFixed(0)} min of forward + backward; the epochs with the whole kernel as window (W ${D + 1}): ${wide.toFixed(0)} min (${((100 * wide) / total).toFixed(0)} %)`);
console.log(`load average after: ${load()}`);
if (values.json) writeFileSync(values.json, JSON.stringify({ T, B, density, reps, epochs, loadAfter: loadavg(), totalMinutes: total, wideMinutes: wide, rows }, null, 1));
model.net.dispose();
