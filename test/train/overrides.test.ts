// Command-line overrides: --set for any field (typed like YAML, validated like the file, errors
// naming the field and the argument), the shortcut flags, and the built-in task's config.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConfigError } from "../../lib/errors.js";
import { loadConfig, validateConfig } from "../../lib/train/config.js";
import { parseSet, resolvedConfigYaml } from "../../lib/train/overrides.js";

const CONFIGS = join(import.meta.dirname, "..", "..", "configs");
const synthetic = join(CONFIGS, "synthetic.yaml");

describe("config overrides", () => {
  it("--set values are typed as YAML and land at their key path", () => {
    expect(parseSet("train.lr=3e-3")).toMatchObject({ key: "train.lr", value: 3e-3 });
    expect(parseSet("model.hidden=[32, 16]").value).toEqual([32, 16]);
    expect(parseSet("loss.readout=max").value).toBe("max");
    const c = loadConfig(synthetic, { set: ["train.lr=3e-3", "model.hidden=[32,16]", "neuron.surrogate.width=0.5", "loss.readout=max"] });
    expect(c.train.lr).toBe(3e-3);
    expect(c.model).toMatchObject({ hidden: [32, 16] });
    expect(c.neuron.surrogate.width).toBe(0.5);
    expect(c.loss.readout).toBe("max");
  });

  it("the shortcut flags override the file, and --set comes last", () => {
    const c = loadConfig(synthetic, { batchSize: 8, lr: 0.02, seed: 5, scale: 0.1, set: ["train.seed=6"] });
    expect(c.train).toMatchObject({ batchSize: 8, lr: 0.02, seed: 6 });
    expect(c.neuron.surrogate).toEqual({ name: "exponential", scale: 0.1, width: 1 });
  });

  it("--surrogate picks a compact-support surrogate and keeps the file's width and scale", () => {
    expect(loadConfig(synthetic, { surrogate: "triangle" }).neuron.surrogate).toEqual({ name: "triangle", scale: 1, width: 1 });
    expect(loadConfig(synthetic, { surrogate: "rectangle", scale: 0.5 }).neuron.surrogate).toEqual({ name: "rectangle", scale: 0.5, width: 1 });
    expect(() => loadConfig(synthetic, { surrogate: "hat" })).toThrow(/neuron\.surrogate\.name: expected one of "exponential", "boxcar", "gaussian", "fast_sigmoid", "arctan", "triangle", "rectangle", received "hat"/);
  });

  it("bad values fail like the file's, naming the field and the argument", () => {
    const cases: [string[], RegExp][] = [
      [["train.lr=-1"], /^--set train\.lr=-1: train\.lr: expected a finite number > 0 and < 1, received -1/],
      [["train.lr=fast"], /^--set train\.lr=fast: train\.lr: expected a finite number > 0 and < 1, received "fast"/],
      [["model.hidden=[32, x]"], /^--set model\.hidden=\[32, x\]: model\.hidden\[1\]: expected an integer >= 1 and < 16777216, received "x"/],
      [["train.lrr=1"], /^--set train\.lrr=1: train\.lrr: expected no such field \(known: epochs, batchSize, lr/],
      [["method=adam"], /^--set method=adam: method: expected one of "exodus", "slayer", "bptt", received "adam"/],
      [["train.lr"], /^--set: expected key\.path=value/],
      [["method.x=1"], /^--set method\.x: method is "exodus", not a mapping/],
    ];
    for (const [set, msg] of cases) {
      let err: unknown;
      try {
        loadConfig(synthetic, { set });
      } catch (e) {
        err = e;
      }
      expect(err, set[0]).toBeInstanceOf(ConfigError);
      expect((err as Error).message, set[0]).toMatch(msg);
    }
    expect(() => loadConfig(synthetic, { scale: -1 })).toThrow(/synthetic\.yaml: neuron\.surrogate\.scale: expected a finite number >= 0 and < 1000, received -1/);
  });

  it("the resolved config.yaml holds every field and validates to the same config", () => {
    const c = loadConfig(synthetic, { set: ["model.hidden=[16]"], epochs: 3 });
    const text = resolvedConfigYaml(c);
    const again = validateConfig(parse(text));
    expect(again).toEqual(c);
    for (const k of ["initScale", "tauMem", "weightDecay", "evalEvery", "limitBatches", "evalSplit", "device"]) expect(text).toContain(`${k}:`);
  });

  it("configs/synthetic.yaml states the built-in task's defaults", () => {
    const file = loadConfig(synthetic);
    const bare = validateConfig({ dataset: { name: "synthetic" } });
    expect(file).toEqual(bare);
    expect(file).toMatchObject({ model: { kind: "mlp", hidden: [64, 64], initScale: 2 }, loss: { readout: "sum" }, train: { evalSplit: "valid" }, output: "runs/synthetic-exodus" });
    expect(() => validateConfig({ dataset: { name: "synthetic", transform: { frame: { mode: "fixed", binUs: 1000, steps: 10 } } } })).toThrow(/dataset\.transform: expected no transform/);
  });
});
