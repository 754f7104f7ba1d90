// training.train with a caller's module and loss: the config's own model passed as a module with
// the loss API's equivalent of its readout trains to the very same weights; a hand-built module
// with the spike-count loss learns, and stays usable after training.
import { describe, expect, it } from "vitest";
import { LIF, Linear, Sequential, Tensor, losses } from "../../lib/index.js";
import { buildModel } from "../../lib/train/model.js";
import { train } from "../../lib/train/trainer.js";
import { memoryData, quiet, syntheticConfig } from "./helpers.js";

const task = () => ({
  train: memoryData({ size: 64, T: 20, features: [24], classes: 3, seed: 1 }),
  eval: memoryData({ size: 48, T: 20, features: [24], classes: 3, seed: 2 }),
});

describe("train() with a module and a loss function", () => {
  it("the config's model as a module with losses.crossEntropyLoss({ readout: 'max' }) ends with the config run's weights", async () => {
    const settings = { epochs: 2, batchSize: 16 };
    const ref = await train({ config: syntheticConfig({}, settings), data: task(), progress: quiet() });
    const cfg = syntheticConfig({}, settings);
    const net = buildModel(cfg, { sampleShape: [20, 24], numClasses: 3 }).net;
    const got = await train({ config: cfg, data: task(), progress: quiet(), model: net, loss: losses.crossEntropyLoss({ readout: "max" }) });
    expect(got.weights.length).toBe(ref.weights.length);
    got.weights.forEach((w, i) => expect(w).toEqual(ref.weights[i]));
    expect(got.epochs.map((e) => e.train.loss)).toEqual(ref.epochs.map((e) => e.train.loss));
    net.dispose();
  });

  it("a hand-built module learns with the spike-count loss and is not disposed by train()", async () => {
    const net = new Sequential(new Linear(24, 32, { seed: 1, initScale: 2 }), new LIF({ tauMem: 10 }), new Linear(32, 3, { seed: 2, initScale: 2 }), new LIF({ tauMem: 10 }));
    const r = await train({
      config: syntheticConfig({}, { epochs: 6, batchSize: 16, lr: 1e-2 }),
      data: task(),
      progress: quiet(),
      model: net,
      loss: losses.spikeCountLoss({ trueRate: 0.4, falseRate: 0.02 }),
    });
    expect(r.epochs.at(-1)!.train.loss).toBeLessThan(r.epochs[0].train.loss);
    expect(r.epochs.at(-1)!.eval!.acc).toBeGreaterThanOrEqual(0.8);
    const y = net.forward(Tensor.zeros([20, 2, 24])); // still usable
    expect(y.shape).toEqual([20, 2, 3]);
    net.dispose();
  });

  it("rejects a loss that is not a function", async () => {
    await expect(train({ config: syntheticConfig({}, { epochs: 1 }), data: task(), progress: quiet(), loss: 3 as never })).rejects.toThrow(/expected loss to be a function/);
  });
});
