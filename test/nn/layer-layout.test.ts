// The `layout` option of single layers (lib/nn/layer-layout.ts): a "BTN" layer computes what the
// "TBN" layer computes on the transposed input (forward, ∂x, parameter gradients, a neuron layer's
// ∂membrane input); a rank that cannot be [B, T, …] is an error that says how to reshape; a
// mistyped value gets a suggestion; a "BTN" layer inside a Sequential is refused, naming it.
import { describe, expect, it } from "vitest";
import { AdLIF, CubaLIF, Conv2d, LIF, Linear, type Module, RLIF, Rng, Sequential, Tensor, scope, swapLeadingAxes } from "../../lib/index.js";
import { DelayLinear } from "../../lib/nn/delay.js";
import { maxRelError, randomArray } from "../helpers.js";

const [T, B] = [7, 3];

type Make = (layout?: "TBN" | "BTN") => Module;
const cases: [string, Make, number[]][] = [
  ["Linear", (layout) => new Linear(5, 4, { seed: 3, layout }), [5]],
  ["Conv2d", (layout) => new Conv2d(2, 3, { kernel: 3, seed: 4, layout }), [2, 5, 5]],
  ["DelayLinear", (layout) => new DelayLinear(5, 4, { maxDelay: 3, sigma: 1, seed: 5, layout }), [5]],
  ["LIF", (layout) => new LIF({ tauMem: 4, threshold: 0.4, learnAlpha: true, layout }), [6]],
  ["CubaLIF", (layout) => new CubaLIF({ tauSyn: 3, tauMem: 5, threshold: 0.3, learn: ["alpha"], layout }), [6]],
  ["AdLIF", (layout) => new AdLIF({ threshold: 0.3, layout }), [6]],
  ["RLIF", (layout) => new RLIF({ size: 6, seed: 2, threshold: 0.3, layout }), [6]],
];

const grads = (m: Module) => m.parameters().map((p) => p.grad.toArray());

describe("layout option of single layers", () => {
  for (const [name, make, features] of cases)
    it(`a "BTN" ${name} is the "TBN" ${name} on the transposed input, forward and backward`, () =>
      scope(() => {
        const rng = new Rng(11);
        const size = T * B * features.reduce((a, b) => a * b, 1);
        const x = Tensor.from(randomArray(rng, size, 0, 1.5), [T, B, ...features]);
        const tbn = make(), btn = make("BTN");
        expect([(tbn as { layout?: string }).layout, (btn as { layout?: string }).layout]).toEqual(["TBN", "BTN"]);
        const y = tbn.forward(x);
        const yb = btn.forward(swapLeadingAxes(x));
        expect(yb.shape).toEqual([B, T, ...y.shape.slice(2)]);
        expect(maxRelError(swapLeadingAxes(yb).toArray(), y.toArray())).toBeLessThan(1e-6);
        expect(y.toArray().some((v) => v !== 0)).toBe(true);
        const dy = Tensor.from(randomArray(rng, y.size, -1, 1), y.shape);
        const dx = tbn.backward(dy);
        const dxb = btn.backward(swapLeadingAxes(dy));
        expect(dxb.shape).toEqual([B, T, ...features]);
        expect(maxRelError(swapLeadingAxes(dxb).toArray(), dx.toArray())).toBeLessThan(1e-5);
        const [g, gb] = [grads(tbn), grads(btn)];
        expect(gb.length).toBe(g.length);
        g.forEach((a, i) => expect(maxRelError(gb[i], a)).toBeLessThan(1e-5));
      }));

  it("a neuron layer's ∂membrane input is transposed too", () =>
    scope(() => {
      const rng = new Rng(5);
      const x = Tensor.from(randomArray(rng, T * B * 4, 0, 1.5), [T, B, 4]);
      const tbn = new LIF({ tauMem: 4, threshold: 0.4 }), btn = new LIF({ tauMem: 4, threshold: 0.4, layout: "BTN" });
      const y = tbn.forward(x);
      btn.forward(swapLeadingAxes(x));
      const dy = Tensor.from(randomArray(rng, y.size, -1, 1), y.shape);
      const dv = Tensor.from(randomArray(rng, y.size, -1, 1), y.shape);
      const dx = tbn.backward(dy, { dv });
      const dxb = btn.backward(swapLeadingAxes(dy), { dv: swapLeadingAxes(dv) });
      expect(maxRelError(swapLeadingAxes(dxb).toArray(), dx.toArray())).toBeLessThan(1e-5);
    }));

  it("a rank that cannot be [B, T, …] is an error that says how to reshape", () => {
    const lif = new LIF({ layout: "BTN" });
    expect(() => lif.forward(Tensor.zeros([2, 40]))).toThrow(/LIF: expected an input \[B, T, …features\] \(batch-first, layout "BTN"\), received \[2, 40\] \(rank 2\).*reshape/);
    expect(() => new Linear(40, 3, { layout: "BTN" }).forward(Tensor.zeros([40]))).toThrow(/Linear: expected an input \[B, T.*rank 1/);
  });

  it("a mistyped layout is an error with a suggestion; layout is a known option of every neuron layer", () => {
    expect(() => new LIF({ layout: "BNT" as "BTN" })).toThrow(/LIF layout: expected "TBN" .* or "BTN" .*received "BNT"; did you mean BTN\?/);
    expect(() => new Linear(3, 2, { layout: "btn" as "BTN" })).toThrow(/Linear layout: .*did you mean BTN\?/);
    expect(() => new LIF({ layuot: "BTN" } as object)).toThrow(/LIF options: .*layuot.*did you mean layout\?/);
  });

  it('a "BTN" layer inside a Sequential is refused, naming it and where the option belongs', () => {
    expect(() => new Sequential(new Linear(3, 4), new LIF({ layout: "BTN" }))).toThrow(
      /Sequential layer 1 \(LIF\): expected layout "TBN" .* received "BTN"; give \{ layout: "BTN" \} to the Sequential instead/,
    );
    const net = new Sequential(new Linear(3, 4));
    net.layers.push(new Linear(4, 2, { layout: "BTN" }));
    expect(() => net.forward(Tensor.zeros([2, 1, 3]))).toThrow(/Sequential layer 1 \(Linear/);
  });
});

describe("option names of Linear, Conv2d and DelayLinear", () => {
  it("an unknown option is an error with a suggestion, not silently ignored", () => {
    expect(() => new Linear(3, 2, { sed: 1 } as object)).toThrow(/Linear options: expected only known options \(.*seed.*\), received "sed"; did you mean seed\?/);
    expect(() => new Conv2d(2, 3, { kernal: 3 } as object)).toThrow(/Conv2d options: .*received "kernal"; did you mean kernel\?/);
    expect(() => new DelayLinear(3, 2, { maxDelay: 2, sigam: 1 } as never)).toThrow(/DelayLinear options: .*received "sigam"; did you mean sigma\?/);
    expect(new Linear(3, 2, { seed: 1, bias: false, layout: "BTN" }).layout).toBe("BTN");
  });
});
