// The shipped event-vision configs train on small fixtures through `exodus train` (the real
// readers, cache and loader): configs/cifar10-dvs.yaml (SEW-ResNet with batch norm and
// augmentation) on a CIFAR10-DVS-format folder, configs/dvs-gesture.yaml (weight norm and the
// paper's augmentation) on the DVS Gesture npy fixture; widths are narrowed to keep the CPU test
// short, every other field is the shipped one. An interrupted run with batch norm, SEW and
// augmentation resumes exactly.
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parse, stringify } from "yaml";
import { register } from "../../bin/commands/train.js";
import { validateConfig } from "../../lib/train/config.js";
import { Progress } from "../../lib/train/progress.js";
import { type TrainData, train } from "../../lib/train/trainer.js";
import { FIXTURES, tmp } from "../data/helpers.js";
import { memoryData, quiet, syntheticConfig } from "../train/helpers.js";
import { loadCheckpoint } from "../../lib/train/checkpoint.js";

const CONFIGS = join(import.meta.dirname, "..", "..", "configs");

async function cli(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const program = new Command().exitOverride();
  register(program);
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  try {
    await program.parseAsync(["node", "exodus", "train", ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return { stdout, stderr };
}

afterEach(() => {
  process.exitCode = undefined;
});

/** Replaces every conv width in a raw layer list (recursively). */
function narrow(layers: unknown[], widths: Record<number, number>): unknown[] {
  return layers.map((l) => {
    const [k, v] = Object.entries(l as Record<string, unknown>)[0];
    if (k === "sew") return { sew: narrow(v as unknown[], widths) };
    if (k === "conv") {
      const c = v as { out: number };
      return { conv: { ...c, out: widths[c.out] ?? c.out } };
    }
    return l;
  });
}

describe("shipped event-vision configs on fixtures", () => {
  it("configs/cifar10-dvs.yaml trains on a CIFAR10-DVS-format folder and prints the network summary", async () => {
    const root = tmp("exodus-cifar-");
    cpSync(join(FIXTURES, "cifar10_dvs"), root, { recursive: true });
    const raw = parse(readFileSync(join(CONFIGS, "cifar10-dvs.yaml"), "utf8"));
    raw.model.layers = narrow(raw.model.layers, { 64: 4, 128: 8 });
    raw.train.batchSize = 2;
    raw.device = "cpu";
    const dir = tmp("exodus-cifar-run-");
    const cfg = join(dir, "cifar.yaml");
    writeFileSync(cfg, stringify(raw));
    const { stdout, stderr } = await cli(cfg, "--epochs", "1", "--limit-batches", "1", "--data-root", root, "--out", join(dir, "run"), "--json");
    const r = JSON.parse(stdout);
    expect(r.epochs[0]).toMatchObject({ epoch: 1, step: 1, train: { samples: 2 }, eval: { samples: 2 } });
    expect(Number.isFinite(r.epochs[0].train.loss)).toBe(true);
    const norms = r.epochs[0].gradNorm as Record<string, number>;
    expect(Object.keys(norms)).toHaveLength(2 + 7 * 2 + 1); // 1×1 convs, SEW convs, readout
    expect(norms["3.block.0.Conv2d"]).toBeGreaterThan(0);
    expect(norms["21.Linear"]).toBeGreaterThan(0);
    expect(stderr).toMatch(/input \[T, B, 2, 128, 128\]/);
    expect(stderr).toMatch(/3\s+SEW\(ADD\)\s+\[4, 128, 128\]/);
    expect(stderr).toMatch(/21\s+Linear\(8→10, bias\)\s+\[10\]\s+90\n/);
    expect(stderr).toMatch(/[\d,]+ parameters\n/);
    if (process.env.SHOW_SUMMARY) console.log(stderr);
  }, 300_000);

  it("configs/dvs-gesture.yaml (weight norm, augmentation) trains on the DVS Gesture npy fixture", async () => {
    const root = tmp("exodus-gesture-");
    cpSync(join(FIXTURES, "gesture_npy"), root, { recursive: true });
    const raw = parse(readFileSync(join(CONFIGS, "dvs-gesture.yaml"), "utf8"));
    expect(raw.model.weightNorm).toBe(true);
    expect(raw.dataset.augment).toEqual({ affine: { degrees: 20, translate: 0.1 } });
    Object.assign(raw.model, { channels: [2, 4], extraConvs: 0, initScale: 4 });
    raw.train.batchSize = 3;
    raw.device = "cpu";
    const dir = tmp("exodus-gesture-run-");
    const cfg = join(dir, "dvs.yaml");
    writeFileSync(cfg, stringify(raw));
    const { stdout, stderr } = await cli(cfg, "--epochs", "1", "--limit-batches", "1", "--data-root", root, "--out", join(dir, "run"), "--json");
    const r = JSON.parse(stdout);
    expect(r.epochs[0]).toMatchObject({ step: 1, train: { samples: 3 }, eval: { samples: 3 } });
    expect(Object.keys(r.epochs[0].gradNorm)).toEqual(["0.Conv2d", "4.Conv2d", "10.Linear"]);
    expect(r.epochs[0].gradNorm["10.Linear"]).toBeGreaterThan(0);
    expect(stderr).toMatch(/0\s+WeightNorm\(Conv2d\(2→2, 3×3\)\)\s+\[2, 64, 64\]\s+38\n/); // g 2 + V 36
    expect([...loadCheckpoint(join(dir, "run")).weights.keys()]).toContain("0.weight_g");
  }, 300_000);

  it("the trainer asks for augmented training batches only, never for evaluation", async () => {
    const seen: { split: string; augment: unknown }[] = [];
    const spy = (split: string, d: TrainData): TrainData => ({ ...d, batches: (o) => (seen.push({ split, augment: o.augment }), d.batches(o)) });
    const config = syntheticConfig({ dataset: { name: "shd", root: "unused", augment: { drop: { p: 0.1 } } } }, { epochs: 2 });
    await train({ config, data: { train: spy("train", memoryData({ size: 16, T: 8, features: [24], classes: 3, seed: 1 })),
      eval: spy("eval", memoryData({ size: 8, T: 8, features: [24], classes: 3, seed: 2 })) }, progress: quiet() });
    expect(seen).toEqual([
      { split: "train", augment: { drop: { p: 0.1 } } }, { split: "eval", augment: undefined },
      { split: "train", augment: { drop: { p: 0.1 } } }, { split: "eval", augment: undefined },
    ]);
  });

  it("a run with batch norm, a SEW block, dropout and augmentation resumes exactly", async () => {
    const root = tmp("exodus-cifar-resume-");
    cpSync(join(FIXTURES, "cifar10_dvs"), root, { recursive: true });
    const cfg = (output: string) => validateConfig({
      dataset: { name: "cifar10-dvs", root, transform: { downsample: { spatial: 0.125 }, frame: { mode: "timeBins", nTimeBins: 4 } },
        augment: { affine: { degrees: 20, translate: 0.1 }, flip: { x: 0.5 }, drop: { p: 0.1 } } },
      model: { initScale: 2, layers: [
        { conv: { out: 4, kernel: 1 } }, { batchnorm: {} }, { lif: {} },
        { sew: [{ conv: { out: 4 } }, { batchnorm: {} }, { lif: {} }] }, { maxpool: 2 }, { dropout: 0.2 },
        { flatten: {} }, { linear: { bias: true } },
      ] },
      train: { epochs: 3, batchSize: 4, seed: 5, lr: 1e-2, evalSplit: "test" }, // the fixture is too small to hold out a validation split
      output, device: "cpu",
    });
    const whole = await train({ config: cfg(tmp("exodus-whole-")), progress: quiet() });
    const out = tmp("exodus-cut-");
    const ac = new AbortController();
    const p = new Progress(process.stderr, true);
    let steps = 0;
    p.update = () => {
      if (++steps === 7) ac.abort(); // mid epoch 2 (5 batches per epoch)
    };
    const cut = await train({ config: cfg(out), progress: p, signal: ac.signal });
    expect(cut.interrupted).toBe(true);
    const rest = await train({ config: cfg(out), progress: quiet(), resume: true });
    for (let i = 0; i < whole.weights.length; i++) expect(rest.weights[i]).toEqual(whole.weights[i]);
    // evaluation uses the running statistics: equal only if they were restored exactly
    expect(rest.epochs.at(-1)!.eval!.loss).toBe(whole.epochs.at(-1)!.eval!.loss);
    expect(rest.epochs.at(-1)!.train.loss).toBeCloseTo(whole.epochs.at(-1)!.train.loss, 6);
  }, 300_000);
});
