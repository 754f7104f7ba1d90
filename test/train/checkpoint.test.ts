// Checkpoint loading: validated (messages name the file and field), shapes checked against the
// model, old checkpoint.json + .bin runs still resume, and --resume takes a file, a run folder or
// "best".
import { crc32 } from "node:zlib";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encodeSafetensors, readSafetensors } from "../../lib/io/safetensors.js";
import { loadCheckpoint, restoreWeights, CHECKPOINT_FILE } from "../../lib/train/checkpoint.js";
import { resumedRunConfig, revalidateStored } from "../../lib/train/resume.js";
import { validateConfig } from "../../lib/train/config.js";
import { train } from "../../lib/train/trainer.js";
import { tmp } from "../data/helpers.js";
import { memoryData, quiet, syntheticConfig } from "./helpers.js";

const task = () => ({
  train: memoryData({ size: 48, T: 12, features: [24], classes: 3, seed: 1 }),
  eval: memoryData({ size: 24, T: 12, features: [24], classes: 3, seed: 2 }),
});

/** Rewrites a checkpoint's metadata entry (the tensors stay). */
function editState(file: string, edit: (s: Record<string, unknown>) => void): void {
  const { tensors, metadata } = readSafetensors(file);
  const s = JSON.parse(metadata["exodus.state"]);
  edit(s);
  writeFileSync(file, encodeSafetensors([...tensors].map(([name, t]) => ({ name, ...t })), { ...metadata, "exodus.state": JSON.stringify(s) }));
}

/** The exodus 0.1 format, as its saveCheckpoint wrote it. */
function writeLegacy(dir: string, ck: ReturnType<typeof loadCheckpoint>): void {
  const named = [...[...ck.weights].map(([n, t]) => ({ name: `param/${n}`, data: t.data, shape: t.shape })),
    ...[...ck.weights].flatMap(([n, t]) => [{ name: `adam.m/${n}`, data: ck.adam!.m.get(n)!, shape: t.shape }, { name: `adam.v/${n}`, data: ck.adam!.v.get(n)!, shape: t.shape }])];
  let offset = 0;
  const table = named.map((t) => ({ name: t.name, shape: t.shape, offset: (offset += t.data.length) - t.data.length, length: t.data.length }));
  const all = new Float32Array(offset);
  named.forEach((t, i) => all.set(t.data, table[i].offset));
  const bytes = Buffer.from(all.buffer);
  const bin = `checkpoint-${ck.state.step}.bin`;
  writeFileSync(join(dir, bin), bytes);
  const { best: _b, config, ...pos } = ck.state;
  writeFileSync(join(dir, "checkpoint.json"), JSON.stringify({ version: 1, ...pos, config, tensors: table, bin, crc32: crc32(bytes) >>> 0 }));
}

