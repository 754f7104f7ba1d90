// Augmentation cost against the trainer's pace, as JSON on stdout. Not a test. A synthetic DVS
// Gesture set in tonic's npy layout (40 samples of 100k events over 1.5 s, the paper's pipeline:
// 64×64, 300 steps of 5 ms) is read through the cached loader at batch 20 with no augmentation,
// the paper's (affine 20°, translate 0.1) and every transform at once; each is timed `rounds`
// times (median and range), and the kernel alone on this thread (the CPU time the augmentation
// workers spend per batch). The same run times training steps of configs/dvs-gesture.yaml's
// network on the CPU, side by side: the loader keeps the trainer's pace while its ms per batch
// with augmentation stays below the step's (the workers run while the trainer computes).
//
//   node dist/benchmarks/augment/bench.js [--rounds 3] [--steps 2] [--out results.json]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { type AugmentSpec, augmentFrames, validateAugment } from "../../lib/data/augment.js";
import { openDataset } from "../../lib/data/loader.js";
import { readGestureNpy } from "../../lib/data/npy.js";
import { datasetInfo } from "../../lib/data/registry.js";
import { normalizeTransform, toSparseFrames } from "../../lib/data/transforms.js";
import { packageRoot } from "../../lib/native.js";
import { Rng } from "../../lib/random.js";
import { scope } from "../../lib/tensor.js";
import { loadConfig } from "../../lib/train/config.js";
import { readoutCrossEntropy } from "../../lib/train/loss.js";
import { buildModel } from "../../lib/train/model.js";
import { npyFile, randomEvents } from "../../test/data/helpers.js";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: +s[Math.floor(s.length / 2)].toFixed(2), min: +s[0].toFixed(2), max: +s[s.length - 1].toFixed(2) };
};

async function main(): Promise<void> {
  const rounds = arg("--rounds", 3);
  const steps = arg("--steps", 2);
  const root = mkdtempSync(join(tmpdir(), "exodus-bench-aug-"));
  const results: Record<string, unknown> = { load_average_1m_at_start: loadavg()[0], cpus: cpus().length };
  try {
    const rng = new Rng(3);
    for (let u = 0; u < 4; u++) {
      const dir = join(root, "ibmGestureTrain", `user0${u + 1}_lab`);
      mkdirSync(dir, { recursive: true });
      for (let c = 0; c < 10; c++) writeFileSync(join(dir, `${c}.npy`), npyFile(randomEvents(rng, 100_000, 1_500_000).map((e) => [e.x, e.y, e.p, e.t / 1000])));
    }
    const ds = await openDataset({ name: "dvs-gesture", root, split: "train", onWarning: () => undefined });
    const specs: Record<string, AugmentSpec | undefined> = {
      none: undefined,
      paper: validateAugment({ affine: { degrees: 20, translate: 0.1 } }),
      all: validateAugment({ flip: { x: 0.5, polarity: 0.5 }, affine: { degrees: 20, translate: 0.1, scale: [0.9, 1.1] }, crop: { scale: [0.8, 1] },
        shift: { max: 2 }, timeScale: { min: 0.9, max: 1.1 }, timeJitter: { std: 1 }, drop: { p: 0.1 }, noise: { events: 1000 } }),
    };
    const loader: Record<string, unknown> = {};
    for (const [name, augment] of Object.entries(specs)) {
      const ms: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const t0 = performance.now();
        let n = 0;
        for await (const _ of ds.batches({ batchSize: 20, shuffle: true, seed: r, augment })) n++;
        ms.push((performance.now() - t0) / n);
      }
      loader[name] = { ms_per_batch: stats(ms) };
    }
    // the augmentation alone, on the main thread, per batch of 20
    const info = datasetInfo("dvs-gesture");
    const files = Array.from({ length: 20 }, (_, i) => join(root, "ibmGestureTrain", `user0${1 + Math.floor(i / 10)}_lab`, `${i % 10}.npy`));
    const frames = files.map((f) => toSparseFrames(readGestureNpy(f), { width: 128, height: 128, polarities: 2 }, normalizeTransform(info.defaultTransform))!);
    const g = { steps: 300, polarities: 2, height: 64, width: 64 };
    for (const name of ["paper", "all"]) {
      const ms: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const t0 = performance.now();
        frames.forEach((f, i) => augmentFrames(f, g, specs[name]!, r * 100 + i));
        ms.push(performance.now() - t0);
      }
      (loader[name] as Record<string, unknown>).augment_only_ms_per_batch = stats(ms);
    }
    results.nnz_per_sample = Math.round(frames.reduce((n, f) => n + f.index.length, 0) / frames.length);
    results.loader = loader;

    // training steps of the shipped DVS Gesture network (weight norm), batch 20, on the CPU
    const cfg = loadConfig(join(packageRoot(), "configs", "dvs-gesture.yaml"), { device: "cpu" });
    const model = buildModel(cfg, { sampleShape: ds.sampleShape, numClasses: ds.numClasses });
    const stepMs: number[] = [];
    let k = 0;
    for await (const b of ds.batches({ batchSize: 20, shuffle: true, seed: 9 })) {
      if (k++ >= steps) break;
      const t0 = performance.now();
      scope(() => {
        const y = model.net.forward(b.x);
        const { dy } = readoutCrossEntropy("sum", y, b.labels);
        model.net.backward(dy!);
        model.net.zeroGrad();
      });
      stepMs.push(performance.now() - t0);
    }
    model.net.dispose();
    results.cpu_train_step_ms = stats(stepMs);
    const paper = ((loader.paper as Record<string, unknown>).ms_per_batch as { median: number }).median;
    results.paper_augmented_loader_over_cpu_step = +(paper / stats(stepMs).median).toFixed(4);
    results.load_average_1m_at_end = loadavg()[0];
    await ds.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const text = JSON.stringify(results, null, 2);
  const outArg = process.argv.indexOf("--out");
  if (outArg > 0) writeFileSync(process.argv[outArg + 1], `${text}\n`);
  process.stdout.write(`${text}\n`);
}

main().catch((e) => {
  process.stderr.write(`augment bench: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
