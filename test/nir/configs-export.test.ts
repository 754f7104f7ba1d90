// Every model the shipped configs train exports to NIR, or is refused naming the layer, the reason
// and what to do: subtractive reset needs --approximate-reset (then the file records the true reset
// and exodus re-imports it exactly), CIFAR10-DVS's SEW-ResNet max-pools (no NIR node), the delay
// configs' DelayLinear still interpolates (σ > 0) until rounded (--round-delays), the recurrent
// adLIF config has no NIR node (adaptation). The neuron models
// and the recurrent form a config can select export too (CubaLIF, RLIF) or are refused with the
// reason (adLIF, ALIF: no NIR node).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exportNetwork, importNir } from "../../lib/nir/index.js";
import { DelayLinear } from "../../lib/nn/delay.js";
import { CubaLIF, LIF, RCubaLIF, RLIF, type Sequential } from "../../lib/nn/index.js";
import { loadConfig } from "../../lib/train/config.js";
import { buildModel } from "../../lib/train/model.js";

const ROOT = join(import.meta.dirname, "..", "..");
// one step's sample shape and classes per data set (the model adapts to the image size; small ones keep this quick)
const SHAPES: Record<string, { sampleShape: number[]; numClasses: number }> = {
  shd: { sampleShape: [1, 700], numClasses: 20 }, ssc: { sampleShape: [1, 700], numClasses: 35 },
  "dvs-gesture": { sampleShape: [1, 2, 32, 32], numClasses: 11 }, "cifar10-dvs": { sampleShape: [1, 2, 128, 128], numClasses: 10 },
  synthetic: { sampleShape: [1, 40], numClasses: 10 },
  "shd-delays": { sampleShape: [1, 140], numClasses: 20 }, "ssc-delays": { sampleShape: [1, 140], numClasses: 35 },
  "shd-recurrent": { sampleShape: [1, 700], numClasses: 20 }, "shd-adlif": { sampleShape: [1, 700], numClasses: 20 },
};
/** Configs whose model NIR cannot hold, with the refusal naming the layer and the reason. */
const REFUSED: Record<string, RegExp> = {
  "cifar10-dvs": /layer \d+ \(MaxPool2d\): max pooling has no NIR node .*avgpool/,
  "shd-adlif": /layer 1 \(RAdLIF\): its neuron model has no NIR node .*no adaptation/,
};

/** The neuron layers of an imported network. */
const neurons = (net: Sequential) => net.layers.filter((l) => l instanceof LIF || l instanceof RLIF || l instanceof CubaLIF || l instanceof RCubaLIF) as (LIF | RLIF | CubaLIF | RCubaLIF)[];

describe("NIR export of the shipped configs' models", () => {
  for (const name of Object.keys(SHAPES)) {
    it(`configs/${name}.yaml`, () => {
      const cfg = loadConfig(join(ROOT, "configs", `${name}.yaml`), { device: "cpu" });
      const shape = SHAPES[name];
      const { net } = buildModel(cfg, shape);
      const inputShape = shape.sampleShape.slice(1);
      try {
        if (REFUSED[name]) {
          expect(() => exportNetwork(net, { inputShape, approximateReset: true, roundDelays: true })).toThrow(REFUSED[name]);
          return;
        }
        const delays = net.layers.filter((l) => l instanceof DelayLinear) as DelayLinear[];
        if (delays.length) expect(() => exportNetwork(net, { inputShape, approximateReset: true })).toThrow(/layer 0 \(DelayLinear\): σ = 12\.5 > 0 .*--round-delays/);
        const subtract = cfg.neuron.reset === "subtract";
        if (subtract) expect(() => exportNetwork(net, { inputShape, roundDelays: true })).toThrow(/subtractive reset .*--approximate-reset/);
        const g = exportNetwork(net, { inputShape, approximateReset: subtract, roundDelays: true });
        const back = importNir(g);
        const lifs = neurons(back.net);
        expect(lifs.length).toBeGreaterThan(0);
        for (const l of lifs) expect(l.reset).toBe(cfg.neuron.reset);
        // each DelayLinear comes back as one layer with its integer delays (its BatchNorm folded in)
        const imported = back.net.layers.filter((l) => l instanceof DelayLinear) as DelayLinear[];
        expect(imported.map((d) => Array.from(d.integerDelays()))).toEqual(delays.map((d) => Array.from(d.integerDelays())));
        back.net.dispose();
      } finally {
        net.dispose();
      }
    });
  }

  // what a config selects beyond the shipped files: other neuron models, recurrent hidden layers
  const variants: { set: string[]; expect: RegExp | string }[] = [
    { set: ["neuron.type=cubalif"], expect: "CubaLIF" },
    { set: ["model.recurrent=true"], expect: "RLIF" },
    { set: ["neuron.type=adlif"], expect: /layer 1 \(AdLIF\): adLIF's adaptation current w .* has no NIR node/ },
    { set: ["neuron.type=alif"], expect: /layer 1 \(ALIF\): ALIF's adaptive threshold has no NIR node/ },
  ];
  for (const v of variants) {
    it(`configs/synthetic.yaml with ${v.set.join(" ")}`, () => {
      const cfg = loadConfig(join(ROOT, "configs", "synthetic.yaml"), { device: "cpu", set: v.set });
      const { net } = buildModel(cfg, SHAPES.synthetic);
      try {
        if (v.expect instanceof RegExp) {
          expect(() => exportNetwork(net, { inputShape: [40], approximateReset: true })).toThrow(v.expect);
          return;
        }
        const back = importNir(exportNetwork(net, { inputShape: [40], approximateReset: cfg.neuron.reset === "subtract" }));
        const kinds = back.net.layers.map((l) => l.constructor.name);
        expect(kinds.filter((k) => k === v.expect).length).toBeGreaterThanOrEqual(2);
        for (const l of neurons(back.net)) expect(l.reset).toBe(cfg.neuron.reset);
        back.net.dispose();
      } finally {
        net.dispose();
      }
    });
  }
});
