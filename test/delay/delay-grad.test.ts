// DelayLinear against an independent float64 reference (test/delay/reference.ts): the forward,
// and the gradients for weights, delays and the input, on both product paths (dense temporal
// convolution and event-driven), per synapse and per output neuron, for a narrow window, a
// full-width kernel and hard integer delays; the reference's formulas themselves are checked
// against its finite differences.
import { describe, expect, it } from "vitest";
import { native, supports } from "../../lib/native.js";
import { DelayLinear } from "../../lib/nn/delay.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { type RefNet, refFiniteDiff, refForward, refGrads } from "../../lib/selftest/delay-reference.js";
import { maxDev } from "./max-dev.js";

const T = 14, B = 3, NIN = 7, NOUT = 5, D = 6;

function setup(seed: number, sigma: number, perNeuron: boolean, path: "dense" | "sparse" | "window", graded = false) {
  const rng = new Rng(seed);
  const layer = new DelayLinear(NIN, NOUT, { maxDelay: D, sigma, perNeuron, products: path, seed, initScale: 2 });
  // Delays away from integers, so the finite differences stay inside one window.
  const dv = layer.delay.value.toArray().map(() => rng.int(D) + 0.1 + 0.8 * rng.uniform());
  layer.delay.value.copyFrom(Tensor.from(dv, layer.delay.value.shape));
  const x = new Float32Array(T * B * NIN);
  for (let k = 0; k < x.length; k++) if (rng.uniform() < 0.3) x[k] = graded ? 0.5 + rng.int(3) : 1;
  const G = Float32Array.from({ length: T * B * NOUT }, () => rng.range(-1, 1));
  const ref: RefNet = {
    T, B, nin: NIN, nout: NOUT, D, sigma, windowSigmas: 4, perNeuron,
    x: Float64Array.from(x), w: Float64Array.from(layer.weight.value.toArray()), d: Float64Array.from(dv), G: Float64Array.from(G),
  };
  return { layer, x, G, ref };
}

const cases: [string, number, boolean][] = [["narrow window σ 0.7", 0.7, false], ["full-width σ D/2", D / 2, false], ["per output neuron σ 1.1", 1.1, true]];

