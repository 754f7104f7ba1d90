// The training loop of `exodus train`: epochs over a data set's batches, the configured optimiser
// and learning-rate schedule (optimizers/, schedules.ts), evaluation on the validation split with
// model selection (selection.ts) and the test split once at the end (final-test.ts), per-step logs
// and TensorBoard files (step-log.ts), per-layer weight-gradient norms (the paper's Figure 2),
// metrics.jsonl, checkpoints every epoch and on abort (Ctrl-C), and an exact resume. Per epoch it also measures the firing
// rate of every spiking layer (warning once about a silent or saturated one, diagnostics.ts) and
// the time split into data / forward / backward / optimizer, and rewrites the run folder's
// metrics.csv and report.html (run-files.ts). Epochs are numbered from 1 on screen and in files.
//
// Reproducibility: every random draw derives from train.seed and the position in the run:
// weights from Rng(seed); the shuffle of epoch e from mix(seed, e); the dropout masks of step s
// from mix(seed, s, layer); the augmentation of sample i in epoch e from mix(mix(seed, e), i). A
// checkpoint therefore needs only the position, the weights, batch norm's running statistics, the
// optimiser's state and the selection / plateau counters, and a resumed run computes exactly what an
// uninterrupted one would.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { ExodusError, MissingDataError } from "../errors.js";
import { openDataset, type Batch, type BatchOptions } from "../data/loader.js";
import { datasetInfo } from "../data/registry.js";
import * as ops from "../ops.js";
import { scope } from "../tensor.js";
import { optimizerState, hasCheckpoint, loadCheckpoint, restoreWeights, saveCheckpoint, stateTensors, type CheckpointState } from "./checkpoint.js";
import { resumeSource, revalidateStored } from "./resume.js";
import type { TrainConfig } from "./config.js";
import { lossStep, moduleModel } from "./custom.js";
import type { LossFn } from "../loss/index.js";
import type { Module } from "../nn/module.js";
import type { EpochMetrics } from "./types.js";
import { Autosave, Guard, checkRun } from "./guard.js";
import { FiringMonitor, forwardCounting, spikingLayers, syncDevice } from "./diagnostics.js";
import { buildModel, type BuiltModel } from "./model.js";
import { Eta, Progress, formatDuration } from "./progress.js";
import { writeRunConfig, writeRunFiles } from "./run-files.js";
import { Throughput } from "./throughput.js";
import { buildOptimizer, clipGradNorm, describeOptimizer } from "./optimizers/index.js";
import { stepNetwork } from "./memory-budget.js";
import { Schedule, type PlateauState } from "./schedules.js";
import { Selection, type SelectionState } from "./selection.js";
import { finalTest, type TestResult } from "./final-test.js";
import { StepLog } from "./step-log.js";
import { DataParallel } from "../dist/data-parallel.js";

/** What the trainer needs of a data set: an opened Dataset, or an in-memory stand-in. */
export interface TrainData {
  size: number;
  numClasses: number;
  sampleShape: number[];
  batches(opts: BatchOptions): AsyncIterable<Batch>;
  close?(): Promise<void>;
}

export type { EpochMetrics } from "./types.js";

export interface TrainOptions {
  config: TrainConfig;
  /** Data sets to use instead of opening config.dataset (tests, custom data); `test` is evaluated once at the end. */
  data?: { train: TrainData; eval: TrainData; test?: TrainData };
  /** Continue a run: true or "last" (the output folder's last checkpoint), "best", or a checkpoint file / run folder. */
  resume?: boolean | string;
  /** Aborting finishes the running step, saves a checkpoint and returns { interrupted: true }. */
  signal?: AbortSignal;
  progress?: Progress;
  onEpoch?: (m: EpochMetrics) => void;
  /** Train this module instead of the one config.model describes (it is not disposed afterwards). */
  model?: Module;
  /** The loss instead of config.loss's readout cross-entropy, e.g. losses.spikeCountLoss(). */
  loss?: LossFn;
}

export interface TrainResult {
  interrupted: boolean;
  epochs: EpochMetrics[];
  /** Final weights, in parameter order (for tests and scripts). */
  weights: Float32Array[];
  /** The test split's result at the end (final-test.ts), when the run selected on another split. */
  test?: TestResult;
}

