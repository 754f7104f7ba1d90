// Every op of the CPU backend against the float64 references, through the self-test registry
// (the same checks `exodus selftest` runs), plus op-level behaviour the registry does not cover.
import { describe, expect, it } from "vitest";
import { Device, Rng, ShapeError, Tensor, ops } from "../lib/index.js";
import { allChecks } from "../lib/selftest/registry.js";
import { runChecks } from "../lib/selftest/run.js";
import { gemmRef } from "../lib/selftest/reference.js";
import { maxRelError, randomArray } from "./helpers.js";

describe("CPU ops against float64 references", () => {
  const results = runChecks(Device.cpu, { seed: 2024 });
  it("registers checks for every op group", () => {
    const groups = new Set(allChecks().map((c) => c.group));
    for (const g of ["element-wise", "reduce", "gemm", "loss"]) expect(groups).toContain(g);
  });
  for (const r of results)
    it(`${r.group}: ${r.name}`, () => {
      expect(r.error, r.error).toBeUndefined();
      expect(r.relError).toBeLessThanOrEqual(r.tolerance);
    });
});

describe("ops behaviour", () => {
  const rng = new Rng(7);

  it("gemm accumulates with beta and folds leading dimensions into rows", () => {
    const [T, B, K, N] = [5, 3, 7, 4];
    const a = randomArray(rng, T * B * K);
    const w = randomArray(rng, K * N);
    const x = Tensor.from(a, [T, B, K]);
    const y = ops.matmul(x, Tensor.from(w, [K, N]));
    expect(y.shape).toEqual([T, B, N]);
    const want = gemmRef(false, false, T * B, N, K, 1, a, w, 0, []);
    expect(maxRelError(y.toArray(), want)).toBeLessThan(1e-6);
  });

  it("rejects mismatched shapes with the shapes in the message", () => {
    const a = Tensor.from(randomArray(rng, 6), [2, 3]);
    const b = Tensor.from(randomArray(rng, 8), [4, 2]);
    expect(() => ops.matmul(a, b)).toThrow(ShapeError);
    expect(() => ops.matmul(a, b)).toThrow(/op\(A\) is \[2, 3\].*op\(B\) is \[4, 2\]/);
    expect(() => ops.add(a, b)).toThrow(/broadcastable to \[2, 3\], received \[4, 2\]/);
    expect(() => ops.sum(a, 2)).toThrow(/expected an axis in \[-2, 2\)/);
  });

  it("sum over time of [T, B, N] equals the per-neuron totals", () => {
    const [T, B, N] = [40, 3, 5];
    const x = randomArray(rng, T * B * N);
    const s = ops.sum(Tensor.from(x, [T, B, N]), 0).toArray();
    for (let i = 0; i < B * N; i++) {
      let acc = 0;
      for (let t = 0; t < T; t++) acc += x[t * B * N + i];
      expect(s[i]).toBeCloseTo(acc, 4);
    }
  });

  it("long float32 sums keep moving past 2^24 (contiguous and strided axes)", () => {
    // 2^24 + 2^20 values of 1 + u, u in [0, 1/8): a plain running float32 sum stalls near 2^24.
    const n = (1 << 24) + (1 << 20);
    const x = new Float32Array(n);
    let exact = 0;
    for (let i = 0; i < n; i++) {
      x[i] = 1 + ((i * 2654435761) % 1024) / 8192;
      exact += x[i];
    }
    const row = ops.sumAll(Tensor.from(x, [n]));
    expect(Math.abs(row - exact) / exact).toBeLessThan(1e-5);
    // The same values as a strided axis: [n/2, 2] summed over axis 0.
    const cols = ops.sum(Tensor.from(x, [n / 2, 2]), 0).toArray();
    let even = 0;
    for (let i = 0; i < n; i += 2) even += x[i];
    expect(Math.abs(cols[0] - even) / even).toBeLessThan(1e-5);
    expect(Math.abs(cols[0] + cols[1] - exact) / exact).toBeLessThan(1e-5);
  });

  it("cross-entropy rejects labels out of range, naming the row", () => {
    const logits = Tensor.from(randomArray(rng, 12), [3, 4]);
    expect(() => ops.softmaxCrossEntropy(logits, [0, 4, 1])).toThrow(/row 1 .*\[0, 4\)/);
    expect(() => ops.softmaxCrossEntropy(logits, [0, 1])).toThrow(/expected 3 labels/);
    const r = ops.softmaxCrossEntropy(logits, [0, 3, 1]);
    expect(r.loss).toBeGreaterThan(0);
    // The gradient of the mean loss sums to zero in each row.
    const g = r.grad.toArray();
    for (let i = 0; i < 3; i++) expect(g[i * 4] + g[i * 4 + 1] + g[i * 4 + 2] + g[i * 4 + 3]).toBeCloseTo(0, 6);
  });

  it("gemm with K = 0 scales C by beta", () => {
    const c = Tensor.from(randomArray(rng, 6, 1, 2), [2, 3]);
    const before = c.toArray();
    ops.gemm(c, Tensor.empty([2, 0]), Tensor.empty([0, 3]), { beta: 0.5 });
    expect(Array.from(c.toArray())).toEqual(Array.from(before, (v) => Math.fround(v * 0.5)));
  });
});
