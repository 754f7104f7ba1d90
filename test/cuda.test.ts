// The CUDA backend against the CPU backend: every registered self-check, plus device copies and
// the caching allocator. Skips itself where no GPU works (the reason is printed).
import { describe, expect, it } from "vitest";
import { Device, Rng, Tensor, cudaAvailable, cudaStatus, native } from "../lib/index.js";
import { runChecks } from "../lib/selftest/run.js";
import { randomArray } from "./helpers.js";

const usable = cudaAvailable();
if (!usable) console.log(`CUDA tests skipped: ${cudaStatus().reason}`);

describe.skipIf(!usable)("CUDA backend against the CPU backend", () => {
  it("copies host -> device -> device -> host exactly", () => {
    const x = randomArray(new Rng(3), 1000);
    const g = Tensor.from(x, [10, 100], "cuda");
    const g2 = g.clone();
    const back = g2.to("cpu");
    expect(Array.from(back.toArray())).toEqual(Array.from(x));
    [g, g2, back].forEach((t) => t.dispose());
  });

  it("reuses freed blocks through the caching allocator", () => {
    const before = native().allocatorStats({ index: 0 }).mallocs;
    for (let i = 0; i < 20; i++) Tensor.empty([1024, 64], "cuda").dispose();
    expect(native().allocatorStats({ index: 0 }).mallocs - before).toBeLessThanOrEqual(1);
  });

  for (const r of usable ? runChecks(Device.cuda(0), { seed: 99 }) : [])
    it(`${r.group}: ${r.name}`, () => {
      expect(r.error, r.error).toBeUndefined();
      expect(r.relError).toBeLessThanOrEqual(r.tolerance);
    });
});
