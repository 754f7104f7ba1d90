// The built-in synthetic task: deterministic, equal spike counts in every channel of every sample
// (so rate carries nothing), usable by name wherever a data set is; a network learns it, the same
// network on time-shuffled inputs stays at chance, and SLAYER's first-layer gradients at surrogate
// scale 1 are more than 10× EXODUS's on the default config (the paper's Figure 2 effect).
import { describe, expect, it } from "vitest";
import { openDataset, type Batch, type BatchOptions, type Dataset } from "../../lib/data/loader.js";
import { SYNTHETIC_DEFAULTS, openSynthetic, syntheticSample } from "../../lib/data/synthetic.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { validateConfig } from "../../lib/train/config.js";
import { train, type TrainData } from "../../lib/train/trainer.js";
import { quiet } from "../train/helpers.js";
import { tmp } from "./helpers.js";

/** The data set with every channel's spike train permuted in time (once per sample, seeded). */
async function shuffledInTime(ds: Dataset, seed: number): Promise<TrainData> {
  const [T, F] = ds.sampleShape;
  const rng = new Rng(seed);
  const xs: Float32Array[] = [];
  for (let i = 0; i < ds.size; i++) {
    const { x } = await ds.sample(i);
    const out = new Float32Array(T * F);
    for (let f = 0; f < F; f++) {
      const order = Int32Array.from({ length: T }, (_, t) => t);
      rng.shuffle(order);
      for (let t = 0; t < T; t++) out[order[t] * F + f] = x[t * F + f];
    }
    xs.push(out);
  }
  return {
    size: ds.size,
    numClasses: ds.numClasses,
    sampleShape: ds.sampleShape,
    async *batches(o: BatchOptions): AsyncIterable<Batch> {
      const order = Int32Array.from({ length: ds.size }, (_, i) => i);
      if (o.shuffle) new Rng(o.seed ?? 0).shuffle(order);
      for (let s = 0; s < ds.size; s += o.batchSize) {
        const idx = order.slice(s, Math.min(ds.size, s + o.batchSize));
        const B = idx.length;
        const x = new Float32Array(T * B * F);
        idx.forEach((n, b) => {
          for (let t = 0; t < T; t++) x.set(xs[n].subarray(t * F, (t + 1) * F), (t * B + b) * F);
        });
        const xt = Tensor.from(x, [T, B, F], o.device);
        try {
          yield { x: xt, labels: Float32Array.from(idx, (n) => ds.labels[n]), indices: idx };
        } finally {
          xt.dispose();
        }
      }
    },
  };
}

const config = (over: Record<string, unknown> = {}) =>
  validateConfig({ dataset: { name: "synthetic" }, output: tmp("exodus-synthetic-"), device: "cpu", ...over });

describe("synthetic data set", () => {
  it("is a pure function of (seed, split, index) and every channel fires equally often in every sample", async () => {
    const a = syntheticSample(SYNTHETIC_DEFAULTS, "train", 17);
    expect(syntheticSample(SYNTHETIC_DEFAULTS, "train", 17)).toEqual(a);
    expect(syntheticSample(SYNTHETIC_DEFAULTS, "valid", 17)).not.toEqual(a);
    expect(syntheticSample({ ...SYNTHETIC_DEFAULTS, seed: 1 }, "train", 17)).not.toEqual(a);
    const ds = await openDataset({ name: "synthetic", root: "unused", split: "train" });
    expect(ds).toMatchObject({ size: 1536, numClasses: 10, sampleShape: [60, 40] });
    const [T, F] = ds.sampleShape;
    const perClass = new Array(ds.numClasses).fill(0);
    const { spikesPerBurst, backgroundSpikes } = SYNTHETIC_DEFAULTS;
    for (let i = 0; i < ds.size; i += 7) {
      const { x, label } = await ds.sample(i);
      perClass[label]++;
      for (let f = 0; f < F; f++) {
        let n = 0;
        for (let t = 0; t < T; t++) n += x[t * F + f];
        expect(n).toBe(spikesPerBurst + backgroundSpikes);
      }
    }
    for (const n of perClass) expect(n).toBeGreaterThan(10); // every class occurs
    await ds.close();
    expect(() => openSynthetic({ split: "dev" })).toThrow(/synthetic: expected split "train" or "valid" or "test", received "dev"/);
  });

  it("timing carries the class: the default network learns it (>= 90 %), on time-shuffled inputs it stays at chance", async () => {
    const open = (split: string) => openDataset({ name: "synthetic", root: "", split });
    const cfg = config({ train: { epochs: 6 } });
    const real = await train({ config: cfg, data: { train: await open("train"), eval: await open("valid") }, progress: quiet() });
    expect(real.epochs.at(-1)!.eval!.acc).toBeGreaterThanOrEqual(0.9);
    const shuffled = await train({
      config: config({ train: { epochs: 6 } }),
      data: { train: await shuffledInTime(await open("train"), 1), eval: await shuffledInTime(await open("valid"), 2) },
      progress: quiet(),
    });
    const acc = shuffled.epochs.at(-1)!.eval!.acc;
    console.log(`synthetic, 6 epochs: valid accuracy ${(100 * real.epochs.at(-1)!.eval!.acc).toFixed(1)} %, time-shuffled control ${(100 * acc).toFixed(1)} % (chance 10 %)`);
    expect(acc).toBeLessThan(0.2); // 10 classes: chance is 0.1; 512 samples give a standard error of 1.3 %
  });

  it("SLAYER at surrogate scale 1 has >= 10x EXODUS's first-layer gradient norm on the default config", async () => {
    const open = async () => ({ train: await openDataset({ name: "synthetic", root: "", split: "train" }), eval: await openDataset({ name: "synthetic", root: "", split: "valid" }) });
    const mean = (r: Awaited<ReturnType<typeof train>>) => r.epochs.reduce((s, m) => s + m.gradNorm["0.Linear"], 0) / r.epochs.length;
    const ex = await train({ config: config({ train: { epochs: 3 } }), data: await open(), progress: quiet() });
    const sl = await train({ config: config({ method: "slayer", train: { epochs: 3 } }), data: await open(), progress: quiet() });
    const ratio = mean(sl) / mean(ex);
    console.log(`first-layer mean gradient norm over 3 epochs: EXODUS ${mean(ex).toPrecision(3)}, SLAYER ${mean(sl).toPrecision(3)}, ratio ${ratio.toFixed(1)}`);
    expect(ratio).toBeGreaterThanOrEqual(10);
  });
});
