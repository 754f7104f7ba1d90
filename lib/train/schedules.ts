// Learning-rate schedules (train.schedule). Each gives the factor by which train.lr (and every
// parameter group's lr) is multiplied for the update with 0-based index `step`:
//   constant   1
//   cosine     linear warm-up over warmupSteps, then half a cosine down to minLr at the run's last step
//   step       × gamma every `everyEpochs` epochs (torch StepLR, stepped per epoch)
//   onecycle   torch OneCycleLR (cosine annealing, two phases, lr only: momentum is not cycled)
//   plateau    × factor when the monitored eval metric has not improved for `patience`
//              evaluations (torch ReduceLROnPlateau, relative threshold)
// Every schedule but plateau is a pure function of the step, so a resumed run gets the same rates;
// plateau's counters live in the checkpoint (state()/restore()). warmupSteps applies to all but
// onecycle (whose first phase is its warm-up).
import { ExodusError } from "../errors.js";

export type ScheduleSpec =
  | { name: "constant"; warmupSteps: number }
  | { name: "cosine"; warmupSteps: number; minLr: number }
  | { name: "step"; warmupSteps: number; everyEpochs: number; gamma: number }
  | { name: "onecycle"; pctStart: number; divFactor: number; finalDivFactor: number }
  | { name: "plateau"; warmupSteps: number; metric: "loss" | "acc"; factor: number; patience: number; threshold: number; minLr: number };

export const SCHEDULES = ["constant", "cosine", "step", "onecycle", "plateau"] as const;

export interface PlateauState {
  best: number | null;
  bad: number;
  factor: number;
}

/** cos annealing from a to b as pct goes 0 → 1 (torch's _annealing_cos). */
function annealCos(a: number, b: number, pct: number): number {
  return b + ((a - b) / 2) * (Math.cos(Math.PI * pct) + 1);
}

export class Schedule {
  private plateau: PlateauState = { best: null, bad: 0, factor: 1 };

  /** baseLr: train.lr; totalSteps: updates in the whole run; stepsPerEpoch: updates per epoch. */
  constructor(
    readonly spec: ScheduleSpec,
    readonly baseLr: number,
    readonly totalSteps: number,
    readonly stepsPerEpoch: number,
  ) {
    if (!(totalSteps >= 1) || !(stepsPerEpoch >= 1)) throw new ExodusError(`schedule: expected at least one step, received ${totalSteps} in all, ${stepsPerEpoch} per epoch`);
  }

  /** The factor for the update with 0-based index step. */
  factor(step: number): number {
    const s = this.spec;
    const warm = s.name !== "onecycle" && s.warmupSteps > 0 && step < s.warmupSteps ? (step + 1) / s.warmupSteps : 1;
    switch (s.name) {
      case "constant":
        return warm;
      case "cosine": {
        if (step < s.warmupSteps) return warm;
        const span = Math.max(1, this.totalSteps - 1 - s.warmupSteps);
        const pct = Math.min(1, (step - s.warmupSteps) / span);
        return annealCos(1, s.minLr / this.baseLr, pct);
      }
      case "step":
        return warm * s.gamma ** Math.floor(Math.floor(step / this.stepsPerEpoch) / s.everyEpochs);
      case "onecycle": {
        const initial = 1 / s.divFactor;
        const min = initial / s.finalDivFactor;
        const end1 = s.pctStart * this.totalSteps - 1;
        const end2 = this.totalSteps - 1;
        const t = Math.min(step, end2); // epochs raised on resume: stay at the end
        if (t <= end1) return annealCos(initial, 1, end1 > 0 ? t / end1 : 1);
        return annealCos(1, min, (t - end1) / (end2 - end1));
      }
      case "plateau":
        return warm * this.plateau.factor;
    }
  }

  /** After an evaluation: plateau's bookkeeping (others ignore it). Returns true when the rate was lowered. */
  observe(ev: { loss: number; acc: number }): boolean {
    const s = this.spec;
    if (s.name !== "plateau") return false;
    const p = this.plateau;
    const v = ev[s.metric];
    const better = p.best === null || (s.metric === "loss" ? v < p.best * (1 - s.threshold) : v > p.best * (1 + s.threshold));
    if (better) {
      p.best = v;
      p.bad = 0;
      return false;
    }
    p.bad++;
    if (p.bad <= s.patience) return false;
    p.bad = 0;
    const next = Math.max(p.factor * s.factor, s.minLr / this.baseLr);
    // torch's eps: a reduction smaller than 1e-8 (in lr) is skipped
    if ((p.factor - next) * this.baseLr <= 1e-8) return false;
    p.factor = next;
    return true;
  }

  state(): PlateauState {
    return { ...this.plateau };
  }

  restore(st: PlateauState | undefined): void {
    if (st) this.plateau = { ...st };
  }
}
