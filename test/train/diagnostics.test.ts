// Every spiking layer gets a firing rate and its silent/saturated warning, whatever its neuron
// model and however deep it sits: ALIF and SRM like LIF, neurons inside SEW blocks and nested
// Sequentials (a config's neuron with a synapse) like those at the top. The counts equal the
// spikes of the same layers run one by one.
import { describe, expect, it } from "vitest";
import { ALIF } from "../../lib/nn/alif.js";
import { Conv2d } from "../../lib/nn/conv2d.js";
import { ExpLeak } from "../../lib/nn/expleak.js";
import { Flatten } from "../../lib/nn/flatten.js";
import { IAF, LIF } from "../../lib/nn/lif.js";
import { Linear } from "../../lib/nn/linear.js";
import type { Module } from "../../lib/nn/module.js";
import { AvgPool2d } from "../../lib/nn/pool.js";
import { Sequential } from "../../lib/nn/sequential.js";
import { SEW } from "../../lib/nn/sew.js";
import { SRM } from "../../lib/nn/srm.js";
import * as ops from "../../lib/ops.js";
import { Rng } from "../../lib/random.js";
import { Tensor, scope } from "../../lib/tensor.js";
import { validateConfig } from "../../lib/train/config.js";
import { FiringMonitor, forwardCounting, spikingLayers } from "../../lib/train/diagnostics.js";
import { buildModel } from "../../lib/train/model.js";

const uniform = (rng: Rng, shape: number[], lo: number, hi: number) => Tensor.from(rng.fillUniform(new Float32Array(shape.reduce((a, b) => a * b, 1)), lo, hi), shape);

function net(): Sequential {
  return new Sequential(
    new Conv2d(2, 4, { seed: 1 }),
    new IAF({ threshold: 0.2 }),
    new AvgPool2d(2), // fused with the IAF: its count comes from the scan
    new SEW(new Conv2d(4, 4, { seed: 2 }), new LIF({ tauMem: 4, threshold: 0.3 })),
    new Flatten(),
    new Linear(64, 24, { seed: 3 }),
    new ALIF({ tauMem: 5, tauAdapt: 20, beta: 0.3, threshold: 0.2 }),
    new Sequential(new ExpLeak({ tauSyn: 3 }), new SRM({ tauSr: 3, tauRef: 2, threshold: 0.2 })),
    new Linear(24, 3, { seed: 4 }),
  );
}

describe("firing rates of every spiking layer", () => {
  it("names ALIF, SRM and the neurons inside SEW blocks and nested Sequentials, not ExpLeak", () => {
    expect(spikingLayers(net()).map((l) => l.name)).toEqual(["1.IAF", "3.block.1.LIF", "6.ALIF", "7.1.SRM"]);
  });

  it("counts each one's spikes as the layers run one by one do", () => {
    const x = uniform(new Rng(9), [10, 2, 2, 8, 8], 0, 1);
    const counted = net();
    const layers = spikingLayers(counted);
    const c = scope(() => {
      const r = forwardCounting(counted, x, layers);
      return { y: Array.from(r.y.toArray()), spikes: r.spikes, possible: r.possible };
    });
    // By hand: every layer's forward, the spikes of the spiking ones summed.
    const byHand = net();
    const spikes: number[] = [];
    const sizes: number[] = [];
    const run = (ls: readonly Module[], h: Tensor): Tensor =>
      ls.reduce((acc, l) => {
        let y: Tensor;
        if (l instanceof SEW) y = ops.add(run(l.block.layers, acc), acc);
        else if (l instanceof Sequential) y = run(l.layers, acc);
        else y = l.forward(acc);
        if (l.spiking) {
          spikes.push(ops.sumAll(y));
          sizes.push(y.size);
        }
        return y;
      }, h);
    const y = scope(() => Array.from(run(byHand.layers, x).toArray()));
    expect(c.y).toEqual(y);
    expect(c.spikes).toEqual(spikes);
    expect(c.possible).toEqual(sizes);
    for (const n of c.spikes) expect(n).toBeGreaterThan(0);
  });

  it("warns about a silent ALIF layer and a saturated one inside a SEW block", () => {
    const cfg = validateConfig({ dataset: { name: "synthetic" }, device: "cpu" });
    const m = new FiringMonitor(cfg);
    const w = m.check({ "6.ALIF": 1e-5, "3.block.1.LIF": 0.95, "1.IAF": 0.1 }, 1);
    expect(w).toHaveLength(2);
    expect(w[0]).toMatch(/layer 6\.ALIF is silent in epoch 1/);
    expect(w[1]).toMatch(/layer 3\.block\.1\.LIF is saturated in epoch 1/);
  });

  it("a SEW-ResNet built from a config reports every spiking layer, and an ALIF MLP its ALIF layers", () => {
    const sew = validateConfig({
      dataset: { name: "synthetic" }, device: "cpu",
      model: { layers: [{ conv: { out: 4, kernel: 1 } }, { lif: {} }, { sew: [{ conv: { out: 4 } }, { lif: {} }, { conv: { out: 4 } }, { lif: {} }] }, { maxpool: 2 }, { flatten: {} }, { linear: {} }] },
    });
    const a = buildModel(sew, { sampleShape: [4, 2, 4, 4], numClasses: 3 });
    expect(spikingLayers(a.net).map((l) => l.name)).toEqual(["1.LIF", "2.block.1.LIF", "2.block.3.LIF"]);
    a.net.dispose();
    const alif = validateConfig({ dataset: { name: "synthetic" }, device: "cpu", neuron: { type: "alif" }, model: { kind: "mlp", hidden: [8, 8] } });
    const b = buildModel(alif, { sampleShape: [4, 6], numClasses: 3 });
    expect(spikingLayers(b.net).map((l) => l.name)).toEqual(["1.ALIF", "3.ALIF"]);
    b.net.dispose();
  });

  it("a layer list names any neuron model as a key, and the model's own fields validate there", () => {
    const cfg = validateConfig({
      dataset: { name: "synthetic" }, device: "cpu", neuron: { type: "lif", tauMem: 7 },
      model: { layers: [{ linear: { out: 8 } }, { alif: { tauAdapt: 50 } }, { linear: { out: 8 } }, { iaf: {} }, { linear: {} }] },
    });
    const m = buildModel(cfg, { sampleShape: [4, 6], numClasses: 3 });
    expect(spikingLayers(m.net).map((l) => l.name)).toEqual(["1.ALIF", "3.IAF"]);
    m.net.dispose();
    // A field the model does not read is refused by name.
    expect(() => validateConfig({ dataset: { name: "synthetic" }, device: "cpu", model: { layers: [{ linear: { out: 8 } }, { alif: { tauSr: 3 } }, { linear: {} }] } }))
      .toThrow(/model\.layers\[1\]\.alif\.tauSr: expected no value for type "alif"/);
  });
});
