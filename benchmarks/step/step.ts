// One training step of a config's network on synthetic spikes of a given density, timed: the
// shared part of the step benchmark and the DVS child run (node dist/benchmarks/step/step.js
// --config … prints one JSON line, so each DVS figure gets its own process and peak RSS).
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import { Adam } from "../../lib/optim.js";
import { Rng } from "../../lib/random.js";
import { setCpuThreads } from "../../lib/runtime.js";
import { Tensor, scope } from "../../lib/tensor.js";
import { loadConfig } from "../../lib/train/config.js";
import { readoutCrossEntropy } from "../../lib/train/loss.js";
import { buildModel } from "../../lib/train/model.js";
import { autoCheckpoint } from "../../lib/nn/memory.js";
import { TimeChunked } from "../../lib/nn/time-chunks.js";
import { timeChunkPeak } from "../../lib/nn/time-chunk-plan.js";

export interface StepTiming {
  config: string;
  surrogate: string;
  T: number;
  B: number;
  density: number;
  threads: number;
  /** Median, min and max seconds per step over `reps` steps after one warm-up step. */
  median: number;
  min: number;
  max: number;
  reps: number;
  loadavg: number[];
  peakRssMiB: number;
  /** With a memory budget: the checkpoint segments' first layers and the estimated peak (MiB). */
  checkpoint?: { budgetMiB: number; starts: number[]; innerBlocks: number; estimatedPeakMiB: number; plainEstimateMiB: number };
  /** In chunks of time (nn/time-chunks.ts): steps per chunk and the estimated peak (MiB). */
  timeChunk?: { steps: number; estimatedPeakMiB: number };
}

/** The sample shape (without T) and classes the step benchmarks give a config's network: the data sets' default transforms. */
export function benchShape(cfg: { model: { kind?: string }; dataset: { name: unknown } }): { features: number[]; classes: number } {
  return {
    // SHD/SSC: 700 channels downsampled to 100; DVS Gesture 64 × 64; CIFAR10-DVS 128 × 128 (its config's layer list)
    features: cfg.dataset.name === "cifar10-dvs" ? [2, 128, 128] : cfg.model.kind === "conv" ? [2, 64, 64] : [100],
    classes: { shd: 20, ssc: 35, "cifar10-dvs": 10 }[cfg.dataset.name as string] ?? 11,
  };
}

/**
 * This process's peak resident memory in MiB. On Linux from VmHWM (the high-water mark of this
 * process's own address space): getrusage's maxRSS carries over from the parent across fork and
 * exec, so a child spawned by a large parent reports at least the parent's size.
 */
export function peakRssMiB(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux: fall back to getrusage
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** `surrogate` replaces the config's neuron.surrogate.name (its scale and width are kept). */
export function timeStep(config: string, opts: { T: number; B: number; density: number; reps: number; threads: number; surrogate?: string; budgetMiB?: number; timeChunk?: number }): StepTiming {
  setCpuThreads(opts.threads);
  const cfg = loadConfig(config, { device: "cpu", output: "/tmp/exodus-step-bench" });
  if (opts.surrogate) cfg.neuron.surrogate = { ...cfg.neuron.surrogate, name: opts.surrogate as typeof cfg.neuron.surrogate.name };
  const { features, classes } = benchShape(cfg);
  const model = buildModel(cfg, { sampleShape: [opts.T, ...features], numClasses: classes });
  const opt = new Adam(model.net.parameters(), { lr: cfg.train.lr, weightDecay: cfg.train.weightDecay });
  const ck = opts.budgetMiB === undefined ? undefined : autoCheckpoint(model.net, [opts.T, opts.B, ...features], opts.budgetMiB * 2 ** 20);
  const chunked = opts.timeChunk === undefined ? undefined : new TimeChunked(model.net, opts.timeChunk);
  const net = chunked ?? ck?.run ?? model.net;
  const rng = new Rng(5);
  const F = features.reduce((a, b) => a * b, 1);
  const xs = new Float32Array(opts.T * opts.B * F);
  for (let i = 0; i < xs.length; i++) if (rng.uniform() < opts.density) xs[i] = 1;
  const x = Tensor.from(xs, [opts.T, opts.B, ...features]);
  const labels = Float32Array.from({ length: opts.B }, () => rng.int(classes));
  const times: number[] = [];
  for (let r = 0; r <= opts.reps; r++) {
    const t0 = performance.now();
    scope(() => {
      model.dropouts.forEach((d, k) => (d.seed = r * 31 + k));
      const y = net.forward(x);
      const { dy } = readoutCrossEntropy(cfg.loss.readout, y, labels);
      net.backward(dy!);
      opt.step();
      model.net.zeroGrad();
    });
    if (r > 0) times.push((performance.now() - t0) / 1000);
  }
  x.dispose();
  opt.dispose();
  model.net.dispose();
  const s = [...times].sort((a, b) => a - b);
  return {
    config, surrogate: cfg.neuron.surrogate.name, T: opts.T, B: opts.B, density: opts.density, threads: opts.threads,
    median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1], reps: opts.reps,
    loadavg: loadavg(), peakRssMiB: peakRssMiB(),
    ...(chunked ? { timeChunk: { steps: chunked.chunk, estimatedPeakMiB: timeChunkPeak(model.net, [opts.T, opts.B, ...features], chunked.chunk) / 2 ** 20 } } : {}),
    ...(ck ? { checkpoint: { budgetMiB: opts.budgetMiB!, starts: ck.plan.starts, innerBlocks: ck.inner, estimatedPeakMiB: ck.plan.peak / 2 ** 20, plainEstimateMiB: ck.plan.plain / 2 ** 20 } } : {}),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const value = (name: string, def: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : def;
  };
  const r = timeStep(value("config", "configs/dvs-gesture.yaml"), {
    T: Number(value("T", "300")), B: Number(value("B", "16")), density: Number(value("density", "0.01")),
    reps: Number(value("reps", "2")), threads: Number(value("threads", "2")), surrogate: value("surrogate", "") || undefined,
    ...(value("budget-mib", "") ? { budgetMiB: Number(value("budget-mib", "")) } : {}),
    ...(value("time-chunk", "") ? { timeChunk: Number(value("time-chunk", "")) } : {}),
  });
  console.log(JSON.stringify(r));
}
