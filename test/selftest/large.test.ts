// The large-size group at its reduced size on the CPU against the float64 reference, and proof
// that each check can fail: the same run against the reference of other inputs must not pass.
import { describe, expect, it } from "vitest";
import { Device } from "../../lib/device.js";
import { scope } from "../../lib/tensor.js";
import { largeChecks } from "../../lib/selftest/large-checks.js";
import { runLargeChecks } from "../../lib/selftest/large-run.js";
import { relativeError } from "../../lib/selftest/registry.js";

describe("selftest --large at the reduced size (CPU vs float64)", () => {
  const results = runLargeChecks(Device.cpu);
  it("runs every large check", () => expect(results.map((r) => r.name)).toEqual(largeChecks.map((c) => `${c.name} (reduced)`)));
  for (const r of results)
    it(r.name, () => {
      expect(r.error, r.error).toBeUndefined();
      expect(r.relError).toBeLessThanOrEqual(r.tolerance);
    });

  for (const c of largeChecks)
    it(`${c.name} fails against the reference of other inputs`, () => {
      const p = c.params.reduced;
      const got = scope(() => c.run(Device.cpu, p));
      const other = c.reference({ ...p, seed: p.seed + 100 });
      const err = Math.max(...got.map((g, i) => relativeError(g, other[i])));
      expect(err).toBeGreaterThan(c.tolerance);
      // Never all zeros: the outputs carry signal.
      for (const g of got) expect(g.some((v) => v !== 0)).toBe(true);
    });

  it("full sizes reach past the limits they are named for", () => {
    const [stride, rows, , , batched, scan, wide] = largeChecks.map((c) => c.params.full);
    expect(stride.A * stride.B * stride.C).toBeGreaterThan(65535 * 32 * 256);
    expect(rows.R * rows.C).toBeGreaterThan(2 ** 31);
    expect(batched.batch).toBeGreaterThan(65535);
    expect(scan.T * scan.B * scan.N).toBeGreaterThanOrEqual(196e6);
    expect(wide.A * wide.B * wide.C).toBeGreaterThan(2 ** 32);
  });
});
