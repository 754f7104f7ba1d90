// From the run directories' metrics.jsonl to the figures' series: per method × scale, the
// validation accuracy per epoch and the weight-gradient 2-norms per layer, each as mean, sample
// standard deviation, min and max over the seeds that reached that epoch.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { EpochMetrics } from "../train/trainer.js";
import type { PlannedRun } from "./plan.js";
import { runState, type RunState } from "./runs.js";

export interface Stat {
  mean: number;
  /** Sample standard deviation (n − 1); NaN for a single seed. */
  sd: number;
  min: number;
  max: number;
  n: number;
}

export interface CellSummary {
  method: string;
  scale: number;
  runs: { name: string; seed: number; state: RunState; epochsDone: number }[];
  /** 1-based epochs with an evaluation, and the validation accuracy (0–1) over seeds at each. */
  evalEpochs: number[];
  acc: Stat[];
  /** 1-based epochs trained, and the train loss over seeds at each. */
  trainEpochs: number[];
  trainLoss: Stat[];
  /** Per layer: the epoch's mean weight-gradient 2-norm over seeds, at each of trainEpochs. */
  gradNormByEpoch: Record<string, Stat[]>;
  /** Per layer: each seed's mean over its epochs (the paper's "mean 2-norm during training"), over seeds. */
  gradNormMean: Record<string, Stat>;
  /** Per layer: the last epoch's value (each seed's last), over seeds. */
  gradNormFinal: Record<string, Stat>;
  /** Each seed's best and last validation accuracy, over seeds. */
  bestAcc: Stat;
  finalAcc: Stat;
  /** Seconds per training epoch (forward, backward, optimiser), over all epochs of all seeds. */
  epochSeconds: Stat;
  /** The backward part of it, where the trainer records it (metrics' time.backward). */
  backwardSeconds: Stat;
}

export function stat(values: number[]): Stat {
  const v = values.filter((x) => Number.isFinite(x));
  const n = v.length;
  if (n === 0) return { mean: NaN, sd: NaN, min: NaN, max: NaN, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : NaN;
  return { mean, sd, min: Math.min(...v), max: Math.max(...v), n };
}

/**
 * A run's epochs from metrics.jsonl, in order, at most `epochs` of them (a line cut short by a
 * crash is skipped). The trainer writes one line per epoch, so the k-th line is epoch k whether
 * its `epoch` field counts from 0 or from 1.
 */
export function readMetrics(dir: string, epochs = Infinity): EpochMetrics[] {
  const path = join(dir, "metrics.jsonl");
  if (!existsSync(path)) return [];
  const out: EpochMetrics[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      const m = JSON.parse(line) as EpochMetrics;
      if (typeof m.epoch === "number") out.push(m);
    } catch {
      // the last line of a run killed while writing
    }
  }
  return out.sort((a, b) => a.epoch - b.epoch).slice(0, epochs);
}

/** Per 1-based epoch k (the k-th line of each run), the statistic over the runs that have a value there. */
function byEpoch(runs: EpochMetrics[][], pick: (m: EpochMetrics) => number | undefined): { epochs: number[]; stats: Stat[] } {
  const values = new Map<number, number[]>();
  for (const r of runs)
    r.forEach((m, i) => {
      const v = pick(m);
      if (v === undefined) return;
      if (!values.has(i + 1)) values.set(i + 1, []);
      values.get(i + 1)!.push(v);
    });
  const epochs = [...values.keys()].sort((a, b) => a - b);
  return { epochs, stats: epochs.map((e) => stat(values.get(e)!)) };
}

export function summarizeCell(method: string, scale: number, runs: PlannedRun[]): { cell: CellSummary; layers: string[] } {
  const metrics = runs.map((r) => readMetrics(r.dir, r.config.train.epochs));
  const layers = [...new Set(metrics.flatMap((ms) => ms.flatMap((m) => Object.keys(m.gradNorm))))];
  const acc = byEpoch(metrics, (m) => m.eval?.acc);
  const loss = byEpoch(metrics, (m) => m.train.loss);
  const withData = metrics.filter((ms) => ms.length > 0);
  const cell: CellSummary = {
    method,
    scale,
    runs: runs.map((r) => ({ name: r.name, seed: r.seed, ...runState(r) })),
    evalEpochs: acc.epochs,
    acc: acc.stats,
    trainEpochs: loss.epochs,
    trainLoss: loss.stats,
    gradNormByEpoch: Object.fromEntries(layers.map((l) => [l, byEpoch(metrics, (m) => m.gradNorm[l]).stats])),
    gradNormMean: Object.fromEntries(layers.map((l) => [l, stat(withData.map((ms) => ms.reduce((a, m) => a + m.gradNorm[l], 0) / ms.length))])),
    gradNormFinal: Object.fromEntries(layers.map((l) => [l, stat(withData.map((ms) => ms[ms.length - 1].gradNorm[l]))])),
    bestAcc: stat(metrics.map((ms) => Math.max(...ms.flatMap((m) => (m.eval ? [m.eval.acc] : [])))).filter((x) => x > -Infinity)),
    finalAcc: stat(metrics.flatMap((ms) => {
      const ev = ms.filter((m) => m.eval);
      return ev.length ? [ev[ev.length - 1].eval!.acc] : [];
    })),
    epochSeconds: stat(metrics.flatMap((ms) => ms.map((m) => m.train.seconds))),
    backwardSeconds: stat(metrics.flatMap((ms) => ms.flatMap((m) => (typeof m.time?.backward === "number" ? [m.time.backward] : [])))),
  };
  return { cell, layers };
}

/** One summary per method × scale, in the grid's order, and the union of the layers seen. */
export function summarize(runs: PlannedRun[], methods: string[], scales: number[]): { cells: CellSummary[]; layers: string[] } {
  const cells: CellSummary[] = [];
  const layers: string[] = [];
  for (const scale of scales)
    for (const method of methods) {
      const r = summarizeCell(method, scale, runs.filter((x) => x.method === method && x.scale === scale));
      cells.push(r.cell);
      for (const l of r.layers) if (!layers.includes(l)) layers.push(l);
    }
  return { cells, layers };
}
