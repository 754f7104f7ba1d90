// Training never ends silently wrong and never loses more than a few minutes: a non-finite
// gradient stops the run naming the step and keeps the last good checkpoint; metrics never hold
// null; mid-epoch checkpoints let a killed run resume exactly; SIGTERM is Ctrl-C; absurd models are
// refused before allocation; CLI errors are one line without a stack.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { register } from "../../bin/commands/train.js";
import { ConfigError } from "../../lib/errors.js";
import type { Batch, BatchOptions } from "../../lib/data/loader.js";
import { validateConfig } from "../../lib/train/config.js";
import { Guard, TrainingDivergedError, likelyCause } from "../../lib/train/guard.js";
import { checkModelFits } from "../../lib/train/memory.js";
import { train, type TrainData } from "../../lib/train/trainer.js";
import { tinyShdRun, tmp } from "../data/helpers.js";
import { memoryData, quiet, syntheticConfig } from "./helpers.js";

const ROOT = join(import.meta.dirname, "..", "..");

/** memoryData whose batches misbehave from global batch `at` on: NaN inputs, or a crash (kill -9 stand-in). */
function faulty(base: TrainData, at: number, how: "nan" | "crash"): TrainData {
  let seen = 0;
  return {
    ...base,
    async *batches(o: BatchOptions): AsyncIterable<Batch> {
      for await (const b of base.batches(o)) {
        if (seen++ >= at) {
          if (how === "crash") throw new Error("killed");
          b.x.set(new Float32Array(b.x.size).fill(NaN));
        }
        yield b;
      }
    },
  };
}

const task = () => ({
  train: memoryData({ size: 64, T: 16, features: [20], classes: 4, seed: 1 }),
  eval: memoryData({ size: 32, T: 16, features: [20], classes: 4, seed: 2 }),
});

afterEach(() => {
  process.exitCode = undefined;
});

