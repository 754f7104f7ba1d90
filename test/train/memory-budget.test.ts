// train.memoryBudget: a run whose step does not fit the budget runs checkpointed (nn/checkpoint.ts)
// and ends with the same weights and losses, bit for bit, as the same run without it.
import { describe, expect, it } from "vitest";
import { train, type TrainData } from "../../lib/train/trainer.js";
import { validateConfig } from "../../lib/train/config.js";
import { Progress } from "../../lib/train/progress.js";
import { memoryData, syntheticConfig } from "./helpers.js";

/** A progress sink that keeps the log lines. */
function recording(): { progress: Progress; lines: string[] } {
  const lines: string[] = [];
  const progress = new Progress(process.stderr, true);
  progress.log = (l: string) => void lines.push(l);
  return { progress, lines };
}

describe("train.memoryBudget", () => {
  it.each([
    ["the built-in task (MLP)", {}, [24]],
    ["a conv net with dropout", { model: { kind: "conv", channels: [4, 8], kernel: 3, pool: 2, poolUntil: 2, dropout: 0.2, readoutDropout: 0.3 }, neuron: { type: "lif", tauMem: 5, threshold: 0.25 }, loss: { readout: "sum" } }, [2, 8, 8]],
  ] as const)("%s: checkpointed when over the budget, with the same weights and losses bit for bit", async (_, over, features) => {
    const data = (): { train: TrainData; eval: TrainData } => ({
      train: memoryData({ size: 40, T: 20, features: [...features], classes: 3, seed: 3 }),
      eval: memoryData({ size: 16, T: 20, features: [...features], classes: 3, seed: 4 }),
    });
    const settings = { epochs: 2, batchSize: 8, lr: 3e-3, timeChunk: "off" }; // layer checkpointing, not chunks of time (time-chunk.test.ts)
    const off = await train({ config: syntheticConfig(over, { ...settings, memoryBudget: "off" }), data: data(), progress: recording().progress });
    const rec = recording();
    const tight = await train({ config: syntheticConfig(over, { ...settings, memoryBudget: 0.01 }), data: data(), progress: rec.progress });
    expect(rec.lines.some((l) => /^memory: .* over train\.memoryBudget 0\.0100 MiB: checkpointing \(\d+ segments/.test(l))).toBe(true);
    expect(tight.weights.length).toBe(off.weights.length);
    for (let i = 0; i < off.weights.length; i++) expect(tight.weights[i]).toEqual(off.weights[i]);
    expect(tight.epochs.map((e) => e.train.loss)).toEqual(off.epochs.map((e) => e.train.loss));
    // spikes are counted once, in the first forward, not again in the recompute
    expect(tight.epochs.map((e) => e.firingRate)).toEqual(off.epochs.map((e) => e.firingRate));
    expect(tight.epochs.map((e) => e.gradNorm)).toEqual(off.epochs.map((e) => e.gradNorm));
    expect(tight.epochs[0].train.loss).not.toBe(tight.epochs[1].train.loss);
  });

  it("the default fits the small task whole: nothing is logged", async () => {
    const rec = recording();
    const data = { train: memoryData({ size: 16, T: 10, features: [24], classes: 3, seed: 3 }), eval: memoryData({ size: 8, T: 10, features: [24], classes: 3, seed: 4 }) };
    await train({ config: syntheticConfig({}, { epochs: 1, batchSize: 8 }), data, progress: rec.progress });
    expect(rec.lines.some((l) => l.startsWith("memory:"))).toBe(false);
  });

  it("refuses a budget that is not a positive number, auto or off, naming the field", () => {
    for (const bad of [0, -5, "lots", true])
      expect(() => syntheticConfig({}, { memoryBudget: bad })).toThrow(/train\.memoryBudget: expected "auto", "off" or a number of MiB > 0/);
    expect(syntheticConfig({}, { memoryBudget: 512 }).train.memoryBudget).toBe(512);
    expect(validateConfig({ dataset: { name: "shd", root: "x" }, model: { kind: "mlp", hidden: [8] } }).train.memoryBudget).toBe("auto");
  });
});
