// samples/s leaves out the first (warm-up) step of a run.
import { afterEach, describe, expect, it, vi } from "vitest";
import { Throughput } from "../../lib/train/throughput.js";

afterEach(() => vi.restoreAllMocks());

describe("Throughput", () => {
  it("counts from the end of the first step", () => {
    let now = 1000;
    vi.spyOn(performance, "now").mockImplementation(() => now);
    const r = new Throughput();
    expect(r.samplesPerSec).toBeUndefined();
    now += 5000; // a slow first step: 16 samples in 5 s
    r.step(16);
    expect(r.samplesPerSec).toBeCloseTo(16 / 5, 9);
    for (let i = 0; i < 4; i++) {
      now += 100; // steady state: 16 samples per 0.1 s
      r.step(16);
    }
    expect(r.samplesPerSec).toBeCloseTo(160, 6);
  });
});
