// The conv-model layers (Conv2d, AvgPool2d, Dropout, Flatten) over time-major [T, B, C, H, W]:
// their backward against central differences of Σ y·r. The stack is linear in each weight and in
// the input, so differences are exact up to float32 rounding.
import { describe, expect, it } from "vitest";
import { AvgPool2d, Conv2d, Dropout, Flatten, Linear, Sequential } from "../../lib/nn/index.js";
import * as ops from "../../lib/ops.js";
import { Rng } from "../../lib/random.js";
import { Tensor, scope } from "../../lib/tensor.js";

describe("conv model layers", () => {
  it("backward of Conv2d → AvgPool2d → Dropout → Flatten → Linear matches central differences", () => {
    const rng = new Rng(21);
    const shape = [3, 2, 2, 8, 8];
    const x = rng.fillNormal(new Float32Array(3 * 2 * 2 * 64));
    const r = rng.fillNormal(new Float32Array(3 * 2 * 4));
    const drop = new Dropout(0.3);
    drop.seed = 5;
    const conv = new Conv2d(2, 3, { seed: 1 });
    const net = new Sequential(conv, new AvgPool2d(2), drop, new Flatten(), new Linear(3 * 16, 4, { seed: 2, bias: false }));
    const objective = (xs: Float32Array) => scope(() => ops.sumAll(ops.mul(net.forward(Tensor.from(xs, shape)), Tensor.from(r, [3, 2, 4]))));
    const { dx, dw } = scope(() => {
      const y = net.forward(Tensor.from(x, shape));
      expect(y.shape).toEqual([3, 2, 4]);
      const g = net.backward(Tensor.from(r, [3, 2, 4]));
      return { dx: g.toArray(), dw: conv.weight.grad.toArray() };
    });
    // dropout really dropped something, and the same mask is drawn again for the same seed
    expect(dx.filter((v) => v === 0).length).toBeGreaterThan(0);
    const eps = 0.05;
    const scale = Math.max(...dx.map(Math.abs));
    for (const i of [0, 17, 130, 255, 511, 700]) {
      const xp = x.slice();
      const xm = x.slice();
      xp[i] += eps;
      xm[i] -= eps;
      expect(Math.abs((objective(xp) - objective(xm)) / (2 * eps) - dx[i])).toBeLessThan(2e-3 * scale);
    }
    const w = conv.weight.value;
    const w0 = w.toArray();
    const wScale = Math.max(...dw.map(Math.abs));
    for (const i of [0, 9, 25, 53]) {
      const num = [eps, -eps].map((e) => {
        const wv = w0.slice();
        wv[i] += e;
        w.set(wv);
        return objective(x);
      });
      expect(Math.abs((num[0] - num[1]) / (2 * eps) - dw[i])).toBeLessThan(2e-3 * wScale);
    }
    w.set(w0);
    net.dispose();
  });

  it("Dropout is the identity in evaluation", () => {
    scope(() => {
      const d = new Dropout(0.5);
      d.training = false;
      const x = Tensor.from([1, 2, 3, 4], [1, 1, 4]);
      expect(Array.from(d.forward(x).toArray())).toEqual([1, 2, 3, 4]);
      expect(() => new Dropout(1)).toThrow(/Dropout p: expected a probability in \[0, 1\), received 1/);
    });
  });
});
