// Training-level self-checks (`exodus selftest --training`):
//   1. Two training steps (forward, loss, backward, Adam) of the paper's SHD and DVS Gesture nets
//      (configs/*.yaml) from the same weights and inputs on a device and on a reference, comparing
//      the loss and every parameter's gradient at both steps. On CUDA the reference is the CPU
//      backend; on the CPU it is the CPU backend on one thread (a different summation order
//      everywhere the OpenMP loops split work).
//   2. A short training run on a generated task that must learn: accuracy well above chance and
//      a falling loss, with non-zero gradients in every layer.
// Tolerances, "within float32 reason": a spiking net is discontinuous; a membrane potential within
// rounding of the threshold may spike on one side only, which moves gradients locally. The loss
// must agree to 1e-3 relative, each gradient to 2e-2 in relative 2-norm (a systematic bug, a wrong
// index or a missed block, moves them by O(1)).
import { join } from "node:path";
import { Device } from "../device.js";
import { native, packageRoot } from "../native.js";
import { Adam } from "../optim.js";
import { Rng } from "../random.js";
import { runtimeInfo, setCpuThreads } from "../runtime.js";
import { Tensor, scope } from "../tensor.js";
import { type TrainConfig, loadConfig } from "../train/config.js";
import { readoutCrossEntropy } from "../train/loss.js";
import { buildModel } from "../train/model.js";
import { Progress } from "../train/progress.js";
import { type TrainData, mixSeed, train } from "../train/trainer.js";
import type { CheckResult } from "./run.js";

export type TrainingScale = "full" | "reduced";

interface NetCase {
  name: string;
  config: string;
  classes: number;
  /** [T, …features] and batch per scale. */
  shape: Record<TrainingScale, { sample: number[]; batch: number }>;
  rate: number;
}

const nets: NetCase[] = [
  { name: "SHD net (configs/shd.yaml)", config: "shd.yaml", classes: 20, rate: 0.25,
    shape: { full: { sample: [250, 100], batch: 128 }, reduced: { sample: [60, 100], batch: 8 } } },
  { name: "DVS Gesture net (configs/dvs-gesture.yaml)", config: "dvs-gesture.yaml", classes: 11, rate: 0.02,
    shape: { full: { sample: [300, 2, 64, 64], batch: 20 }, reduced: { sample: [16, 2, 32, 32], batch: 2 } } },
];

export const LOSS_TOL = 1e-3;
export const GRAD_TOL = 2e-2;

export interface TwoSteps {
  losses: number[];
  /** grads[step][param] */
  grads: Float32Array[][];
}

/** Two training steps of cfg's net on one device from the weights of cfg.train.seed. */
export function twoSteps(cfg: TrainConfig, sample: number[], classes: number, x: Float32Array, labels: Float32Array, device: Device): TwoSteps {
  const c = { ...cfg, device: String(device) } as TrainConfig;
  const model = buildModel(c, { sampleShape: sample, numClasses: classes });
  const params = model.net.parameters();
  const opt = new Adam(params, { lr: c.train.lr, weightDecay: c.train.weightDecay });
  const B = labels.length;
  const out: TwoSteps = { losses: [], grads: [] };
  try {
    for (let step = 0; step < 2; step++)
      scope(() => {
        model.dropouts.forEach((d, k) => (d.seed = mixSeed(c.train.seed, step, k)));
        const xt = Tensor.from(x, [sample[0], B, ...sample.slice(1)], device);
        const y = model.net.forward(xt);
        const { loss, dy } = readoutCrossEntropy(c.loss.readout, y, labels);
        model.net.backward(dy!);
        out.losses.push(loss);
        out.grads.push(params.map((p) => p.grad.toArray()));
        opt.step();
        model.net.zeroGrad();
      });
  } finally {
    opt.dispose();
    model.net.dispose();
  }
  return out;
}

function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

/** Worst relative differences of two runs: loss, and gradient ‖a − b‖ / ‖b‖; and the smallest reference gradient norm. */
export function compareSteps(a: TwoSteps, b: TwoSteps): { loss: number; grad: number; minGradNorm: number } {
  let loss = 0;
  let grad = 0;
  let minGradNorm = Infinity;
  for (let s = 0; s < b.losses.length; s++) {
    loss = Math.max(loss, Math.abs(a.losses[s] - b.losses[s]) / Math.max(Math.abs(b.losses[s]), 1e-30));
    b.grads[s].forEach((g, i) => {
      const n = norm(g);
      minGradNorm = Math.min(minGradNorm, n);
      const d = norm(Float64Array.from(g, (v, k) => a.grads[s][i][k] - v));
      grad = Math.max(grad, d / Math.max(n, 1e-30));
    });
  }
  return { loss, grad, minGradNorm };
}

