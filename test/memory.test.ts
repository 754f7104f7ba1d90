// The garbage-collector fallback (lib/finalizer.ts), in a child process so RSS and the warnings
// are this test's alone: 4,000 forward + sum steps that never dispose keep RSS flat; a tensor is
// released once (dispose, then collection, is no double free; a view keeps its storage alive; a
// tensor that leaves its scopes is the fallback's, one the scope disposes is not); the
// once-per-process warning names the allocation site under EXODUS_DEBUG.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureDist } from "./dist.js";

function run(script: string, env: Record<string, string> = {}): { stdout: string; stderr: string } {
  const lib = JSON.stringify(join(ROOT, "dist", "lib", "index.js"));
  const r = spawnSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", `import * as E from ${lib};\n${script}`], {
    encoding: "utf8",
    env: { ...process.env, EXODUS_DEBUG: "", ...env },
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`child exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

const turn = "await new Promise((r) => setImmediate(r));";

describe("memory without scope() or dispose()", () => {
  beforeAll(() => ensureDist(), 180_000);

  it("a 4,000-step net.forward(x) + ops.sum loop keeps RSS flat, and warns once with the allocation site", () => {
    const { stdout, stderr } = run(
      `
const net = new E.Sequential(new E.Linear(40, 64, { seed: 1 }), new E.LIF({ tauMem: 30 }), new E.Linear(64, 10, { seed: 3 }));
const x = E.Tensor.randn([60, 32, 40], new E.Rng(1));
const rss = [];
for (let i = 1; i <= 4000; i++) {
  const y = net.forward(x);
  E.ops.sum(y, 0);
  if (i % 10 === 0) ${turn} // as a data loader's await does
  if (i % 1000 === 0) rss.push(process.memoryUsage().rss);
}
console.log(JSON.stringify({ rss, stats: E.finalizerStats() }));`,
      { EXODUS_DEBUG: "1" },
    );
    const { rss, stats } = JSON.parse(stdout) as { rss: number[]; stats: { finalized: number; finalizedBytes: number } };
    // Each step leaves ~78 kB behind: 4,000 steps would hold ~300 MB without the fallback.
    expect(stats.finalized).toBeGreaterThan(4000);
    expect(rss[3] - rss[0]).toBeLessThan(64 * 2 ** 20);
    const warnings = stderr.split("\n").filter((l) => l.includes("EXODUS_MEMORY"));
    expect(warnings).toHaveLength(1);
    expect(stderr).toMatch(/garbage collector has freed \d+ tensors .* never disposed[\s\S]*allocated at:\n\s+at \S*(Linear|LIF|Sequential|ops|sum)/);
  }, 150_000);

  it("releases each storage once: dispose then collection is no double free; a view keeps its storage until it goes too", () => {
    const { stdout, stderr } = run(`
const a = E.Tensor.from([1, 2, 3, 4]);
const h = a.handle;
a.dispose();
a.dispose();
let b = E.Tensor.from([5, 6, 7, 8]);
const hb = b.handle;
let view = b.reshape([2, 2]);
b = null; // the view still holds the storage
// leaving every scope (returned, or kept) hands a tensor to the fallback; those disposed by the scope are not counted
let out = E.scope(() => { E.Tensor.from([1]); return E.scope(() => E.Tensor.from([2])); });
let kept = E.scope(() => E.keep(E.Tensor.from([3])));
const hOut = out.handle, hKept = kept.handle;
out = null; kept = null;
globalThis.gc(); ${turn} globalThis.gc(); ${turn}
const alive = !hb.disposed && view.toArray().join(",") === "5,6,7,8";
view = null;
for (let i = 0; i < 3; i++) { globalThis.gc(); ${turn} }
console.log(JSON.stringify({ disposed: h.disposed, alive, viewFreed: hb.disposed, leftScopes: hOut.disposed && hKept.disposed, stats: E.finalizerStats() }));`);
    expect(JSON.parse(stdout)).toMatchObject({ disposed: true, alive: true, viewFreed: true, leftScopes: true, stats: { finalized: 4 } });
    expect(stderr).not.toMatch(/EXODUS_MEMORY/); // a few tensors are no real load
  });

  it("warns once when a synchronous stretch piles up 1 GB of unscoped tensors (not for scoped ones)", () => {
    // Tensor.empty leaves its pages untouched, so this costs address space, not memory.
    const { stderr } = run(`
for (let i = 0; i < 6; i++) E.scope(() => { E.Tensor.empty([2 ** 26]); }); // 256 MB each, freed by the scope
const held = [];
for (let i = 0; i < 6; i++) held.push(E.Tensor.empty([2 ** 26]));
for (let i = 0; i < 6; i++) held.push(E.Tensor.empty([2 ** 26]));
held.forEach((t) => t.dispose());`);
    const warnings = stderr.split("\n").filter((l) => l.includes("EXODUS_MEMORY"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/1024\.0 MB of tensors were made outside scope\(\) and not disposed since the event loop last turned/);
    expect(stderr).toMatch(/set EXODUS_DEBUG=1 to see where/);
  });
});
