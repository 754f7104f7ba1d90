// ∂x over each synapse's own taps at every width (lib/nn/delay.ts, DELAY_WINDOW_DX_MAX_TAPS):
// under "auto" a layer whose window is too wide for the window path's forward (W > 12: events or
// dense there) still takes ∂x from the lanes form (cuda/cpu/delay_window_dx.cc) from 16 samples on,
// up to 32 taps — W 14 to 24 (σ 1.5 to 2.75 at D 25), the whole kernel (W 26 = D + 1, σ ≥ 3) and
// W 32 (whose AVX-512 block broadcasts its taps from memory: more than 16 do not fit in registers
// beside the accumulators). Each ∂x (and ∂w, ∂d through the forward's own path) against the
// independent float64 reference, at 1 and 2 threads (the same bits: no sum depends on the split),
// at shapes with partial blocks (samples not a multiple of 16, steps not of 8, outputs not of 8);
// fewer than 16 samples and more than 32 taps go to the GEMMs.
import { afterAll, describe, expect, it } from "vitest";
import { native } from "../../lib/native.js";
import { DELAY_WINDOW_DX_MAX_TAPS, DELAY_WINDOW_DX_MIN_SAMPLES, DelayLinear } from "../../lib/nn/delay.js";
import { Rng } from "../../lib/random.js";
import { setCpuThreads } from "../../lib/runtime.js";
import { Tensor } from "../../lib/tensor.js";
import { refGrads } from "../../lib/selftest/delay-reference.js";
import { maxDev } from "./max-dev.js";

const startThreads = native().info().cpuThreads;
afterAll(() => setCpuThreads(startThreads));

function run(seed: number, T: number, B: number, nin: number, nout: number, D: number, sigma: number, density: number, perNeuron = false) {
  const rng = new Rng(seed);
  const layer = new DelayLinear(nin, nout, { maxDelay: D, sigma, perNeuron, seed, initScale: 2 });
  const dv = layer.delay.value.toArray().map(() => rng.int(D) + 0.1 + 0.8 * rng.uniform());
  layer.delay.value.copyFrom(Tensor.from(dv, layer.delay.value.shape));
  const x = new Float32Array(T * B * nin);
  for (let k = 0; k < x.length; k++) if (rng.uniform() < density) x[k] = 0.5 + rng.int(3);
  const G = Float32Array.from({ length: T * B * nout }, () => rng.range(-1, 1));
  layer.forward(Tensor.from(x, [T, B, nin])).dispose();
  const dx = layer.backward(Tensor.from(G, [T, B, nout])).toArray();
  const want = refGrads({ T, B, nin, nout, D, sigma, windowSigmas: 4, perNeuron, x: Float64Array.from(x), w: Float64Array.from(layer.weight.value.toArray()), d: Float64Array.from(dv), G: Float64Array.from(G) });
  const out = { path: layer.path, dxPath: layer.inputGradTaken, dx, dw: layer.weight.grad.toArray(), dd: layer.delay.grad.toArray(), want };
  layer.dispose();
  return out;
}

// [name, T, B, in, out, D, σ, perNeuron]: W = min(2⌈4σ⌉ + 2, D + 1).
const cases: [string, number, number, number, number, number, number, boolean][] = [
  ["W 14 (σ 1.5)", 29, 21, 13, 37, 25, 1.5, false],
  ["W 22 (σ 2.5), per neuron", 37, 16, 9, 19, 25, 2.5, true],
  ["W 26 = D + 1 (σ 3: the whole kernel)", 100, 32, 24, 40, 25, 3, false],
  ["W 26 = D + 1 (σ 12.5)", 21, 33, 17, 11, 25, 12.5, false],
  ["W 32 = D + 1 (σ 8, taps broadcast from memory)", 45, 18, 11, 13, 31, 8, false],
];

describe("DelayLinear ∂x over the window at every width", () => {
  it("mirrors the native limits", () => {
    expect(DELAY_WINDOW_DX_MAX_TAPS).toBe(32);
    expect(DELAY_WINDOW_DX_MIN_SAMPLES).toBe(16);
  });

  for (const [name, T, B, nin, nout, D, sigma, perNeuron] of cases)
    for (const density of [0.05, 0.3])
      it(`${name}, input density ${density}: equal to the float64 reference, the same bits at 1 and 2 threads`, () => {
        const runs = [1, 2].map((n) => {
          setCpuThreads(n);
          return run(T + B + Math.round(10 * sigma) + Math.round(100 * density), T, B, nin, nout, D, sigma, density, perNeuron);
        });
        for (const r of runs) {
          expect(r.path).not.toBe("window");
          expect(r.dxPath).toBe("window");
          expect(maxDev(r.dx, r.want.dx)).toBeLessThan(5e-6);
          expect(maxDev(r.dw, r.want.dw)).toBeLessThan(5e-6);
          expect(maxDev(r.dd, r.want.dd)).toBeLessThan(5e-6);
        }
        expect(Buffer.from(runs[1].dx.buffer).equals(Buffer.from(runs[0].dx.buffer))).toBe(true);
      });

  it("fewer than 16 samples or more than 32 taps: ∂x by the GEMMs, also exact", () => {
    for (const [T, B, D, sigma] of [[23, 15, 25, 3], [19, 16, 40, 12]]) {
      const r = run(5 + B, T, B, 10, 14, D, sigma, 0.1);
      expect(r.dxPath).toBe("dense");
      expect(maxDev(r.dx, r.want.dx)).toBeLessThan(5e-6);
    }
  });

  it("inputGradPath forces either form; both exact", () => {
    for (const path of ["dense", "window"] as const) {
      const rng = new Rng(9);
      const layer = new DelayLinear(12, 20, { maxDelay: 25, sigma: 2, seed: 4 });
      layer.inputGradPath = path;
      const x = Tensor.from(Float32Array.from({ length: 30 * 16 * 12 }, () => (rng.uniform() < 0.1 ? 1 : 0)), [30, 16, 12]);
      layer.forward(x).dispose();
      layer.backward(Tensor.from(Float32Array.from({ length: 30 * 16 * 20 }, () => rng.range(-1, 1)), [30, 16, 20])).dispose();
      expect(layer.inputGradTaken).toBe(path);
      layer.dispose();
    }
  });
});
