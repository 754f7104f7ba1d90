// selftest --training on the CPU: two steps of the SHD and DVS nets against one thread, and a
// run that must learn; compareSteps must see a systematic gradient error.
import { describe, expect, it } from "vitest";
import { Device } from "../../lib/device.js";
import { GRAD_TOL, LOSS_TOL, compareSteps, runTrainingChecks } from "../../lib/selftest/training-checks.js";
import { tmp } from "../data/helpers.js";

describe("selftest --training (CPU)", () => {
  it("two training steps agree and a generated task is learnt", async () => {
    const results = await runTrainingChecks(Device.cpu, { out: tmp("exodus-selftest-train-") });
    expect(results).toHaveLength(3);
    for (const r of results) expect(r.pass, `${r.name}: ${r.error}`).toBe(true);
    expect(results[0].error).toMatch(/eval accuracy (8\d|9\d|100)%/);
  }, 120_000);

  it("compareSteps flags a gradient off by 5% and a loss off by 1%", () => {
    const g = Float32Array.from({ length: 50 }, (_, i) => Math.sin(i) + 0.1);
    const ref = { losses: [2, 1.9], grads: [[g], [g]] };
    expect(compareSteps(ref, ref)).toEqual({ loss: 0, grad: 0, minGradNorm: expect.any(Number) });
    const off = compareSteps({ losses: [2, 1.9], grads: [[g], [g.map((v) => v * 1.05)]] }, ref);
    expect(off.grad).toBeGreaterThan(GRAD_TOL);
    expect(compareSteps({ losses: [2.02, 1.9], grads: [[g], [g]] }, ref).loss).toBeGreaterThan(LOSS_TOL);
  });
});
