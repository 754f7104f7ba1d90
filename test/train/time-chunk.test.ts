// train.timeChunk and the automatic choice of chunks of time (lib/train/memory-budget.ts): a
// Linear/LIF run whose step fits no budget even with layer checkpointing runs in chunks of time,
// with the same first loss and spike counts bit for bit, and weights equal to float32 rounding
// (the weight gradients are summed chunk by chunk).
import { describe, expect, it } from "vitest";
import { train, type TrainData } from "../../lib/train/trainer.js";
import { validateConfig } from "../../lib/train/config.js";
import { Progress } from "../../lib/train/progress.js";
import { planTimeChunks, timeChunkPeak } from "../../lib/nn/time-chunk-plan.js";
import { LIF, Linear, Sequential } from "../../lib/nn/index.js";
import { relErr } from "../neurons/reference.js";
import { memoryData, syntheticConfig } from "./helpers.js";

function recording(): { progress: Progress; lines: string[] } {
  const lines: string[] = [];
  const progress = new Progress(process.stderr, true);
  progress.log = (l: string) => void lines.push(l);
  return { progress, lines };
}

const data = (): { train: TrainData; eval: TrainData } => ({
  train: memoryData({ size: 16, T: 30, features: [24], classes: 3, seed: 3 }),
  eval: memoryData({ size: 8, T: 30, features: [24], classes: 3, seed: 4 }),
});

describe("train.timeChunk", () => {
  it("over the budget even with layer segments: chunks of time, the same first loss and spikes, weights to rounding", async () => {
    const settings = { epochs: 1, batchSize: 16, lr: 3e-3 };
    const off = await train({ config: syntheticConfig({}, { ...settings, memoryBudget: "off" }), data: data(), progress: recording().progress });
    const rec = recording();
    const tight = await train({ config: syntheticConfig({}, { ...settings, memoryBudget: 0.01 }), data: data(), progress: rec.progress });
    expect(rec.lines.some((l) => /^memory: .* with layer checkpointing: chunks of time of \d+ steps, estimated peak/.test(l))).toBe(true);
    // one step: its loss and spike counts come from the forward, which is the same bit for bit
    expect(tight.epochs[0].train.loss).toBe(off.epochs[0].train.loss);
    expect(tight.epochs[0].firingRate).toEqual(off.epochs[0].firingRate);
    for (const [k, g] of Object.entries(off.epochs[0].gradNorm)) expect(Math.abs(tight.epochs[0].gradNorm[k] - g) / g).toBeLessThan(1e-5);
    for (let i = 0; i < off.weights.length; i++) expect(relErr(tight.weights[i], off.weights[i])).toBeLessThan(1e-5);
  });

  it("a given chunk length is used and logged; with timeChunk off the budget checkpoints layers", async () => {
    const rec = recording();
    await train({ config: syntheticConfig({}, { epochs: 1, batchSize: 16, timeChunk: 7 }), data: data(), progress: rec.progress });
    expect(rec.lines.some((l) => /^memory: chunks of time of 7 steps \(train\.timeChunk\)/.test(l))).toBe(true);
    const layers = recording();
    await train({ config: syntheticConfig({}, { epochs: 1, batchSize: 16, memoryBudget: 0.01, timeChunk: "off" }), data: data(), progress: layers.progress });
    expect(layers.lines.some((l) => /^memory: .*: checkpointing \(\d+ segments/.test(l))).toBe(true);
  });

  it("refuses bad values and networks it cannot chunk, naming the field", async () => {
    for (const bad of [0, -3, 2.5, "short", true])
      expect(() => syntheticConfig({}, { timeChunk: bad })).toThrow(/train\.timeChunk: expected "auto", "off" or a number of time steps per chunk/);
    expect(syntheticConfig({}, { timeChunk: 100 }).train.timeChunk).toBe(100);
    expect(validateConfig({ dataset: { name: "shd", root: "x" }, model: { kind: "mlp", hidden: [8] } }).train.timeChunk).toBe("auto");
    const conv = syntheticConfig({ model: { kind: "conv", channels: [4], kernel: 3, pool: 2 } }, { epochs: 1, batchSize: 8, timeChunk: 5 });
    const convData = { train: memoryData({ size: 8, T: 10, features: [2, 8, 8], classes: 3, seed: 3 }), eval: memoryData({ size: 8, T: 10, features: [2, 8, 8], classes: 3, seed: 4 }) };
    await expect(train({ config: conv, data: convData, progress: recording().progress })).rejects.toThrow(/train\.timeChunk 5: chunks of time: expected a network of Linear and LIF\/IAF layers, received layer \d+ \(Conv2d/);
  });

  it("plans the longest chunk that fits, and the lowest peak when none does", () => {
    const net = new Sequential(new Linear(100, 128), new LIF(), new Linear(128, 128), new LIF(), new Linear(128, 20));
    const shape = [10000, 32, 100];
    const whole = timeChunkPeak(net, shape, 10000);
    const p = planTimeChunks(net, shape, whole / 10);
    expect(p.peak).toBeLessThanOrEqual(whole / 10);
    expect(timeChunkPeak(net, shape, p.chunk)).toBe(p.peak);
    expect(timeChunkPeak(net, shape, p.chunk + 1)).toBeGreaterThan(whole / 10);
    const none = planTimeChunks(net, shape, 1);
    for (const c of [1, 10, 100, 1000, 10000]) expect(timeChunkPeak(net, shape, c)).toBeGreaterThanOrEqual(none.peak);
  });
});
