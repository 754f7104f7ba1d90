// `exodus eval`: a trained run's checkpoint on a split — accuracy, loss, per-class accuracy, the
// confusion matrix (as text and as an SVG picture) and the mean firing rate of every spiking layer.
// The checkpoint is read only through checkpoint.ts's public functions, so a change of its file
// format does not reach this file.
import { existsSync, statSync } from "node:fs";
import { basename, dirname } from "node:path";
import { ExodusError } from "../errors.js";
import { openDataset } from "../data/loader.js";
import { datasetInfo } from "../data/registry.js";
import * as ops from "../ops.js";
import { heatmap } from "../plot.js";
import { scope } from "../tensor.js";
import { moduleState, restoreWeights } from "./checkpoint.js";
import { loadForInference } from "./model-file.js";
import type { TrainConfig } from "./config.js";
import { forwardCounting, spikingLayers } from "./diagnostics.js";
import { readout } from "./loss.js";
import { buildModel } from "./model.js";
import { revalidateStored } from "./resume.js";
import type { TrainData } from "./trainer.js";

export interface EvalReport {
  run: string;
  split: string;
  /** Position of the checkpoint evaluated (epochs done, optimiser steps). */
  checkpoint: { epoch: number; step: number };
  method: string;
  samples: number;
  loss: number;
  acc: number;
  classes: string[];
  perClass: { class: string; samples: number; acc: number }[];
  /** confusion[true][predicted] = samples. */
  confusion: number[][];
  /** Spikes / possible spikes of each spiking layer over the split. */
  firingRate: Record<string, number>;
}

export interface EvalOptions {
  split?: string;
  device?: string;
  /** Where the data set lives now, if it moved since training. */
  dataRoot?: string;
  /** Data to use instead of opening the run's data set (tests). */
  data?: TrainData & { classes?: string[] };
  batchSize?: number;
  /** A run folder's last checkpoint (default) or the best by eval accuracy. */
  which?: "last" | "best";
}

/** A run folder, or its checkpoint file → the run folder. */
export function runDirOf(path: string): string {
  if (!existsSync(path)) throw new ExodusError(`${path}: expected a run folder (the --out of exodus train) or its checkpoint file, received no such file or folder`);
  if (statSync(path).isDirectory()) return path;
  if (/^(checkpoint|model)/.test(basename(path))) return dirname(path);
  throw new ExodusError(`${path}: expected a run folder or its checkpoint file (checkpoint.*), or a model file (model*.safetensors), received another file`);
}

