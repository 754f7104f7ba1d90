// A mostly-zero gradient kept sparse (nn/sparse-kept.ts) and a SEW block checkpointed inside that
// keeps its skip gradient that way: the sums must be the dense ones bit for bit.
import { describe, expect, it } from "vitest";
import * as ops from "../../lib/ops.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { BatchNorm2d, Conv2d, LIF, MaxPool2d, SEW } from "../../lib/nn/index.js";
import { addSparse, packSparse } from "../../lib/nn/sparse-kept.js";

/** Bit patterns, so that -0 and +0 differ (toEqual on a million floats is slow). */
const bits = (t: Tensor | Float32Array) => Buffer.from((t instanceof Tensor ? t.toArray() : t).buffer);

describe("sparse-kept tensors", () => {
  it("add to a tensor exactly as the dense add does, across chunk boundaries, -0 included", () => {
    const n = 2 ** 20 + 37; // one full chunk and a short one
    const rng = new Rng(11);
    // a quarter nonzero, some of them -0 (a bit pattern that must come back), and tiny values
    const d = new Float32Array(n).map((_, i) => (rng.uniform() < 0.25 ? (i % 97 === 0 ? -0 : (rng.uniform() - 0.5) * (i % 5 === 0 ? 1e-30 : 3)) : 0));
    // g: random, with -0 where d has +0 (-0 + +0 = +0: the zeros of d matter too)
    const gv = new Float32Array(n).map((_, i) => (i % 13 === 0 ? -0 : rng.uniform() - 0.5));
    const dense = Tensor.from(d, [n]);
    const kept = packSparse(dense)!;
    expect(kept).toBeDefined();
    const stored = kept.values.reduce((a, v) => a + v.length, 0);
    expect(stored).toBe(d.filter((v) => !Object.is(v, 0)).length);
    expect(stored).toBeGreaterThan(0.2 * n);
    const want = Tensor.from(gv, [n]);
    ops.add(want, dense, want);
    const g = Tensor.from(gv, [n]);
    addSparse(g, kept);
    expect(bits(g).equals(bits(want))).toBe(true);
    expect(g.toArray().some((v, i) => v !== gv[i])).toBe(true);
    for (const t of [dense, want, g]) t.dispose();
  });

  it("refuse a tensor denser than asked, and a sum into a tensor of another size", () => {
    const t = Tensor.from([1, 0, 2, 3], [2, 2]);
    expect(packSparse(t)).toBeUndefined(); // 3 of 4 nonzero
    const kept = packSparse(t, 0.8)!;
    const g = Tensor.zeros([3]);
    expect(() => addSparse(g, kept)).toThrow(/expected a tensor of 4 values .*received 3/);
    for (const x of [t, g]) x.dispose();
  });
});

describe("SEW block checkpointed inside", () => {
  it("backwardOwned keeps the skip gradient sparse and gives backward's gradients bit for bit, dropping dy", () => {
    const shape = [4, 3, 6, 16, 16]; // [T, B, C, H, W]
    const make = () => {
      const rng = new Rng(3);
      const c = shape[2];
      const sew = new SEW(new Conv2d(c, c, { rng }), new BatchNorm2d(c), new LIF({ tauMem: 3 }), new Conv2d(c, c, { rng }), new BatchNorm2d(c), new LIF({ tauMem: 3 }));
      expect(sew.checkpointInside(shape.slice(2), shape[0] * shape[1], 1)).toBe(true);
      return sew;
    };
    const rng = new Rng(5);
    const x = Tensor.from(new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => (rng.uniform() < 0.3 ? 1 : 0)), shape);
    const run = (owned: boolean) => {
      const sew = make();
      const pool = new MaxPool2d(2);
      const y = pool.forward(sew.forward(x));
      // the gradient behind a max pooling, as in the network: three values in four are zero
      const dy = pool.backward(Tensor.randn(y.shape, new Rng(8)));
      expect(packSparse(dy, 0.25)).toBeDefined();
      const dx = owned ? sew.backwardOwned(dy) : sew.backward(dy);
      const out = { dx: bits(dx), grads: sew.parameters().map((p) => bits(p.grad)), dropped: dy.disposed };
      for (const t of [y, dy, dx]) t.dispose();
      sew.dispose();
      return out;
    };
    const plain = run(false);
    const owned = run(true);
    expect(owned.dropped).toBe(true); // the sparse path ran: dy went once the block had read it
    expect(plain.dropped).toBe(false);
    expect(owned.dx.equals(plain.dx)).toBe(true);
    owned.grads.forEach((g, i) => expect(g.equals(plain.grads[i])).toBe(true));
    expect(new Float32Array(plain.dx.buffer, plain.dx.byteOffset, plain.dx.length / 4).some((v) => v !== 0)).toBe(true);
    x.dispose();
  });

  it("a forward handed its input keeps the skip as bits, drops the input's floats and gives the same output and gradients", () => {
    const shape = [4, 3, 6, 16, 16];
    const rng = new Rng(6);
    const x = Tensor.from(new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => (rng.uniform() < 0.3 ? 1 : 0)), shape);
    const dy = Tensor.randn(shape, new Rng(9));
    const run = (owns: boolean) => {
      const r = new Rng(3);
      const sew = new SEW(new Conv2d(6, 6, { rng: r }), new BatchNorm2d(6), new LIF({ tauMem: 3 }), new Conv2d(6, 6, { rng: r }), new BatchNorm2d(6), new LIF({ tauMem: 3 }));
      sew.checkpointInside(shape.slice(2), shape[0] * shape[1], 1);
      const input = x.clone();
      const y = sew.forwardActivation({ x: input }, owns ? { ownsInput: true } : {}).x;
      const dx = sew.backward(dy);
      const out = { y: bits(y), dx: bits(dx), grads: sew.parameters().map((p) => bits(p.grad)), dropped: input.disposed };
      for (const t of [y, dx, input]) t.dispose();
      sew.dispose();
      return out;
    };
    const plain = run(false);
    const owned = run(true);
    expect(owned.dropped).toBe(true);
    expect(plain.dropped).toBe(false);
    expect(owned.y.equals(plain.y)).toBe(true);
    expect(owned.dx.equals(plain.dx)).toBe(true);
    owned.grads.forEach((g, i) => expect(g.equals(plain.grads[i])).toBe(true));
    for (const t of [x, dy]) t.dispose();
  });
});
