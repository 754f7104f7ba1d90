// Conv1d (a NIR Conv1d node run by exodus's Conv2d on a [C, 1, L] view, lib/nir/conv1d.ts): forward,
// input gradient and weight gradient against a float64 1-D convolution written here; the kernel's
// padding rows get no gradient, so training keeps the layer a 1-D convolution.
import { describe, expect, it } from "vitest";
import { Conv1d } from "../../lib/nir/conv1d.js";
import { outputShape } from "../../lib/nn/index.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";

describe("Conv1d", () => {
  for (const [k, p, s] of [[3, 1, 1], [3, 1, 2], [5, 2, 1], [4, 2, 2], [1, 0, 1]]) {
    it(`kernel ${k}, padding ${p}, stride ${s}: forward and gradients as a float64 1-D convolution`, () => {
      const rng = new Rng(31 + k + p + s);
      const [N, ci, co, L] = [4, 2, 3, 9];
      const conv = new Conv1d(ci, co, k, p, s);
      const w = Float64Array.from({ length: co * ci * k }, () => rng.uniform() - 0.5);
      conv.weight1d = w;
      const wf = conv.weight1d; // as float32
      const x = Float32Array.from({ length: N * ci * L }, () => rng.uniform() - 0.3);
      const ol = conv.outLength(L);
      const y = conv.forward(Tensor.from(x, [2, 2, ci, L]));
      expect(y.shape).toEqual([2, 2, co, ol]);
      expect(outputShape(conv, [ci, L])).toEqual([co, ol]);
      const at = (n: number, c: number, j: number) => (j >= 0 && j < L ? x[(n * ci + c) * L + j] : 0);
      const ref = new Float64Array(N * co * ol);
      for (let n = 0; n < N; n++) for (let o = 0; o < co; o++) for (let j = 0; j < ol; j++) {
        let a = 0;
        for (let c = 0; c < ci; c++) for (let u = 0; u < k; u++) a += wf[(o * ci + c) * k + u] * at(n, c, j * s - p + u);
        ref[(n * co + o) * ol + j] = a;
      }
      y.toArray().forEach((v, i) => expect(Math.abs(v - ref[i])).toBeLessThan(1e-5));
      const dy = Float32Array.from({ length: N * co * ol }, () => rng.uniform() - 0.5);
      const dx = conv.backward(Tensor.from(dy, [2, 2, co, ol])).toArray();
      const rdx = new Float64Array(N * ci * L), rdw = new Float64Array(co * ci * k);
      for (let n = 0; n < N; n++) for (let o = 0; o < co; o++) for (let j = 0; j < ol; j++)
        for (let c = 0; c < ci; c++) for (let u = 0; u < k; u++) {
          const q = j * s - p + u;
          if (q < 0 || q >= L) continue;
          const g = dy[(n * co + o) * ol + j];
          rdx[(n * ci + c) * L + q] += g * wf[(o * ci + c) * k + u];
          rdw[(o * ci + c) * k + u] += g * x[(n * ci + c) * L + q];
        }
      dx.forEach((v, i) => expect(Math.abs(v - rdx[i])).toBeLessThan(1e-5));
      const dw = conv.conv.weight.grad.toArray();
      for (let i = 0; i < dw.length; i++) {
        const row = Math.floor(i / k) % k, tap = i % k, oc = Math.floor(i / (k * k));
        if (row !== p) expect(dw[i]).toBe(0); // the padding rows: no gradient
        else expect(Math.abs(dw[i] - rdw[oc * k + tap])).toBeLessThan(1e-4);
      }
      conv.dispose();
    });
  }

  it("padding that would need a second output row is refused with what exodus runs", () => {
    expect(() => new Conv1d(1, 1, 3, 2, 1)).toThrow(/padding 2 with kernel 3 and stride 1: exodus runs 1-D convolutions whose padding p satisfies kernel − 1 ≤ 2p < kernel − 1 \+ stride/);
    expect(() => new Conv1d(1, 1, 3, 0, 1)).toThrow(/padding 0 with kernel 3/);
  });
});
