// CubaLIF (docs/neurons.md §7): forward against a float64 loop, EXODUS against the float64
// reverse-mode reference (input, both states, α and α_s), EXODUS ≡ the BPTT tape, the parameter
// gradients against central finite differences of a smooth float64 function with the same
// derivative, SLAYER against its reference, streaming, CubaLIF ≡ ExpLeak → LIF, and bad options.
import { describe, expect, it } from "vitest";
import { Device } from "../../lib/device.js";
import { CubaLIF, type CubaLIFOptions } from "../../lib/nn/cuba.js";
import { ExpLeak } from "../../lib/nn/expleak.js";
import { LIF } from "../../lib/nn/lif.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { type CubaRefParams, cubaBackwardRef, cubaForwardRef } from "../../lib/selftest/cuba-reference.js";
import { runCuba } from "./cuba-helpers.js";
import { firingInput, normal } from "./helpers.js";
import { relErr, spikeRate } from "./reference.js";
import { expectParamGrads, expectSameSpikes, expectStreams } from "./checks.js";

const cpu = Device.cpu;
const T = 120, B = 3, F = 16, N = B * F;
const f32 = (a: number[]) => a.map(Math.fround);
const perF = (lo: number, span: number) => Array.from({ length: F }, (_, i) => lo + span * (i / F));
const cases: { label: string; opts: CubaLIFOptions; ref: Omit<CubaRefParams, "T" | "N">; mean: number }[] = [
  {
    label: "τs=5, τm=20, subtract, exponential",
    opts: { tauSyn: 5, tauMem: 20 },
    ref: { alphaSyn: [Math.fround(Math.exp(-1 / 5))], alpha: [Math.fround(Math.exp(-1 / 20))], theta: [1], reset: "subtract", sg: { name: "exponential", scale: 1, width: 0.5 } },
    mean: 0.08,
  },
  {
    label: "per-neuron α_s, α, θ, zero reset, fast_sigmoid",
    opts: { alphaSyn: perF(0.5, 0.45), alpha: perF(0.8, 0.19), threshold: perF(0.6, 0.8), reset: "zero", surrogate: { name: "fast_sigmoid", scale: 0.7 } },
    ref: { alphaSyn: f32(perF(0.5, 0.45)), alpha: f32(perF(0.8, 0.19)), theta: f32(perF(0.6, 0.8)), reset: "zero", sg: { name: "fast_sigmoid", scale: 0.7, width: 10 } },
    mean: 0.15,
  },
  {
    label: "boxcar surrogate, slow current",
    opts: { alphaSyn: 0.95, alpha: 0.9, threshold: 0.5, surrogate: "boxcar" },
    ref: { alphaSyn: [Math.fround(0.95)], alpha: [Math.fround(0.9)], theta: [0.5], reset: "subtract", sg: { name: "boxcar", scale: 1, width: 1 } },
    mean: 0.02,
  },
];

describe("CubaLIF against the float64 reference", () => {
  for (const c of cases)
    it(c.label, () => {
      const rng = new Rng(23);
      const x = firingInput(rng, T, N, c.mean, 0.4);
      const g = normal(rng, T * N);
      const v0 = normal(rng, N, 0.3), i0 = normal(rng, N, 0.2);
      const p: CubaRefParams = { T, N, ...c.ref };
      const exo = runCuba(c.opts, [T, B, F], x, g, { v0, i0 });
      const free = cubaForwardRef(p, x, { v0, i0 });
      expectSameSpikes(exo.s, free.s);
      // The float64 loop on the kernel's spikes (a potential within rounding of θ may flip).
      const f = cubaForwardRef(p, x, { v0, i0 }, exo.s);
      expect(relErr(exo.v, f.v)).toBeLessThan(1e-5);
      expect(relErr(exo.state[0], f.vState)).toBeLessThan(1e-5);
      expect(relErr(exo.state[1], f.iState)).toBeLessThan(1e-5);
      const r = cubaBackwardRef(p, f, g, { v0, i0 });
      expect(relErr(exo.dx, r.dx)).toBeLessThan(1e-4);
      expect(relErr(exo.dv0, r.dv0)).toBeLessThan(1e-4);
      expect(relErr(exo.di0, r.di0)).toBeLessThan(1e-4);
      expectParamGrads(exo.grads, [["alpha", r.dalpha], ["alphaSyn", r.dalphaSyn]]);
    });
});

