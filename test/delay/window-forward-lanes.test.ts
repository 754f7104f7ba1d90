// The window path's forward with the samples in the vector lanes (cuda/cpu/delay_window_dx.cc,
// delay_window_forward_lanes: ∂x's blocks with time reversed and inputs and outputs swapped),
// taken above kDelayWindowForwardLanesDensity (12 %) of input nonzeros from 16 samples on — also
// above 30 %, where the filters ran before, and for windows wider than the spikes' 16 taps. Each
// forward (and the gradients) against the independent float64 reference, at 1 and 2 threads (the
// same bits), at shapes with partial blocks (T 29: not a multiple of 4 or 8 steps; samples not a
// multiple of 16; outputs not a multiple of 8), with graded input values.
import { afterAll, describe, expect, it } from "vitest";
import { native } from "../../lib/native.js";
import { DELAY_WINDOW_FORWARD_LANES_DENSITY, DelayLinear } from "../../lib/nn/delay.js";
import { Rng } from "../../lib/random.js";
import { setCpuThreads } from "../../lib/runtime.js";
import { Tensor } from "../../lib/tensor.js";
import { refForward, refGrads } from "../../lib/selftest/delay-reference.js";
import { maxDev } from "./max-dev.js";
import { WINDOW_WIDTHS } from "./widths.js";

const startThreads = native().info().cpuThreads;
afterAll(() => setCpuThreads(startThreads));

const T = 29, NIN = 13, NOUT = 37;

function run(seed: number, B: number, D: number, sigma: number, density: number, perNeuron: boolean) {
  const rng = new Rng(seed);
  const layer = new DelayLinear(NIN, NOUT, { maxDelay: D, sigma, perNeuron, products: "window", seed, initScale: 2 });
  const dv = layer.delay.value.toArray().map(() => rng.int(D) + 0.1 + 0.8 * rng.uniform());
  layer.delay.value.copyFrom(Tensor.from(dv, layer.delay.value.shape));
  const x = new Float32Array(T * B * NIN);
  for (let k = 0; k < x.length; k++) if (rng.uniform() < density) x[k] = 0.5 + rng.int(3);
  const G = Float32Array.from({ length: T * B * NOUT }, () => rng.range(-1, 1));
  const ref = { T, B, nin: NIN, nout: NOUT, D, sigma, windowSigmas: 4, perNeuron, x: Float64Array.from(x), w: Float64Array.from(layer.weight.value.toArray()), d: Float64Array.from(dv), G: Float64Array.from(G) };
  // Above the crossover, so the lanes take the forward.
  expect(x.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0) / x.length).toBeGreaterThan(DELAY_WINDOW_FORWARD_LANES_DENSITY);
  const y = layer.forward(Tensor.from(x, [T, B, NIN])).toArray();
  expect(layer.path).toBe("window");
  const dx = layer.backward(Tensor.from(G, [T, B, NOUT])).toArray();
  const out = { y, dx, dw: layer.weight.grad.toArray(), dd: layer.delay.grad.toArray(), wantY: refForward(ref), want: refGrads(ref) };
  layer.dispose();
  return out;
}

describe("DelayLinear window forward with the samples in the vector lanes", () => {
  for (const [name, D, sigma, perNeuron] of WINDOW_WIDTHS)
    for (const [B, density] of [[16, 0.2], [21, 0.6], [33, 0.15]] as const)
      it(`${name}, B ${B}, input density ${density}: equal to the float64 reference, the same bits at 1 and 2 threads`, () => {
        const runs = [1, 2].map((n) => {
          setCpuThreads(n);
          return run(7 + B + Math.round(10 * sigma), B, D, sigma, density, perNeuron);
        });
        for (const r of runs) {
          expect(maxDev(r.y, r.wantY)).toBeLessThan(2e-6);
          expect(maxDev(r.dx, r.want.dx)).toBeLessThan(5e-6);
          expect(maxDev(r.dw, r.want.dw)).toBeLessThan(5e-6);
          if (sigma > 0) expect(maxDev(r.dd, r.want.dd)).toBeLessThan(5e-6);
        }
        expect(Buffer.from(runs[1].y.buffer).equals(Buffer.from(runs[0].y.buffer))).toBe(true);
      });
});
