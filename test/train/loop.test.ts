// The training loop's options end to end: optimisers, schedules, clipping, parameter groups, top-k
// checkpoints and early stopping, each resumed bit-exactly after an interruption.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { train, type TrainData } from "../../lib/train/trainer.js";
import { loadCheckpoint } from "../../lib/train/checkpoint.js";
import { validateConfig } from "../../lib/train/config.js";
import { DATASETS } from "../../lib/data/registry.js";
import { topCheckpointFile } from "../../lib/train/selection.js";
import { abortAfter, memoryData, quiet, syntheticConfig } from "./helpers.js";

const data = (): { train: TrainData; eval: TrainData } => ({
  train: memoryData({ size: 64, T: 20, features: [24], classes: 3, seed: 1 }),
  eval: memoryData({ size: 32, T: 20, features: [24], classes: 3, seed: 2 }),
});


const lines = (out: string) => readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
const learnAlpha = { neuron: { type: "lif", tauMem: 10, threshold: 1, learn: ["alpha"], surrogate: { name: "exponential", scale: 1, width: 0.5 } } };

const SETUPS: Record<string, Record<string, unknown>> = {
  "SGD Nesterov, warm-up + cosine, clipping, no decay on neuron parameters, top 2": {
    optimizer: { name: "sgd", momentum: 0.9, nesterov: true }, lr: 0.05, weightDecay: 1e-3, paramGroups: [{ params: "neuron", weightDecay: 0, lrScale: 0.1 }],
    schedule: { name: "cosine", warmupSteps: 5, minLr: 1e-3 }, clipGradNorm: 0.5, keepTop: 2,
  },
  "AdamW, plateau on eval loss, selection on loss": {
    optimizer: "adamw", lr: 5e-3, weightDecay: 0.05, schedule: { name: "plateau", patience: 0, factor: 0.5, threshold: 0.2 }, selectMetric: "loss", keepTop: 1,
  },
  "Adam, one-cycle, early stopping": { optimizer: "adam", lr: 1e-2, schedule: "onecycle", earlyStopping: { patience: 3, minDelta: 0.5 } },
};