describe("CubaLIF gradients", () => {
  const rng = new Rng(5);
  const x = firingInput(rng, T, N, 0.08, 0.4);
  const g = normal(rng, T * N);
  const opts: CubaLIFOptions = { tauSyn: 5, tauMem: 20, threshold: 0.9 };

  for (const reset of ["subtract", "zero"] as const)
    it(`EXODUS ≡ BPTT (every gradient, to float32 rounding), reset ${reset}`, () => {
      const e = runCuba({ ...opts, reset, backward: "exodus" }, [T, B, F], x, g);
      const b = runCuba({ ...opts, reset, backward: "bptt" }, [T, B, F], x, g);
      expect(Array.from(b.s)).toEqual(Array.from(e.s));
      expect(spikeRate(e.s)).toBeGreaterThan(0.05);
      expect(relErr(e.dx, b.dx)).toBeLessThan(1e-5);
      expect(relErr(e.dv0, b.dv0)).toBeLessThan(1e-5);
      expect(relErr(e.di0, b.di0)).toBeLessThan(1e-5);
      // A shared decay's gradient is a sum of T·N signed terms, added in another order by the tape.
      for (const k of ["alpha", "alphaSyn"]) expect(relErr(e.grads[k], b.grads[k]), k).toBeLessThan(5e-5);
      for (let i = 0; i < 2; i++) expect(relErr(e.state[i], b.state[i])).toBeLessThan(1e-6);
    });

  it("α and α_s gradients equal central finite differences of a smooth float64 loss with the same derivative", () => {
    // L(p) = Σ g·s̃ with s̃ = s* + Φ(v) − Φ(v*), Φ' = σ (exponential surrogate), s*, v* the spikes and
    // potentials at p: s̃ = s at p and ∂s̃/∂v = σ, in the spike and in the reset alike, which is
    // what EXODUS differentiates. Here s̃ is smooth in p, so finite differences apply.
    const a = 1, w = 0.5, th = 0.9;
    const Phi = (v: number) => { const d = v - th; return Math.sign(d) * a * (1 - Math.exp(-Math.abs(d) / (th * w))); };
    const base = { alphaSyn: Math.fround(Math.exp(-1 / 5)), alpha: Math.fround(Math.exp(-1 / 20)) };
    const p0: CubaRefParams = { T, N, alphaSyn: [base.alphaSyn], alpha: [base.alpha], theta: [th], reset: "subtract", sg: { name: "exponential", scale: a, width: w } };
    const star = cubaForwardRef(p0, x);
    const loss = (as: number, al: number) => {
      let L = 0;
      for (let n = 0; n < N; n++) {
        let cur = 0, vp = 0;
        for (let t = 0; t < T; t++) {
          const o = t * N + n;
          cur = as * cur + x[o];
          const v = al * vp + cur;
          const s = star.s[o] + Phi(v) - Phi(star.v[o]);
          vp = v - th * s;
          L += g[o] * s;
        }
      }
      return L;
    };
    const h = 1e-6;
    const fdSyn = (loss(base.alphaSyn + h, base.alpha) - loss(base.alphaSyn - h, base.alpha)) / (2 * h);
    const fdMem = (loss(base.alphaSyn, base.alpha + h) - loss(base.alphaSyn, base.alpha - h)) / (2 * h);
    const e = runCuba({ alphaSyn: base.alphaSyn, alpha: base.alpha, threshold: th }, [T, B, F], x, g);
    expect(Math.abs(fdSyn)).toBeGreaterThan(1);
    expect(Math.abs(fdMem)).toBeGreaterThan(1);
    expect(Math.abs(e.grads.alphaSyn[0] - fdSyn) / Math.abs(fdSyn)).toBeLessThan(1e-4);
    expect(Math.abs(e.grads.alpha[0] - fdMem) / Math.abs(fdMem)).toBeLessThan(1e-4);
  });

  it("SLAYER matches its reference and deviates from EXODUS", () => {
    const p: CubaRefParams = { T, N, alphaSyn: [Math.fround(Math.exp(-1 / 5))], alpha: [Math.fround(Math.exp(-1 / 20))], theta: [0.9], reset: "subtract", sg: { name: "exponential", scale: 1, width: 0.5 } };
    const s = runCuba({ ...opts, backward: "slayer" }, [T, B, F], x, g);
    const e = runCuba({ ...opts, backward: "exodus" }, [T, B, F], x, g);
    const r = cubaBackwardRef(p, cubaForwardRef(p, x, {}, s.s), g, { slayer: true });
    expect(relErr(s.dx, r.dx)).toBeLessThan(1e-4);
    expect(relErr(s.grads.alpha, Float64Array.of(r.dalpha[0]))).toBeLessThan(1e-4);
    expect(relErr(s.dx, e.dx)).toBeGreaterThan(0.05);
  });

  it("is ExpLeak → LIF, bit for bit in the forward, and in ∂x", () => {
    const c = runCuba({ alphaSyn: 0.8, alpha: 0.9, threshold: 0.9, learn: [] }, [T, B, F], x, g);
    const leak = new ExpLeak({ beta: 0.8, device: cpu }), lif = new LIF({ alpha: 0.9, threshold: 0.9, device: cpu });
    const s = lif.forward(leak.forward(Tensor.from(x, [T, B, F], cpu)));
    expect(Array.from(c.s)).toEqual(Array.from(s.toArray()));
    const dx = leak.backward(lif.backward(Tensor.from(g, [T, B, F], cpu)));
    expect(relErr(c.dx, dx.toArray())).toBeLessThan(1e-5);
    leak.dispose();
    lif.dispose();
  });

  it("streams: two chunks equal one call (spikes, (v, i) state)", () => {
    expectStreams(() => new CubaLIF({ ...opts, stateful: true, device: cpu }), x, [T, B, F], 47, cpu);
  });

  it("rejects bad options with messages naming the field", () => {
    expect(() => new CubaLIF({})).toThrow(/CubaLIF options: expected alphaSyn or tauSyn/);
    expect(() => new CubaLIF({ alphaSyn: 1.5 })).toThrow(/CubaLIF alphaSyn: expected a decay in \(0, 1\]/);
    expect(() => new CubaLIF({ alphaSyn: 0.9, tauSyn: 3 })).toThrow(/either alphaSyn or tauSyn/);
    expect(() => new CubaLIF({ alphaSyn: 0.9, dt: 2 })).toThrow(/CubaLIF dt: expected no value unless tauSyn or tauMem/);
    expect(() => new CubaLIF({ tauSyn: 5, learn: ["beta" as never] })).toThrow(/CubaLIF learn: expected names among alpha, alphaSyn/);
    expect(() => new CubaLIF({ alphaSyn: [0.9, 0.8], alpha: [0.9, 0.8, 0.7] })).toThrow(/CubaLIF alphaSyn: expected 3 values/);
    expect(() => new CubaLIF({ tauSyn: 5, reset: "half" as never })).toThrow(/CubaLIF reset/);
  });
});
