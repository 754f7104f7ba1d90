// The human-readable files of a run folder, besides metrics.jsonl and the checkpoint:
// config.yaml (the resolved config), metrics.csv (one row per epoch, flat columns for a
// spreadsheet or pandas) and report.html (report.ts). Each is written to a temporary name and
// renamed, so a reader never sees half a file.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TrainConfig } from "./types.js";
import { resolvedConfigYaml } from "./overrides.js";
import { renderReport } from "./report.js";
import type { EpochMetrics } from "./types.js";

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

export function writeRunConfig(out: string, cfg: TrainConfig): void {
  writeAtomic(join(out, "config.yaml"), resolvedConfigYaml(cfg));
}

/** The metrics lines of a run folder (a line cut short by a crash is skipped). */
export function readMetrics(out: string): EpochMetrics[] {
  const path = join(out, "metrics.jsonl");
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8").split("\n").flatMap((l) => {
    if (!l.trim()) return [];
    try {
      return [JSON.parse(l) as EpochMetrics];
    } catch {
      return [];
    }
  });
}

function csvCell(v: unknown): string {
  if (v === undefined || v === null) return "";
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function metricsCsv(epochs: EpochMetrics[]): string {
  const layers = (k: "gradNorm" | "firingRate") => [...new Set(epochs.flatMap((m) => Object.keys(m[k] ?? {})))];
  const grad = layers("gradNorm");
  const rate = layers("firingRate");
  const phases = ["data", "forward", "backward", "optimizer", "eval"] as const;
  const header = [
    "epoch", "step", "method", "train_loss", "train_acc", "train_samples", "train_seconds", "train_samples_per_sec", "eval_loss", "eval_acc", "eval_samples",
    ...grad.map((l) => `grad_norm:${l}`), ...rate.map((l) => `firing_rate:${l}`), ...phases.map((p) => `time_${p}_s`), "warnings",
  ];
  const rows = epochs.map((m) => [
    m.epoch, m.step, m.method, m.train.loss, m.train.acc, m.train.samples, m.train.seconds, m.train.samplesPerSec, m.eval?.loss, m.eval?.acc, m.eval?.samples,
    ...grad.map((l) => m.gradNorm[l]), ...rate.map((l) => m.firingRate?.[l]), ...phases.map((p) => m.time?.[p]), (m.warnings ?? []).join(" | "),
  ]);
  return [header, ...rows].map((r) => r.map(csvCell).join(",")).join("\n") + "\n";
}

/** Rewrites metrics.csv and report.html from metrics.jsonl (after every epoch). */
export function writeRunFiles(out: string, cfg: TrainConfig): void {
  const epochs = readMetrics(out);
  writeAtomic(join(out, "metrics.csv"), metricsCsv(epochs));
  writeAtomic(join(out, "report.html"), renderReport(cfg, epochs));
}
