// Layer ops beyond the registry's float64 checks: time-major folding, workspace chunking,
// optimiser behaviour and the errors users see.
import { describe, expect, it } from "vitest";
import { conv2d, conv2dBackward } from "../lib/conv.js";
import { Rng, Tensor, ops } from "../lib/index.js";
import { Adam, SGD } from "../lib/optim.js";
import { maxPool2d, pool2dBackward } from "../lib/pool.js";
import { dropoutApply, dropoutMask } from "../lib/dropout.js";
import { Dropout } from "../lib/nn/dropout.js";
import { conv2dRef } from "../lib/selftest/reference.js";
import { maxRelError, randomArray } from "./helpers.js";

describe("conv2d", () => {
  const rng = new Rng(11);
  const [T, B, C, H, W, Co] = [7, 3, 2, 10, 9, 5];
  const x = randomArray(rng, T * B * C * H * W);
  const w = randomArray(rng, Co * C * 9);
  const dy = randomArray(rng, T * B * Co * H * W);

  it("folds [T, B, C, H, W] into T·B images and matches a direct float64 convolution", () => {
    const X = Tensor.from(x, [T, B, C, H, W]);
    const y = conv2d(X, Tensor.from(w, [Co, C, 3, 3]), { padding: 1 });
    expect(y.shape).toEqual([T, B, Co, H, W]);
    const ref = conv2dRef(x, w, undefined, { n: T * B, c: C, h: H, w: W, cout: Co, kh: 3, kw: 3, s: 1, p: 1 });
    expect(maxRelError(y.toArray(), ref.y)).toBeLessThan(1e-5);
  });

  it("gives the same forward and gradients whatever the workspace chunking", () => {
    const X = Tensor.from(x, [T * B, C, H, W]);
    const Wt = Tensor.from(w, [Co, C, 3, 3]);
    const DY = Tensor.from(dy, [T * B, Co, H, W]);
    const whole = conv2dBackward(X, Wt, DY, { padding: 1 });
    const yWhole = conv2d(X, Wt, { padding: 1 }).toArray();
    // A workspace of 3 images' columns forces 7 chunks.
    const small = { padding: 1, workspace: 3 * C * 9 * H * W };
    const chunked = conv2dBackward(X, Wt, DY, small);
    expect(maxRelError(conv2d(X, Wt, small).toArray(), yWhole)).toBeLessThan(1e-6);
    expect(maxRelError(chunked.dx!.toArray(), whole.dx!.toArray())).toBeLessThan(1e-6);
    expect(maxRelError(chunked.dw.toArray(), whole.dw.toArray())).toBeLessThan(1e-5);
    const ref = conv2dRef(x, w, dy, { n: T * B, c: C, h: H, w: W, cout: Co, kh: 3, kw: 3, s: 1, p: 1 });
    expect(maxRelError(chunked.dw.toArray(), ref.dw)).toBeLessThan(1e-5);
  });

  it("accumulates into given gradient buffers", () => {
    const X = Tensor.from(x, [T * B, C, H, W]);
    const Wt = Tensor.from(w, [Co, C, 3, 3]);
    const DY = Tensor.from(dy, [T * B, Co, H, W]);
    const once = conv2dBackward(X, Wt, DY, { padding: 1, inputGrad: false }).dw.toArray();
    const acc = Tensor.zeros([Co, C, 3, 3]);
    conv2dBackward(X, Wt, DY, { padding: 1, inputGrad: false, accumulate: { dw: acc } });
    conv2dBackward(X, Wt, DY, { padding: 1, inputGrad: false, accumulate: { dw: acc } });
    expect(maxRelError(acc.toArray(), Float64Array.from(once, (v) => 2 * v))).toBeLessThan(1e-6);
  });

  it("rejects mismatched channels and impossible kernels with the shapes in the message", () => {
    const X = Tensor.from(randomArray(rng, 2 * 3 * 4 * 4), [2, 3, 4, 4]);
    expect(() => conv2d(X, Tensor.from(randomArray(rng, 2 * 2 * 9), [2, 2, 3, 3]))).toThrow(/expects 2 input channels, input \[2, 3, 4, 4\] has 3/);
    expect(() => conv2d(X, Tensor.from(randomArray(rng, 3 * 3 * 25), [3, 3, 5, 5]))).toThrow(/kernel 5x5 does not fit input 4x4/);
    expect(() => conv2d(X, Tensor.from(randomArray(rng, 27), [1, 3, 3, 3]), { stride: 0 })).toThrow(/stride: expected an integer >= 1/);
  });
});

