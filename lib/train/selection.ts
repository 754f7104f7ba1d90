// Model selection over a run's evaluations: which epoch is "best" (train.selectMetric on the eval
// split: highest accuracy or lowest loss), which k epochs' checkpoints to keep
// (train.keepTop, files checkpoint-epoch-NNNN.safetensors), and when to stop early
// (train.earlyStopping: no improvement of more than minDelta for `patience` evaluations). Its
// state is plain JSON kept in the checkpoint, so a resumed run selects and stops exactly as an
// uninterrupted one.
import { copyFileSync, existsSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { CHECKPOINT_FILE } from "./checkpoint.js";

export interface SelectionSettings {
  selectMetric: "acc" | "loss";
  keepTop: number;
  earlyStopping: { patience: number; minDelta: number } | null;
}

export interface SelectionState {
  best: { epoch: number; value: number } | null;
  /** The kept epochs, best first. */
  top: { epoch: number; value: number }[];
  /** Evaluations since the last improvement of more than minDelta, and that improvement's value. */
  stale: number;
  ref: number | null;
}

export const topCheckpointFile = (epoch: number) => `checkpoint-epoch-${String(epoch).padStart(4, "0")}.safetensors`;

export class Selection {
  st: SelectionState = { best: null, top: [], stale: 0, ref: null };
  constructor(readonly s: SelectionSettings) {}

  private better(a: number, b: number, margin = 0): boolean {
    return this.s.selectMetric === "acc" ? a > b + margin : a < b - margin;
  }

  /** Records epoch's evaluation; says whether it is the new best, which top-k files to drop, and whether to stop. */
  observe(epoch: number, ev: { loss: number; acc: number }): { isBest: boolean; keep: boolean; drop: number[]; stop: boolean } {
    const value = ev[this.s.selectMetric];
    const st = this.st;
    const isBest = st.best === null || this.better(value, st.best.value);
    if (isBest) st.best = { epoch, value };
    let keep = false;
    const drop: number[] = [];
    if (this.s.keepTop > 0) {
      const top = [...st.top, { epoch, value }].sort((a, b) => (this.better(a.value, b.value) ? -1 : this.better(b.value, a.value) ? 1 : a.epoch - b.epoch));
      st.top = top.slice(0, this.s.keepTop);
      keep = st.top.some((t) => t.epoch === epoch);
      drop.push(...top.slice(this.s.keepTop).map((t) => t.epoch).filter((e) => e !== epoch));
    }
    let stop = false;
    const es = this.s.earlyStopping;
    if (es) {
      if (st.ref === null || this.better(value, st.ref, es.minDelta)) {
        st.ref = value;
        st.stale = 0;
      } else stop = ++st.stale >= es.patience;
    }
    return { isBest, keep, drop, stop };
  }

  /** After the epoch's checkpoint is written: copies it for the top k and removes those that fell out. */
  static keepFiles(out: string, epoch: number, r: { keep: boolean; drop: number[] }): void {
    if (r.keep) {
      // Copied under a temporary name and renamed: a crash never leaves a torn top-k file.
      const dest = join(out, topCheckpointFile(epoch));
      copyFileSync(join(out, CHECKPOINT_FILE), `${dest}.tmp`);
      renameSync(`${dest}.tmp`, dest);
    }
    for (const e of r.drop) if (existsSync(join(out, topCheckpointFile(e)))) rmSync(join(out, topCheckpointFile(e)));
  }
}
