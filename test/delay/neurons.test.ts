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
