// `exodus compare` as a library call: plan the method × scale × seed runs, run (or continue)
// them, time the network per method, and write DIR/compare.html and DIR/summary.json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ExodusError } from "../errors.js";
import { openDataset } from "../data/loader.js";
import { NEURON_MODELS } from "../nn/neuron-models.js";
import { keep } from "../tensor.js";
import type { TrainConfig } from "../train/config.js";
import type { TrainData } from "../train/trainer.js";
import { summarize } from "./aggregate.js";
import { type CompareReport, renderCompareHtml } from "./html.js";
import { type CompareGrid, type PlannedRun, planRuns } from "./plan.js";
import { runAll, runState, type RunAllResult } from "./runs.js";
import { type NetworkTiming, timeNetwork } from "./timing.js";

export { planRuns, deriveConfig, parseMethods, parseScales, parseSeeds, runName, type CompareGrid, type PlannedRun } from "./plan.js";
export { runState, type RunState } from "./runs.js";
export { readMetrics, stat, summarize, type CellSummary, type Stat } from "./aggregate.js";
export { renderCompareHtml, type CompareReport } from "./html.js";
export { timeNetwork, randomSpikes, spread, type NetworkTiming, type MethodTiming, type Spread } from "./timing.js";

export interface CompareOptions {
  config: TrainConfig;
  /** Shown on the page. */
  configPath?: string;
  out: string;
  grid: CompareGrid;
  jobs?: number;
  signal?: AbortSignal;
  data?: { train: TrainData; eval: TrainData };
  /** Timed repeats (after `warmup`) of forward + backward per method; 0: no timing. */
  timing?: { warmup: number; repeats: number };
  quiet?: boolean;
  log?: (line: string) => void;
  /** Called when a run has finished all its epochs. */
  onRunDone?: (run: PlannedRun) => void;
}

export interface CompareResult {
  report: CompareReport;
  run: RunAllResult;
  html: string;
  summary: string;
}

function describeSetup(c: TrainConfig): string {
  const m = c.model;
  const net =
    m.kind === "mlp" ? `MLP, hidden ${m.hidden.join("–")}`
    : m.kind === "conv" ? `conv net, channels ${m.channels.join("–")}${m.extraConvs ? ` + ${m.extraConvs} at the last width` : ""}`
    : m.kind === "nir" ? `imported NIR graph ${m.graph}`
    : `${m.layers.length}-entry layer list`;
  const n = c.neuron;
  const model = NEURON_MODELS[n.type];
  const neuron = `${model.layer}${(model.fields as readonly string[]).includes("tauMem") ? ` τ ${n.tauMem}` : ""}, θ ${n.threshold}, ${n.surrogate.name} surrogate width ${n.surrogate.width}`;
  return `${c.dataset.name}: ${net}; ${neuron}; ${c.loss.readout}-over-time cross-entropy; Adam lr ${c.train.lr}${c.train.weightDecay ? `, weight decay ${c.train.weightDecay}` : ""}, batch ${c.train.batchSize}${c.train.limitBatches ? `, at most ${c.train.limitBatches} batches per epoch` : ""}`;
}

/** One training batch, as the runs see it (shape, rates), for the timing. */
async function firstBatch(cfg: TrainConfig, data?: TrainData) {
  const ds = data ?? (await openDataset({ name: cfg.dataset.name, root: cfg.dataset.root, split: "train", transform: cfg.dataset.transform, onWarning: () => {} }));
  try {
    // A copy: a data set may free its batch when the loop is left.
    for await (const b of ds.batches({ batchSize: cfg.train.batchSize, shuffle: false, device: cfg.device }))
      return { x: keep(b.x.clone()), labels: Float32Array.from(b.labels), shape: { sampleShape: ds.sampleShape, numClasses: ds.numClasses } };
    throw new ExodusError(`compare: the ${cfg.dataset.name} training split has no samples to time`);
  } finally {
    if (!data) await ds.close?.();
  }
}

type StoredTiming = NetworkTiming & { batchSize: number; key: string };

/** Timing per method, kept in DIR/timing.json so that a continued compare does not redo it. */
async function timing(o: CompareOptions, log: (l: string) => void): Promise<StoredTiming | undefined> {
  if (!o.timing || o.timing.repeats === 0) return undefined;
  const cfg = { ...o.config, train: { ...o.config.train, seed: o.grid.seeds[0] } };
  const key = JSON.stringify({ methods: o.grid.methods, device: cfg.device, batch: cfg.train.batchSize, ...o.timing, model: cfg.model, neuron: cfg.neuron, data: cfg.dataset.name });
  const path = join(o.out, "timing.json");
  if (existsSync(path)) {
    try {
      const t = JSON.parse(readFileSync(path, "utf8")) as StoredTiming;
      if (t.key === key) return t;
    } catch {
      // re-measure below
    }
  }
  log(`compare: timing forward and backward per method (${o.timing.warmup} warm-up + ${o.timing.repeats} repeats on one batch)`);
  const b = await firstBatch(cfg, o.data?.train);
  try {
    const t = timeNetwork({ config: cfg, shape: b.shape, x: b.x, labels: b.labels, methods: o.grid.methods, ...o.timing });
    const stored: StoredTiming = { ...t, batchSize: b.labels.length, key };
    writeFileSync(path, `${JSON.stringify(stored, null, 1)}\n`);
    return stored;
  } finally {
    b.x.dispose();
  }
}

export async function runCompare(o: CompareOptions): Promise<CompareResult> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const out = resolve(o.out);
  mkdirSync(out, { recursive: true });
  const runs = planRuns(o.config, out, o.grid);
  const run = await runAll({ runs, jobs: o.jobs ?? 1, signal: o.signal, data: o.data, quiet: o.quiet, log, onRunDone: o.onRunDone });
  const t = run.interrupted ? undefined : await timing({ ...o, out }, log);
  const { cells, layers } = summarize(runs, o.grid.methods, o.grid.scales);
  const report: CompareReport = {
    created: new Date().toISOString(),
    dir: out,
    configPath: o.configPath,
    setup: describeSetup(o.config),
    device: o.config.device,
    epochs: runs[0].config.train.epochs,
    methods: o.grid.methods,
    scales: o.grid.scales,
    seeds: o.grid.seeds,
    status: { runs: runs.length, done: runs.filter((r) => runState(r).state === "done").length, interrupted: run.interrupted },
    layers,
    cells,
    timing: t,
  };
  const html = join(out, "compare.html");
  const summary = join(out, "summary.json");
  writeFileSync(html, renderCompareHtml(report));
  writeFileSync(summary, `${JSON.stringify(report, null, 1)}\n`);
  return { report, run, html, summary };
}
