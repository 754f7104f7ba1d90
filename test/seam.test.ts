// The native seam: named arguments checked in the binding, code tables from the addon, the CUDA
// probe in a child process, and the one frame-scatter implementation behind every caller.
import { describe, expect, it } from "vitest";
import { runCudaProbe } from "../lib/device.js";
import { BINARY_OPS, NEURON_GRADS, REDUCE_OPS, RESET_MODES, SURROGATES, UNARY_OPS, codes, native, shifted } from "../lib/native.js";
import { Rng } from "../lib/random.js";
import { Tensor } from "../lib/tensor.js";

describe("code tables", () => {
  it("come from the addon, with a count sentinel, and match the library's names in order", () => {
    const c = codes();
    const lists = { unary: UNARY_OPS, binary: BINARY_OPS, reduce: REDUCE_OPS, surrogate: SURROGATES, reset: RESET_MODES, grad: NEURON_GRADS };
    for (const [table, names] of Object.entries(lists)) {
      const t = (c as unknown as Record<string, Record<string, number>>)[table];
      expect(t.count, table).toBe(names.length);
      names.forEach((n, i) => expect(t[n], `${table}.${n}`).toBe(i));
    }
  });
});

describe("named arguments", () => {
  const x = Tensor.from([1, 2, 3, 4], [4], "cpu");
  const y = Tensor.empty([4], "cpu");
  it("reads fields by name and computes", () => {
    native().unary({ op: codes().unary.square, x, y, n: 4 });
    expect(Array.from(y.toArray())).toEqual([1, 4, 9, 16]);
    native().fill({ y: shifted(y, 2), n: 2, value: 7 });
    expect(Array.from(y.toArray())).toEqual([1, 4, 7, 7]);
  });
  it("names the op and the field of a missing or wrong argument", () => {
    expect(() => native().fill({ y, n: 4 } as never)).toThrow(/fill: value must be a number/);
    expect(() => native().unary({ op: 99, x, y, n: 4 })).toThrow(/unary: op must be a code in \[0, 15\)/);
    expect(() => native().unary({ op: 0, x: { handle: {}, offset: 0 } as never, y, n: 4 })).toThrow(/unary: x must be a tensor/);
    expect(() => (native().fill as (a: unknown) => void)(4)).toThrow(/fill: expected one options object/);
  });
  it("checks every view against its buffer", () => {
    expect(() => native().fill({ y: shifted(y, 3), n: 2, value: 0 })).toThrow(/fill: y: view of 2 elements at offset 3 exceeds its buffer of 4/);
    expect(() => native().binary({ op: 0, x, w: x, y, n: 4, nb: 3, inner: 1 })).toThrow(/does not broadcast/);
    const gone = Tensor.empty([4], "cpu");
    gone.dispose();
    expect(() => native().fill({ y: { handle: gone.handle, offset: 0 }, n: 1, value: 0 })).toThrow(/used after dispose/);
  });
});

describe("frame scatter", () => {
  it("is one implementation for tensors and host arrays", () => {
    const rng = new Rng(3);
    const T = 7, B = 3, F = 11;
    const set = new Set<number>();
    while (set.size < 40) set.add(rng.int(9 * F));
    const index = Uint32Array.from([...set].sort((a, b) => a - b));
    const count = Uint32Array.from(index, () => 1 + rng.int(4));
    const dst = Tensor.zeros([T, B, F], "cpu");
    native().scatterFrames({ dst, T, B, F, b: 1, index, count });
    const host = new Float32Array(T * B * F);
    native().scatterFramesHost({ out: host, T, B, F, b: 1, index, count: Uint16Array.from(count) as never });
    expect(Array.from(host)).toEqual(Array.from(dst.toArray()));
    // Spot-check the index math: entry j lands at ((t·B + b)·F + f) unless t >= T.
    for (let j = 0; j < index.length; j++) {
      const t = Math.floor(index[j] / F), f = index[j] % F;
      if (t < T) expect(host[(t * B + 1) * F + f]).toBe(count[j]);
    }
    expect(host.reduce((a, v) => a + v, 0)).toBe(count.reduce((a, c, j) => a + (Math.floor(index[j] / F) < T ? c : 0), 0));
  });
});

describe("CUDA probe", () => {
  it("runs in a child process, so a crashing driver yields a reason, not a dead process", () => {
    const r = runCudaProbe("process.kill(process.pid, 'SIGSEGV')", 30_000);
    expect(r.usable).toBe(false);
    expect(r.reason).toMatch(/killed by SIGSEGV/);
  });
  it("reports a probe that exits, hangs, or prints nothing useful", () => {
    expect(runCudaProbe("console.error('no driver'); process.exit(3)", 30_000).reason).toMatch(/exited with code 3 \(no driver\)/);
    expect(runCudaProbe("setTimeout(() => {}, 60000)", 1_000).reason).toMatch(/did not finish within 1 s/);
    expect(runCudaProbe("process.stdout.write('hello')", 30_000).reason).toMatch(/printed no result/);
  });
  it("the real probe answers", () => {
    const r = runCudaProbe();
    expect(r.info?.version).toMatch(/^\d+\.\d+\.\d+/);
    if (!r.usable) expect(r.reason.length).toBeGreaterThan(10);
  });
});
