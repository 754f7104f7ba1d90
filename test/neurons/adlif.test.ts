// adLIF (docs/neurons.md §8, symplectic Euler): forward against a float64 loop, EXODUS against the
// float64 reverse-mode reference (input, both states, α, β, a, b), EXODUS ≡ the BPTT tape, the
// parameter gradients against central finite differences of a smooth float64 loss with the same
// derivative, SLAYER against its reference, streaming, and bad options.
import { describe, expect, it } from "vitest";
import { Device } from "../../lib/device.js";
import { AdLIF, type AdLIFOptions } from "../../lib/nn/adlif.js";
import { Rng } from "../../lib/random.js";
import { type AdlifRefParams, adlifBackwardRef, adlifForwardRef } from "../../lib/selftest/adlif-reference.js";
import { firingInput, normal, runStateful } from "./helpers.js";
import { relErr, spikeRate } from "./reference.js";
import { expectParamGrads, expectSameSpikes, expectStreams } from "./checks.js";

const cpu = Device.cpu;
const PARAMS = ["alpha", "beta", "a", "b"] as const;

function runAdlif(opts: AdLIFOptions, shape: number[], x: Float32Array, g: Float32Array, init?: { v0: Float32Array; w0: Float32Array }) {
  const r = runStateful(new AdLIF({ learn: [...PARAMS], stateful: true, ...opts, device: cpu }), shape, x, g, init && [init.v0, init.w0]);
  return { ...r, dv0: r.dStates[0], dw0: r.dStates[1] };
}

const T = 150, B = 3, F = 16, N = B * F;
const f32 = (a: number[]) => a.map(Math.fround);
const perF = (lo: number, span: number) => Array.from({ length: F }, (_, i) => lo + span * (i / F));
const sgExp = { name: "exponential", scale: 1, width: 0.5 };
const cases: { label: string; opts: AdLIFOptions; ref: Omit<AdlifRefParams, "T" | "N">; mean: number }[] = [
  {
    label: "τm=10, τw=60, a=0.5, b=1, subtract, exponential",
    opts: { tauMem: 10, tauAdapt: 60, a: 0.5, b: 1 },
    ref: { alpha: [Math.fround(Math.exp(-1 / 10))], beta: [Math.fround(Math.exp(-1 / 60))], a: [0.5], b: [1], theta: [1], reset: "subtract", sg: sgExp },
    mean: 1.6,
  },
  {
    label: "per-neuron α, β, a, b, θ, zero reset, fast_sigmoid",
    opts: { alpha: perF(0.8, 0.15), beta: perF(0.9, 0.09), a: perF(-0.5, 1.5), b: perF(0.2, 1.5), threshold: perF(0.6, 0.6), reset: "zero", surrogate: { name: "fast_sigmoid", scale: 0.7 } },
    ref: { alpha: f32(perF(0.8, 0.15)), beta: f32(perF(0.9, 0.09)), a: f32(perF(-0.5, 1.5)), b: f32(perF(0.2, 1.5)), theta: f32(perF(0.6, 0.6)), reset: "zero", sg: { name: "fast_sigmoid", scale: 0.7, width: 10 } },
    mean: 1.2,
  },
];

describe("adLIF against the float64 reference", () => {
  for (const c of cases)
    it(c.label, () => {
      const rng = new Rng(29);
      const x = firingInput(rng, T, N, c.mean, 1.5);
      const g = normal(rng, T * N);
      const v0 = normal(rng, N, 0.3), w0 = normal(rng, N, 0.2);
      const p: AdlifRefParams = { T, N, ...c.ref };
      const exo = runAdlif(c.opts, [T, B, F], x, g, { v0, w0 });
      const free = adlifForwardRef(p, x, { v0, w0 });
      expectSameSpikes(exo.s, free.s);
      const f = adlifForwardRef(p, x, { v0, w0 }, exo.s);
      expect(relErr(exo.v, f.v)).toBeLessThan(1e-5);
      expect(relErr(exo.state[0], f.vState)).toBeLessThan(1e-5);
      expect(relErr(exo.state[1], f.wState)).toBeLessThan(1e-5);
      const r = adlifBackwardRef(p, f, x, g, { v0, w0 });
      expect(relErr(exo.dx, r.dx)).toBeLessThan(1e-4);
      expect(relErr(exo.dv0, r.dv0)).toBeLessThan(1e-4);
      expect(relErr(exo.dw0, r.dw0)).toBeLessThan(1e-4);
      expectParamGrads(exo.grads, [["alpha", r.dalpha], ["beta", r.dbeta], ["a", r.da], ["b", r.db]]);
    });
});

