// The host block cache keeps a step's whole working set for reuse (cuda/dispatch.cc): blocks are
// reserved but never touched here, so the gigabytes below cost address space, not memory.
import { totalmem } from "node:os";
import { describe, expect, it } from "vitest";
import { native } from "../lib/native.js";
import { Tensor } from "../lib/tensor.js";

const GiB = 2 ** 30;
const fits = totalmem() / 2 >= 4 * GiB && process.env.EXODUS_HOST_CACHE_MB === undefined;

describe.skipIf(!fits)("host block cache", () => {
  it("keeps more than 2 GiB when the working set was larger, and reuses it without new allocations", () => {
    const n = native();
    n.emptyCache();
    const floats = GiB / 4 - 1024; // just under 1 GiB, a size nothing else allocates
    const blocks = [0, 1, 2].map(() => Tensor.empty([floats]));
    const live = n.hostAllocatorStats();
    expect(live.peak).toBeGreaterThanOrEqual(3 * floats * 4);
    for (const b of blocks) b.dispose();
    const kept = n.hostAllocatorStats();
    expect(kept.cached).toBeGreaterThanOrEqual(3 * floats * 4); // a fixed 2 GiB cap freed one
    const again = [0, 1, 2].map(() => Tensor.empty([floats]));
    expect(n.hostAllocatorStats().mallocs).toBe(kept.mallocs);
    for (const b of again) b.dispose();
    n.emptyCache();
    expect(n.hostAllocatorStats().cached).toBe(0);
  });
});