export async function evaluateRun(path: string, opts: EvalOptions = {}): Promise<EvalReport> {
  const dir = runDirOf(path);
  const ckpt = loadForInference(path, opts.which ?? "last"); // a model.safetensors alone too
  const { state } = ckpt;
  const saved = ckpt.config as TrainConfig;
  let cfg: TrainConfig;
  try {
    cfg = revalidateStored(saved, { device: opts.device ?? saved.device, dataset: { ...saved.dataset, ...(opts.dataRoot ? { root: opts.dataRoot } : {}) } });
  } catch (e) {
    throw new ExodusError(`${ckpt.path}: the checkpoint's config does not validate: ${(e as Error).message}`);
  }
  const info = datasetInfo(cfg.dataset.name);
  const split = opts.split ?? cfg.train.evalSplit;
  if (!info.splits.includes(split))
    throw new ExodusError(`--split: expected one of ${info.splits.join(", ")} (${info.name}), received ${JSON.stringify(split)}`);
  const data =
    opts.data ??
    (await (async () => {
      if (!info.open && !existsSync(cfg.dataset.root))
        throw new ExodusError(`dataset.root: expected the ${info.name} files in ${cfg.dataset.root} (from the run's config), received no such folder; pass --data-root`);
      return openDataset({ name: cfg.dataset.name, root: cfg.dataset.root, split, transform: cfg.dataset.transform, onWarning: (m) => process.stderr.write(`exodus: ${m}\n`) });
    })());
  const classes = (data as { classes?: string[] }).classes ?? Array.from({ length: data.numClasses }, (_, i) => String(i));
  const model = buildModel(cfg, { sampleShape: data.sampleShape, numClasses: data.numClasses });
  try {
    restoreWeights(moduleState(model.net), ckpt);
    model.net.eval(); // every layer, nested ones too (dropout off, batch norm on running statistics)
    const spiking = spikingLayers(model.net); // every spiking layer, those inside blocks too
    const C = data.numClasses;
    const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
    const spikes = spiking.map((l) => l.name).map(() => 0);
    const possible = spiking.map((l) => l.name).map(() => 0);
    let lossSum = 0;
    let seen = 0;
    for await (const batch of data.batches({ batchSize: opts.batchSize ?? cfg.train.batchSize, shuffle: false, device: cfg.device })) {
      const r = scope(() => {
        const f = forwardCounting(model.net, batch.x, spiking);
        const logits = readout(cfg.loss.readout, f.y).logits;
        const { loss } = ops.softmaxCrossEntropy(logits, batch.labels);
        return { loss, pred: ops.argmax(logits, 1).toArray(), spikes: f.spikes, possible: f.possible };
      });
      const B = batch.labels.length;
      lossSum += r.loss * B;
      seen += B;
      for (let b = 0; b < B; b++) confusion[batch.labels[b]][r.pred[b]]++;
      r.spikes.forEach((n, k) => (spikes[k] += n));
      r.possible.forEach((n, k) => (possible[k] += n));
    }
    const correct = confusion.reduce((s, row, i) => s + row[i], 0);
    return {
      run: dir,
      split,
      checkpoint: { epoch: state.epoch, step: state.step },
      method: cfg.method,
      samples: seen,
      loss: lossSum / Math.max(1, seen),
      acc: correct / Math.max(1, seen),
      classes,
      perClass: confusion.map((row, i) => {
        const n = row.reduce((a, b) => a + b, 0);
        return { class: classes[i], samples: n, acc: n ? row[i] / n : 0 };
      }),
      confusion,
      firingRate: Object.fromEntries(spiking.map((l) => l.name).map((name, k) => [name, spikes[k] / Math.max(1, possible[k])])),
    };
  } finally {
    model.net.dispose();
    if (!opts.data) await data.close?.();
  }
}

export function confusionSvg(r: EvalReport): string {
  return heatmap({
    title: `Confusion matrix, ${r.split} split: accuracy ${(100 * r.acc).toFixed(1)} % of ${r.samples} samples`,
    subtitle: `${r.run} (${r.method}, after ${r.checkpoint.epoch} epochs)`,
    rowLabel: "true class",
    colLabel: "predicted class",
    rows: r.classes,
    cols: r.classes,
    counts: r.confusion,
  });
}

/** The report as text: summary, per-class accuracy, the confusion matrix, firing rates. */
export function formatEval(r: EvalReport): string {
  const lines = [
    `${r.run} (${r.method}, checkpoint after ${r.checkpoint.epoch} epoch(s), step ${r.checkpoint.step}) on the ${r.split} split: ${r.samples} samples`,
    `accuracy ${(100 * r.acc).toFixed(2)} %   loss ${r.loss.toFixed(4)}`,
    "",
    "per class:",
    ...r.perClass.map((c) => `  ${c.class.padEnd(Math.max(8, ...r.classes.map((x) => x.length)))} ${(100 * c.acc).toFixed(1).padStart(5)} %  (${c.samples} samples)`),
    "",
    "confusion matrix (rows: true class, columns: predicted):",
  ];
  const w = Math.max(4, ...r.confusion.flat().map((v) => String(v).length + 1));
  const name = Math.max(...r.classes.map((c) => c.length));
  const idx = r.classes.map((_, i) => String(i).padStart(w)).join("");
  lines.push(`  ${"".padEnd(name + 5)}${idx}`);
  r.confusion.forEach((row, i) => lines.push(`  ${r.classes[i].padEnd(name)} ${String(i).padStart(3)} ${row.map((v) => String(v).padStart(w)).join("")}`));
  lines.push("", "firing rate (spikes per neuron per step):");
  for (const [k, v] of Object.entries(r.firingRate)) lines.push(`  ${k.padEnd(10)} ${(100 * v).toFixed(3)} %`);
  return lines.join("\n");
}
