// ALIF (docs/neurons.md §6): forward against a float64 loop, EXODUS against the float64 reverse-mode
// reference (every parameter and state gradient), EXODUS ≡ BPTT, β = 0 ≡ LIF with m = θ0, SLAYER
// against its reference, and streaming in chunks.
import { describe, expect, it } from "vitest";
import { Device } from "../../lib/device.js";
import { ALIF, type ALIFOptions } from "../../lib/nn/alif.js";
import { LIF } from "../../lib/nn/lif.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { firingInput, normal, runStateful } from "./helpers.js";
import { type AlifRefParams, alifBackwardRef, alifForwardRef, relErr } from "./reference.js";
import { expectParamGrads, expectSameSpikes, expectStreams } from "./checks.js";

const cpu = Device.cpu;

interface Run {
  s: Float32Array;
  v: Float32Array;
  dx: Float32Array;
  dv0: Float32Array;
  db0: Float32Array;
  grads: Record<string, Float32Array>;
  state: Float32Array[];
}

function runAlif(opts: ALIFOptions, shape: number[], x: Float32Array, g: Float32Array, init?: { v0: Float32Array; b0: Float32Array }): Run {
  const r = runStateful(new ALIF({ learn: ["alpha", "rho", "beta", "threshold"], stateful: true, ...opts, device: cpu }), shape, x, g, init && [init.v0, init.b0]);
  return { ...r, dv0: r.dStates[0], db0: r.dStates[1] };
}

const T = 120, B = 3, F = 16, N = B * F;
const cases: { label: string; opts: ALIFOptions; ref: Omit<AlifRefParams, "T" | "N">; mean: number }[] = [
  {
    label: "τ=20, τa=50, β=0.8, exponential",
    opts: { tauMem: 20, tauAdapt: 50, beta: 0.8 },
    ref: { alpha: [Math.fround(Math.exp(-1 / 20))], rho: [Math.fround(Math.exp(-1 / 50))], beta: [0.8], theta0: [1], sg: { name: "exponential", scale: 1, width: 0.5 } },
    mean: 0.35,
  },
  {
    label: "per-neuron α, β, θ0 with fast_sigmoid",
    opts: {
      alpha: Array.from({ length: F }, (_, i) => 0.8 + 0.19 * (i / F)), rho: 0.9, beta: Array.from({ length: F }, (_, i) => 0.2 + 2 * (i / F)),
      threshold: Array.from({ length: F }, (_, i) => 0.6 + 0.8 * (i / F)), surrogate: { name: "fast_sigmoid", scale: 0.7 },
    },
    ref: {
      alpha: Array.from({ length: F }, (_, i) => Math.fround(0.8 + 0.19 * (i / F))), rho: [Math.fround(0.9)],
      beta: Array.from({ length: F }, (_, i) => Math.fround(0.2 + 2 * (i / F))), theta0: Array.from({ length: F }, (_, i) => Math.fround(0.6 + 0.8 * (i / F))),
      sg: { name: "fast_sigmoid", scale: 0.7, width: 10 },
    },
    mean: 0.5,
  },
  {
    label: "boxcar surrogate, strong adaptation",
    opts: { alpha: 0.95, rho: 0.97, beta: 3, threshold: 0.5, surrogate: "boxcar" },
    ref: { alpha: [Math.fround(0.95)], rho: [Math.fround(0.97)], beta: [3], theta0: [0.5], sg: { name: "boxcar", scale: 1, width: 1 } },
    mean: 0.3,
  },
];

describe("ALIF against the float64 reference", () => {
  for (const c of cases)
    it(c.label, () => {
      const rng = new Rng(17);
      const x = firingInput(rng, T, N, c.mean, 0.8);
      const g = normal(rng, T * N);
      const v0 = normal(rng, N, 0.3), b0 = Float32Array.from(normal(rng, N, 0.3), Math.abs);
      const p: AlifRefParams = { T, N, ...c.ref };
      const exo = runAlif(c.opts, [T, B, F], x, g, { v0, b0 });
      // Forward: the float64 loop on the kernel's spikes (a potential within rounding of θ may flip).
      const f = alifForwardRef(p, x, { v0, b0 }, exo.s);
      const fFree = alifForwardRef(p, x, { v0, b0 });
      expectSameSpikes(exo.s, fFree.s);
      expect(relErr(exo.v, f.v)).toBeLessThan(1e-5);
      expect(relErr(exo.state[0], f.vState)).toBeLessThan(1e-5);
      expect(relErr(exo.state[1], f.bState)).toBeLessThan(1e-5);
      // EXODUS: every input, state and parameter gradient.
      const r = alifBackwardRef(p, f, g, { v0 });
      expect(relErr(exo.dx, r.dx)).toBeLessThan(1e-4);
      expect(relErr(exo.dv0, r.dv0)).toBeLessThan(1e-4);
      expect(relErr(exo.db0, r.db0)).toBeLessThan(1e-4);
      expectParamGrads(exo.grads, [["alpha", r.dalpha], ["rho", r.drho], ["beta", r.dbeta], ["threshold", r.dtheta0]]);
    });
});

