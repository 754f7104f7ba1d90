// Edge cases the CUDA kernels must treat like the CPU: empty reductions, the first NaN and the
// first index on ties (the "edge" self-checks, which test/cuda.test.ts also runs on a GPU), and a
// device index out of range: a clear error, never a read outside the allocator's tables.
import { describe, expect, it } from "vitest";
import { Device } from "../../lib/device.js";
import { native } from "../../lib/native.js";
import { runChecks } from "../../lib/selftest/run.js";

describe("edge cases", () => {
  const results = runChecks(Device.cpu, { filter: /^edge / });
  it("has empty, NaN and tie checks", () => expect(results.length).toBeGreaterThanOrEqual(30));
  for (const r of results)
    it(r.name, () => {
      expect(r.error, r.error).toBeUndefined();
      expect(r.relError).toBe(0);
    });

  // A build without the CUDA backend rejects every CUDA index before the allocator's tables exist.
  it.skipIf(!native().buildInfo().cudaCompiled)("rejects a negative CUDA device index with a clear error", () => {
    const n = native();
    expect(() => new n.NativeBuffer({ device: 1, index: -1, size: 4 })).toThrow(/cuda:-1|CUDA|index/);
    expect(() => n.allocatorStats({ index: -1 })).toThrow(/cuda:-1|CUDA|index/);
  });
});