function compareNet(net: NetCase, device: Device, scale: TrainingScale): CheckResult {
  const { sample, batch } = net.shape[scale];
  const base = { name: `two steps of the ${net.name}, B=${batch}, T=${sample[0]} (${scale})`, group: "training", against: "cpu", tolerance: GRAD_TOL } as const;
  const t0 = performance.now();
  try {
    const cfg = loadConfig(join(packageRoot(), "configs", net.config), { device: "cpu" });
    const rng = new Rng(mixSeed(cfg.train.seed, 99));
    const n = sample.reduce((p, d) => p * d, 1) * batch;
    const x = Float32Array.from({ length: n }, () => (rng.uniform() < net.rate ? 1 : 0));
    const labels = Float32Array.from({ length: batch }, () => rng.int(net.classes));
    const got = twoSteps(cfg, sample, net.classes, x, labels, device);
    let want: TwoSteps;
    if (device.isCuda) want = twoSteps(cfg, sample, net.classes, x, labels, Device.cpu);
    else {
      const threads = runtimeInfo().cpu.threads;
      setCpuThreads(1);
      try {
        want = twoSteps(cfg, sample, net.classes, x, labels, Device.cpu);
      } finally {
        setCpuThreads(threads);
      }
    }
    const r = compareSteps(got, want);
    const dead = !(r.minGradNorm > 0);
    const pass = r.loss <= LOSS_TOL && r.grad <= GRAD_TOL && !dead;
    const error = `loss rel. diff ${r.loss.toExponential(1)} (tol ${LOSS_TOL}), smallest grad norm ${r.minGradNorm.toExponential(1)}${dead ? ": a layer has no gradient" : ""}`;
    return { ...base, relError: r.grad, pass, ms: performance.now() - t0, error };
  } catch (e) {
    return { ...base, relError: Infinity, pass: false, ms: performance.now() - t0, error: (e as Error).message };
  }
}

// ---- a task that learns -----------------------------------------------------------------------------
/**
 * Class c makes its own block of channels fire often (p = 0.3) and the rest rarely (0.03).
 * Samples are kept sparse and batches are built by the native batch scatter, the path the data
 * loader takes (on CUDA: the packed upload and scatter kernel).
 */
export function learnableTask(opts: { size: number; T: number; F: number; classes: number; seed: number }): TrainData {
  const { size, T, F, classes } = opts;
  const rng = new Rng(opts.seed);
  const labels = Int32Array.from({ length: size }, () => rng.int(classes));
  const samples = Array.from(labels, (c) => {
    const index: number[] = [];
    for (let i = 0; i < T * F; i++) if (rng.uniform() < (Math.floor(((i % F) * classes) / F) === c ? 0.3 : 0.03)) index.push(i);
    return { index: Uint32Array.from(index), count: new Uint32Array(index.length).fill(1) };
  });
  return {
    size,
    numClasses: classes,
    sampleShape: [T, F],
    async *batches(o) {
      const order = Int32Array.from({ length: size }, (_, i) => i);
      if (o.shuffle) new Rng(o.seed ?? 0).shuffle(order);
      for (let s = 0; s < size; s += o.batchSize) {
        const idx = order.slice(s, Math.min(size, s + o.batchSize));
        const x = Tensor.empty([T, idx.length, F], o.device);
        try {
          const cols = Array.from(idx, (n) => samples[n]);
          await native().scatterBatchAsync({ dst: x, T, B: idx.length, F, index: cols.map((c) => c.index), count: cols.map((c) => c.count) });
          yield { x, labels: Float32Array.from(idx, (n) => labels[n]), indices: idx };
        } finally {
          x.dispose();
        }
      }
    },
  };
}

export const LEARN_ACC = 0.8;

async function learnCheck(device: Device, out: string): Promise<CheckResult> {
  const classes = 5;
  const base = { name: `training learns a generated ${classes}-class task in 6 epochs (error rate)`, group: "training", against: "float64", tolerance: 1 - LEARN_ACC } as const;
  const t0 = performance.now();
  try {
    const cfg = loadConfig(join(packageRoot(), "configs", "shd.yaml"), { device: String(device), output: out, epochs: 6 });
    const config = { ...cfg, model: { ...cfg.model, hidden: [32, 32] }, train: { ...cfg.train, batchSize: 16, lr: 1e-2, evalEvery: 6 } } as TrainConfig;
    const data = { train: learnableTask({ size: 128, T: 40, F: 40, classes, seed: 3 }), eval: learnableTask({ size: 64, T: 40, F: 40, classes, seed: 4 }) };
    const r = await train({ config, data, progress: new Progress(process.stderr, true) });
    const first = r.epochs[0];
    const last = r.epochs[r.epochs.length - 1];
    const acc = last.eval?.acc ?? 0;
    const norms = Object.values(first.gradNorm);
    const dead = norms.some((g) => !(g > 0));
    const pass = acc >= LEARN_ACC && last.train.loss < 0.5 * first.train.loss && !dead;
    const error = `eval accuracy ${(100 * acc).toFixed(0)}% (chance ${(100 / classes).toFixed(0)}%), train loss ${first.train.loss.toFixed(3)} → ${last.train.loss.toFixed(3)}, ` +
      `first-epoch grad norms ${norms.map((g) => g.toExponential(1)).join(", ")}${dead ? ": a layer has no gradient" : ""}`;
    return { ...base, relError: 1 - acc, pass, ms: performance.now() - t0, error };
  } catch (e) {
    return { ...base, relError: NaN, pass: false, ms: performance.now() - t0, error: (e as Error).message };
  }
}

export async function runTrainingChecks(
  device: Device,
  opts: { scale?: TrainingScale; out: string; filter?: RegExp; onResult?: (r: CheckResult) => void },
): Promise<CheckResult[]> {
  const scale = opts.scale ?? (device.isCuda ? "full" : "reduced");
  const results: CheckResult[] = [];
  const push = (r: CheckResult) => {
    results.push(r);
    opts.onResult?.(r);
  };
  const want = (name: string) => !opts.filter || opts.filter.test(`training ${name}`);
  if (want("learns")) push(await learnCheck(device, opts.out));
  for (const net of nets) if (want(net.name)) push(compareNet(net, device, scale));
  return results;
}
