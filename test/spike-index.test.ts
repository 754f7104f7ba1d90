// The CPU spike index (exodus/host_ops.h): one pass over a spike matrix gives its nonzeros, and
// the Linear forward and weight gradient read them instead of the matrix. The products add their
// terms in the order of the scanning products (kernels/sparse.cuh), so they equal them bit for
// bit, at any width of the output (register blocks of 8…64 plus a tail) and any thread count.
import { afterAll, describe, expect, it } from "vitest";
import { native } from "../lib/native.js";
import { Rng } from "../lib/random.js";
import { runtimeInfo, setCpuThreads } from "../lib/runtime.js";
import { SpikeIndex, density, sparseLinear, sparseLinearWeightGrad } from "../lib/sparse.js";
import * as ops from "../lib/ops.js";
import { Tensor } from "../lib/tensor.js";

const initialThreads = runtimeInfo().cpu.threads;
afterAll(() => setCpuThreads(initialThreads));

function matrix(rng: Rng, rows: number, F: number, d: number, counts: boolean): Tensor {
  const x = new Float32Array(rows * F);
  for (let i = 0; i < x.length; i++) if (rng.uniform() < d) x[i] = counts ? 1 + rng.int(4) : 1;
  x[rng.int(x.length)] = 1;
  return Tensor.from(x, [rows, F]);
}
const uniform = (rng: Rng, shape: number[]) => Tensor.from(rng.fillUniform(new Float32Array(shape.reduce((a, b) => a * b, 1)), -1, 1), shape);

describe("spike index", () => {
  for (const O of [5, 20, 64, 130])
    for (const d of [0.001, 0.03, 0.3])
      it(`forward and weight gradient equal the scanning products bit for bit (${O} outputs, ${d * 100}%)`, () => {
        const rng = new Rng(O * 1000 + Math.round(d * 1000));
        const [R, F] = [301, 77];
        const s = matrix(rng, R, F, d, d > 0.01), w = uniform(rng, [O, F]), g = uniform(rng, [R, O]);
        const ix = new SpikeIndex();
        const got = ix.build(s, R, F);
        expect(got).toBe(density(s));
        expect(ix.complete).toBe(true);
        expect(Array.from(ix.linear(w).toArray())).toEqual(Array.from(sparseLinear(s, w).toArray()));
        const bias = uniform(rng, [O]);
        expect(Array.from(ix.linear(w, bias).toArray())).toEqual(Array.from(ops.add(sparseLinear(s, w), bias).toArray()));
        const dwA = uniform(new Rng(1), [O, F]), dwB = Tensor.from(dwA.toArray(), [O, F]);
        ix.linearWeightGrad(g, dwA);
        sparseLinearWeightGrad(g, s, dwB);
        expect(Array.from(dwA.toArray())).toEqual(Array.from(dwB.toArray()));
      });

  it("grows to the nonzeros seen, and refuses to use an incomplete index", () => {
    const rng = new Rng(4);
    const ix = new SpikeIndex();
    const sparse = matrix(rng, 200, 50, 0.02, false), dense = matrix(rng, 200, 50, 0.4, false);
    ix.build(sparse, 200, 50, 0.25);
    expect(ix.complete).toBe(true);
    const d = ix.build(dense, 200, 50, 0.25); // denser than maxDensity: counted, not kept
    expect(d).toBeCloseTo(density(dense), 6);
    expect(ix.complete).toBe(false);
    expect(() => ix.linear(uniform(rng, [8, 50]))).toThrow(/spike index is incomplete \(\d+ nonzeros, room for \d+\)/);
    ix.build(dense, 200, 50, 1);
    expect(ix.complete).toBe(true);
    const w = uniform(rng, [8, 50]);
    expect(Array.from(ix.linear(w).toArray())).toEqual(Array.from(sparseLinear(dense, w).toArray()));
  });

  it("indexes an input denser than maxDensity in some rows only, and a sparse input after a dense one", () => {
    const rng = new Rng(6);
    const [R, F] = [640, 40];
    // Rows of the first eighth at 90 %, the rest at 5 %: 15.6 % overall, below maxDensity 0.25,
    // though the first chunks of rows are far above it.
    const x = new Float32Array(R * F);
    for (let r = 0; r < R; r++) for (let f = 0; f < F; f++) if (rng.uniform() < (r < R / 8 ? 0.9 : 0.05)) x[r * F + f] = 1;
    const uneven = Tensor.from(x, [R, F]);
    const w = uniform(rng, [9, F]);
    const ix = new SpikeIndex();
    expect(ix.build(uneven, R, F, 0.25)).toBe(density(uneven));
    expect(ix.complete).toBe(true);
    expect(Array.from(ix.linear(w).toArray())).toEqual(Array.from(sparseLinear(uneven, w).toArray()));
    const dense = matrix(rng, R, F, 0.7, false), sparse = matrix(rng, R, F, 0.02, true);
    expect(ix.build(dense, R, F, 0.25)).toBeCloseTo(density(dense), 6);
    expect(ix.complete).toBe(false);
    expect(ix.build(sparse, R, F, 0.25)).toBe(density(sparse));
    expect(ix.complete).toBe(true);
    expect(Array.from(ix.linear(w).toArray())).toEqual(Array.from(sparseLinear(sparse, w).toArray()));
  });

  it("builds the same index and products at 1, 2 and 3 threads", () => {
    const rng = new Rng(9);
    const [R, F, O] = [4000, 90, 72];
    const s = matrix(rng, R, F, 0.08, true), w = uniform(rng, [O, F]), g = uniform(rng, [R, O]);
    const results = [1, 2, 3].map((t) => {
      setCpuThreads(t);
      const ix = new SpikeIndex();
      ix.build(s, R, F);
      const dw = Tensor.zeros([O, F]);
      ix.linearWeightGrad(g, dw);
      return [Array.from(ix.linear(w).toArray()), Array.from(dw.toArray())];
    });
    setCpuThreads(initialThreads);
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  it("rejects index arrays that would read out of bounds, naming the field", () => {
    const rng = new Rng(2);
    const w = uniform(rng, [4, 6]), y = Tensor.empty([2, 4]);
    const base = { rows: 2, inFeatures: 6, w, outFeatures: 4, y };
    const call = (offsets: number[], cols: number[]) =>
      native().spikeIndexLinearForward({ ...base, offsets: Int32Array.from(offsets), cols: Int32Array.from(cols), vals: new Float32Array(cols.length).fill(1) });
    expect(() => call([0, 1, 2], [0, 5])).not.toThrow();
    expect(() => call([0, 2, 1], [0, 5])).toThrow(/spikeIndexLinearForward: offsets must not decrease/);
    expect(() => call([1, 1, 2], [0, 5])).toThrow(/offsets must start at 0/);
    expect(() => call([0, 1, 3], [0, 5])).toThrow(/offsets point past the end of cols/);
    expect(() => call([0, 1, 2], [0, 6])).toThrow(/cols must lie in \[0, inFeatures\)/);
    expect(() => call([0, 1, 2], [-1, 2])).toThrow(/cols must lie in \[0, inFeatures\)/);
    expect(() => call([0, 1], [0, 1])).toThrow(/offsets must have rows \+ 1 entries/);
  });
});
