// DelayLinear in front of every neuron model of the table (lib/nn/neuron-models.ts): a small net
// DelayLinear → neuron → Linear steps forward and backward on both product paths, and the delay
// gradient that reaches the layer through the neuron's backward is the one DelayLinear gives for
// that same upstream gradient on its own (the layer composes; its own exactness is
// delay-grad.test.ts's).
import { describe, expect, it } from "vitest";
import { parseDevice } from "../../lib/device.js";
import { DelayLinear } from "../../lib/nn/delay.js";
import { Linear } from "../../lib/nn/linear.js";
import { NEURON_MODELS, NEURON_TYPES } from "../../lib/nn/neuron-models.js";
import { Sequential } from "../../lib/nn/sequential.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { refGrads } from "../../lib/selftest/delay-reference.js";

const T = 20, B = 3, I = 6, H = 8;

describe("DelayLinear before every neuron model", () => {
  for (const type of NEURON_TYPES)
    for (const products of ["dense", "sparse"] as const)
      it(`${type}, ${products === "sparse" ? "event-driven" : "dense"}`, () => {
        const rng = new Rng(17);
        const x = Tensor.from(Float32Array.from({ length: T * B * I }, () => (rng.uniform() < 0.3 ? 1 : 0)), [T, B, I]);
        const delay = new DelayLinear(I, H, { maxDelay: 5, sigma: 1, products, seed: 2, initScale: 4 });
        const neuron = NEURON_MODELS[type].gradcheck({ tauMem: 4, threshold: 1, surrogate: { name: "exponential", scale: 1, width: 0.5 }, backward: "exodus", device: parseDevice("cpu") });
        const net = new Sequential(delay, neuron, new Linear(H, 3, { seed: 3 }));
        const y = net.forward(x);
        const g = Tensor.from(Float32Array.from({ length: y.size }, () => rng.range(-1, 1)), y.shape);
        net.zeroGrad();
        net.backward(g);
        const dd = delay.delay.grad.toArray(), dw = delay.weight.grad.toArray();
        expect(dd.every(Number.isFinite) && dd.some((v) => v !== 0)).toBe(true);
        expect(dw.every(Number.isFinite) && dw.some((v) => v !== 0)).toBe(true);
        // The same upstream gradient into a lone copy of the layer gives the same parameter gradients.
        const lin = net.layers[2];
        lin.forward(neuron.forward(delay.forward(x)));
        const upstream = neuron.backward(lin.backward(g));
        delay.zeroGrad();
        delay.backward(upstream);
        expect(Array.from(delay.delay.grad.toArray())).toEqual(Array.from(dd));
        net.dispose();
      });
});

// Exact, not only composing: through each model the delay and weight gradients equal those of the
// model's own backpropagation through time (the bound of test/neurons/gradcheck.test.ts), and what
// DelayLinear makes of the upstream gradient equals the float64 reference (delay-reference.ts) to
// float32 rounding.
describe("DelayLinear's gradients through every neuron model", () => {
  const rel = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let num = 0, den = 0;
    for (let k = 0; k < b.length; k++) (num = Math.max(num, Math.abs(a[k] - b[k]))), (den = Math.max(den, Math.abs(b[k])));
    return num / Math.max(den, 1e-30);
  };
  for (const type of NEURON_TYPES)
    for (const products of ["dense", "sparse", "window"] as const)
    it(`${type}, ${products} path: exodus = BPTT, and the layer = the float64 reference`, () => {
      const rng = new Rng(23);
      const xs = Float32Array.from({ length: T * B * I }, () => (rng.uniform() < 0.3 ? 1 : 0));
      const gs = Float32Array.from({ length: T * B * 3 }, () => rng.range(-1, 1));
      const run = (backward: "exodus" | "bptt") => {
        const x = Tensor.from(xs, [T, B, I]);
        const delay = new DelayLinear(I, H, { maxDelay: 5, sigma: 0.8, products, seed: 2, initScale: 4 });
        const neuron = NEURON_MODELS[type].gradcheck({ tauMem: 4, threshold: 1, surrogate: { name: "exponential", scale: 1, width: 0.5 }, backward, device: parseDevice("cpu") });
        const lin = new Linear(H, 3, { seed: 3 });
        const y = lin.forward(neuron.forward(delay.forward(x)));
        const upstream = neuron.backward(lin.backward(Tensor.from(gs, y.shape)));
        delay.zeroGrad();
        delay.backward(upstream);
        const out = { dd: delay.delay.grad.toArray(), dw: delay.weight.grad.toArray(), up: upstream.toArray(), w: delay.weight.value.toArray(), d: delay.delay.value.toArray() };
        for (const m of [delay, neuron, lin]) m.dispose();
        return out;
      };
      const ex = run("exodus"), bp = run("bptt");
      expect(ex.up.some((v) => v !== 0)).toBe(true);
      expect(rel(ex.dd, bp.dd)).toBeLessThan(1e-4);
      expect(rel(ex.dw, bp.dw)).toBeLessThan(1e-4);
      const f64 = (a: ArrayLike<number>) => Float64Array.from(a);
      const ref = refGrads({ T, B, nin: I, nout: H, D: 5, sigma: 0.8, windowSigmas: 4, perNeuron: false, x: f64(xs), w: f64(ex.w), d: f64(ex.d), G: f64(ex.up) });
      expect(rel(ex.dd, ref.dd)).toBeLessThan(5e-6);
      expect(rel(ex.dw, ref.dw)).toBeLessThan(5e-6);
    });
});
