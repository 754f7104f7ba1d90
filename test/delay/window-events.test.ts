// The window path's two implementations of the forward and the correlation (cuda/cpu/delay_window.cc):
// from the input's nonzeros (delay_window_events.cc, up to DELAY_WINDOW_EVENTS_MAX_DENSITY) and
// the filters over every step (denser inputs), each against the independent float64 reference, at
// shapes that leave partial blocks everywhere (outputs not a multiple of the 32- and 8-output
// blocks, samples not a multiple of 4, steps not a multiple of 8) and at every vector width the
// event code has: one vector per synapse (W <= 8), two (W 9..16; correlation up to 12 taps), a
// hard delay (W 1) and a window too wide for it (W 22: the filters at any density). ∂x takes the
// samples into the vector lanes from 16 samples on (delay_window_dx.cc): B 21 and 32 check that one.
import { describe, expect, it } from "vitest";
import { DELAY_WINDOW_EVENTS_MAX_DENSITY, DelayLinear } from "../../lib/nn/delay.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { type RefNet, refForward, refGrads } from "../../lib/selftest/delay-reference.js";
import { maxDev } from "./max-dev.js";
import { WINDOW_WIDTHS } from "./widths.js";

const T = 29, NIN = 13, NOUT = 37;

function run(seed: number, D: number, sigma: number, density: number, perNeuron: boolean, B = 5) {
  const rng = new Rng(seed);
  const layer = new DelayLinear(NIN, NOUT, { maxDelay: D, sigma, perNeuron, products: "window", seed, initScale: 2 });
  const dv = layer.delay.value.toArray().map(() => rng.int(D) + 0.1 + 0.8 * rng.uniform());
  layer.delay.value.copyFrom(Tensor.from(dv, layer.delay.value.shape));
  // Graded values, so a value is not mistaken for a spike count.
  const x = new Float32Array(T * B * NIN);
  let nnz = 0;
  for (let k = 0; k < x.length; k++) if (rng.uniform() < density) (x[k] = 0.5 + rng.int(3)), nnz++;
  const G = Float32Array.from({ length: T * B * NOUT }, () => rng.range(-1, 1));
  const ref: RefNet = {
    T, B, nin: NIN, nout: NOUT, D, sigma, windowSigmas: 4, perNeuron,
    x: Float64Array.from(x), w: Float64Array.from(layer.weight.value.toArray()), d: Float64Array.from(dv), G: Float64Array.from(G),
  };
  const y = layer.forward(Tensor.from(x, [T, B, NIN]));
  expect(layer.path).toBe("window");
  expect(maxDev(y.toArray(), refForward(ref))).toBeLessThan(2e-6);
  const dx = layer.backward(Tensor.from(G, [T, B, NOUT]));
  const want = refGrads(ref);
  expect(maxDev(layer.weight.grad.toArray(), want.dw)).toBeLessThan(5e-6);
  if (sigma > 0) expect(maxDev(layer.delay.grad.toArray(), want.dd)).toBeLessThan(5e-6);
  expect(maxDev(dx.toArray(), want.dx)).toBeLessThan(5e-6);
  layer.dispose();
  return nnz / x.length;
}

const widths = WINDOW_WIDTHS;

describe("DelayLinear window path: from the spikes and by the filters, both exact", () => {
  for (const [name, D, sigma, perNeuron] of widths)
    for (const density of [0.04, 0.15, 0.6])
      it(`${name}, input density ${density}`, () => {
        const measured = run(3 + Math.round(sigma * 10) + Math.round(density * 100), D, sigma, density, perNeuron);
        // The densities sit on the intended sides of the native crossover.
        expect(measured < DELAY_WINDOW_EVENTS_MAX_DENSITY).toBe(density < DELAY_WINDOW_EVENTS_MAX_DENSITY);
      });

  for (const [name, D, sigma, perNeuron] of widths.filter(([, , s]) => s <= 1.2))
    for (const B of [21, 32])
      it(`∂x with the samples in the vector lanes: ${name}, B ${B}`, () => {
        run(40 + B + Math.round(sigma * 10), D, sigma, 0.1, perNeuron, B);
      });

  it("'auto' takes the window path for a narrow window whatever the density, else events or dense", () => {
    const rng = new Rng(2);
    const x = (d: number) => Tensor.from(Float32Array.from({ length: 20 * 2 * 8 }, () => (rng.uniform() < d ? 1 : 0)), [20, 2, 8]);
    const narrow = new DelayLinear(8, 4, { maxDelay: 25, sigma: 0.5 });
    const wide = new DelayLinear(8, 4, { maxDelay: 25, sigma: 12.5 });
    for (const d of [0.03, 0.5]) {
      narrow.forward(x(d));
      expect(narrow.path).toBe("window");
      wide.forward(x(d));
      expect(wide.path).toBe(d < 0.15 ? "events" : "dense");
    }
  });
});
