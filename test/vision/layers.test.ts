// The event-vision layers (BatchNorm 1-D/2-D, WeightNorm, MaxPool2d, SumPool2d, SEW) over
// time-major tensors: every backward against central differences of Σ y·r (random inputs, fixed
// seeds), running statistics and evaluation mode, PyTorch-style names, train()/eval() reaching
// nested layers.
import { describe, expect, it } from "vitest";
import {
  BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Flatten, LIF, Linear, MaxPool2d, type Module, SEW, Sequential, SumPool2d, WeightNorm,
} from "../../lib/nn/index.js";
import * as ops from "../../lib/ops.js";
import { Rng } from "../../lib/random.js";
import { Tensor, scope } from "../../lib/tensor.js";

/** Checks dx and every parameter gradient of net at `probes` indices against central differences. */
function fdCheck(net: Module, shape: number[], seed: number, opts: { probes?: number; eps?: number; tol?: number } = {}): void {
  const { probes = 6, eps = 1e-2, tol = 2e-2 } = opts;
  const rng = new Rng(seed);
  const x = rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1)));
  const yShape = scope(() => net.forward(Tensor.from(x, shape)).shape.slice());
  const r = rng.fillNormal(new Float32Array(yShape.reduce((a, b) => a * b, 1)));
  // double sums on the host: the objective's rounding must stay far below eps·gradient
  const objective = () => scope(() => {
    const y = net.forward(Tensor.from(xv, shape)).toArray();
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i] * r[i];
    return s;
  });
  let xv = x;
  net.zeroGrad();
  const dx = scope(() => {
    net.forward(Tensor.from(x, shape));
    return net.backward(Tensor.from(r, yShape)).toArray();
  });
  const check = (analytic: Float32Array, perturb: (i: number, e: number) => void, what: string) => {
    const scale = Math.max(...analytic.map(Math.abs));
    expect(scale, `${what}: gradient is all zero`).toBeGreaterThan(0);
    for (let k = 0; k < probes; k++) {
      const i = Math.floor((k * analytic.length) / probes + (k * 7919) % Math.max(1, Math.floor(analytic.length / probes)));
      perturb(i, eps);
      const up = objective();
      perturb(i, -2 * eps);
      const down = objective();
      perturb(i, eps);
      const num = (up - down) / (2 * eps);
      expect(Math.abs(num - analytic[i]), `${what}[${i}]: numeric ${num}, analytic ${analytic[i]}`).toBeLessThan(tol * scale);
    }
  };
  check(dx, (i, e) => {
    xv = xv.slice();
    xv[i] += e;
  }, "dx");
  xv = x;
  for (const p of net.parameters()) {
    const g = p.grad.toArray();
    check(g, (i, e) => {
      const v = p.value.toArray();
      v[i] += e;
      p.value.set(v);
    }, p.name);
  }
}

describe("event-vision layers: gradients by central differences", () => {
  it("BatchNorm2d (training: batch statistics over T·B·H·W) after a conv", () => {
    const net = new Sequential(new Conv2d(2, 3, { seed: 1 }), new BatchNorm2d(3));
    // a non-trivial affine so γ and β enter the check
    net.layers[1].parameters()[0].value.set([0.5, 1.5, -1]);
    net.layers[1].parameters()[1].value.set([0.1, -0.2, 0.3]);
    fdCheck(net, [3, 2, 2, 5, 5], 11);
    net.dispose();
  });

  it("BatchNorm1d after a Linear layer, and in evaluation mode", () => {
    const net = new Sequential(new Linear(6, 4, { seed: 2, bias: false }), new BatchNorm1d(4));
    fdCheck(net, [5, 3, 6], 12);
    net.eval();
    fdCheck(net, [5, 3, 6], 13);
    net.dispose();
  });

  it("WeightNorm of a conv and of a Linear with bias", () => {
    const net = new Sequential(new WeightNorm(new Conv2d(2, 3, { seed: 3 })), new Flatten(), new WeightNorm(new Linear(3 * 16, 5, { seed: 4 })));
    expect(net.parameters().map((p) => [p.name, p.value.shape])).toEqual([
      ["0.weight_g", [3, 1, 1, 1]], ["0.weight_v", [3, 2, 3, 3]], ["2.weight_g", [5, 1]], ["2.weight_v", [5, 48]], ["2.bias", [5]],
    ]);
    // change g away from ‖V‖ so the normalisation matters
    net.parameters()[0].value.set([0.3, 2, -1]);
    fdCheck(net, [2, 2, 2, 4, 4], 14);
    net.dispose();
  });

  it("MaxPool2d and SumPool2d", () => {
    const net = new Sequential(new Conv2d(2, 2, { seed: 5 }), new MaxPool2d(2), new SumPool2d(2), new Flatten(), new Linear(2 * 4, 3, { seed: 6 }));
    fdCheck(net, [2, 3, 2, 8, 8], 15, { eps: 1e-3 }); // small steps: a larger one can switch a window's winner
    net.dispose();
  });

  it("SEW residual block (conv + batch norm branch)", () => {
    const net = new Sequential(new Conv2d(2, 3, { seed: 7 }), new SEW(new Conv2d(3, 3, { seed: 8 }), new BatchNorm2d(3)));
    expect(net.parameters().map((p) => p.name)).toEqual(["0.weight", "1.block.0.weight", "1.block.1.weight", "1.block.1.bias"]);
    expect(net.buffers().map((b) => b.name)).toEqual(["1.block.1.running_mean", "1.block.1.running_var", "1.block.1.num_batches_tracked"]);
    fdCheck(net, [2, 2, 2, 4, 4], 16);
    net.dispose();
  });
});

