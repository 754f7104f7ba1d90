// The layer-list model config: it reproduces the mlp and conv shorthands exactly (same parameter
// names and weights, same outputs, same training run), infers and checks shapes with errors that
// name the layer's index and field, and describes the paper's CIFAR10-DVS SEW-ResNet.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../lib/errors.js";
import { Rng } from "../../lib/random.js";
import { Tensor, scope } from "../../lib/tensor.js";
import { type TrainConfig, loadConfig, validateConfig } from "../../lib/train/config.js";
import { WeightNorm } from "../../lib/nn/weightnorm.js";
import { buildModel } from "../../lib/train/model.js";
import { train } from "../../lib/train/trainer.js";
import { memoryData, quiet, syntheticConfig } from "../train/helpers.js";

const CONFIGS = join(import.meta.dirname, "..", "..", "configs");

/** Parameters and a training-mode output of cfg's model on one random input. */
function run(cfg: TrainConfig, sampleShape: number[], classes: number) {
  const m = buildModel(cfg, { sampleShape, numClasses: classes });
  const B = 3;
  const x = new Rng(99).fillUniform(new Float32Array(B * sampleShape.reduce((a, b) => a * b, 1))).map((v) => (v < 0.3 ? 1 : 0));
  const out = scope(() => {
    m.dropouts.forEach((d, k) => (d.seed = 100 + k));
    return m.net.forward(Tensor.from(x, [sampleShape[0], B, ...sampleShape.slice(1)])).toArray();
  });
  const params = m.net.parameters().map((p) => [p.name, Array.from(p.value.toArray())]);
  const r = { params, out, weights: m.weights.map((w) => w.layer), summary: m.summary };
  m.net.dispose();
  return r;
}

const convShorthand = { kind: "conv", channels: [4, 8], extraConvs: 0, kernel: 3, pool: 2, poolUntil: 2, dropout: 0.2, readoutDropout: 0.3, initScale: 3 };
const convLayers = (wn: boolean) => ({
  initScale: 3,
  layers: [
    { conv: { out: 4, ...(wn ? { weightNorm: true } : {}) } }, { neuron: {} }, { avgpool: 2 }, { dropout: 0.2 },
    { conv: { out: 8, ...(wn ? { weightNorm: true } : {}) } }, { neuron: {} }, { avgpool: 2 }, { dropout: 0.2 },
    { flatten: {} }, { dropout: 0.3 }, { linear: wn ? { weightNorm: true } : {} },
  ],
});
const convCfg = (model: Record<string, unknown>) => syntheticConfig({ model, neuron: { type: "iaf", threshold: 0.25 }, loss: { readout: "sum" } }, { epochs: 1, batchSize: 8, lr: 3e-3 });