describe("pooling", () => {
  it("max pooling routes each gradient to its window's maximum", () => {
    const x = Tensor.from([1, 5, 2, 0, 3, 4, 8, 1, 0, 2, 6, 7, 9, 1, 3, 2], [1, 4, 4]);
    const { y, indices } = maxPool2d(x, 2);
    expect(Array.from(y.toArray())).toEqual([5, 8, 9, 7]);
    const dx = pool2dBackward("max", Tensor.from([1, 2, 3, 4], [1, 2, 2]), [1, 4, 4], 2, 2, indices).toArray();
    expect(Array.from(dx)).toEqual([0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 4, 3, 0, 0, 0]);
    expect(() => pool2dBackward("max", y, [1, 4, 4], 2)).toThrow(/needs the indices/);
    expect(() => maxPool2d(x, 5)).toThrow(/window between 1 and 4/);
  });
});

describe("optimisers", () => {
  it("Adam and SGD minimise a quadratic", () => {
    const rng = new Rng(5);
    for (const make of [(p: any) => new Adam([p], { lr: 0.05 }), (p: any) => new SGD([p], 0.1, 0.9)]) {
      const target = Tensor.from(randomArray(rng, 50));
      const p = { value: Tensor.from(randomArray(rng, 50, 2, 4)), grad: Tensor.zeros([50]) };
      const opt = make(p);
      const loss = () => ops.sumAll(ops.square(ops.sub(p.value, target)));
      const start = loss();
      for (let i = 0; i < 200; i++) {
        ops.sub(p.value, target, p.grad);
        ops.scale(p.grad, 2, p.grad);
        opt.step();
      }
      expect(loss()).toBeLessThan(start * 1e-3);
    }
  });

  it("rejects bad hyperparameters", () => {
    const p = { value: Tensor.zeros([2]), grad: Tensor.zeros([3]) };
    expect(() => new Adam([p])).toThrow(/value and grad tensors of equal size/);
    const q = { value: Tensor.zeros([2]), grad: Tensor.zeros([2]) };
    expect(() => new Adam([q], { lr: -1 })).toThrow(/expected lr > 0, received -1/);
  });
});

describe("dropout masks", () => {
  it("are reproducible from the seed and keep about 1 - p", () => {
    const a = dropoutMask([20000], 0.25, 7).toArray();
    const b = dropoutMask([20000], 0.25, 7).toArray();
    const c = dropoutMask([20000], 0.25, 8).toArray();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    const kept = a.filter((v) => v > 0).length / a.length;
    expect(kept).toBeGreaterThan(0.73);
    expect(kept).toBeLessThan(0.77);
    expect(a.find((v) => v > 0)).toBeCloseTo(1 / 0.75, 6);
    expect(() => dropoutMask([4], 1, 0)).toThrow(/probability in \[0, 1\), received 1/);
  });

  it("dropoutApply and the Dropout layer equal x · mask bit for bit, without storing a mask", () => {
    const rng = new Rng(12);
    const n = 50000;
    // A spike map (mostly zeros, some negative zeros) and a dense gradient.
    const xs = Float32Array.from({ length: n }, () => (rng.uniform() < 0.05 ? rng.uniform() * 3 : rng.uniform() < 0.5 ? -0 : 0));
    const gs = rng.fillUniform(new Float32Array(n), -1, 1);
    const mask = dropoutMask([n], 0.3, 41);
    const want = (v: Float32Array) => { const m = mask.toArray(); return Array.from(v, (x, i) => Math.fround(x * m[i])); };
    const bitsOf = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));
    expect(bitsOf(dropoutApply(Tensor.from(xs, [n]), 0.3, 41).toArray())).toEqual(bitsOf(want(xs)));
    const layer = new Dropout(0.3);
    layer.seed = 41;
    const y = layer.forward(Tensor.from(xs, [10, n / 10]));
    expect(bitsOf(y.toArray())).toEqual(bitsOf(want(xs)));
    expect(bitsOf(layer.backward(Tensor.from(gs, [10, n / 10])).toArray())).toEqual(bitsOf(want(gs)));
    const inPlace = Tensor.from(gs, [n]);
    dropoutApply(inPlace, 0.3, 41, inPlace);
    expect(bitsOf(inPlace.toArray())).toEqual(bitsOf(want(gs)));
    expect(() => layer.backward(Tensor.zeros([7]))).toThrow(/Dropout backward: expected dy of 50000 elements/);
    expect(() => dropoutApply(inPlace, 0.3, -1)).toThrow(/non-negative integer seed, received -1/);
  });
});
