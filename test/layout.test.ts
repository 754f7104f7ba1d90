// Layout at the network's entry ("TBN" default, "BTN" transposed in and out, by Sequential and the
// data loader), a clear error for an input rank that cannot be [T, B, …], and "did you mean …?"
// for mistyped config fields, layer options and option values.
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES, tmp } from "./data/helpers.js";
import { LIF, Linear, Rng, Sequential, Tensor, data, swapLeadingAxes } from "../lib/index.js";
import { closest, editDistance } from "../lib/suggest.js";
import { validateConfig } from "../lib/train/config.js";
import { maxRelError, randomArray } from "./helpers.js";

const [T, B, N] = [6, 3, 5];
const build = (layout?: "TBN" | "BTN") => {
  const layers = [new Linear(N, 8, { seed: 1 }), new LIF({ tauMem: 4, threshold: 0.3 }), new Linear(8, 2, { seed: 2 })];
  return layout ? new Sequential(...layers, { layout }) : new Sequential(...layers);
};

describe("layout", () => {
  it("swapLeadingAxes transposes [A, B, …] to [B, A, …]", () => {
    const x = Tensor.from(Float32Array.from({ length: 2 * 3 * 2 }, (_, i) => i), [2, 3, 2]);
    expect(Array.from(swapLeadingAxes(x).toArray())).toEqual([0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11]);
  });

  it('a "BTN" Sequential computes the "TBN" network on the transposed input, forward and backward', () => {
    const xTBN = Tensor.from(randomArray(new Rng(4), T * B * N, 0, 1.5), [T, B, N]);
    const xBTN = swapLeadingAxes(xTBN);
    const tbn = build();
    const btn = build("BTN");
    expect(tbn.layout).toBe("TBN");
    const y = tbn.forward(xTBN);
    const yb = btn.forward(xBTN);
    expect(yb.shape).toEqual([B, T, 2]);
    expect(swapLeadingAxes(yb).toArray()).toEqual(y.toArray());
    expect(y.toArray().some((v) => v !== 0)).toBe(true);
    const dy = Tensor.from(randomArray(new Rng(5), T * B * 2), [T, B, 2]);
    const dx = tbn.backward(dy);
    const dxb = btn.backward(swapLeadingAxes(dy));
    expect(dxb.shape).toEqual([B, T, N]);
    expect(maxRelError(swapLeadingAxes(dxb).toArray(), dx.toArray())).toBeLessThan(1e-6);
    const g = tbn.parameters().map((p) => p.grad.toArray());
    btn.parameters().forEach((p, i) => expect(maxRelError(p.grad.toArray(), g[i])).toBeLessThan(1e-6));
  });

  it("a rank that cannot be [T, B, …] is an error saying how to fix it; an unknown layout suggests the right one", () => {
    expect(() => build().forward(Tensor.zeros([2, 40]))).toThrow(/expected an input \[T, B, …features\] \(time-major\), received \[2, 40\] \(rank 2\); .*x\.reshape\(\[2, 1, 40\]\)/);
    expect(() => build("BTN").forward(Tensor.zeros([B, N]))).toThrow(/batch-first/);
    expect(() => new Sequential(new Linear(2, 2), { layout: "BNT" as never })).toThrow(/Sequential layout: expected "TBN" .* received "BNT"; did you mean BTN\?/);
    // without spiking layers a Sequential is a plain feed-forward stack, and [rows, K] stays valid
    expect(new Sequential(new Linear(4, 2, { seed: 1 })).forward(Tensor.zeros([3, 4])).shape).toEqual([3, 2]);
  });

  it('the data loader hands out batch-first batches with layout "BTN"', async () => {
    const ds = await data.openDataset({ name: "synthetic", root: "", split: "valid" });
    try {
      const a = (await ds.batches({ batchSize: 4 })[Symbol.asyncIterator]().next()).value!;
      const tbn = a.x.toArray();
      const shape = a.x.shape;
      const b = (await ds.batches({ batchSize: 4, layout: "BTN" })[Symbol.asyncIterator]().next()).value!;
      expect(b.x.shape).toEqual([shape[1], shape[0], ...shape.slice(2)]);
      expect(swapLeadingAxes(b.x).toArray()).toEqual(tbn);
      await expect(ds.batches({ batchSize: 4, layout: "NTB" as never })[Symbol.asyncIterator]().next()).rejects.toThrow(/batches\(\) layout: expected "TBN"/);
    } finally {
      await ds.close();
    }
  });
});

describe("layout of a cached data set's batches", () => {
  it('"BTN" batches are the transposed "TBN" batches (CPU, native assembly and worker threads)', async () => {
    const root = tmp();
    copyFileSync(join(FIXTURES, "shd_tiny.h5"), join(root, "shd_train.h5"));
    const ds = await data.openDataset({ name: "shd", root, split: "train", onWarning: () => {} });
    try {
      for (const workers of [0, 1]) {
        const want: Float32Array[] = [];
        for await (const b of ds.batches({ batchSize: 3, workers })) want.push(b.x.toArray());
        let k = 0;
        for await (const b of ds.batches({ batchSize: 3, workers, layout: "BTN", spikeIndex: true })) {
          expect(b.index).toBeUndefined(); // a spike index describes the time-major batch
          expect(b.x.shape[1]).toBe(ds.sampleShape[0]);
          expect(swapLeadingAxes(b.x).toArray()).toEqual(want[k++]);
        }
        expect(k).toBe(want.length);
        expect(want.some((x) => x.some((v) => v !== 0))).toBe(true);
      }
    } finally {
      await ds.close();
    }
  });
});

describe("did you mean …?", () => {
  it("edit distance counts a swap of neighbours as one edit; closest ignores case and underscores", () => {
    expect(editDistance("taumem", "taumme")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(closest("tau_mem", ["alpha", "tauMem", "threshold"])).toBe("tauMem");
    expect(closest("seed", ["dt", "alpha"])).toBeUndefined();
  });

  it("names the closest layer option, config field and option value", () => {
    expect(() => new LIF({ tau_mem: 10 } as never)).toThrow(/LIF options: expected only known options \(.*\), received "tau_mem"; did you mean tauMem\?/);
    expect(() => new LIF({ treshold: 1 } as never)).toThrow(/did you mean threshold\?/);
    expect(() => new LIF({ surrogate: "exponental" as never })).toThrow(/surrogate\.name: expected one of .*received "exponental"; did you mean exponential\?/);
    const cfg = (over: Record<string, unknown>) => validateConfig({ dataset: { name: "synthetic" }, device: "cpu", ...over });
    expect(() => cfg({ neuron: { type: "lif", tau_mem: 10 } })).toThrow(/neuron\.tau_mem: expected no such field .*; did you mean tauMem\?/);
    expect(() => cfg({ train: { batch_size: 8 } })).toThrow(/train\.batch_size: .*did you mean batchSize\?/);
    expect(() => cfg({ loss: { readout: "mx" } })).toThrow(/loss\.readout: expected one of .*; did you mean max\?/);
    expect(() => cfg({ model: { layers: [{ linear: { bais: false } }] } })).toThrow(/linear\.bais: .*did you mean bias\?/);
    expect(() => cfg({ neuron: { type: "lif", zzzzzz: 1 } })).not.toThrow(/did you mean/);
  });
});