describe("checkpoints", () => {
  it("a stored (resolved) config validates again, for every data set's defaults (IAF carries tauMem)", () => {
    for (const name of ["shd", "ssc", "dvs-gesture", "cifar10-dvs"]) {
      const resolved = JSON.parse(JSON.stringify(validateConfig({ dataset: { name }, device: "cpu" })));
      expect(revalidateStored(resolved)).toEqual(resolved);
    }
  });


  it("a run resumed from an old checkpoint.json + .bin ends like an uninterrupted one", async () => {
    const whole = await train({ config: syntheticConfig({}, { epochs: 3 }), data: task(), progress: quiet() });
    const first = syntheticConfig({}, { epochs: 1 });
    await train({ config: first, data: task(), progress: quiet() });
    const legacyDir = tmp("exodus-legacy-");
    writeLegacy(legacyDir, loadCheckpoint(first.output));
    const old = loadCheckpoint(legacyDir);
    expect(old.legacy).toBe(true);
    const rest = await train({ config: { ...first, output: legacyDir, train: { ...first.train, epochs: 3 } }, data: task(), progress: quiet(), resume: true });
    rest.weights.forEach((w, i) => expect(w).toEqual(whole.weights[i]));
    // it continued in the new format and dropped the old files
    expect(loadCheckpoint(legacyDir).legacy).toBe(false);
  });

  it("old checkpoints that are damaged or reach outside the run folder get a message naming the file", async () => {
    const cfg = syntheticConfig({}, { epochs: 1 });
    await train({ config: cfg, data: task(), progress: quiet() });
    const dir = tmp("exodus-legacy-bad-");
    writeLegacy(dir, loadCheckpoint(cfg.output));
    const json = join(dir, "checkpoint.json");
    const good = readFileSync(json, "utf8");
    const mutate = (f: (j: Record<string, unknown>) => void) => {
      const j = JSON.parse(good);
      f(j);
      writeFileSync(json, JSON.stringify(j));
    };
    mutate((j) => (j.bin = "../../../../etc/hostname"));
    expect(() => loadCheckpoint(dir)).toThrow(/checkpoint.json: bin: expected a file name "checkpoint-<step>.bin" in the run folder/);
    mutate((j) => (j.epoch = "1"));
    expect(() => loadCheckpoint(dir)).toThrow(/checkpoint.json: state.epoch: expected an integer >= 0, received "1"/);
    mutate((j) => delete j.partial);
    expect(() => loadCheckpoint(dir)).toThrow(/state.partial: expected an object, received undefined/);
    writeFileSync(json, "");
    expect(() => loadCheckpoint(dir)).toThrow(/checkpoint.json: expected an exodus checkpoint \(JSON\)/);
    mutate((j) => (j.bin = "checkpoint-999.bin"));
    expect(() => loadCheckpoint(dir)).toThrow(/checkpoint-999.bin: expected the tensor data that .*checkpoint.json refers to, received ENOENT/);
  });

  it("validates the safetensors checkpoint's state and the weights' shapes against the model", async () => {
    const cfg = syntheticConfig({}, { epochs: 1 });
    await train({ config: cfg, data: task(), progress: quiet() });
    const file = join(cfg.output, CHECKPOINT_FILE);
    const ck = loadCheckpoint(cfg.output);
    expect(ck.path).toBe(file);
    expect([...ck.weights.keys()]).toEqual(["0.weight", "2.weight", "4.weight"]);
    expect(ck.adam!.steps).toBe(ck.state.step);
    // another model's parameters
    const fake = (name: string, shape: number[]) => ({ name, value: { shape, set() {} }, grad: {} }) as never;
    expect(() => restoreWeights([fake("0.weight", [24, 24]), fake("2.weight", [24, 24]), fake("4.weight", [5, 24])], ck))
      .toThrow(/checkpoint.safetensors: tensor 4.weight: expected shape \[5, 24\] for this model, received \[3, 24\]/);
    expect(() => restoreWeights([fake("0.weight", [24, 24])], ck)).toThrow(/holds tensors this model does not have \(2.weight, 4.weight\)/);
    editState(file, (s) => (s.phase = "test"));
    expect(() => loadCheckpoint(cfg.output)).toThrow(/checkpoint.safetensors: state.phase: expected "train" or "eval", received "test"/);
    editState(file, (s) => (s.phase = "train"));
    const { tensors, metadata } = readSafetensors(file);
    writeFileSync(file, encodeSafetensors([...tensors].filter(([n]) => !n.startsWith("optimizer.exp_avg_sq.")).map(([name, t]) => ({ name, ...t })), metadata));
    expect(() => loadCheckpoint(cfg.output)).toThrow(/tensor optimizer.exp_avg.0.weight \(Adam state after \d+ steps\) has no optimizer.exp_avg_sq.0.weight beside it/);
    expect(() => loadCheckpoint(join(cfg.output, "model.safetensors"))).toThrow(/a weights-only model file; resume from/);
    expect(() => loadCheckpoint(tmp("exodus-empty-"))).toThrow(/expected a run folder holding checkpoint.safetensors or checkpoint.json, received a folder with no checkpoint/);
  });

  it("--resume takes a checkpoint file or 'best'; a run folder's config.yaml is its hparams file", async () => {
    const cfg = syntheticConfig({}, { epochs: 2 });
    await train({ config: cfg, data: task(), progress: quiet() });
    const best = loadCheckpoint(cfg.output, "best");
    // resuming from the best checkpoint into a new folder continues from that position
    const out = tmp("exodus-from-best-");
    const r = await train({ config: { ...cfg, output: out, train: { ...cfg.train, epochs: 3 } }, data: task(), progress: quiet(), resume: best.path });
    expect(r.epochs[0].epoch).toBe(best.state.epoch + 1); // state.epoch: epochs done; metrics count from 1
    // no config file: the run's own config (config.yaml if present, else the stored one)
    const fromStore = resumedRunConfig(cfg.output, { epochs: 5 });
    expect(fromStore.model).toEqual(cfg.model);
    expect(fromStore.train.epochs).toBe(5);
    expect(fromStore.output).toBe(cfg.output);
    writeFileSync(join(cfg.output, "config.yaml"), "dataset: {name: shd, root: unused}\nmodel: {kind: mlp, hidden: [24, 24]}\ntrain: {epochs: 9, seed: 7}\n");
    expect(resumedRunConfig(join(cfg.output, CHECKPOINT_FILE), {}).train.epochs).toBe(9);
    // a folder holding another run's checkpoint is never overwritten by a resume from elsewhere
    await expect(train({ config: { ...cfg, output: out }, data: task(), progress: quiet(), resume: best.path })).rejects.toThrow(/already holds a checkpoint/);
  });
});