/** A 31-bit seed from integers (splitmix-style), distinct for each (seed, …parts). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h & 0x7fffffff;
}

async function openData(cfg: TrainConfig): Promise<{ train: TrainData; eval: TrainData; openTest(): Promise<TrainData> }> {
  const { name, root, transform } = cfg.dataset;
  const hint = `download it with \`exodus data download ${name} --dir ${root}\`, or point dataset.root (--data-root) at it`;
  if (!datasetInfo(name).open && !existsSync(root)) throw new ExodusError(`dataset.root: expected the ${name} files in ${root}, received no such folder; ${hint}`);
  const open = async (split: string) => {
    try {
      return await openDataset({ name, root, split, transform, onWarning: (m) => process.stderr.write(`exodus: ${m}\n`) });
    } catch (e) {
      // The download hint helps only when files are missing, not when they (or the transform) are bad.
      if (e instanceof MissingDataError) throw new MissingDataError(`${name} ${split} split: ${e.message}; ${hint}`);
      throw e;
    }
  };
  // Selecting on test is the paper's protocol: it trained on the whole official training set.
  const trainSplit = cfg.train.evalSplit === "test" && datasetInfo(name).splits.includes("trainval") ? "trainval" : "train";
  const train = await open(trainSplit);
  return { train, eval: await open(cfg.train.evalSplit), openTest: () => open("test") };
}

function setTraining(m: BuiltModel, on: boolean): void {
  m.net.train(on); // every layer, nested ones too
}

/** Config fields a resumed run must share with its checkpoint (epochs may grow; lr may change, e.g. lowered after a divergence). */
function sameRun(a: TrainConfig, b: TrainConfig): string | undefined {
  // The data root and the device may change (moved files, another machine); the data may not.
  const pick = (c: TrainConfig) => ({ dataset: { name: c.dataset.name, transform: c.dataset.transform, augment: c.dataset.augment }, model: c.model, neuron: c.neuron, method: c.method, loss: c.loss,
    batchSize: c.train.batchSize, weightDecay: c.train.weightDecay, seed: c.train.seed, limitBatches: c.train.limitBatches,
    optimizer: c.train.optimizer, paramGroups: c.train.paramGroups, schedule: c.train.schedule, clipGradNorm: c.train.clipGradNorm });
  const x = pick(a) as Record<string, unknown>;
  const y = pick(b) as Record<string, unknown>;
  return Object.keys(x).find((k) => JSON.stringify(x[k]) !== JSON.stringify(y[k]));
}

/** A checkpoint's config with the defaults of fields added since it was written. */
function storedConfig(c: unknown): TrainConfig {
  try {
    return revalidateStored(c);
  } catch {
    return c as TrainConfig;
  }
}

export async function train(opts: TrainOptions): Promise<TrainResult> {
  // Under mpirun/srun: this rank's part of a data-parallel job (lib/dist/); alone: a group of one.
  const dp = DataParallel.open(opts.config);
  try {
    const r = await trainRank(dp, opts);
    dp.close(true);
    return r;
  } catch (e) {
    dp.close(false); // no MPI_Finalize: the launcher sees this rank fail and stops the others
    throw e;
  }
}