describe("layer-list config", () => {
  it("reproduces the mlp shorthand exactly", () => {
    const a = run(syntheticConfig({ model: { kind: "mlp", hidden: [24, 16], initScale: 4 } }), [20, 12], 3);
    const b = run(syntheticConfig({ model: { initScale: 4, layers: [{ linear: { out: 24 } }, { lif: {} }, { linear: { out: 16 } }, { neuron: {} }, { linear: {} }] } }), [20, 12], 3);
    expect(b.params).toEqual(a.params);
    expect(b.out).toEqual(a.out);
    expect(a.out.some((v) => v !== 0)).toBe(true);
    expect(b.weights).toEqual(["0.Linear", "2.Linear", "4.Linear"]);
  });

  it("reproduces the conv shorthand exactly, with and without weight norm, and trains identically", async () => {
    for (const wn of [false, true]) {
      const a = run(convCfg({ ...convShorthand, ...(wn ? { weightNorm: true } : {}) }), [6, 2, 8, 8], 2);
      const b = run(convCfg(convLayers(wn)), [6, 2, 8, 8], 2);
      expect(b.params).toEqual(a.params);
      expect(b.out).toEqual(a.out);
      expect(a.out.some((v) => v !== 0)).toBe(true);
      expect(b.weights).toEqual(a.weights);
      expect(b.summary).toEqual(a.summary);
      if (wn) expect(a.params.map((p) => p[0])).toEqual(["0.weight_g", "0.weight_v", "4.weight_g", "4.weight_v", "10.weight_g", "10.weight_v"]);
    }
    const data = () => ({ train: memoryData({ size: 24, T: 6, features: [2, 8, 8], classes: 2, seed: 3 }), eval: memoryData({ size: 8, T: 6, features: [2, 8, 8], classes: 2, seed: 4 }) });
    const ra = await train({ config: convCfg({ ...convShorthand, weightNorm: true }), data: data(), progress: quiet() });
    const rb = await train({ config: convCfg(convLayers(true)), data: data(), progress: quiet() });
    expect(rb.weights).toEqual(ra.weights);
    expect(rb.epochs[0].train.loss).toBe(ra.epochs[0].train.loss);
    expect(rb.epochs[0].gradNorm).toEqual(ra.epochs[0].gradNorm);
  });

  it("the first layer skips the data gradient, also when it is weight-normalised", () => {
    for (const model of [{ ...convShorthand, weightNorm: true }, convShorthand, convLayers(true), { kind: "mlp", hidden: [8], weightNorm: true }]) {
      const shape = "kind" in model && model.kind === "mlp" ? [6, 12] : [6, 2, 8, 8];
      const m = buildModel(convCfg(model), { sampleShape: shape, numClasses: 2 });
      const first = m.net.layers[0] instanceof WeightNorm ? m.net.layers[0].inner : m.net.layers[0];
      expect(first).toHaveProperty("inputGrad", false);
      const x = new Rng(7).fillUniform(new Float32Array(3 * shape.reduce((a, b) => a * b, 1))).map((v) => (v < 0.3 ? 1 : 0));
      scope(() => {
        const y = m.net.forward(Tensor.from(x, [shape[0], 3, ...shape.slice(1)]));
        const dx = m.net.backward(Tensor.full(y.shape, 0.1));
        expect(dx.size).toBe(0);
      });
      m.net.dispose();
    }
  });

  const bad: [string, unknown[], RegExp][] = [
    ["not one key", [{ conv: { out: 4 }, lif: {} }], /^model\.layers\[0\]: expected a mapping with exactly one key/],
    ["conv out", [{ conv: { out: 0 } }], /^model\.layers\[0\]\.conv\.out: expected an integer >= 1, received 0/],
    ["unknown field", [{ conv: { out: 4, kernal: 3 } }], /^model\.layers\[0\]\.conv\.kernal: expected no such field \(known: out, kernel, padding, stride, weightNorm\)/],
    ["nested", [{ conv: { out: 4 } }, { sew: [{ conv: { kernel: 3 } }] }], /^model\.layers\[1\]\.sew\[0\]\.conv\.out: expected an integer >= 1, received undefined/],
    ["neuron override", [{ lif: { tauMem: -1 } }], /^model\.layers\[0\]\.lif\.tauMem: expected a finite number > 0 and < 1000000, received -1/],
    ["type via lif", [{ lif: { type: "iaf" } }], /^model\.layers\[0\]\.lif\.type: expected no value/],
    ["dropout", [{ dropout: 1 }], /^model\.layers\[0\]\.dropout: expected a probability in \[0, 1\), received 1/],
    ["pool", [{ maxpool: "2" }], /^model\.layers\[0\]\.maxpool: expected an integer >= 1, received "2"/],
    ["empty", [], /^model\.layers: expected a non-empty list of layers/],
  ];
  for (const [what, layers, re] of bad)
    it(`rejects ${what}`, () => {
      expect(() => validateConfig({ dataset: { name: "dvs-gesture" }, model: { layers } })).toThrow(re);
    });

  it("rejects a shorthand field next to a layer list", () => {
    expect(() => validateConfig({ dataset: { name: "dvs-gesture" }, model: { layers: [{ flatten: {} }], channels: [4] } })).toThrow(/^model\.channels: expected no value for a layer list/);
  });

  const badShapes: [string, unknown[], RegExp][] = [
    ["linear on images", [{ conv: { out: 4 } }, { linear: {} }], /^model\.layers\[1\]\.linear: expected flat features, received \[4, 8, 8\]; put \{flatten: \{\}\} before it/],
    ["conv after flatten", [{ flatten: {} }, { conv: { out: 4 } }], /^model\.layers\[1\]\.conv: expected an input of \[channels, height, width\] features, received \[128\] \(flattened already\)/],
    ["pool too large", [{ maxpool: 16 }], /^model\.layers\[0\]\.maxpool: expected a window of at most 8 for the input \[2, 8, 8\], received 16/],
    ["sew changes shape", [{ sew: [{ conv: { out: 8 } }, { iaf: {} }] }], /^model\.layers\[0\]\.sew: expected the block to keep its input shape \[2, 8, 8\] \(out = a \+ block\(a\)\), received \[8, 8, 8\]/],
    ["no class scores", [{ flatten: {} }, { linear: { out: 5 } }], /^model\.layers: expected the last layer to give the 3 class scores, received \[5\] features/],
  ];
  for (const [what, layers, re] of badShapes)
    it(`checks shapes: ${what}`, () => {
      const cfg = validateConfig({ dataset: { name: "dvs-gesture" }, model: { layers }, device: "cpu" });
      expect(() => buildModel(cfg, { sampleShape: [5, 2, 8, 8], numClasses: 3 })).toThrow(ConfigError);
      expect(() => buildModel(cfg, { sampleShape: [5, 2, 8, 8], numClasses: 3 })).toThrow(re);
    });

  it("configs/cifar10-dvs.yaml is the paper's SEW-ResNet, also the data set's default model", () => {
    const cfg = loadConfig(join(CONFIGS, "cifar10-dvs.yaml"), { device: "cpu" });
    expect(cfg.model).toEqual(validateConfig({ dataset: { name: "cifar10-dvs" }, device: "cpu" }).model);
    expect(cfg.neuron).toMatchObject({ type: "lif", tauMem: 3, threshold: 1 });
    expect(cfg.train).toMatchObject({ batchSize: 16, lr: 1e-3, epochs: 100 });
    expect(cfg.dataset.augment).toEqual({ affine: { degrees: 25, translate: 0.15, scale: [0.9, 1.1] } });
    const m = buildModel(cfg, { sampleShape: [8, 2, 128, 128], numClasses: 10 });
    // 1×1 convs 2→64 and 64→128 with BN; 4 SEW blocks at 64 and 3 at 128 (2 × [3×3 conv + BN]); Linear 128→10 + bias
    const sew = (c: number) => 2 * (c * c * 9 + 2 * c);
    const expected = 2 * 64 + 2 * 64 + 4 * sew(64) + 64 * 128 + 2 * 128 + 3 * sew(128) + 128 * 10 + 10;
    expect(m.net.parameters().reduce((n, p) => n + p.value.size, 0)).toBe(expected);
    expect(m.summary.at(-1)).toBe(`${expected.toLocaleString("en-US")} parameters`);
    expect(m.summary[0]).toBe("input [T, B, 2, 128, 128]");
    expect(m.summary.find((l) => l.startsWith("4 "))).toMatch(/^4\s+MaxPool2d\(2\)\s+\[64, 64, 64\]\s+0$/);
    expect(m.summary.find((l) => l.includes("3.block.0 "))).toMatch(/Conv2d\(64→64, 3×3\)\s+\[64, 128, 128\]\s+36,864$/);
    expect(m.summary.find((l) => l.includes("Linear"))).toMatch(/Linear\(128→10, bias\)\s+\[10\]\s+1,290$/);
    expect(m.net.buffers()).toHaveLength(3 * (2 + 7 * 2));
    expect(m.weights.map((w) => w.layer).slice(0, 3)).toEqual(["0.Conv2d", "3.block.0.Conv2d", "3.block.3.Conv2d"]);
    m.net.dispose();
  });
});
