// configs/shd-delays.yaml (and its SSC copy) loads, builds the DCLS-style network for SHD's binned shape (140 inputs,
// 20 classes), trains one step through BatchNorm, LIF and Dropout (every delay gets a gradient),
// and the σ schedule decays per epoch; a bad {delay: …} field names itself.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DelayLinear } from "../../lib/nn/delay.js";
import { Rng } from "../../lib/random.js";
import { loadConfig, validateConfig } from "../../lib/train/config.js";
import { buildModel } from "../../lib/train/model.js";
import { Tensor } from "../../lib/tensor.js";

const CONFIGS = join(import.meta.dirname, "..", "..", "configs");

describe("configs/shd-delays.yaml", () => {
  it("builds, steps through BN/LIF/dropout and schedules σ per epoch", () => {
    const cfg = loadConfig(join(CONFIGS, "shd-delays.yaml"));
    expect(cfg.train).toMatchObject({ epochs: 150, batchSize: 256, lr: 5e-3, weightDecay: 1e-5 });
    expect(loadConfig(join(CONFIGS, "ssc-delays.yaml"))).toMatchObject({ dataset: { name: "ssc" }, train: { evalSplit: "valid", epochs: 150 } });
    const T = 30;
    const model = buildModel(cfg, { sampleShape: [T, 140], numClasses: 20 });
    const delays = model.net.layers.filter((l): l is DelayLinear => l instanceof DelayLinear);
    expect(delays.map((d) => [d.inFeatures, d.outFeatures, d.maxDelay])).toEqual([[140, 256, 25], [256, 256, 25], [256, 20, 25]]);
    const rng = new Rng(3);
    const x = Tensor.from(Float32Array.from({ length: T * 4 * 140 }, () => (rng.uniform() < 0.05 ? 1 : 0)), [T, 4, 140]);
    model.net.zeroGrad();
    const y = model.net.forward(x);
    expect(y.shape).toEqual([T, 4, 20]);
    model.net.backward(Tensor.from(Float32Array.from({ length: y.size }, () => rng.range(-1, 1)), y.shape));
    const dd = delays[2].delay.grad.toArray();
    expect(dd.some((v) => v !== 0) && dd.every(Number.isFinite)).toBe(true);
    // σ: 12.5 at epoch 0, geometric to 0.5 at a quarter of 150 epochs (38), then held.
    model.net.startEpoch(0, 150);
    expect(delays[0].sigma).toBeCloseTo(12.5, 6);
    model.net.startEpoch(19, 150);
    expect(delays[1].sigma).toBeCloseTo(12.5 * (0.5 / 12.5) ** (19 / 38), 5);
    model.net.startEpoch(100, 150);
    expect(delays[2].sigma).toBe(0.5);
    model.net.dispose();
  });

  it("a bad delay field is named", () => {
    const base = { dataset: { name: "shd" }, model: { layers: [{ delay: { out: 8, maxDelay: -2 } }] } };
    expect(() => validateConfig(base)).toThrow(/model\.layers\[0\]\.delay\.maxDelay/);
    expect(() => validateConfig({ ...base, model: { layers: [{ delay: { maxDelay: 4, sigmaDecay: 2 } }] } })).toThrow(/sigmaDecay: expected a fraction/);
    expect(() => validateConfig({ ...base, model: { layers: [{ delay: { maxDelay: 4, lag: 2 } }] } })).toThrow(/model\.layers\[0\]\.delay/);
  });
});
