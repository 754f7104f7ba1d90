// Every model the shipped configs train exports to NIR, or is refused naming the layer, the reason
// and what to do: subtractive reset needs --approximate-reset (then the file records the true reset
// and exodus re-imports it exactly), CIFAR10-DVS's SEW-ResNet max-pools (no NIR node).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exportNetwork, importNir } from "../../lib/nir/index.js";
import { LIF } from "../../lib/nn/index.js";
import { loadConfig } from "../../lib/train/config.js";
import { buildModel } from "../../lib/train/model.js";

const ROOT = join(import.meta.dirname, "..", "..");
// one step's sample shape and classes per data set (the model adapts to the image size; small ones keep this quick)
const SHAPES: Record<string, { sampleShape: number[]; numClasses: number }> = {
  shd: { sampleShape: [1, 700], numClasses: 20 }, ssc: { sampleShape: [1, 700], numClasses: 35 },
  "dvs-gesture": { sampleShape: [1, 2, 32, 32], numClasses: 11 }, "cifar10-dvs": { sampleShape: [1, 2, 128, 128], numClasses: 10 },
  synthetic: { sampleShape: [1, 40], numClasses: 10 },
};

describe("NIR export of the shipped configs' models", () => {
  for (const name of Object.keys(SHAPES)) {
    it(`configs/${name}.yaml`, () => {
      const cfg = loadConfig(join(ROOT, "configs", `${name}.yaml`), { device: "cpu" });
      const shape = SHAPES[name];
      const { net } = buildModel(cfg, shape);
      const inputShape = shape.sampleShape.slice(1);
      try {
        if (name === "cifar10-dvs") {
          expect(() => exportNetwork(net, { inputShape, approximateReset: true })).toThrow(/layer \d+ \(MaxPool2d\): max pooling has no NIR node .*avgpool/);
          return;
        }
        const subtract = cfg.neuron.reset === "subtract";
        if (subtract) expect(() => exportNetwork(net, { inputShape })).toThrow(/subtractive reset .*--approximate-reset/);
        const g = exportNetwork(net, { inputShape, approximateReset: subtract });
        const back = importNir(g);
        const lifs = back.net.layers.filter((l) => l instanceof LIF) as LIF[];
        expect(lifs.length).toBeGreaterThan(0);
        for (const l of lifs) expect(l.reset).toBe(cfg.neuron.reset);
        back.net.dispose();
      } finally {
        net.dispose();
      }
    });
  }
});
