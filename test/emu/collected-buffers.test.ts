// CUDA memory through the garbage collector's path (binding_buffer.h), on the emulated device: a
// synchronous loop of forward + sum on cuda:0 that never disposes keeps the caching allocator's
// bytes in use flat, the buffers freed inside collections; with that path off (EXODUS_V8_WEAK=off)
// the same loop holds every step's buffers until it returns. Needs the emulated build, as
// emulated-device.test.ts does (EXODUS_EMU_ADDON or build-emu/); skips where it is absent.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../lib/native.js";
import { ROOT, ensureDist } from "../dist.js";

const addon = process.env.EXODUS_EMU_ADDON ?? join(packageRoot(), "build-emu", "Release", "exodus.node");

const SCRIPT = `
const net = new E.Sequential(new E.Linear(40, 64, { seed: 1, device: "cuda:0" }), new E.LIF({ tauMem: 30, device: "cuda:0" }), new E.Linear(64, 10, { seed: 3, device: "cuda:0" }));
const x = E.Tensor.randn([20, 8, 40], new E.Rng(1), { device: "cuda:0" });
const inUse = [];
for (let i = 1; i <= 1200; i++) {
  E.ops.sum(net.forward(x), 0);
  if (i % 400 === 0) inUse.push(E.native().allocatorStats({ index: 0 }).inUse);
}
console.log(JSON.stringify({ inUse, stats: E.finalizerStats() }));`;

function run(env: Record<string, string>): { inUse: number[]; stats: { finalized: number; inCollection: boolean } } {
  const lib = JSON.stringify(join(ROOT, "dist", "lib", "index.js"));
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", `import * as E from ${lib};\n${SCRIPT}`], {
    encoding: "utf8", env: { ...process.env, EXODUS_ADDON: addon, EXODUS_DEVICE: "", ...env }, timeout: 240_000,
  });
  if (r.status !== 0) throw new Error(`child exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe.skipIf(!existsSync(addon))("CUDA buffers of tensors dropped undisposed (emulated device)", () => {
  beforeAll(() => ensureDist(), 180_000);

  it("are freed inside collections: a synchronous loop keeps the allocator's bytes in use flat", (ctx) => {
    const on = run({});
    if (!on.stats.inCollection) ctx.skip(); // built without V8's headers
    const off = run({ EXODUS_V8_WEAK: "off" });
    // Each step leaves ~7 kB of device buffers behind: 1,200 steps hold ~8 MB without the collector.
    expect(on.stats.finalized).toBeGreaterThan(1000);
    expect(Math.max(...on.inUse)).toBeLessThan(4 * 2 ** 20);
    expect(off.stats.finalized).toBe(0);
    expect(off.inUse[2]).toBeGreaterThan(2.5 * off.inUse[0]);
    expect(off.inUse[2]).toBeGreaterThan(6 * 2 ** 20);
  }, 300_000);
});
