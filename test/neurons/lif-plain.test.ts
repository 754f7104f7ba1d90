// The CPU LIF scans have a specialisation for the plain configuration (subtractive reset, single
// spikes, no clamp, no input scaling, shared α and θ; cpu/lif.cc): it must give the general
// scan's bits. A vMin far below any membrane leaves the math unchanged but sends the layer down
// the general path, so the two runs compare the two code paths.
import { describe, expect, it } from "vitest";
import type { LIFOptions } from "../../lib/nn/lif.js";
import { Rng } from "../../lib/random.js";
import { firingInput, normal, runLif } from "./helpers.js";

const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe("plain LIF scans", () => {
  const cases: [string, LIFOptions][] = [
    ["exponential τ 30", { tauMem: 30 }],
    ["triangle", { tauMem: 20, surrogate: { name: "triangle", scale: 1, width: 0.7 } }],
    ["rectangle, θ 0.8", { tauMem: 20, threshold: 0.8, surrogate: { name: "rectangle", scale: 0.8, width: 0.4 } }],
    ["SLAYER", { tauMem: 30, backward: "slayer" }],
  ];
  for (const [label, opts] of cases)
    it(`give the general scan's bits (${label})`, () => {
      const rng = new Rng(21);
      // 3 × 37 × 40 = 4,440 neurons: several tiles and a ragged last vector.
      const T = 180, shape = [T, 37, 40], N = 37 * 40;
      const x = firingInput(rng, T, N, 0.25, 0.9), g = normal(rng, T * N);
      const plain = runLif(opts, shape, x, g);
      const general = runLif({ ...opts, vMin: -3e38 }, shape, x, g);
      const rate = plain.s.reduce((a, v) => a + v, 0) / plain.s.length;
      expect(rate).toBeGreaterThan(0.01);  // the neurons fire, so resets are exercised
      expect(plain.dx.some((v) => v !== 0)).toBe(true);
      expect(same(plain.s, general.s)).toBe(true);
      expect(same(plain.v, general.v)).toBe(true);
      expect(same(plain.dx, general.dx)).toBe(true);
      expect(same(plain.dv0!, general.dv0!)).toBe(true);
    });
});