describe("event-vision layers: behaviour", () => {
  it("SumPool2d is k² × AvgPool2d; MaxPool2d picks the maximum and routes its gradient there", () => {
    scope(() => {
      const x = Tensor.from([1, 5, 2, 0, 3, 4, 7, 1, 0, 0, 2, 2, 9, 1, 1, 1], [1, 1, 4, 4]);
      expect(Array.from(new SumPool2d(2).forward(x).toArray())).toEqual([13, 10, 10, 6]);
      const mp = new MaxPool2d(2);
      expect(Array.from(mp.forward(x).toArray())).toEqual([5, 7, 9, 2]);
      const dx = mp.backward(Tensor.from([1, 2, 3, 4], [1, 1, 2, 2])).toArray();
      expect(Array.from(dx)).toEqual([0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 4, 0, 3, 0, 0, 0]);
    });
  });

  it("BatchNorm running statistics follow PyTorch (momentum 0.1, unbiased variance) and normalise in eval", () => {
    const rng = new Rng(3);
    const bn = new BatchNorm1d(2);
    const batches = [0, 1].map(() => rng.fillNormal(new Float32Array(4 * 3 * 2), 2, 3));
    let rm = [0, 0];
    let rv = [1, 1];
    for (const data of batches)
      scope(() => {
        const y = bn.forward(Tensor.from(data, [4, 3, 2])).toArray();
        for (let c = 0; c < 2; c++) {
          const v = Array.from({ length: 12 }, (_, i) => data[i * 2 + c]);
          const mean = v.reduce((a, b) => a + b, 0) / 12;
          const varB = v.reduce((a, b) => a + (b - mean) ** 2, 0) / 12;
          for (let i = 0; i < 12; i++) expect(y[i * 2 + c]).toBeCloseTo((v[i] - mean) / Math.sqrt(varB + 1e-5), 4);
          rm[c] = 0.9 * rm[c] + 0.1 * mean;
          rv[c] = 0.9 * rv[c] + 0.1 * varB * (12 / 11);
        }
        rm = [...rm];
        rv = [...rv];
      });
    const [m, v, n] = bn.buffers().map((b) => Array.from(b.value.toArray()));
    m.forEach((x, c) => expect(x).toBeCloseTo(rm[c], 5));
    v.forEach((x, c) => expect(x).toBeCloseTo(rv[c], 5));
    expect(n).toEqual([2]);
    bn.eval();
    scope(() => {
      const y = bn.forward(Tensor.from([1, 2], [1, 1, 2])).toArray();
      for (let c = 0; c < 2; c++) expect(y[c]).toBeCloseTo((c + 1 - rm[c]) / Math.sqrt(rv[c] + 1e-5), 5);
      // evaluation does not move the running statistics
      expect(Array.from(bn.runningMean.value.toArray())[0]).toBeCloseTo(rm[0], 6);
    });
    expect(() => scope(() => new BatchNorm2d(3).forward(Tensor.zeros([2, 2, 4, 5, 5])))).toThrow(/BatchNorm2d: expected an input \[\.\.\., C, H, W\] with 3 channels, received \[2, 2, 4, 5, 5\]/);
    bn.dispose();
  });

  it("WeightNorm starts at the wrapped layer's weights: the same outputs", () => {
    scope(() => {
      const x = Tensor.randn([3, 2, 8], new Rng(4));
      const plain = new Linear(8, 5, { seed: 9 });
      const normed = new WeightNorm(new Linear(8, 5, { seed: 9 }));
      const a = plain.forward(x).toArray();
      const b = normed.forward(x).toArray();
      for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 5);
      plain.dispose();
      normed.dispose();
    });
  });

  it("SEW with a spiking branch: out = a + block(a), ∂a = ∂out + block's ∂a", () => {
    scope(() => {
      const rng = new Rng(5);
      const mk = () => new Sequential(new Conv2d(2, 2, { seed: 10, initScale: 3 }), new BatchNorm2d(2), new LIF({ tauMem: 3, threshold: 0.5 }));
      const sew = new SEW(mk());
      const ref = mk();
      const a = Tensor.from(Float32Array.from({ length: 4 * 2 * 2 * 36 }, () => (rng.uniform() < 0.3 ? 1 : 0)), [4, 2, 2, 6, 6]);
      const out = sew.forward(a).toArray();
      const branch = ref.forward(a).toArray();
      const av = a.toArray();
      expect(branch.some((v) => v === 1)).toBe(true);
      for (let i = 0; i < out.length; i++) expect(out[i]).toBe(av[i] + branch[i]);
      const dy = Tensor.randn([4, 2, 2, 6, 6], rng);
      const dx = sew.backward(dy).toArray();
      const dBranch = ref.backward(dy).toArray();
      const dyv = dy.toArray();
      for (let i = 0; i < dx.length; i++) expect(dx[i]).toBeCloseTo(dyv[i] + dBranch[i], 5);
      sew.dispose();
      ref.dispose();
    });
  });

  it("train()/eval() reach every nested layer", () => {
    const drop = new Dropout(0.5);
    const bn = new BatchNorm2d(2);
    const wn = new WeightNorm(new Conv2d(2, 2));
    const net = new Sequential(wn, new SEW(new Sequential(bn, drop)));
    net.eval();
    expect([net, wn, wn.inner, bn, drop].map((m) => m.training)).toEqual([false, false, false, false, false]);
    net.train();
    expect([net, wn, wn.inner, bn, drop].map((m) => m.training)).toEqual([true, true, true, true, true]);
    net.dispose();
  });
});
