// Recurrent CubaLIF, ALIF and adLIF: the fused scans (EXODUS, SLAYER) and the BPTT tape against the
// float64 reverse-mode reference of the unrolled net (lib/selftest/recurrent-reference.ts): spikes,
// membranes, final states and every gradient (∂x, ∂V, ∂bias, ∂ of each initial state, each
// learnable parameter), random inputs with fixed seeds; the CUDA scans where a device (or the
// emulated one) is built.
import { describe, expect, it } from "vitest";
import { Device, cudaAvailable } from "../../lib/device.js";
import { RAdLIF, RALIF, RCubaLIF } from "../../lib/nn/index.js";
import type { RecurrentLayer } from "../../lib/nn/recurrent.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { recurrentRef } from "../../lib/selftest/recurrent-reference.js";
import { type RecurrentInputs, refParams, runRecurrent } from "../../lib/selftest/recurrent-run.js";
import { firingInput, normal } from "./helpers.js";
import { relErr, spikeRate } from "./reference.js";

type Backward = "exodus" | "slayer" | "bptt";
interface Case {
  label: string;
  make: (backward: Backward, d: Device, H: number) => RecurrentLayer;
  H?: number;
  B?: number;
  T?: number;
  mean?: number;
  std?: number;
  withH?: boolean;
  withInit?: boolean;
  bias?: boolean;
  sg?: { name: string; scale: number; width: number };
}

const EXP = { name: "exponential", scale: 1, width: 0.5 };
const TRI = { name: "triangle", scale: 1, width: 0.7 };
const per = (H: number, lo: number, hi: number) => Array.from({ length: H }, (_, i) => lo + ((hi - lo) * i) / H);

const cases: Case[] = [
  { label: "RCubaLIF τ_mem 10, τ_syn 5, learn α, α_s", make: (backward, device, H) => new RCubaLIF({ size: H, tauMem: 10, tauSyn: 5, learn: ["alpha", "alphaSyn"], backward, device, stateful: true }), mean: 0.1, std: 0.5 },
  { label: "RCubaLIF zero reset, bias, per-neuron α, h, initial state", make: (backward, device, H) => new RCubaLIF({ size: H, alpha: per(H, 0.7, 0.95), alphaSyn: 0.6, reset: "zero", bias: true, learn: ["alpha", "alphaSyn"], backward, device, stateful: true }), mean: 0.15, std: 0.5, withH: true, withInit: true, bias: true },
  { label: "RCubaLIF triangle surrogate, H 40, B 17", make: (backward, device, H) => new RCubaLIF({ size: H, tauMem: 8, tauSyn: 3, surrogate: TRI, learn: ["alphaSyn"], backward, device, stateful: true }), H: 40, B: 17, T: 30, mean: 0.1, std: 0.6, sg: TRI },
  { label: "RALIF learn α, ρ, β, θ0, bias", make: (backward, device, H) => new RALIF({ size: H, tauMem: 15, tauAdapt: 30, beta: 0.5, learn: ["alpha", "rho", "beta", "threshold"], bias: true, backward, device, stateful: true }), bias: true, mean: 0.3, std: 0.8 },
  { label: "RALIF per-neuron θ0, h, initial state", make: (backward, device, H) => new RALIF({ size: H, alpha: 0.9, rho: 0.95, beta: 0.3, threshold: per(H, 0.8, 1.2), learn: ["alpha", "rho", "beta", "threshold"], backward, device, stateful: true }), withH: true, withInit: true, mean: 0.3, std: 0.8 },
  { label: "RAdLIF learn α, β, a, b, bias", make: (backward, device, H) => new RAdLIF({ size: H, tauMem: 10, tauAdapt: 40, a: 0.3, b: 0.5, learn: ["alpha", "beta", "a", "b"], bias: true, backward, device, stateful: true }), bias: true, mean: 1.5, std: 2 },
  { label: "RAdLIF zero reset, per-neuron a, h, initial state, H 300", make: (backward, device, H) => new RAdLIF({ size: H, tauMem: 6, tauAdapt: 20, a: per(H, -0.5, 0.8), b: 0.8, reset: "zero", learn: ["alpha", "beta", "a", "b"], backward, device, stateful: true }), withH: true, withInit: true, H: 300, B: 2, T: 12, mean: 1.5, std: 2 },
];

function inputs(c: Case, seed: number): RecurrentInputs & { H: number } {
  const H = c.H ?? 12, B = c.B ?? 3, T = c.T ?? 50, N = B * H;
  const rng = new Rng(seed);
  return {
    H, T, B, x: firingInput(rng, T, N, c.mean, c.std), g: normal(rng, T * N), h: c.withH ? normal(rng, T * N, 0.3) : undefined,
    w: rng.fillUniform(new Float32Array(H * H), -1.2 / Math.sqrt(H), 1.2 / Math.sqrt(H)), bias: c.bias ? normal(rng, H, 0.1) : undefined,
    init: c.withInit ? [normal(rng, N, 0.5), normal(rng, N, 0.3), Float32Array.from({ length: N }, () => (rng.uniform() < 0.3 ? 1 : 0))] : undefined,
  };
}

