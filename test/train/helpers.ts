// An in-memory spiking classification task the trainer accepts in place of a data set: class c
// makes its own block of channels fire often (p = 0.3 per step) and the others rarely (0.05).
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import type { Batch, BatchOptions } from "../../lib/data/loader.js";
import type { TrainData } from "../../lib/train/trainer.js";
import { validateConfig, type TrainConfig } from "../../lib/train/config.js";
import { Progress } from "../../lib/train/progress.js";
import { tmp } from "../data/helpers.js";

export function memoryData(opts: { size: number; T: number; features: number[]; classes: number; seed: number }): TrainData {
  const { size, T, features, classes } = opts;
  const F = features.reduce((a, b) => a * b, 1);
  const rng = new Rng(opts.seed);
  const labels = Int32Array.from({ length: size }, () => rng.int(classes));
  const samples = Array.from(labels, (c) => {
    const x = new Float32Array(T * F);
    for (let t = 0; t < T; t++)
      for (let f = 0; f < F; f++) x[t * F + f] = rng.uniform() < (Math.floor((f * classes) / F) === c ? 0.3 : 0.05) ? 1 : 0;
    return x;
  });
  return {
    size,
    numClasses: classes,
    sampleShape: [T, ...features],
    async *batches(o: BatchOptions): AsyncIterable<Batch> {
      const order = Int32Array.from({ length: size }, (_, i) => i);
      if (o.shuffle) new Rng(o.seed ?? 0).shuffle(order);
      for (let s = 0; s < size; s += o.batchSize) {
        const idx = order.slice(s, Math.min(size, s + o.batchSize));
        const B = idx.length;
        const x = new Float32Array(T * B * F);
        idx.forEach((n, b) => {
          for (let t = 0; t < T; t++) x.set(samples[n].subarray(t * F, (t + 1) * F), (t * B + b) * F);
        });
        const xt = Tensor.from(x, [T, B, ...features], o.device);
        try {
          yield { x: xt, labels: Float32Array.from(idx, (n) => labels[n]), indices: idx };
        } finally {
          xt.dispose();
        }
      }
    },
  };
}

/** A config for the synthetic task (MLP, max readout), output in a fresh temp folder. */
export function syntheticConfig(over: Record<string, unknown> = {}, train: Record<string, unknown> = {}): TrainConfig {
  return validateConfig({
    dataset: { name: "shd", root: "unused" },
    model: { kind: "mlp", hidden: [24, 24] },
    neuron: { type: "lif", tauMem: 10, threshold: 1, surrogate: { name: "exponential", scale: 1, width: 0.5 } },
    loss: { readout: "max" },
    train: { epochs: 4, batchSize: 16, lr: 1e-2, seed: 7, ...train },
    output: tmp("exodus-train-"),
    ...over,
  });
}

export const quiet = () => new Progress(process.stderr, true);

/** A progress sink that aborts the run after `after` training steps. */
export function abortAfter(after: number, ac: AbortController): Progress {
  let steps = 0;
  const p = new Progress(process.stderr, true);
  p.update = () => {
    if (++steps === after) ac.abort();
  };
  return p;
}
