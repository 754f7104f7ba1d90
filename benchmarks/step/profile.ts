// Per-layer profile of one training step of a config's network (forward and backward per layer,
// readout + loss, optimiser), on synthetic input of the data set's shape and event density.
//
//   node dist/benchmarks/step/profile.js [--config configs/dvs-gesture.yaml] [--B 16] [--T 300]
//        [--density 0.01] [--reps 2] [--threads N] [--cpu-time] [--surrogate triangle]
//
// --cpu-time reports the process's CPU time (user + system) instead of wall time: with --threads 1
// it counts only the work this process did, so an A/B of two builds under other jobs' load
// compares their work, not the scheduler's luck (memory bandwidth is still shared).
import { loadavg } from "node:os";
import { Rng } from "../../lib/random.js";
import { setCpuThreads } from "../../lib/runtime.js";
import { Tensor, scope } from "../../lib/tensor.js";
import { loadConfig } from "../../lib/train/config.js";
import { readoutCrossEntropy } from "../../lib/train/loss.js";
import { buildModel } from "../../lib/train/model.js";
import { Adam } from "../../lib/optim.js";
import { benchShape, peakRssMiB } from "./step.js";
import { WeightNorm } from "../../lib/nn/weightnorm.js";
import type { LinearTail } from "../../lib/nn/activation.js";

const args = process.argv.slice(2);
const value = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const cfg = loadConfig(value("config", "configs/dvs-gesture.yaml"), { device: "cpu", output: "/tmp/exodus-profile" });
const surrogate = value("surrogate", "");  // replaces the config's surrogate name (its scale and width kept), as step.js
if (surrogate) cfg.neuron.surrogate = { ...cfg.neuron.surrogate, name: surrogate as typeof cfg.neuron.surrogate.name };
const B = Number(value("B", "16"));
const T = Number(value("T", "300"));
const density = Number(value("density", "0.01"));
const reps = Number(value("reps", "2"));
if (args.includes("--threads")) setCpuThreads(Number(value("threads", "1")));
const { features, classes } = benchShape(cfg);
const cpuTime = args.includes("--cpu-time");
const now = cpuTime ? () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
} : () => performance.now();

const model = buildModel(cfg, { sampleShape: [T, ...features], numClasses: classes });
const opt = new Adam(model.net.parameters(), { lr: 1e-3 });
const rng = new Rng(5);
const F = features.reduce((a, b) => a * b, 1);
const xs = new Float32Array(T * B * F);
for (let i = 0; i < xs.length; i++) if (rng.uniform() < density) xs[i] = 1;
const x = Tensor.from(xs, [T, B, ...features]);
const labels = Float32Array.from({ length: B }, () => rng.int(classes));
const names = model.net.layers.map((l, i) => `${i}.${l.constructor.name}`);
const fwd = names.map(() => [] as number[]);
const bwd = names.map(() => [] as number[]);
const rest: { loss: number[]; opt: number[]; step: number[] } = { loss: [], opt: [], step: [] };

for (let r = 0; r <= reps; r++) {
  scope(() => {
    const t0 = now();
    // Sequential's own forward (spike masks, fused neuron + pooling + dropout), timed per layer
    // that ran: a fused group's time is reported on its neuron layer, 0 on the layers inside it.
    const net = model.net;
    let lap = now();
    // A Linear whose product ran inside the LIF scan after it is not reported: 0 on it, its time on the LIF.
    const fused = new Set<number>();
    const reported = new Set<number>();
    const h = net.forwardSteps({ x }, (i, _out, span) => {
      const at = now();
      fwd[i].push(at - lap);
      lap = at;
      reported.add(i);
      for (let k = 1; k < span; k++) fused.add(i + k);
    }).x;
    names.forEach((_, i) => {
      if (!reported.has(i)) fwd[i].push(0);
    });
    let a = now();
    const { dy } = readoutCrossEntropy(cfg.loss.readout, h, labels);
    rest.loss.push(now() - a);
    let g = dy!;
    for (let i = names.length - 1; i >= 0; i--) {
      if (fused.has(i)) {
        bwd[i].push(0);
        continue;
      }
      a = now();
      // A LIF that computed the Linear's product before it takes that Linear's backward in its scan: 0 on the Linear.
      const viaLinear = net.linearFedAt(i) ? (net.layers[i] as unknown as LinearTail).backwardLinear(g) : undefined;
      const next = viaLinear ?? net.layers[i].backward(g);
      g.dispose();
      g = next;
      bwd[i].push(now() - a);
      if (viaLinear) bwd[--i].push(0);
    }
    a = now();
    opt.step();
    model.net.zeroGrad();
    rest.opt.push(now() - a);
    rest.step.push(now() - t0);
  });
}
const med = (v: number[]) => {
  const s = v.slice(1).sort((p, q) => p - q); // the first run is warm-up
  return s[Math.floor(s.length / 2)];
};
console.log(`B=${B} T=${T} density=${density} surrogate=${cfg.neuron.surrogate.name}${cpuTime ? " (CPU ms)" : ""} load=${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
names.forEach((n, i) => {
  const layer = model.net.layers[i];
  const l = (layer instanceof WeightNorm ? layer.inner : layer) as { inputDensity?: number; sparseInput?: boolean };
  const d = l.inputDensity === undefined ? "" : `  input density ${(100 * l.inputDensity).toFixed(2)}%`;
  console.log(`${n.padEnd(18)} fwd ${med(fwd[i]).toFixed(1).padStart(8)} ms  bwd ${med(bwd[i]).toFixed(1).padStart(8)} ms${d}`);
});
console.log(`loss ${med(rest.loss).toFixed(1)} ms, optimiser ${med(rest.opt).toFixed(1)} ms`);
console.log(`step ${med(rest.step).toFixed(0)} ms = ${(med(rest.step) / 1000 / B).toFixed(3)} s/sample; peak RSS ${peakRssMiB().toFixed(0)} MiB`);