describe("training loop options", () => {
  for (const [name, settings] of Object.entries(SETUPS))
    it(`${name}: an interrupted, resumed run ends with an uninterrupted one's weights, rates and files`, async () => {
      const t = { epochs: 5, batchSize: 8, ...settings };
      const wholeCfg = syntheticConfig(learnAlpha, t);
      const whole = await train({ config: wholeCfg, data: data(), progress: quiet() });
      const cfg = syntheticConfig(learnAlpha, t);
      const ac = new AbortController();
      const cut = await train({ config: cfg, data: data(), progress: abortAfter(19, ac), signal: ac.signal }); // mid epoch 3
      expect(cut.interrupted).toBe(true);
      const rest = await train({ config: cfg, data: data(), progress: quiet(), resume: true });
      expect(rest.interrupted).toBe(false);
      whole.weights.forEach((w, i) => expect(rest.weights[i]).toEqual(w));
      const a = lines(wholeCfg.output);
      const b = lines(cfg.output);
      expect(b.map((l) => l.lr)).toEqual(a.map((l) => l.lr));
      expect(new Set(a.map((l) => l.lr)).size).toBeGreaterThan(1); // the schedule acted
      expect(b.map((l) => l.eval.loss)).toEqual(a.map((l) => l.eval.loss));
      const top = (out: string) => readdirSync(out).filter((f) => f.startsWith("checkpoint-epoch-")).sort();
      expect(top(cfg.output)).toEqual(top(wholeCfg.output));
    });

  it("rates follow the schedule, the top k are the best by the metric, and early stopping stops", async () => {
    const cfg = syntheticConfig(learnAlpha, { epochs: 6, batchSize: 8, ...SETUPS["SGD Nesterov, warm-up + cosine, clipping, no decay on neuron parameters, top 2"] });
    const r = await train({ config: cfg, data: data(), progress: quiet() });
    const m = lines(cfg.output);
    // 8 steps per epoch, 48 in all: the last step's rate is minLr, epoch 1's last (step 7) past the 5-step warm-up on the cosine
    expect(m.at(-1).lr).toBeCloseTo(1e-3, 12);
    expect(m[0].lr).toBeCloseTo(1e-3 + ((0.05 - 1e-3) / 2) * (1 + Math.cos((Math.PI * 2) / 42)), 12);
    const byAcc = [...m].sort((x, y) => y.eval.acc - x.eval.acc || x.epoch - y.epoch).slice(0, 2).map((x) => x.epoch);
    expect(readdirSync(cfg.output).filter((f) => f.startsWith("checkpoint-epoch-")).sort()).toEqual(byAcc.sort((x, y) => x - y).map(topCheckpointFile));
    for (const e of byAcc) expect(loadCheckpoint(join(cfg.output, topCheckpointFile(e))).state.epoch).toBe(e); // the state after epoch e
    expect(r.epochs).toHaveLength(6);

    const es = syntheticConfig(learnAlpha, { epochs: 8, batchSize: 8, optimizer: "adam", lr: 1e-2, earlyStopping: { patience: 2, minDelta: 10 } });
    const s = await train({ config: es, data: data(), progress: quiet() });
    expect(s.epochs.map((x) => x.epoch)).toEqual([1, 2, 3]); // evaluation 1 sets the reference; 2 and 3 never beat it by 10
    expect(existsSync(join(es.output, topCheckpointFile(1)))).toBe(false); // keepTop 0: none
  });

  it("selects on valid by default and evaluates test once at the end, with the best epoch's weights", async () => {
    for (const name of Object.keys(DATASETS)) expect(validateConfig({ dataset: { name }, device: "cpu" }).train.evalSplit).toBe("valid");
    expect(() => validateConfig({ dataset: { name: "shd" }, train: { evalSplit: "trainval" }, device: "cpu" })).toThrow(/train.evalSplit: expected one of "valid", "test", received "trainval"/);
    const cfg = syntheticConfig({}, { epochs: 4, batchSize: 8, lr: 2e-2 });
    const test = memoryData({ size: 40, T: 20, features: [24], classes: 3, seed: 5 });
    const r = await train({ config: cfg, data: { ...data(), test }, progress: quiet() });
    const m = lines(cfg.output);
    const best = m.reduce((b, x) => (x.eval.acc > b.eval.acc ? x : b));
    expect(r.test).toMatchObject({ split: "test", weights: "best", epoch: best.epoch, samples: 40 });
    expect(JSON.parse(readFileSync(join(cfg.output, "test.json"), "utf8"))).toEqual(r.test);
    // the returned weights are the last epoch's, not the best's that test used
    expect(r.weights[0]).toEqual(loadCheckpoint(cfg.output).weights.get("0.weight")!.data);
    // selecting on test (a paper's protocol): nothing more to evaluate
    const onTest = syntheticConfig({}, { epochs: 1, batchSize: 8, evalSplit: "test" });
    const t = await train({ config: onTest, data: { ...data(), test }, progress: quiet() });
    expect(t.test).toBeUndefined();
    expect(existsSync(join(onTest.output, "test.json"))).toBe(false);
  });
});

describe("resuming runs written before the loop options", () => {
  it("a stored config without them (a layer list too) gets their defaults: Adam, constant rate, no clipping", async () => {
    const { revalidateStored } = await import("../../lib/train/resume.js");
    const cfg = syntheticConfig({ model: { layers: [{ linear: { out: 16 } }, { lif: {} }, { linear: {} }] } }, { epochs: 1, batchSize: 16 });
    const old = JSON.parse(JSON.stringify(cfg)) as { train: Record<string, unknown> };
    for (const k of ["optimizer", "paramGroups", "schedule", "clipGradNorm", "selectMetric", "keepTop", "earlyStopping", "logEvery", "tensorboard"]) delete old.train[k];
    const back = revalidateStored(old);
    expect(back.train).toMatchObject({ optimizer: { name: "adam" }, paramGroups: [], schedule: { name: "constant", warmupSteps: 0 }, clipGradNorm: null, selectMetric: "acc", keepTop: 0, earlyStopping: null, logEvery: 10, tensorboard: true });
    expect(back.train.lr).toBe(cfg.train.lr);
  });
});
