// Whole-network forward and backward time per batch for each backward method, on one config's
// network with the same weights (one seed) and the same batch. Methods are interleaved within
// each repeat, so that load from other processes spreads over all of them alike; every timed
// region ends with a device synchronisation. Shared by `exodus compare` (backward time per
// method) and `exodus bench` (the paper's speed table).
import { type Device, parseDevice, synchronize } from "../device.js";
import { ExodusError } from "../errors.js";
import type { BackwardMethod } from "../nn/options.js";
import * as ops from "../ops.js";
import { Rng } from "../random.js";
import { Tensor, scope } from "../tensor.js";
import type { TrainConfig } from "../train/config.js";
import { readoutCrossEntropy } from "../train/loss.js";
import { forwardCounting, spikingLayers } from "../train/diagnostics.js";
import { buildModel, type BuiltModel, type ModelShape } from "../train/model.js";
import { mixSeed } from "../train/trainer.js";

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** Every timed repeat, in seconds. */
  samples: number[];
}

export interface MethodTiming {
  /** Seconds: forward through the network and the loss (with ∂L/∂y), backward through the network. */
  forward: Spread;
  backward: Spread;
  loss: number;
  /** Weight-gradient 2-norm per layer after one backward (the methods differ here, not in the forward). */
  gradNorms: Record<string, number>;
}

export interface NetworkTiming {
  methods: Partial<Record<BackwardMethod, MethodTiming>>;
  /** Fraction of (step, neuron) pairs that spiked, per spiking layer, in the forward pass. */
  spikeRates: Record<string, number>;
  /** Fraction of non-zero input values. */
  inputRate: number;
  warmup: number;
  repeats: number;
  device: string;
  /** The network, one line per layer. */
  summary: string[];
}

export function spread(samples: number[]): Spread {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  const median = n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return { median, min: s[0] ?? NaN, max: s[n - 1] ?? NaN, samples };
}

/** Bernoulli spikes at `rate` of the given shape (a batch of random input at a realistic rate). */
export function randomSpikes(shape: readonly number[], rate: number, seed: number, device: Device | string): Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.uniform() < rate ? 1 : 0;
  return Tensor.from(x, shape, device);
}

function setTraining(m: BuiltModel): void {
  m.net.training = true;
  for (const l of m.net.layers) l.training = true;
}

function weightNorms(m: BuiltModel): Record<string, number> {
  return Object.fromEntries(m.weights.map((w) => [w.layer, Math.sqrt(ops.sumAll(ops.square(w.param.grad)))]));
}

/** Spike rate of each spiking layer on x (nested ones too), outside the timed passes. */
function spikeRates(m: BuiltModel, x: Tensor): Record<string, number> {
  return scope(() => {
    const layers = spikingLayers(m.net);
    const { spikes, possible } = forwardCounting(m.net, x, layers);
    return Object.fromEntries(layers.map((l, k) => [l.name, spikes[k] / possible[k]]));
  });
}

export interface TimeNetworkOptions {
  config: TrainConfig;
  shape: ModelShape;
  x: Tensor;
  labels: ArrayLike<number>;
  methods: BackwardMethod[];
  warmup: number;
  repeats: number;
  /** Called after each timed repeat (progress on long runs). */
  onRepeat?: (done: number, total: number) => void;
}

export function timeNetwork(o: TimeNetworkOptions): NetworkTiming {
  if (o.methods.length === 0) throw new ExodusError("timeNetwork: expected at least one method, received none");
  if (!(Number.isInteger(o.repeats) && o.repeats >= 1)) throw new ExodusError(`timing repeats: expected an integer >= 1, received ${o.repeats}`);
  const device = parseDevice(o.config.device);
  const models = o.methods.map((method) => buildModel({ ...o.config, method }, o.shape));
  try {
    // One seed, one set of weights: checked rather than assumed, since the speed-up is only
    // meaningful on the same network.
    const ref = models[0].weights.map((w) => w.param.value.toArray());
    models.forEach((m, k) =>
      m.weights.forEach((w, j) => {
        const a = w.param.value.toArray();
        if (a.some((v, i) => v !== ref[j][i])) throw new ExodusError(`timeNetwork: ${o.methods[k]} built other weights than ${o.methods[0]} for layer ${w.layer}`);
      }),
    );
    for (const m of models) {
      setTraining(m);
      m.dropouts.forEach((d, k) => (d.seed = mixSeed(o.config.train.seed, 0, k)));
    }
    const inputRate = scope(() => ops.sumAll(ops.step(ops.abs(o.x), 1e-30)) / o.x.size); // step is 1[x ≥ a]
    const rates = spikeRates(models[0], o.x);
    const fwd: number[][] = o.methods.map(() => []);
    const bwd: number[][] = o.methods.map(() => []);
    const loss: number[] = o.methods.map(() => NaN);
    const norms: Record<string, number>[] = o.methods.map(() => ({}));
    for (let rep = 0; rep < o.warmup + o.repeats; rep++) {
      models.forEach((m, k) =>
        scope(() => {
          synchronize(device);
          const t0 = performance.now();
          const y = m.net.forward(o.x);
          const r = readoutCrossEntropy(o.config.loss.readout, y, o.labels);
          synchronize(device);
          const t1 = performance.now();
          m.net.backward(r.dy!);
          synchronize(device);
          const t2 = performance.now();
          if (rep === 0) {
            loss[k] = r.loss;
            norms[k] = weightNorms(m);
          }
          m.net.zeroGrad();
          if (rep >= o.warmup) {
            fwd[k].push((t1 - t0) / 1000);
            bwd[k].push((t2 - t1) / 1000);
          }
        }),
      );
      if (rep >= o.warmup) o.onRepeat?.(rep - o.warmup + 1, o.repeats);
    }
    const methods: NetworkTiming["methods"] = {};
    o.methods.forEach((m, k) => (methods[m] = { forward: spread(fwd[k]), backward: spread(bwd[k]), loss: loss[k], gradNorms: norms[k] }));
    return { methods, spikeRates: rates, inputRate, warmup: o.warmup, repeats: o.repeats, device: String(device), summary: models[0].summary };
  } finally {
    for (const m of models) m.net.dispose();
  }
}
