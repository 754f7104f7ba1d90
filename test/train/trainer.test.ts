// The trainer end to end on an in-memory spiking task: it learns, it logs metrics and per-layer
// gradient norms, an interrupted run resumed from its checkpoint ends with exactly the weights of
// an uninterrupted one, and EXODUS trains exactly like BPTT.
import { appendFileSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { train, type TrainData } from "../../lib/train/trainer.js";
import { maxRelError } from "../helpers.js";
import { abortAfter, memoryData, quiet, syntheticConfig } from "./helpers.js";

const task = () => ({
  train: memoryData({ size: 96, T: 30, features: [24], classes: 3, seed: 1 }),
  eval: memoryData({ size: 48, T: 30, features: [24], classes: 3, seed: 2 }),
});


describe("trainer", () => {
  it("learns the synthetic task and logs metrics with per-layer gradient norms", async () => {
    const cfg = syntheticConfig({}, { epochs: 8 });
    const r = await train({ config: cfg, data: task(), progress: quiet() });
    expect(r.interrupted).toBe(false);
    expect(r.epochs).toHaveLength(8);
    const [first, last] = [r.epochs[0], r.epochs[7]];
    expect(last.train.loss).toBeLessThan(first.train.loss / 2);
    expect(last.eval!.acc).toBeGreaterThanOrEqual(0.9);
    const lines = readFileSync(join(cfg.output, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Object.keys(lines[0].gradNorm)).toEqual(["0.Linear", "2.Linear", "4.Linear"]);
    for (const v of Object.values(lines[0].gradNorm)) expect(v).toBeGreaterThan(0);
    expect(readdirSync(cfg.output).filter((f) => f.endsWith(".safetensors")).sort())
      .toEqual(["checkpoint-best.safetensors", "checkpoint.safetensors", "model-best.safetensors", "model.safetensors"]);
  });

  it("refuses to overwrite a run's checkpoint without --resume", async () => {
    const cfg = syntheticConfig({}, { epochs: 1 });
    await train({ config: cfg, data: task(), progress: quiet() });
    await expect(train({ config: cfg, data: task(), progress: quiet() })).rejects.toThrow(/already holds a checkpoint; pass --resume/);
  });

  it("an interrupted run resumed from its checkpoint ends with the weights of an uninterrupted one", async () => {
    // dropout (conv model) makes the seeds part of the test too: a small conv net on 2×8×8 frames
    const conv = { model: { kind: "conv", channels: [4, 8], kernel: 3, pool: 2, poolUntil: 2, dropout: 0.2, readoutDropout: 0.3 },
      neuron: { type: "iaf", threshold: 0.25 }, loss: { readout: "sum" } };
    const data = (): { train: TrainData; eval: TrainData } => ({
      train: memoryData({ size: 40, T: 12, features: [2, 8, 8], classes: 2, seed: 3 }),
      eval: memoryData({ size: 16, T: 12, features: [2, 8, 8], classes: 2, seed: 4 }),
    });
    const settings = { epochs: 3, batchSize: 8, lr: 3e-3, weightDecay: 1e-2 };
    const whole = await train({ config: syntheticConfig(conv, settings), data: data(), progress: quiet() });

    const cfg = syntheticConfig(conv, settings);
    const ac = new AbortController();
    const cut = await train({ config: cfg, data: data(), progress: abortAfter(7, ac), signal: ac.signal }); // mid epoch 2
    expect(cut.interrupted).toBe(true);
    expect(cut.epochs).toHaveLength(1);
    // a line cut short by a crash after the checkpoint is dropped on resume
    appendFileSync(join(cfg.output, "metrics.jsonl"), '{"epoch": 1, "tr');
    const rest = await train({ config: { ...cfg, dataset: { ...cfg.dataset, root: "moved" } }, data: data(), progress: quiet(), resume: true });
    expect(rest.interrupted).toBe(false);
    expect(rest.weights.length).toBe(whole.weights.length);
    for (let i = 0; i < whole.weights.length; i++) expect(rest.weights[i]).toEqual(whole.weights[i]);
    // the metrics file reads as one run
    const lines = readFileSync(join(cfg.output, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.epoch)).toEqual([1, 2, 3]);
    expect(lines[2].train.loss).toBeCloseTo(whole.epochs[2].train.loss, 6);
    expect(lines[2].eval.acc).toBe(whole.epochs[2].eval!.acc);
  });

  it("resume refuses a config that changes the run", async () => {
    const cfg = syntheticConfig({}, { epochs: 1 });
    await train({ config: cfg, data: task(), progress: quiet() });
    const other = { ...cfg, train: { ...cfg.train, batchSize: 5 } };
    await expect(train({ config: other, data: task(), progress: quiet(), resume: true })).rejects.toThrow(/config's batchSize differs from the checkpoint's/);
  });

  it("EXODUS trains exactly like BPTT; SLAYER does not", async () => {
    const run = async (method: string) =>
      (await train({ config: syntheticConfig({ method }, { epochs: 1, lr: 1e-3 }), data: task(), progress: quiet() })).weights;
    const [exodus, bptt, slayer] = [await run("exodus"), await run("bptt"), await run("slayer")];
    for (let i = 0; i < exodus.length; i++) expect(maxRelError(exodus[i], bptt[i])).toBeLessThan(1e-4);
    expect(maxRelError(slayer[0], bptt[0])).toBeGreaterThan(1e-3);
  });

  it("names the download command when the data set is missing", async () => {
    const cfg = syntheticConfig({ dataset: { name: "ssc", root: "/nonexistent/ssc" } }, { epochs: 1 });
    await expect(train({ config: cfg, progress: quiet() })).rejects.toThrow(/exodus data download ssc --dir \/nonexistent\/ssc/);
  });
});