async function trainRank(dp: DataParallel, opts: TrainOptions): Promise<TrainResult> {
  const cfg = dp.config;
  const out = cfg.output;
  const progress = dp.writer ? (opts.progress ?? new Progress()) : new Progress(process.stderr, true);
  for (const n of dp.notes) progress.log(n);
  const metricsPath = `${out}/metrics.jsonl`;
  const source = resumeSource(opts.resume, out);
  if (hasCheckpoint(out) && source?.runDir !== resolve(out))
    throw new ExodusError(`output: ${out} already holds a checkpoint; pass --resume to continue it, or choose another --out`);
  const resumed = source ? loadCheckpoint(source.path, source.which) : undefined;
  if (resumed) {
    // A checkpoint of 0 steps (an imported graph, lib/nir/run-folder.ts) has seen no data and no
    // optimiser step: only the model must match (the data set and training settings may change).
    const stored = storedConfig(resumed.config);
    const differs = resumed.state.step === 0 ? (JSON.stringify(stored.model) !== JSON.stringify(cfg.model) ? "model" : undefined) : sameRun(stored, cfg);
    if (differs) throw new ExodusError(`--resume: the config's ${differs} differs from the checkpoint's (${resumed.path}); resume with the same settings`);
    const lr0 = storedConfig(resumed.config).train?.lr;
    if (lr0 !== cfg.train.lr) progress.log(`resuming with train.lr ${cfg.train.lr} (the checkpoint's run used ${lr0})`);
  }

  const data = opts.data ?? (await openData(cfg));
  await checkRun(cfg, data, !opts.data);
  const model = opts.model ? moduleModel(opts.model, data.train.sampleShape.slice(1)) : buildModel(cfg, { sampleShape: data.train.sampleShape, numClasses: data.train.numClasses });
  const lossOf = lossStep(cfg.loss.readout, opts.loss);
  const stepNet = stepNetwork(model.net, cfg, data.train.sampleShape); // checkpointed when over train.memoryBudget
  const params = model.net.parameters();
  const buffers = model.net.buffers(); // batch norm's running statistics: saved and restored with the weights
  const opt = buildOptimizer(cfg.train, params, buffers.map((b) => b.name));
  const guard = new Guard(cfg, out, () => hasCheckpoint(out));
  const autosave = new Autosave(cfg.train.checkpointMinutes);
  progress.log(`model:\n  ${model.summary.join("\n  ")}\n${data.train.size} training samples of shape [${data.train.sampleShape.join(", ")}]; ${describeOptimizer(cfg.train)}`);
  if (stepNet.note) progress.log(stepNet.note);
  const selection = new Selection(cfg.train);
  const epochs: EpochMetrics[] = [];
  try {
    mkdirSync(out, { recursive: true });
    let pos = { epoch: 0, batch: 0, phase: "train" as "train" | "eval", step: 0 };
    const spiking = spikingLayers(model.net); // every spiking layer, those inside blocks too
    const fresh = (): Required<CheckpointState["partial"]> => ({ lossSum: 0, correct: 0, seen: 0, seconds: 0, gradNormSums: model.weights.map(() => 0), gradSteps: 0,
      spikeSums: spiking.map(() => 0), possibleSums: spiking.map(() => 0), phaseSeconds: { data: 0, forward: 0, backward: 0, optimizer: 0 } });
    let partial = fresh();
    let best: CheckpointState["best"] = null;
    let plateau: PlateauState | undefined;
    if (resumed) {
      const { state } = resumed;
      restoreWeights([...params, ...buffers], resumed);
      opt.importState(optimizerState(params, resumed, opt.slotNames));
      pos = { epoch: state.epoch, batch: state.batch, phase: state.phase, step: state.step };
      partial = { ...fresh(), ...state.partial };
      // A checkpoint that counted fewer spiking layers (before blocks' neurons were counted) restarts the epoch's rates.
      if (partial.spikeSums.length !== spiking.length) Object.assign(partial, { spikeSums: fresh().spikeSums, possibleSums: fresh().possibleSums });
      best = state.best;
      const loop = state.loop as { selection?: SelectionState; plateau?: PlateauState } | undefined;
      if (loop?.selection) selection.st = loop.selection;
      else if (best && cfg.train.selectMetric === "acc") selection.st.best = { epoch: best.epoch, value: best.acc }; // a checkpoint from before selection.ts
      plateau = loop?.plateau;
      // Metrics of epochs the checkpoint does not cover were written by the run that died after them.
      if (existsSync(metricsPath)) {
        const before = (l: string) => {
          try {
            return (JSON.parse(l) as EpochMetrics).epoch <= pos.epoch; // 1-based: epochs before the one in progress
          } catch {
            return false; // a line cut short by a crash
          }
        };
        const keep = readFileSync(metricsPath, "utf8").split("\n").filter((l) => l && before(l));
        if (dp.writer) writeFileSync(metricsPath, keep.map((l) => `${l}\n`).join(""));
      }
      progress.log(`resuming ${out} at epoch ${pos.epoch + 1}, batch ${pos.batch} (step ${pos.step})`);
    } else if (dp.writer) writeFileSync(metricsPath, "");
    if (dp.writer) writeRunConfig(out, cfg);
    // Only the writing rank logs steps (steps.jsonl, TensorBoard); the numbers are the same on every rank.
    const stepLog = dp.writer ? new StepLog(out, cfg.train.logEvery, cfg.train.tensorboard, resumed ? pos.step : undefined) : undefined;

    const save = (isBest = false) => {
      if (!dp.writer) return; // every rank holds the same state; one writes it
      const st = opt.exportState();
      const slots = Object.fromEntries(Object.entries(st.slots).map(([k, xs]) => [k, params.map((p, i) => ({ name: p.name, data: xs[i], shape: p.value.shape }))]));
      saveCheckpoint(out, { ...pos, seed: cfg.train.seed, partial, best, data: { sampleShape: [...data.train.sampleShape], numClasses: data.train.numClasses },
        loop: { selection: selection.st, plateau: schedule.state() }, config: cfg },
        stateTensors([...params, ...buffers]), st.steps === 0 ? undefined : { slots }, { best: isBest });
    };
    const limit = cfg.train.limitBatches ?? Infinity;
    const perEpoch = Math.min(limit, Math.ceil(data.train.size / cfg.train.batchSize));
    const schedule = new Schedule(cfg.train.schedule, cfg.train.lr, perEpoch * cfg.train.epochs, perEpoch);
    schedule.restore(plateau);
    const eta = new Eta((pos.epoch + pos.batch / perEpoch) / cfg.train.epochs);
    const monitor = new FiringMonitor(cfg);

    let rate = new Throughput();
    while (pos.epoch < cfg.train.epochs) {
      if (pos.phase === "train") {
        rate = new Throughput();
        setTraining(model, true);
        model.net.startEpoch(pos.epoch, cfg.train.epochs); // per-epoch layer schedules (a resumed epoch gets the same)
        let i = 0;
        const started = performance.now() - partial.seconds * 1000;
        const ph = partial.phaseSeconds;
        let waitFrom = performance.now(); // time until the loader hands over a batch is data time
        let stopped = false;
        for await (const batch of data.train.batches({ batchSize: cfg.train.batchSize, shuffle: true, seed: mixSeed(cfg.train.seed, pos.epoch), device: cfg.device, augment: cfg.dataset.augment, ...model.net.inputReads(), shard: dp.shard })) {
          if (i >= limit) break;
          if (i++ < pos.batch) continue; // done before the checkpoint this run resumed from
          const B = batch.labels.length;
          let t = performance.now();
          ph.data += (t - waitFrom) / 1000;
          const lap = () => {
            syncDevice(cfg.device);
            const now = performance.now();
            const s = (now - t) / 1000;
            t = now;
            return s;
          };
          const r = scope(() => {
            model.dropouts.forEach((d, k) => (d.seed = dp.dropoutSeed(mixSeed(cfg.train.seed, pos.step, k))));
            // B is this rank's share of the batch (all of it alone; possibly none of a short last one).
            const f = B > 0 ? forwardCounting(stepNet.run, batch, spiking) : undefined;
            const l = f ? lossOf(f.y, batch.labels) : undefined;
            ph.forward += lap();
            const g = dp.exchange({ samples: B, lossSum: (l?.loss ?? 0) * B, correct: l?.correct ?? 0, spikes: f?.spikes ?? spiking.map(() => 0),
              possible: f?.possible ?? spiking.map(() => 0), stop: !!opts.signal?.aborted });
            if (l) stepNet.run.backward(l.dy!);
            dp.checkShare(g.samples, Math.min(cfg.train.batchSize, data.train.size - pos.batch * cfg.train.batchSize));
            dp.reduceGradients(params, g);
            const norms = model.weights.map((w) => Math.sqrt(ops.sumAll(ops.square(w.param.grad))));
            const gradNorm = clipGradNorm(params, cfg.train.clipGradNorm); // the global norm, before clipping
            ph.backward += lap();
            opt.step(schedule.factor(pos.step));
            model.net.zeroGrad();
            ph.optimizer += lap();
            return { loss: g.lossSum / g.samples, lossSum: g.lossSum, correct: g.correct, samples: g.samples, stop: g.stop, norms, gradNorm, spikes: g.spikes, possible: g.possible,
              finite: params.every((p) => Number.isFinite(ops.sumAll(p.value))) };
          });
          r.spikes.forEach((n, k) => (partial.spikeSums[k] += n));
          r.possible.forEach((n, k) => (partial.possibleSums[k] += n));
          pos.step++;
          pos.batch++;
          partial.lossSum += r.lossSum;
          partial.correct += r.correct;
          partial.seen += r.samples;
          rate.step(r.samples);
          r.norms.forEach((n, k) => (partial.gradNormSums[k] += n));
          partial.gradSteps++;
          partial.seconds = (performance.now() - started) / 1000;
          progress.update({ epoch: pos.epoch, epochs: cfg.train.epochs, batch: pos.batch, batches: perEpoch, loss: partial.lossSum / partial.seen,
            acc: partial.correct / partial.seen, samplesPerSec: rate.samplesPerSec ?? partial.seen / partial.seconds,
            elapsedS: eta.elapsedS, etaS: eta.leftS((pos.epoch + pos.batch / perEpoch) / cfg.train.epochs) });
          guard.step(pos, r.loss, model.weights.map((w, k) => ({ layer: w.layer, norm: r.norms[k] })), r.finite);
          stepLog?.step({ step: pos.step, epoch: pos.epoch + 1, loss: r.loss, lr: cfg.train.lr * schedule.factor(pos.step - 1), gradNorm: r.gradNorm });
          // One turn of the event loop per step: a batch source that never awaits I/O (the
          // built-in task) would otherwise starve the SIGINT/SIGTERM handlers.
          if (!r.stop && !opts.signal?.aborted) await new Promise((res) => setImmediate(res));
          // A signal on any rank stops every rank after the same step (the exchange's flag); one
          // process alone stops right after the step it arrived in.
          stopped = r.stop || (dp.size === 1 && !!opts.signal?.aborted);
          if (stopped) break;
          if (autosave.due()) save(); // mid-epoch: a long epoch killed outright still leaves a checkpoint
          waitFrom = performance.now();
        }
        if (stopped) {
          save();
          progress.log(`interrupted: checkpoint saved in ${out} (epoch ${pos.epoch + 1}, batch ${pos.batch}); continue with --resume`);
          return { interrupted: true, epochs, weights: params.map((p) => p.value.toArray()) };
        }
        pos.phase = "eval";
      }

      const m: EpochMetrics = {
        epoch: pos.epoch + 1,
        step: pos.step,
        method: cfg.method,
        train: { loss: partial.lossSum / Math.max(1, partial.seen), acc: partial.correct / Math.max(1, partial.seen), samples: partial.seen,
          seconds: partial.seconds, samplesPerSec: rate.samplesPerSec ?? partial.seen / Math.max(1e-9, partial.seconds) },
        gradNorm: Object.fromEntries(model.weights.map((w, k) => [w.layer, partial.gradNormSums[k] / Math.max(1, partial.gradSteps)])),
        firingRate: Object.fromEntries(spiking.map((l, k) => [l.name, partial.spikeSums[k] / Math.max(1, partial.possibleSums[k])])),
        time: { ...partial.phaseSeconds, eval: 0 },
        lr: cfg.train.lr * schedule.factor(Math.max(0, pos.step - 1)),
      };
      const warnings = monitor.check(m.firingRate, m.epoch);
      for (const w of warnings) progress.warn(w);
      if (warnings.length) m.warnings = warnings;
      dp.averageBuffers(buffers); // batch norm's running statistics, the same on every rank
      if ((pos.epoch + 1) % cfg.train.evalEvery === 0 || pos.epoch + 1 === cfg.train.epochs) {
        const evalStarted = performance.now();
        const ev = await evaluate(model, lossOf, data.eval, cfg, limit, dp, opts.signal);
        m.time.eval = (performance.now() - evalStarted) / 1000;
        if (!ev) {
          save(); // the training part of this epoch is kept; the resumed run evaluates it
          progress.log(`interrupted during evaluation: checkpoint saved in ${out}; continue with --resume`);
          return { interrupted: true, epochs, weights: params.map((p) => p.value.toArray()) };
        }
        m.eval = ev;
      }
      guard.metrics(pos, m);
      const sel = m.eval ? selection.observe(m.epoch, m.eval) : undefined;
      if (m.eval && schedule.observe(m.eval)) progress.log(`epoch ${m.epoch}: the eval metric stopped improving (train.schedule: plateau); learning rate lowered to ${cfg.train.lr * schedule.factor(pos.step)}`);
      const isBest = sel?.isBest === true;
      if (isBest) best = { epoch: m.epoch, acc: m.eval!.acc };
      const comm = dp.takeMetrics();
      if (comm) m.dist = comm;
      const same = dp.checkSameWeights([...params, ...buffers].map((p) => p.value));
      if (same) progress.log(same);
      if (dp.writer) {
        appendFileSync(metricsPath, `${JSON.stringify(m)}\n`);
        stepLog?.epoch(m, cfg.train.evalSplit);
        writeRunFiles(out, cfg);
      }
      epochs.push(m);
      opts.onEpoch?.(m);
      progress.log(
        `epoch ${pos.epoch + 1}/${cfg.train.epochs} train loss ${m.train.loss.toFixed(4)} acc ${(100 * m.train.acc).toFixed(1)}%` +
          (m.eval ? ` | ${cfg.train.evalSplit} loss ${m.eval.loss.toFixed(4)} acc ${(100 * m.eval.acc).toFixed(1)}%` : "") +
          ` | ${m.train.samplesPerSec.toFixed(0)} samples/s | elapsed ${formatDuration(eta.elapsedS)}` +
          (pos.epoch + 1 < cfg.train.epochs ? ` ETA ${formatDuration(eta.leftS((pos.epoch + 1) / cfg.train.epochs) ?? NaN)}` : ""),
      );
      // The checkpoint of a finished epoch is the start of the next one.
      pos = { epoch: pos.epoch + 1, batch: 0, phase: "train", step: pos.step };
      partial = fresh();
      save(isBest);
      if (sel && dp.writer) Selection.keepFiles(out, m.epoch, sel);
      if (sel?.stop) {
        progress.log(`early stopping after epoch ${m.epoch}: eval ${cfg.train.selectMetric} has not improved by more than ${cfg.train.earlyStopping!.minDelta} for ${cfg.train.earlyStopping!.patience} evaluations (best: epoch ${selection.st.best?.epoch})`);
        break;
      }
    }
    const weights = params.map((p) => p.value.toArray());
    let test: TestResult | undefined;
    if (cfg.train.evalSplit !== "test") {
      const testData = opts.data ? opts.data.test : datasetInfo(cfg.dataset.name).splits.includes("test") ? await (data as Awaited<ReturnType<typeof openData>>).openTest() : undefined;
      try {
        // Every rank reads the best checkpoint the writing rank saved: wait for it, then evaluate
        // together; only the writer writes test.json.
        if (testData) dp.barrier();
        if (testData) test = await finalTest({ model, state: [...params, ...buffers], cfg, test: testData, lastEpoch: pos.epoch, evaluate: (m, d, c, l) => evaluate(m, lossOf, d, c, l, dp), progress, write: dp.writer });
        if (test) stepLog?.test(pos.step, test);
      } finally {
        if (!opts.data) await testData?.close?.();
      }
    }
    return { interrupted: false, epochs, weights, ...(test ? { test } : {}) };
  } finally {
    opt.dispose();
    if (!opts.model) model.net.dispose();
    if (!opts.data) {
      await data.train.close?.();
      await data.eval.close?.();
    }
  }
}

