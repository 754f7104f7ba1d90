// What a run logs besides metrics.jsonl's epochs: every train.logEvery optimiser steps the step's
// batch loss, learning rate and global gradient norm (before clipping) to <out>/steps.jsonl, and,
// with train.tensorboard, every step record and epoch metric to TensorBoard event files in
// <out>/tensorboard/ (tensorboard.ts; `tensorboard --logdir runs/`). On resume both continue from
// the checkpoint's step: steps.jsonl drops the lines a killed process wrote past it, and the new
// events file starts with a SessionLog START so TensorBoard drops them too.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EventWriter } from "./tensorboard.js";
import type { EpochMetrics } from "./trainer.js";

export interface StepRecord {
  /** Optimiser steps done, counting this one (1-based). */
  step: number;
  /** 1-based, as printed. */
  epoch: number;
  loss: number;
  lr: number;
  gradNorm: number;
}

export class StepLog {
  private readonly path: string;
  private readonly tb?: EventWriter;

  constructor(out: string, readonly every: number, tensorboard: boolean, resumedAt?: number) {
    this.path = join(out, "steps.jsonl");
    if (resumedAt === undefined || !existsSync(this.path)) writeFileSync(this.path, "");
    else {
      const keep = readFileSync(this.path, "utf8").split("\n").filter((l) => {
        try {
          return l !== "" && (JSON.parse(l) as StepRecord).step <= resumedAt;
        } catch {
          return false; // a line cut short by a crash
        }
      });
      writeFileSync(this.path, keep.map((l) => `${l}\n`).join(""));
    }
    if (tensorboard) {
      this.tb = new EventWriter(join(out, "tensorboard"));
      if (resumedAt !== undefined) this.tb.sessionStart(resumedAt + 1);
    }
  }

  step(r: StepRecord): void {
    if (this.every <= 0 || r.step % this.every !== 0) return;
    appendFileSync(this.path, `${JSON.stringify(r)}\n`);
    this.tb?.scalars(r.step, { "step/loss": r.loss, "step/lr": r.lr, "step/grad_norm": r.gradNorm });
  }

  /** An epoch's metrics at its last step: train and eval loss and accuracy, lr, per-layer gradient norms and firing rates. */
  epoch(m: EpochMetrics, evalSplit: string): void {
    if (!this.tb) return;
    const v: Record<string, number> = { "train/loss": m.train.loss, "train/acc": m.train.acc, "train/samples_per_sec": m.train.samplesPerSec };
    if (m.eval) Object.assign(v, { [`${evalSplit}/loss`]: m.eval.loss, [`${evalSplit}/acc`]: m.eval.acc });
    if (m.lr !== undefined) v["train/lr"] = m.lr;
    for (const [l, x] of Object.entries(m.gradNorm)) v[`grad_norm/${l}`] = x;
    for (const [l, x] of Object.entries(m.firingRate)) v[`firing_rate/${l}`] = x;
    this.tb.scalars(m.step, v);
  }

  /** The final test evaluation. */
  test(step: number, r: { loss: number; acc: number }): void {
    this.tb?.scalars(step, { "test/loss": r.loss, "test/acc": r.acc });
  }
}