describe("training guard", () => {
  it("a non-finite gradient stops the run at its step, keeping the last good checkpoint", async () => {
    const cfg = syntheticConfig({}, { epochs: 3, checkpointMinutes: 1e-9 }); // a checkpoint after every step
    const data = task();
    const err = await train({ config: cfg, data: { train: faulty(data.train, 6, "nan"), eval: data.eval }, progress: quiet() }).catch((e) => e);
    expect(err).toBeInstanceOf(TrainingDivergedError);
    expect(err.message).toMatch(/^training diverged at step 7 \(epoch 2, batch 3\): (the weight gradient of layer 0\.Linear has norm NaN|the training loss is NaN|the weights hold non-finite values)/);
    expect(err.message).toMatch(/Likely cause: .*\. the last good checkpoint in .* was kept \(nothing of this step was saved\)/);
    // Metrics so far hold numbers only, and the checkpoint (step 6) resumes into a clean run.
    const text = readFileSync(join(cfg.output, "metrics.jsonl"), "utf8");
    expect(text).not.toMatch(/null|NaN/);
    const rest = await train({ config: cfg, data: task(), progress: quiet(), resume: true });
    expect(rest.epochs[0].epoch).toBe(2); // epochs count from 1
    expect(rest.epochs.at(-1)!.step).toBe(12);
    for (const w of rest.weights) expect(w.every(Number.isFinite)).toBe(true);
  });

  it("a metric that is not a finite number stops the run instead of being written as null", () => {
    const cfg = syntheticConfig();
    const g = new Guard(cfg, cfg.output, () => false);
    expect(() => g.metrics({ epoch: 0, batch: 4, step: 4 }, { train: { loss: 1 }, eval: { loss: Infinity } })).toThrow(
      /training diverged at step 4 \(epoch 1, batch 4\): metric eval\.loss is Infinity\. .*no checkpoint had been written yet/,
    );
    g.metrics({ epoch: 0, batch: 4, step: 4 }, { train: { loss: 1, acc: 0.5 }, gradNorm: { "0.Linear": 0.1 } });
  });

  it("a finite but exploded loss stops the run too; an empty split is refused", async () => {
    const cfg = syntheticConfig();
    const g = new Guard(cfg, cfg.output, () => true);
    expect(() => g.step({ epoch: 0, batch: 2, step: 2 }, 3.1e31, [], true)).toThrow(/step 2 \(epoch 1, batch 2\): the training loss is 3\.10e\+31 \(a cross-entropy above 1000000/);
    const empty = memoryData({ size: 0, T: 4, features: [20], classes: 4, seed: 1 });
    await expect(train({ config: cfg, data: { train: empty, eval: task().eval }, progress: quiet() })).rejects.toThrow(/^data: expected training samples, received 0/);
  });

  it("names the settings that usually cause a divergence", () => {
    const cfg = validateConfig({ dataset: { name: "shd" }, train: { lr: 0.5 }, neuron: { surrogate: { scale: 50, width: 0.01 } }, device: "cpu" });
    expect(likelyCause(cfg, false)).toMatch(/train\.lr 0\.5 is large .*neuron\.surrogate\.scale 50 is large.*neuron\.surrogate\.width 0\.01 is narrow/);
    expect(likelyCause(validateConfig({ dataset: { name: "shd" }, device: "cpu" }), false)).toMatch(/^exploding gradients: lower train\.lr \(now 0\.001\)/);
  });
});

describe("checkpoints within an epoch", () => {
  it("a run killed mid-epoch resumes from its last periodic checkpoint and ends like an uninterrupted one", async () => {
    const settings = { epochs: 2, batchSize: 8, checkpointMinutes: 1e-9 };
    const whole = await train({ config: syntheticConfig({}, settings), data: task(), progress: quiet() });
    const cfg = syntheticConfig({}, settings);
    const data = task();
    await expect(train({ config: cfg, data: { train: faulty(data.train, 5, "crash"), eval: data.eval }, progress: quiet() })).rejects.toThrow("killed");
    expect(readdirSync(cfg.output).some((f) => f.startsWith("checkpoint"))).toBe(true);
    const rest = await train({ config: cfg, data: task(), progress: quiet(), resume: true });
    for (let i = 0; i < whole.weights.length; i++) expect(rest.weights[i]).toEqual(whole.weights[i]);
  });
});

describe("absurd sizes", () => {
  it("a model that cannot fit is refused before allocating, saying what fits", () => {
    const big = validateConfig({ dataset: { name: "shd" }, model: { hidden: [1000000] }, device: "cpu" });
    expect(() => checkModelFits(big)).toThrow(ConfigError);
    expect(() => checkModelFits(big)).toThrow(/^model: expected a run that fits the .* GiB of this machine, received one that needs at least .* GiB .*(train\.batchSize <= \d+ fits \(at 250 steps\)|not even one sample of 250 steps fits)/);
    const wide = validateConfig({ dataset: { name: "shd" }, model: { hidden: [100000, 100000] }, device: "cpu" });
    expect(() => checkModelFits(wide)).toThrow(/^model: expected a run that fits .*; the parameters alone need 149\.\d GiB \(weights, gradients, Adam state\): use narrower or fewer layers/);
    checkModelFits(validateConfig({ dataset: { name: "dvs-gesture" }, device: "cpu" })); // the paper's network fits
  });

  it("train() refuses it too, within a second", async () => {
    const cfg = syntheticConfig({ model: { kind: "mlp", hidden: [100000, 100000] } });
    const t0 = Date.now();
    await expect(train({ config: cfg, data: task(), progress: quiet() })).rejects.toThrow(/the parameters alone need/);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it("frame.steps 1e9 is refused by the transform check, not after allocating", () => {
    expect(() => validateConfig({ dataset: { name: "shd", transform: { frame: { mode: "fixed", binUs: 1000, steps: 1e9 } } } })).toThrow(
      /^dataset\.transform: transform\.frame\.steps: expected at most 1048576 frames per sample, received 1000000000/,
    );
  });
});

describe("exodus train signals and messages", () => {
  function setup(): { root: string; out: string; cfg: string } {
    return tinyShdRun("exodus-guard-cli-", "batchSize: 4, seed: 3", "device: cpu\n");
  }

  it("SIGTERM saves a checkpoint like Ctrl-C and sets exit code 143", async () => {
    const { root, out, cfg } = setup();
    const metrics = join(out, "metrics.jsonl");
    const poll = setInterval(() => {
      if (existsSync(metrics) && readFileSync(metrics, "utf8").length > 0) {
        clearInterval(poll);
        process.emit("SIGTERM");
      }
    }, 5);
    const program = new Command().exitOverride();
    register(program);
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      await program.parseAsync(["node", "exodus", "train", cfg, "--epochs", "100000", "--data-root", root, "--out", out]);
    } finally {
      err.mockRestore();
      clearInterval(poll);
    }
    expect(process.exitCode).toBe(143);
    expect(readdirSync(out).some((f) => f.startsWith("checkpoint"))).toBe(true);
  });

  const exodus = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [join(ROOT, "dist", "bin", "exodus.js"), ...args], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 60_000 });

  it("config paths that are missing, a folder or an alias bomb get one line naming the file", () => {
    const dir = tmp("exodus-guard-msg-");
    const bomb = join(dir, "bomb.yaml");
    let s = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n';
    for (let k = 1; k < 9; k++) s += `${String.fromCharCode(97 + k)}: &${String.fromCharCode(97 + k)} [${Array(9).fill(`*${String.fromCharCode(96 + k)}`).join(",")}]\n`;
    writeFileSync(bomb, s);
    mkdirSync(join(dir, "folder.yaml"));
    const cases: [string, RegExp][] = [
      [join(dir, "missing.yaml"), /^exodus: .*missing\.yaml: expected a readable YAML config file, received no such file; pass the path of a config/],
      [join(dir, "folder.yaml"), /^exodus: .*folder\.yaml: expected a readable YAML config file, received a directory/],
      [bomb, /^exodus: .*bomb\.yaml: expected a plain YAML config, received YAML the parser refused: Excessive alias count/],
    ];
    for (const [path, msg] of cases) {
      const r = exodus(["train", path]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(exodus(["train", join(dir, "missing.yaml")], { EXODUS_DEBUG: "1" }).stderr).toMatch(/\n\s+at /);
  });

  it("a corrupt data file is reported without the download hint", () => {
    const { root, out, cfg } = setup();
    writeFileSync(join(root, "shd_train.h5"), "not hdf5 at all");
    const r = exodus(["train", cfg, "--data-root", root, "--out", out]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(/^exodus: .*shd_train\.h5: expected an HDF5 file \(SHD\/SSC \.h5\), received a file without the HDF5 signature$/);
    expect(r.stderr).not.toMatch(/download/);
  });
});