/** Loss and accuracy on a split (no dropout, no gradients); undefined when aborted. */
export async function evaluate(model: BuiltModel, lossOf: ReturnType<typeof lossStep>, data: TrainData, cfg: TrainConfig, limit: number, dp?: DataParallel, signal?: AbortSignal): Promise<EpochMetrics["eval"] | undefined> {
  setTraining(model, false);
  let lossSum = 0;
  let correct = 0;
  let seen = 0;
  let i = 0;
  try {
    for await (const batch of data.batches({ batchSize: cfg.train.batchSize, shuffle: false, device: cfg.device, shard: dp?.shard })) {
      if (i++ >= limit) break;
      const B = batch.labels.length; // this rank's share (lib/dist/): the sums below are the batch's
      const r = B === 0 ? { loss: 0, correct: 0 } : scope(() => lossOf(model.net.forward(batch.x), batch.labels, false));
      const s = { samples: B, lossSum: r.loss * B, correct: r.correct, spikes: [], possible: [], stop: !!signal?.aborted };
      const g = dp ? dp.exchange(s, false) : s;
      lossSum += g.lossSum;
      correct += g.correct;
      seen += g.samples;
      if (g.stop) return undefined;
    }
  } finally {
    setTraining(model, true);
  }
  return { loss: lossSum / Math.max(1, seen), acc: correct / Math.max(1, seen), samples: seen };
}
