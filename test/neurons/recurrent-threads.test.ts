// The CPU recurrent scans (cpu/rlif.cc, cpu/recurrent.cc) sum ∂V over chunks of batch rows whose
// count is fixed by the shape, then add the chunks in order, and form r = Vᵀ·λ with a kernel whose
// order of summation does not depend on the split: every output, ∂V included, must be the same
// bits at 1, 2 and 3 threads.
import { afterAll, describe, expect, it } from "vitest";
import { Device } from "../../lib/device.js";
import { native } from "../../lib/native.js";
import { RCubaLIF, RLIF } from "../../lib/nn/index.js";
import type { RecurrentLayer } from "../../lib/nn/recurrent.js";
import { Rng } from "../../lib/random.js";
import { runRecurrent } from "../../lib/selftest/recurrent-run.js";
import { setCpuThreads } from "../../lib/runtime.js";
import { firingInput, normal } from "./helpers.js";
import { spikeRate } from "./reference.js";

const startThreads = native().info().cpuThreads;
afterAll(() => setCpuThreads(startThreads));

const T = 25, B = 37, H = 21;
const layers: [string, () => RecurrentLayer][] = [
  ["RLIF", () => new RLIF({ size: H, tauMem: 10, backward: "exodus", stateful: true }) as unknown as RecurrentLayer],
  ["RCubaLIF", () => new RCubaLIF({ size: H, tauMem: 10, tauSyn: 5, backward: "exodus", stateful: true })],
];

describe("recurrent CPU scans do not depend on the thread count", () => {
  for (const [label, make] of layers)
    it(label, () => {
      const rng = new Rng(7);
      const inputs = { T, B, x: firingInput(rng, T, B * H, 0.2, 0.8), g: normal(rng, T * B * H), w: normal(rng, H * H, 0.4) };
      const runs = [1, 2, 3].map((n) => {
        setCpuThreads(n);
        return runRecurrent(make(), Device.cpu, inputs);
      });
      const rate = spikeRate(runs[0].s);
      expect(rate).toBeGreaterThan(0.02);
      expect(runs[0].dw.some((d) => d !== 0)).toBe(true);
      for (const r of runs.slice(1)) {
        expect(Buffer.from(r.s.buffer).equals(Buffer.from(runs[0].s.buffer))).toBe(true);
        expect(Buffer.from(r.dx.buffer).equals(Buffer.from(runs[0].dx.buffer))).toBe(true);
        expect(Buffer.from(r.dw.buffer).equals(Buffer.from(runs[0].dw.buffer))).toBe(true);
      }
    });
});