describe("DelayLinear: exact gradients against a float64 reference", () => {
  for (const [name, sigma, perNeuron] of cases)
    for (const path of ["dense", "sparse", "window"] as const)
      it(`${name}, ${path === "sparse" ? "event-driven" : path} path`, () => {
        const { layer, x, G, ref } = setup(11 + Math.round(sigma * 10), sigma, perNeuron, path, path === "sparse");
        const y = layer.forward(Tensor.from(x, [T, B, NIN]));
        expect(maxDev(y.toArray(), refForward(ref))).toBeLessThan(2e-6);
        const dx = layer.backward(Tensor.from(G, [T, B, NOUT]));
        const want = refGrads(ref);
        expect(maxDev(layer.weight.grad.toArray(), want.dw)).toBeLessThan(5e-6);
        expect(maxDev(layer.delay.grad.toArray(), want.dd)).toBeLessThan(5e-6);
        expect(maxDev(dx.toArray(), want.dx)).toBeLessThan(5e-6);
        // The reference's direct formulas equal its own finite differences.
        const pick = [0, 3, ref.d.length - 1, Math.floor(ref.d.length / 2)];
        expect(maxDev(refFiniteDiff(ref, "d", pick), pick.map((k) => want.dd[k]))).toBeLessThan(1e-6);
        expect(maxDev(refFiniteDiff(ref, "w", pick), pick.map((k) => want.dw[k]))).toBeLessThan(1e-6);
        const px = [1, 40, x.length - 9];
        expect(maxDev(refFiniteDiff(ref, "x", px), px.map((k) => want.dx[k]))).toBeLessThan(1e-6);
        layer.dispose();
      });

  it("hard integer delays (σ 0): the input shifted by round(d), no delay gradient; all paths agree", () => {
    const outs = (["dense", "sparse", "window"] as const).map((path) => {
      const { layer, x, G, ref } = setup(5, 0, false, path);
      const y = layer.forward(Tensor.from(x, [T, B, NIN]));
      expect(maxDev(y.toArray(), refForward(ref))).toBeLessThan(2e-6);
      layer.backward(Tensor.from(G, [T, B, NOUT]));
      expect(maxDev(layer.weight.grad.toArray(), refGrads(ref).dw)).toBeLessThan(5e-6);
      expect(layer.delay.grad.toArray().every((v) => v === 0)).toBe(true);
      return y.toArray();
    });
    expect(maxDev(outs[1], outs[0])).toBeLessThan(1e-6);
    expect(maxDev(outs[2], outs[0])).toBeLessThan(1e-6);
  });

  it("roundDelays sets σ 0 and integer delays in [0, D]; a σ-narrowed kernel approaches the rounded one", () => {
    const { layer, x } = setup(9, 0.05, false, "dense");
    // Fractions well away from ½, where a narrow Gaussian still splits between two steps.
    const dv = layer.delay.value.toArray().map((v, k) => Math.floor(v) + (k % 2 ? 0.2 : 0.75));
    layer.delay.value.copyFrom(Tensor.from(dv, layer.delay.value.shape));
    const soft = layer.forward(Tensor.from(x, [T, B, NIN])).toArray();
    const ints = layer.integerDelays();
    layer.roundDelays();
    expect(layer.sigma).toBe(0);
    expect(Array.from(layer.delay.value.toArray())).toEqual(Array.from(ints));
    expect(Array.from(ints).every((v) => Number.isInteger(v) && v >= 0 && v <= D)).toBe(true);
    const hard = layer.forward(Tensor.from(x, [T, B, NIN])).toArray();
    expect(maxDev(soft, hard)).toBeLessThan(1e-3);
  });

  it("σ travels with the state dict (a saved model evaluates at the width it was trained to)", () => {
    const a = new DelayLinear(4, 3, { maxDelay: 5, sigma: 2, seed: 1 });
    a.setSigma(0.75);
    const b = new DelayLinear(4, 3, { maxDelay: 5, sigma: 2, seed: 2 });
    b.loadStateDict(a.stateDict());
    const x = Tensor.from(Float32Array.from({ length: 8 * 2 * 4 }, (_, k) => (k % 3 === 0 ? 1 : 0)), [8, 2, 4]);
    expect(Array.from(b.forward(x).toArray())).toEqual(Array.from(a.forward(x).toArray()));
    expect(b.sigma).toBe(0.75);
  });

  it("bad options and inputs are clear errors", () => {
    expect(() => new DelayLinear(3, 2, { maxDelay: -1 })).toThrow(/maxDelay: expected an integer >= 0/);
    expect(() => new DelayLinear(3, 2, { maxDelay: 4, sigma: -1 })).toThrow(/sigma/);
    const l = new DelayLinear(3, 2, { maxDelay: 4 });
    expect(() => l.forward(Tensor.zeros([5, 4]))).toThrow(/expected a time-major input \[T, batch…, 3\]/);
    expect(() => l.backward(Tensor.zeros([5, 1, 2]))).toThrow(/forward/);
    expect(() => new DelayLinear(3, 2, { maxDelay: 4, products: "fast" as "dense" })).toThrow(/DelayLinear products \(or "window"\): expected one of auto, dense, sparse, received "fast"/);
    // The window correlation takes up to 12 taps, and every entry checks the window starts it indexes by.
    const g = { T: 4, B: 1, inFeatures: 1, outFeatures: 1, maxDelay: 20, taps: 13, below: 6, sigma: 1.5, perNeuron: false };
    const t = (n: number, v = 0) => Tensor.full([n], v);
    expect(() => native().delayWindowCorr({ ...g, x: t(4), dy: t(4), start: t(1), A: t(13) })).toThrow(/delayWindowCorr: taps must be at most 12 on the window path, received 13/);
    expect(() => native().delayWindowForward({ ...g, taps: 6, below: 2, x: t(4), coeff: t(6), start: t(1, 16), y: t(4) })).toThrow(/delayWindowForward: start must hold integer window starts in \[0, 15\]/);
    // Both backends have the entries (CUDA where this build compiled it; selftest compares them).
    const compiled = native().buildInfo().cudaCompiled;
    expect(supports("delay_forward_events", { type: "cuda", index: 0 })).toBe(compiled);
  });
});