describe("adLIF gradients", () => {
  const rng = new Rng(6);
  const x = firingInput(rng, T, N, 1.2, 1.5);
  const g = normal(rng, T * N);
  const opts: AdLIFOptions = { tauMem: 10, tauAdapt: 60, a: 0.3, b: 0.8, threshold: 0.9 };

  for (const reset of ["subtract", "zero"] as const)
    it(`EXODUS ≡ BPTT (every gradient, to float32 rounding), reset ${reset}`, () => {
      const e = runAdlif({ ...opts, reset, backward: "exodus" }, [T, B, F], x, g);
      const b = runAdlif({ ...opts, reset, backward: "bptt" }, [T, B, F], x, g);
      expect(Array.from(b.s)).toEqual(Array.from(e.s));
      expect(spikeRate(e.s)).toBeGreaterThan(0.05);
      expect(relErr(e.dx, b.dx)).toBeLessThan(1e-5);
      expect(relErr(e.dv0, b.dv0)).toBeLessThan(1e-5);
      expect(relErr(e.dw0, b.dw0)).toBeLessThan(1e-5);
      // A shared parameter's gradient is a sum of T·N signed terms, added in another order by the tape.
      for (const k of PARAMS) expect(relErr(e.grads[k], b.grads[k]), k).toBeLessThan(5e-5);
      for (let i = 0; i < 2; i++) expect(relErr(e.state[i], b.state[i])).toBeLessThan(1e-6);
    });

  it("α, β, a, b gradients equal central finite differences of a smooth float64 loss with the same derivative", () => {
    // L(p) = Σ g·s̃, s̃ = s* + Φ(v) − Φ(v*) with Φ' = σ (exponential surrogate) and s*, v* the spikes and
    // potentials at p: s̃ = s at p and ∂s̃/∂v = σ everywhere s is used (output, reset, adaptation).
    const th = 0.9, w = 0.5;
    const Phi = (v: number) => { const d = v - th; return Math.sign(d) * (1 - Math.exp(-Math.abs(d) / (th * w))); };
    const base = { alpha: Math.fround(Math.exp(-1 / 10)), beta: Math.fround(Math.exp(-1 / 60)), a: Math.fround(0.3), b: Math.fround(0.8) };
    const p0: AdlifRefParams = { T, N, alpha: [base.alpha], beta: [base.beta], a: [base.a], b: [base.b], theta: [th], reset: "subtract", sg: sgExp };
    const star = adlifForwardRef(p0, x);
    const loss = (q: typeof base) => {
      let L = 0;
      for (let n = 0; n < N; n++) {
        let vp = 0, wt = 0;
        for (let t = 0; t < T; t++) {
          const o = t * N + n;
          const v = q.alpha * vp + (1 - q.alpha) * (x[o] - wt);
          const s = star.s[o] + Phi(v) - Phi(star.v[o]);
          vp = v - th * s;
          wt = q.beta * wt + (1 - q.beta) * (q.a * vp + q.b * s);
          L += g[o] * s;
        }
      }
      return L;
    };
    const e = runAdlif({ alpha: base.alpha, beta: base.beta, a: base.a, b: base.b, threshold: th }, [T, B, F], x, g);
    const h = 1e-6;
    for (const k of PARAMS) {
      const fd = (loss({ ...base, [k]: base[k] + h }) - loss({ ...base, [k]: base[k] - h })) / (2 * h);
      expect(Math.abs(fd), k).toBeGreaterThan(0.1);
      expect(Math.abs(e.grads[k][0] - fd) / Math.abs(fd), k).toBeLessThan(2e-4);
    }
  });

  it("SLAYER matches its reference and deviates from EXODUS", () => {
    const p: AdlifRefParams = { T, N, alpha: [Math.fround(Math.exp(-1 / 10))], beta: [Math.fround(Math.exp(-1 / 60))], a: [Math.fround(0.3)], b: [Math.fround(0.8)], theta: [Math.fround(0.9)], reset: "subtract", sg: sgExp };
    const s = runAdlif({ ...opts, backward: "slayer" }, [T, B, F], x, g);
    const e = runAdlif({ ...opts, backward: "exodus" }, [T, B, F], x, g);
    const r = adlifBackwardRef(p, adlifForwardRef(p, x, {}, s.s), x, g, { slayer: true });
    expect(relErr(s.dx, r.dx)).toBeLessThan(1e-4);
    expect(relErr(s.grads.b, Float64Array.of(r.db[0]))).toBeLessThan(1e-4);
    expect(relErr(s.dx, e.dx)).toBeGreaterThan(0.05);
  });

  it("streams: two chunks equal one call (spikes, (v, w) state)", () => {
    expectStreams(() => new AdLIF({ ...opts, stateful: true, device: cpu }), x, [T, B, F], 47, cpu);
  });

  it("rejects bad options with messages naming the field", () => {
    expect(() => new AdLIF({ alpha: 1 })).toThrow(/AdLIF alpha: expected a decay in \(0, 1\)/);
    expect(() => new AdLIF({ beta: 0.9, tauAdapt: 10 })).toThrow(/either beta or tauAdapt/);
    expect(() => new AdLIF({ a: Number.NaN })).toThrow(/AdLIF a: expected a finite number/);
    expect(() => new AdLIF({ learn: ["rho" as never] })).toThrow(/AdLIF learn: expected names among alpha, beta, a, b/);
    expect(() => new AdLIF({ a: [0.1, 0.2], b: [1, 2, 3] })).toThrow(/AdLIF (a|b): expected 3 values/);
  });
});
