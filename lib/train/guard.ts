// What keeps a training run from ending silently wrong or losing work:
//  - before anything is allocated, the splits must hold samples and the model fit (memory.ts);
//  - a non-finite loss, gradient or weight stops the run at that step, naming it and the likely
//    cause, before anything of the step is saved (the last good checkpoint stays as it was);
//  - metrics are checked before they are written, so metrics.jsonl never holds null for a number
//    (JSON writes NaN and Infinity as null);
//  - a checkpoint is due every train.checkpointMinutes, also within an epoch, so a long first
//    epoch killed by a scheduler (kill -9, a node failure) does not start again from nothing.
import { ExodusError } from "../errors.js";
import type { TrainConfig } from "./config.js";
import { checkModelFits } from "./memory.js";

export class TrainingDivergedError extends ExodusError {}

/** Nats: a finite cross-entropy this large (an initial one is about ln(classes)) has diverged all the same. */
const MAX_LOSS = 1e6;

interface RunData {
  train: { size: number; sampleShape: number[]; numClasses: number; close?(): Promise<void> };
  eval: { size: number; close?(): Promise<void> };
}

/**
 * Before anything is allocated: the splits hold samples (an empty one would "train" on nothing
 * and exit 0) and the model fits memory. On failure the data sets are closed when owned.
 */
export async function checkRun(cfg: TrainConfig, data: RunData, owned: boolean): Promise<void> {
  try {
    if (!(data.train.size > 0)) throw new ExodusError(`data: expected training samples, received ${data.train.size}; check the data set's files or split`);
    if (!(data.eval.size > 0)) throw new ExodusError(`data: expected evaluation samples, received ${data.eval.size}; check the data set's files or train.evalSplit`);
    checkModelFits(cfg, { sampleShape: data.train.sampleShape, numClasses: data.train.numClasses });
  } catch (e) {
    if (owned) {
      await data.train.close?.();
      await data.eval.close?.();
    }
    throw e;
  }
}

export interface Position {
  epoch: number;
  batch: number;
  step: number;
}

/** The config values that usually make a spiking network diverge, most likely first. */
export function likelyCause(cfg: TrainConfig, firstStep: boolean): string {
  const c: string[] = [];
  const { lr, weightDecay } = cfg.train;
  const { threshold, surrogate } = cfg.neuron;
  if (firstStep && cfg.model.initScale > 3) c.push(`model.initScale ${cfg.model.initScale} is large (1 is PyTorch's default init)`);
  if (lr >= 0.05) c.push(`train.lr ${lr} is large for Adam (the paper uses 1e-3)`);
  if (surrogate.scale >= 10) c.push(`neuron.surrogate.scale ${surrogate.scale} is large (the paper sweeps 0.01 to 1)`);
  if (surrogate.width <= 0.05) c.push(`neuron.surrogate.width ${surrogate.width} is narrow (the surrogate's peak grows as 1/width)`);
  if (threshold <= 0.01) c.push(`neuron.threshold ${threshold} is small (gradients scale with 1/threshold)`);
  if (weightDecay >= 0.1) c.push(`train.weightDecay ${weightDecay} is large (the paper uses 0 to 1e-2)`);
  if (c.length === 0)
    c.push(`exploding gradients: lower train.lr (now ${lr}) or neuron.surrogate.scale (now ${surrogate.scale})`);
  return c.join("; ");
}

export class Guard {
  /** hasCheckpoint: whether the run folder holds a checkpoint (the message says what is kept). */
  constructor(
    private readonly cfg: TrainConfig,
    private readonly out: string,
    private readonly hasCheckpoint: () => boolean,
  ) {}

  private fail(at: Position, what: string): never {
    const ck = this.hasCheckpoint()
      ? `the last good checkpoint in ${this.out} was kept (nothing of this step was saved): change the setting and continue it with --resume (train.lr may change on resume), or start again with another --out`
      : `no checkpoint had been written yet; change the setting and start again`;
    throw new TrainingDivergedError(
      `training diverged at step ${at.step} (epoch ${at.epoch + 1}, batch ${at.batch}): ${what}. Likely cause: ${likelyCause(this.cfg, at.step <= 1)}. ${ck}`,
    );
  }

  /** After a training step: its loss, the weight-gradient norms by layer and whether all parameters stayed finite. */
  step(at: Position, loss: number, gradNorms: { layer: string; norm: number }[], weightsFinite: boolean): void {
    if (!Number.isFinite(loss)) this.fail(at, `the training loss is ${loss}`);
    if (loss > MAX_LOSS) this.fail(at, `the training loss is ${loss.toExponential(2)} (a cross-entropy above ${MAX_LOSS} means exploding logits)`);
    const bad = gradNorms.find((g) => !Number.isFinite(g.norm));
    if (bad) this.fail(at, `the weight gradient of layer ${bad.layer} has norm ${bad.norm}`);
    if (!weightsFinite) this.fail(at, "the weights hold non-finite values after the optimiser step");
  }

  /** Before a metrics line is written: every number in it must be finite. */
  metrics(at: Position, m: unknown): void {
    const walk = (v: unknown, path: string): void => {
      if (typeof v === "number" && !Number.isFinite(v)) this.fail(at, `metric ${path} is ${v}`);
      if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
    };
    walk(m, "");
  }
}

/** True once every `minutes` (then it re-arms): when a mid-epoch checkpoint is due. */
export class Autosave {
  private last = Date.now();
  constructor(private readonly minutes: number) {}

  due(): boolean {
    if (!(this.minutes > 0) || Date.now() - this.last < this.minutes * 60e3) return false;
    this.last = Date.now();
    return true;
  }
}
