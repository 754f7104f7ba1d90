// The CPU thread count changes no result: short training runs (an MLP, whose weight gradients
// take the split-K GEMM, and a small conv net, whose convolutions take the batched GEMM, im2col,
// col2im and pooling) end with bitwise-identical weights at 1, 2 and 3 threads. Sizes are chosen
// so that every op involved is large enough to run on the worker pool.
import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { runtimeInfo, setCpuThreads } from "../lib/runtime.js";
import { train } from "../lib/train/trainer.js";
import { memoryData, quiet, syntheticConfig } from "./train/helpers.js";

const initial = runtimeInfo().cpu.threads;
afterAll(() => setCpuThreads(initial));

async function weightsWith(threads: number, kind: "mlp" | "conv"): Promise<Float32Array[]> {
  setCpuThreads(threads);
  const features = kind === "mlp" ? [64] : [2, 16, 16];
  const data = () => ({
    train: memoryData({ size: 64, T: kind === "mlp" ? 100 : 24, features, classes: 3, seed: 1 }),
    eval: memoryData({ size: 16, T: kind === "mlp" ? 100 : 24, features, classes: 3, seed: 2 }),
  });
  const model = kind === "mlp" ? { kind: "mlp", hidden: [128, 128] }
    : { kind: "conv", channels: [8, 16], extraConvs: 0, kernel: 3, pool: 2, poolUntil: 4, dropout: 0.2, readoutDropout: 0 };
  const cfg = syntheticConfig({ model, ...(kind === "conv" ? { neuron: { type: "iaf", threshold: 0.25 } } : {}) },
    { epochs: 1, batchSize: 32, lr: 1e-2 });
  const r = await train({ config: cfg, data: data(), progress: quiet() });
  return r.weights;
}

describe("CPU thread count", () => {
  for (const kind of ["mlp", "conv"] as const)
    it(`gives bitwise-identical weights after training (${kind})`, async () => {
      const one = await weightsWith(1, kind);
      for (const n of [2, 3]) {
        const other = await weightsWith(n, kind);
        expect(other.length).toBe(one.length);
        other.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(one[i].buffer)), `${kind} weight ${i} at ${n} threads`).toBe(true));
      }
      // The run must actually have learned something, or equal weights would prove little.
      expect(one.some((w) => w.some((v) => v !== 0))).toBe(true);
    }, 60_000);

  it("names EXODUS_SPIN_US when it is not a number of microseconds", () => {
    const dist = (f: string) => JSON.stringify(new URL(`../dist/lib/${f}`, import.meta.url).pathname);
    const code = `const { Tensor } = await import(${dist("tensor.js")}); const ops = await import(${dist("ops.js")});
const a = Tensor.from(new Float32Array(1 << 20).fill(1), [1 << 20]);
try { ops.add(a, a); console.log("no error"); } catch (e) { console.log(e.message); }`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8", env: { ...process.env, EXODUS_SPIN_US: "fast" } });
    expect(r.stdout).toMatch(/EXODUS_SPIN_US: expected microseconds between 0 and 1e7, received "fast"/);
  });
});
