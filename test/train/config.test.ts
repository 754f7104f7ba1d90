// Config validation: the shipped configs load with the paper's settings; every bad field is
// reported by name with what was expected and what was received.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../lib/errors.js";
import { loadConfig, validateConfig } from "../../lib/train/config.js";
import { buildModel } from "../../lib/train/model.js";
import { tmp } from "../data/helpers.js";

const CONFIGS = join(import.meta.dirname, "..", "..", "configs");

describe("training config", () => {
  it("the shipped configs load with the paper's hyperparameters", () => {
    const shd = loadConfig(join(CONFIGS, "shd.yaml"));
    expect(shd.model).toEqual({ kind: "mlp", initScale: 1, hidden: [128, 128, 128] });
    expect(shd.neuron).toEqual({ type: "lif", tauMem: 30, threshold: 1, reset: "subtract", surrogate: { name: "exponential", scale: 1, width: 1 } });
    expect(shd.loss.readout).toBe("max");
    expect(shd.train).toMatchObject({ epochs: 200, batchSize: 128, lr: 1e-3, weightDecay: 0 });
    expect(loadConfig(join(CONFIGS, "ssc.yaml"))).toMatchObject({ dataset: { name: "ssc" }, train: { evalSplit: "valid" } });
    const dvs = loadConfig(join(CONFIGS, "dvs-gesture.yaml"));
    expect(dvs.model).toMatchObject({ kind: "conv", channels: [8, 16, 32, 64], dropout: 0.2, readoutDropout: 0.7 });
    expect(dvs.neuron).toMatchObject({ type: "iaf", threshold: 0.25 });
    expect(dvs.loss.readout).toBe("sum");
    expect(dvs.train).toMatchObject({ epochs: 100, batchSize: 20, weightDecay: 1e-2 });
    expect(dvs.model).toMatchObject({ extraConvs: 2 });
  });

  it("a bare data set name gets the paper's defaults", () => {
    const c = validateConfig({ dataset: { name: "dvs-gesture" } });
    expect(c.model.kind).toBe("conv");
    expect(c.neuron.type).toBe("iaf");
    expect(c.train.weightDecay).toBe(1e-2);
    expect(c.output).toBe("runs/dvs-gesture-exodus");
    expect(validateConfig({ dataset: { name: "shd" } }).loss.readout).toBe("max");
  });

  const bad: [string, unknown, RegExp][] = [
    ["no dataset", {}, /^dataset: expected a mapping with at least a name, received undefined/],
    ["unknown data set", { dataset: { name: "mnist" } }, /^dataset\.name: expected one of "shd", "ssc", "dvs-gesture", "cifar10-dvs", "nmnist", "events", "synthetic", received "mnist"/],
    ["layer kind", { dataset: { name: "cifar10-dvs" }, model: { layers: [{ conv: { out: 4 } }, { pool: 2 }] } }, /^model\.layers\[1\]\.pool: expected a layer kind, one of conv, linear/],
    ["negative lr", { dataset: { name: "shd" }, train: { lr: -1 } }, /^train\.lr: expected a finite number > 0 and < 1, received -1 \(number\)/],
    ["fractional epochs", { dataset: { name: "shd" }, train: { epochs: 2.5 } }, /^train\.epochs: expected an integer >= 1 and < 1000000, received 2\.5/],
    ["lr as text", { dataset: { name: "shd" }, train: { lr: "fast" } }, /^train\.lr: expected a finite number > 0 and < 1, received "fast"/],
    ["typo", { dataset: { name: "shd" }, train: { batchsize: 3 } }, /^train\.batchsize: expected no such field \(known: epochs, batchSize/],
    ["method", { dataset: { name: "shd" }, method: "adjoint" }, /^method: expected one of "exodus", "slayer", "bptt", received "adjoint"/],
    ["readout", { dataset: { name: "shd" }, loss: { readout: "mean" } }, /^loss\.readout: expected one of "sum", "max", "last", received "mean"/],
    ["hidden", { dataset: { name: "shd" }, model: { hidden: [128, 0] } }, /^model\.hidden\[1\]: expected an integer >= 1 and < 16777216, received 0/],
    ["conv field on mlp", { dataset: { name: "shd" }, model: { kind: "mlp", channels: [4] } }, /^model\.channels: expected no value for kind "mlp"/],
    ["dropout", { dataset: { name: "dvs-gesture" }, model: { dropout: 1 } }, /^model\.dropout: expected a finite number >= 0 and < 1, received 1/],
    ["tau on iaf", { dataset: { name: "shd" }, neuron: { type: "iaf", tauMem: 5 } }, /^neuron\.tauMem: expected no value for type "iaf"/],
    ["surrogate", { dataset: { name: "shd" }, neuron: { surrogate: { name: "relu" } } }, /^neuron\.surrogate\.name: expected one of "exponential"/],
    ["threshold", { dataset: { name: "shd" }, neuron: { threshold: 0 } }, /^neuron\.threshold: expected a finite number >= 0\.0001 and < 10000, received 0/],
    ["initScale", { dataset: { name: "shd" }, model: { initScale: 0 } }, /^model\.initScale: expected a finite number > 0 and < 100, received 0/],
    ["device", { dataset: { name: "shd" }, device: "gpu" }, /^device: expected "auto", "cpu", "cuda" or "cuda:N", received "gpu"/],
    ["eval split", { dataset: { name: "shd" }, train: { evalSplit: "trainval" } }, /^train\.evalSplit: expected one of "valid", "test", received "trainval"/],
    ["transform", { dataset: { name: "shd", transform: { frame: 3 } } }, /^dataset\.transform: /],
    ["not a mapping", [1, 2], /^config: expected a mapping/],
    ["huge surrogate scale", { dataset: { name: "shd" }, neuron: { surrogate: { scale: 1e38 } } }, /^neuron\.surrogate\.scale: expected a finite number >= 0 and < 1000, received 1e\+38/],
    ["tiny surrogate width", { dataset: { name: "shd" }, neuron: { surrogate: { width: 1e-38 } } }, /^neuron\.surrogate\.width: expected a finite number >= 0\.001 and < 1000, received 1e-38/],
    ["tiny threshold", { dataset: { name: "shd" }, neuron: { threshold: 1e-38 } }, /^neuron\.threshold: expected a finite number >= 0\.0001/],
    ["huge weight decay", { dataset: { name: "shd" }, train: { weightDecay: 1e38 } }, /^train\.weightDecay: expected a finite number >= 0 and < 1, received 1e\+38/],
    ["huge lr", { dataset: { name: "shd" }, train: { lr: 1e30 } }, /^train\.lr: expected a finite number > 0 and < 1, received 1e\+30/],
    ["huge kernel", { dataset: { name: "dvs-gesture" }, model: { kernel: 10001 } }, /^model\.kernel: expected an integer >= 1 and < 64, received 10001/],
  ];
  for (const [what, raw, msg] of bad)
    it(`rejects ${what}`, () => {
      let err: unknown;
      try {
        validateConfig(raw);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(msg);
    });

  it("YAML errors and validation errors name the file", () => {
    const dir = tmp();
    writeFileSync(join(dir, "a.yaml"), "dataset: {name: shd\ntrain: [");
    expect(() => loadConfig(join(dir, "a.yaml"))).toThrow(/a\.yaml: invalid YAML: /);
    writeFileSync(join(dir, "b.yaml"), "dataset: {name: shd}\ntrain: {batchSize: 0}\n");
    expect(() => loadConfig(join(dir, "b.yaml"))).toThrow(/b\.yaml: train\.batchSize: expected an integer >= 1 and < 65536, received 0/);
    expect(() => loadConfig(join(dir, "missing.yaml"))).toThrow(/missing\.yaml: expected a readable YAML config file, received no such file/);
  });

  it("the DVS Gesture network ends in Linear(C·16 → 11) on 64×64 input", () => {
    const built = buildModel(validateConfig({ dataset: { name: "dvs-gesture" } }), { sampleShape: [300, 2, 64, 64], numClasses: 11 });
    const last = built.weights[built.weights.length - 1];
    expect(last.param.value.shape).toEqual([11, 64 * 16]);
    expect(built.weights.map((w) => w.param.value.shape[0])).toEqual([8, 16, 32, 64, 64, 64, 11]);
    expect(built.dropouts.map((d) => d.p)).toEqual([0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.7]);
    built.net.dispose();
  });
});