function check(c: Case, backward: Backward, d: Device, tol = 2e-5) {
  const io = inputs(c, 11);
  const layer = c.make(backward, d, io.H);
  const p = refParams(layer, io.T, io.B, io, c.sg ?? EXP);
  const learned = [...layer.learned, ...(c.bias ? ["bias"] : [])];
  const r = runRecurrent(layer, d, io);
  const ref = recurrentRef(p, io.x, io.g, { h: io.h, init: io.init, forced: r.s, slayer: backward === "slayer" });
  if (backward !== "bptt") expect(relErr(r.v, ref.v)).toBeLessThan(1e-5);
  // The scan's spikes are the reference's own wherever v is not within rounding of the threshold.
  const unforced = recurrentRef(p, io.x, io.g, { init: io.init });
  let differ = 0;
  for (let k = 0; k < r.s.length; k++) if (r.s[k] !== unforced.s[k]) differ++;
  expect(differ).toBe(0);
  const rate = spikeRate(r.s);
  expect(rate).toBeGreaterThan(0.03);
  expect(rate).toBeLessThan(0.8);
  for (let q = 0; q < 3; q++) expect(relErr(r.final[q], ref.final[q])).toBeLessThan(1e-5);
  expect(relErr(r.dx, ref.dx)).toBeLessThan(tol);
  expect(relErr(r.dw, ref.dw)).toBeLessThan(tol);
  for (let q = 0; q < 3; q++) expect(relErr(r.dinit[q], ref.dinit[q]), `∂ initial state ${q}`).toBeLessThan(tol);
  expect(learned.length).toBeGreaterThan(0);
  for (const n of learned) {
    const want = n === "bias" ? ref.dbias : ref.dparams[n];
    expect(relErr(r.grads[n], want), `∂${n}`).toBeLessThan(tol);
  }
  // The recurrent path carries a real share of the gradient.
  expect(ref.dw.some((v) => v !== 0)).toBe(true);
  return r;
}

describe("recurrent CubaLIF, ALIF, adLIF against the float64 reference", () => {
  for (const c of cases)
    for (const backward of ["exodus", "slayer", "bptt"] as const) it(`${c.label}: ${backward}`, () => void check(c, backward, Device.cpu));

  it("SLAYER differs from EXODUS (the reset term matters here) for each model", () => {
    for (const c of [cases[0], cases[3], cases[5]]) {
      const a = check(c, "exodus", Device.cpu), b = check(c, "slayer", Device.cpu);
      expect(relErr(a.dx, b.dx)).toBeGreaterThan(1e-3);
    }
  });

  it("a streamed forward in two halves equals one forward over all steps", () => {
    const H = 10, B = 2, T = 40, N = B * H, rng = new Rng(5);
    const x = firingInput(rng, T, N, 0.15, 0.5);
    const mk = () => new RCubaLIF({ size: H, tauMem: 10, tauSyn: 4, stateful: true, seed: 2, initScale: 2 });
    const one = mk(), two = mk();
    try {
      const whole = one.forward(Tensor.from(x, [T, B, H])).toArray();
      const a = two.forward(Tensor.from(x.subarray(0, (T / 2) * N), [T / 2, B, H])).toArray();
      const b = two.forward(Tensor.from(x.subarray((T / 2) * N), [T / 2, B, H])).toArray();
      expect(Array.from(whole)).toEqual([...a, ...b]);
    } finally {
      one.dispose();
      two.dispose();
    }
  });

  it("refuses bad options with the field named", () => {
    expect(() => new RCubaLIF({ size: 0, tauSyn: 5 })).toThrow(/RCubaLIF size/);
    expect(() => new RALIF({ size: 4, threshold: [1, 1] })).toThrow(/4/);
    expect(() => new RAdLIF({ size: 4, initScale: -1 })).toThrow(/RAdLIF initScale/);
    expect(() => new RCubaLIF({ size: 4, tauSyn: 5, bias: 1 as unknown as boolean })).toThrow(/RCubaLIF bias/);
  });
});

describe.runIf(cudaAvailable())("recurrent CubaLIF, ALIF, adLIF on CUDA", () => {
  for (const c of cases)
    for (const backward of ["exodus", "slayer"] as const) it(`${c.label}: ${backward}`, () => void check(c, backward, Device.cuda(0), 5e-5));
});
