// Learning-rate schedules: closed forms written here, and torch.optim.lr_scheduler's values where
// /usr/bin/python3 has torch (StepLR, CosineAnnealingLR, OneCycleLR, ReduceLROnPlateau).
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { Schedule, type ScheduleSpec } from "../../lib/train/schedules.js";
import { validateConfig } from "../../lib/train/config.js";
import { PY, hasTorch } from "../torch-python.js";

const LR = 0.01;
const TOTAL = 40;
const PER_EPOCH = 4;

const rates = (spec: ScheduleSpec) => {
  const s = new Schedule(spec, LR, TOTAL, PER_EPOCH);
  return Array.from({ length: TOTAL }, (_, i) => LR * s.factor(i));
};
/** A validation loss that improves for 3 evaluations, then stalls: plateau lowers the rate after `patience` stale ones. */
const LOSSES = [2, 1.5, 1.2, 1.21, 1.3, 1.25, 1.22, 1.19999, 1.4, 1.5, 1.6, 1.1, 1.2, 1.3];

describe("schedules", () => {
  it("warm-up then cosine reaches minLr at the last step", () => {
    const r = rates({ name: "cosine", warmupSteps: 5, minLr: 1e-4 });
    expect(r.slice(0, 5).map((x) => x / LR)).toEqual([0.2, 0.4, 0.6, 0.8, 1].map((x) => expect.closeTo(x, 12)));
    expect(r[5]).toBeCloseTo(LR, 12);
    expect(r[TOTAL - 1]).toBeCloseTo(1e-4, 12);
    const mid = 5 + (TOTAL - 1 - 5) / 2; // 22: half way down
    expect(r[mid]).toBeCloseTo((LR + 1e-4) / 2, 12);
    for (let i = 6; i < TOTAL; i++) expect(r[i]).toBeLessThan(r[i - 1]);
  });

  it("step multiplies by gamma every everyEpochs epochs", () => {
    const r = rates({ name: "step", warmupSteps: 0, everyEpochs: 3, gamma: 0.5 });
    r.forEach((x, i) => expect(x).toBeCloseTo(LR * 0.5 ** Math.floor(Math.floor(i / PER_EPOCH) / 3), 14));
  });

  it("plateau lowers the rate after patience stale evaluations and keeps its counters across a restore", () => {
    const spec: ScheduleSpec = { name: "plateau", warmupSteps: 0, metric: "loss", factor: 0.5, patience: 2, threshold: 1e-4, minLr: 0.002 };
    const s = new Schedule(spec, LR, TOTAL, PER_EPOCH);
    const got: number[] = [];
    LOSSES.forEach((l, i) => {
      s.observe({ loss: l, acc: 0 });
      got.push(LR * s.factor(0));
      if (i === 6) {
        const again = new Schedule(spec, LR, TOTAL, PER_EPOCH); // resumed mid-way
        again.restore(s.state());
        expect(again.factor(0)).toBe(s.factor(0));
        expect(again.state()).toEqual(s.state());
      }
    });
    // best 1.2 at evaluation 3; 1.21, 1.3, 1.25 stale → lowered after the third; 1.22, 1.19999 (not 1e-4 better than 1.2), 1.4 → again; min 0.002
    expect(got.map((x) => +x.toPrecision(6))).toEqual([0.01, 0.01, 0.01, 0.01, 0.01, 0.005, 0.005, 0.005, 0.0025, 0.0025, 0.0025, 0.0025, 0.0025, 0.0025]);
  });

  it("config: a bare name takes the defaults; unknown and misplaced options are named", () => {
    const v = (schedule: unknown) => validateConfig({ dataset: { name: "shd" }, train: { schedule }, device: "cpu" }).train.schedule;
    expect(v(undefined)).toEqual({ name: "constant", warmupSteps: 0 });
    expect(v("onecycle")).toEqual({ name: "onecycle", pctStart: 0.3, divFactor: 25, finalDivFactor: 1e4 });
    expect(v({ name: "cosine", warmupSteps: 100 })).toEqual({ name: "cosine", warmupSteps: 100, minLr: 0 });
    expect(() => v({ name: "cosine", gamma: 0.1 })).toThrow(/train.schedule.gamma: expected no value for "cosine" \(it takes warmupSteps, minLr\)/);
    expect(() => v({ name: "cosine", minLr: 1 })).toThrow(/train.schedule.minLr: expected at most train.lr \(0.001\)/);
    expect(() => v("linear")).toThrow(/train.schedule.name: expected one of "constant", "cosine", "step", "onecycle", "plateau", received "linear"/);
  });

  it.skipIf(!hasTorch)("equals torch.optim.lr_scheduler", () => {
    const script = `
import json, torch
def run(make, n, metrics=None):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=${LR})
    s = make(opt)
    out = []
    for i in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        if metrics is None: s.step()
    return out
def plateau():
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=${LR})
    s = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=2, threshold=1e-4, min_lr=0.002)
    out = []
    for l in ${JSON.stringify(LOSSES)}:
        s.step(l)
        out.append(opt.param_groups[0]["lr"])
    return out
r = {
  "onecycle": run(lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=${LR}, total_steps=${TOTAL}, pct_start=0.25, div_factor=10, final_div_factor=100, cycle_momentum=False), ${TOTAL}),
  "cosine": run(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=${TOTAL - 1}, eta_min=1e-4), ${TOTAL}),
  "plateau": plateau(),
}
print(json.dumps(r))
`;
    const r = spawnSync(PY, ["-c", script], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const t = JSON.parse(r.stdout) as Record<string, number[]>;
    const close = (a: number[], b: number[]) => a.forEach((x, i) => expect(x).toBeCloseTo(b[i], 10));
    close(rates({ name: "onecycle", pctStart: 0.25, divFactor: 10, finalDivFactor: 100 }), t.onecycle);
    close(rates({ name: "cosine", warmupSteps: 0, minLr: 1e-4 }), t.cosine);
    const s = new Schedule({ name: "plateau", warmupSteps: 0, metric: "loss", factor: 0.5, patience: 2, threshold: 1e-4, minLr: 0.002 }, LR, TOTAL, PER_EPOCH);
    close(LOSSES.map((l) => (s.observe({ loss: l, acc: 0 }), LR * s.factor(0))), t.plateau);
  });
});