describe("ALIF gradients", () => {
  const rng = new Rng(5);
  const x = firingInput(rng, T, N, 0.35, 0.8);
  const g = normal(rng, T * N);
  const opts: ALIFOptions = { tauMem: 20, tauAdapt: 50, beta: 0.8, threshold: 0.9 };

  it("EXODUS ≡ BPTT (every gradient, to float32 rounding)", () => {
    const e = runAlif({ ...opts, backward: "exodus" }, [T, B, F], x, g);
    const b = runAlif({ ...opts, backward: "bptt" }, [T, B, F], x, g);
    expect(Array.from(b.s)).toEqual(Array.from(e.s));
    expect(relErr(e.dx, b.dx)).toBeLessThan(1e-5);
    expect(relErr(e.dv0, b.dv0)).toBeLessThan(1e-5);
    expect(relErr(e.db0, b.db0)).toBeLessThan(1e-5);
    for (const k of ["alpha", "rho", "beta", "threshold"]) expect(relErr(e.grads[k], b.grads[k]), k).toBeLessThan(1e-5);
    for (let i = 0; i < 2; i++) expect(relErr(e.state[i], b.state[i])).toBeLessThan(1e-6);
  });

  it("SLAYER matches its reference and deviates from EXODUS", () => {
    const p: AlifRefParams = { T, N, alpha: [Math.fround(Math.exp(-1 / 20))], rho: [Math.fround(Math.exp(-1 / 50))], beta: [0.8], theta0: [0.9], sg: { name: "exponential", scale: 1, width: 0.5 } };
    const s = runAlif({ ...opts, backward: "slayer" }, [T, B, F], x, g);
    const e = runAlif({ ...opts, backward: "exodus" }, [T, B, F], x, g);
    const f = alifForwardRef(p, x, {}, s.s);
    const r = alifBackwardRef(p, f, g, { slayer: true });
    expect(relErr(s.dx, r.dx)).toBeLessThan(1e-4);
    expect(relErr(s.grads.threshold, Float64Array.of(r.dtheta0.reduce((a, v) => a + v, 0)))).toBeLessThan(1e-4);
    expect(relErr(s.dx, e.dx)).toBeGreaterThan(0.05);
  });

  it("β = 0 is the LIF with reset amount θ0", () => {
    const a = runAlif({ alpha: 0.9, beta: 0, threshold: 0.8, learn: ["alpha"] }, [T, B, F], x, g);
    const lif = new LIF({ alpha: 0.9, threshold: 0.8, learnAlpha: true, device: cpu });
    const s = lif.forward(Tensor.from(x, [T, B, F], cpu));
    const dx = lif.backward(Tensor.from(g, [T, B, F], cpu));
    expect(Array.from(a.s)).toEqual(Array.from(s.toArray()));
    expect(relErr(a.v, lif.membrane!.toArray())).toBeLessThan(1e-6);
    expect(relErr(a.dx, dx.toArray())).toBeLessThan(1e-5);
    expect(relErr(a.dv0, lif.stateGrad!.toArray())).toBeLessThan(1e-5);
    expect(relErr(a.grads.alpha, lif.parameters()[0].grad.toArray())).toBeLessThan(1e-5);
    lif.dispose();
  });

  it("streams: two chunks equal one call (spikes, potentials, (v, b) state)", () => {
    expectStreams(() => new ALIF({ ...opts, stateful: true, device: cpu }), x, [T, B, F], 47, cpu);
  });

  it("rejects bad options with messages naming the field", () => {
    expect(() => new ALIF({ rho: 1 })).toThrow(/ALIF rho: expected a decay in \(0, 1\)/);
    expect(() => new ALIF({ rho: 0.9, tauAdapt: 10 })).toThrow(/either rho or tauAdapt/);
    expect(() => new ALIF({ beta: -1 })).toThrow(/ALIF beta: expected a number >= 0/);
    expect(() => new ALIF({ learn: ["gamma" as never] })).toThrow(/ALIF learn: expected names among alpha, rho, beta, threshold/);
    expect(() => new ALIF({ alpha: [0.9, 0.8], beta: [1, 2, 3] })).toThrow(/ALIF beta: expected 3 values|ALIF alpha: expected 3 values/);
  });
});
