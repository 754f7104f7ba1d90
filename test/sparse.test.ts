// Spike-sparse products: Linear and Conv2d layers give the dense path's forward, weight gradient
// and input gradient to float32 rounding over spike densities 0.1 %…50 % (spikes and event
// counts); the sparse results are bitwise the same at any thread count; "auto" picks the path by
// the measured density.
import { afterAll, describe, expect, it } from "vitest";
import { Conv2d } from "../lib/nn/conv2d.js";
import { Linear } from "../lib/nn/linear.js";
import { Rng } from "../lib/random.js";
import { runtimeInfo, setCpuThreads } from "../lib/runtime.js";
import { CPU_CROSSOVER, density } from "../lib/sparse.js";
import { Tensor } from "../lib/tensor.js";
import { maxRelError } from "./helpers.js";

const initialThreads = runtimeInfo().cpu.threads;
afterAll(() => setCpuThreads(initialThreads));

function spikes(rng: Rng, n: number, d: number, counts: boolean): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) if (rng.uniform() < d) x[i] = counts ? 1 + rng.int(3) : 1;
  x[rng.int(n)] = 1;
  return x;
}

type Layer = Linear | Conv2d;
/** forward, weight gradient and input gradient of a fresh layer with the given product path. */
function run(make: (p: "dense" | "sparse") => Layer, path: "dense" | "sparse", x: Float32Array, shape: number[], g: (n: number) => Float32Array) {
  const layer = make(path);
  const y = layer.forward(Tensor.from(x, shape));
  const dy = Tensor.from(g(y.size), y.shape);
  const dx = layer.backward(dy);
  const out = { y: y.toArray(), dw: layer.weight.grad.toArray(), dx: dx.toArray() };
  layer.dispose();
  return out;
}

const densities = [0.001, 0.01, 0.05, 0.2, 0.5];

describe("spike-sparse products", () => {
  for (const d of densities)
    for (const counts of [false, true])
      it(`Linear equals the dense path at ${d * 100}% (${counts ? "event counts" : "spikes"})`, () => {
        const rng = new Rng(Math.round(d * 1e4) + (counts ? 7 : 0));
        const [T, B, F, O] = [60, 16, 100, 48];
        const x = spikes(rng, T * B * F, d, counts);
        const grad = (n: number) => rng.fillUniform(new Float32Array(n), -1, 1);
        const seedG = grad(T * B * O);
        const make = (p: "dense" | "sparse") => new Linear(F, O, { seed: 3, bias: false, products: p });
        const a = run(make, "dense", x, [T, B, F], () => seedG);
        const b = run(make, "sparse", x, [T, B, F], () => seedG);
        expect(maxRelError(b.y, a.y)).toBeLessThan(2e-6);
        expect(maxRelError(b.dw, a.dw)).toBeLessThan(2e-6);
        expect(maxRelError(b.dx, a.dx)).toBe(0); // ∂x is the same dense product on both paths
      });

  for (const d of densities)
    it(`Conv2d equals the dense path at ${d * 100}%`, () => {
      const rng = new Rng(Math.round(d * 1e4) + 1);
      const [N, C, H, W, O] = [12, 3, 17, 20, 8];
      const x = spikes(rng, N * C * H * W, d, true);
      const seedG = rng.fillUniform(new Float32Array(N * O * H * W), -1, 1);
      const make = (p: "dense" | "sparse") => new Conv2d(C, O, { kernel: 3, seed: 4, products: p });
      const a = run(make, "dense", x, [N, C, H, W], () => seedG);
      const b = run(make, "sparse", x, [N, C, H, W], () => seedG);
      expect(maxRelError(b.y, a.y)).toBeLessThan(2e-6);
      expect(maxRelError(b.dw, a.dw)).toBeLessThan(2e-6);
      expect(maxRelError(b.dx, a.dx)).toBe(0);
    });

  it("gives bitwise-identical results at 1, 2 and 3 threads", () => {
    const rng = new Rng(11);
    const lin = spikes(rng, 250 * 64 * 100, 0.08, false);
    const conv = spikes(rng, 40 * 2 * 32 * 32, 0.02, true);
    const results = [1, 2, 3].map((t) => {
      setCpuThreads(t);
      const grad = (n: number) => new Rng(5).fillUniform(new Float32Array(n), -1, 1);
      return [
        run((p) => new Linear(100, 128, { seed: 1, bias: false, products: p }), "sparse", lin, [250, 64, 100], grad),
        run((p) => new Conv2d(2, 8, { kernel: 3, seed: 2, products: p }), "sparse", conv, [40, 2, 32, 32], grad),
      ];
    });
    for (const r of results.slice(1))
      r.forEach((layer, i) => {
        for (const k of ["y", "dw"] as const) expect(Buffer.from(layer[k].buffer).equals(Buffer.from(results[0][i][k].buffer)), `${k} of layer ${i}`).toBe(true);
      });
  });

  it("auto takes the sparse path below the crossover and the dense one above", () => {
    const rng = new Rng(2);
    const layer = new Linear(64, 32, { seed: 1 });
    for (const d of [CPU_CROSSOVER.linear / 10, Math.min(0.95, CPU_CROSSOVER.linear * 2)]) {
      const x = Tensor.from(spikes(rng, 400 * 64, d, false), [400, 64]);
      const y = layer.forward(x);
      expect(layer.inputDensity).toBeCloseTo(density(x), 12);
      expect(Math.abs(layer.inputDensity! - d)).toBeLessThan(0.05);
      const sparse = (layer as unknown as { sparseInput: boolean }).sparseInput;
      expect(sparse).toBe(d < CPU_CROSSOVER.linear);
      y.dispose();
      x.dispose();
    }
    layer.dispose();
  });

  it("rejects an unknown product path with a clear message", () => {
    expect(() => new Linear(4, 4, { products: "fast" as never })).toThrow(/Linear products: expected one of auto, dense, sparse, received "fast"/);
    expect(() => new Conv2d(2, 4, { products: 3 as never })).toThrow(/Conv2d products: expected one of auto, dense, sparse, received 3/);
  });
});
