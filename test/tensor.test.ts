import { describe, expect, it } from "vitest";
import { Device, Rng, ShapeError, Tensor, disposeAll, keep, ops, parseDevice, scope } from "../lib/index.js";
import { randomArray } from "./helpers.js";

describe("Tensor", () => {
  const rng = new Rng(42);

  it("round-trips data and shape", () => {
    const data = randomArray(rng, 24);
    const t = Tensor.from(data, [2, 3, 4], "cpu");
    expect(t.shape).toEqual([2, 3, 4]);
    expect(t.size).toBe(24);
    expect(t.device).toBe(Device.cpu);
    expect(Array.from(t.toArray())).toEqual(Array.from(data));
    t.dispose();
  });

  it("reshape and slice are views sharing storage", () => {
    const data = randomArray(rng, 60);
    const t = Tensor.from(data, [5, 3, 4], "cpu");
    const r = t.reshape([15, -1]);
    expect(r.shape).toEqual([15, 4]);
    const s = t.slice(2, 4);
    expect(s.shape).toEqual([2, 3, 4]);
    expect(Array.from(s.toArray())).toEqual(Array.from(data.slice(24, 48)));
    // Writing through the view changes the parent: no copy was made.
    ops.fill(s, 7.5);
    expect(t.toArray()[24]).toBe(7.5);
    expect(t.toArray()[23]).toBe(data[23]);
    expect(Array.from(t.at(4).toArray())).toEqual(Array.from(data.slice(48)));
    // The storage lives until its last view is disposed.
    t.dispose();
    expect(s.toArray()[0]).toBe(7.5);
    s.dispose();
    r.dispose();
  });

  it("rejects bad shapes with messages naming expected and received", () => {
    expect(() => Tensor.from([1, 2, 3], [2, 2])).toThrow(/shape \[2, 2\] holds 4 elements, data has 3/);
    const t = Tensor.from(randomArray(rng, 6), [2, 3], "cpu");
    expect(() => t.reshape([4, 2])).toThrow(ShapeError);
    expect(() => t.reshape([4, 2])).toThrow(/expected a shape of 6 elements .*received \[4, 2\]/);
    expect(() => t.slice(1, 3)).toThrow(/expected 0 <= start <= end <= 2, received start 1, end 3/);
    expect(() => Tensor.empty([2, -1])).toThrow(/non-negative integer/);
    t.dispose();
  });

  it("converts numeric arrays to float32 and rejects non-numbers", () => {
    expect(Array.from(Tensor.from(new Float64Array([0.5, 1.25])).toArray())).toEqual([0.5, 1.25]);
    expect(Array.from(Tensor.from(new Int32Array([3, -4])).toArray())).toEqual([3, -4]);
    expect(() => Tensor.from([1, "2" as unknown as number])).toThrow(/expected numbers, received "2" \(string\)|expected numbers, received "2" at index 1/);
    expect(() => Tensor.from(new BigInt64Array(2) as unknown as number[])).toThrow(/BigInt64Array/);
  });

  it("throws a clear error when used after dispose", () => {
    const t = Tensor.from(randomArray(rng, 4), [4], "cpu");
    t.dispose();
    expect(t.disposed).toBe(true);
    expect(() => t.toArray()).toThrow(/used after dispose\(\)/);
    t.dispose(); // idempotent
  });

  it("scope disposes intermediates and keeps returned tensors", () => {
    const x = Tensor.from(randomArray(rng, 8), [8], "cpu");
    let inner: Tensor | undefined;
    let kept: Tensor | undefined;
    const out = scope(() => {
      inner = ops.exp(x);
      kept = keep(ops.neg(x));
      return { y: ops.add(inner, 1) };
    });
    expect(inner!.disposed).toBe(true);
    expect(kept!.disposed).toBe(false);
    expect(out.y.disposed).toBe(false);
    const want = Array.from(x.toArray(), (v) => Math.fround(Math.exp(v)) + 1);
    out.y.toArray().forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
    disposeAll([out, kept, x]);
    expect(x.disposed).toBe(true);
  });

  it("parses devices and explains a missing GPU", () => {
    expect(parseDevice("cpu")).toBe(Device.cpu);
    expect(() => parseDevice("gpu7")).toThrow(/expected "cpu", "cuda" or "cuda:N", received "gpu7"/);
    const st = (() => {
      try {
        return parseDevice("cuda:99");
      } catch (e) {
        return e as Error;
      }
    })();
    expect(st).toBeInstanceOf(Error);
    expect((st as Error).message).toMatch(/cuda:99/);
  });

  it("copies between devices (CPU to CPU here) and clones", () => {
    const t = Tensor.from(randomArray(rng, 10), [10], "cpu");
    const c = t.clone();
    expect(c.handle).not.toBe(t.handle);
    expect(Array.from(c.toArray())).toEqual(Array.from(t.toArray()));
    expect(t.to("cpu")).toBe(t);
    disposeAll([t, c]);
  });
});
