// Recurrent LIF: the fused scans against the float64 reference (an op-by-op BPTT of the unrolled
// net), EXODUS ≡ the BPTT tape, SLAYER against the reference without the reset term, finite
// differences for ∂V, ∂α and ∂bias, streaming state, and the CUDA scans where a device (or the
// emulated one) is built.
import { describe, expect, it } from "vitest";
import { Device, cudaAvailable } from "../../lib/device.js";
import type { RLIFOptions } from "../../lib/nn/rlif.js";
import { RLIF } from "../../lib/nn/rlif.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { rlifBackwardRef, rlifForwardRef } from "../../lib/selftest/rlif-reference.js";
import { firingInput, normal } from "./helpers.js";
import { relErr, spikeRate } from "./reference.js";
import { type RlifRun, rlifRefParams, runRlif } from "./rlif-helpers.js";

interface Case {
  label: string;
  opts: Omit<RLIFOptions, "size">;
  H?: number;
  B?: number;
  T?: number;
  withH?: boolean;
  withInit?: boolean;
  sg?: { name: string; scale: number; width: number };
  /** A compact surrogate's window is this narrow: the backward takes its output-sparse steps. */
  narrow?: boolean;
}

const EXP = { name: "exponential", scale: 1, width: 0.5 };
const cases: Case[] = [
  { label: "τ 20, subtract", opts: { tauMem: 20, learnAlpha: true } },
  { label: "zero reset, bias", opts: { alpha: 0.9, reset: "zero", bias: true, learnAlpha: true } },
  { label: "per-neuron α and θ, h and initial state", opts: { alpha: [0.7, 0.8, 0.9, 0.95, 0.97, 0.99, 0.6, 0.85, 0.9, 0.92, 0.75, 0.8], threshold: [1, 0.8, 1.2, 1, 0.9, 1.1, 1, 1, 0.7, 1.3, 1, 1], learnAlpha: true, bias: true }, withH: true, withInit: true },
  { label: "triangle surrogate, H 40 (several rows of Vᵀ per spike)", opts: { tauMem: 10, surrogate: { name: "triangle", scale: 1, width: 0.7 }, learnAlpha: true }, H: 40, B: 2, T: 60, sg: { name: "triangle", scale: 1, width: 0.7 } },
  { label: "B 17 rows (uneven chunks), initScale 3", opts: { tauMem: 15, initScale: 3, learnAlpha: true, seed: 4 }, H: 8, B: 17, T: 50 },
  { label: "H 300 (several neurons per CUDA thread)", opts: { tauMem: 10, learnAlpha: true, bias: true }, H: 300, B: 2, T: 20 },
  // Narrow compact windows: most steps compute Vᵀλ only for the neurons inside the window (cpu/rlif.cc),
  // H not a multiple of 8 or 4 (the dot products' tails), B 40 (blocks of 2–3 rows per chunk).
  { label: "rectangle surrogate, narrow window, zero reset, h and initial state, H 45, B 40", opts: { tauMem: 20, reset: "zero", surrogate: { name: "rectangle", scale: 0.8, width: 0.15 }, learnAlpha: true, bias: true }, H: 45, B: 40, T: 50, withH: true, withInit: true, sg: { name: "rectangle", scale: 0.8, width: 0.15 }, narrow: true },
  { label: "triangle surrogate, narrow window, H 61, B 40", opts: { tauMem: 10, surrogate: { name: "triangle", scale: 1, width: 0.25 }, learnAlpha: true }, H: 61, B: 40, T: 50, sg: { name: "triangle", scale: 1, width: 0.25 }, narrow: true },
];

function inputs(c: Case, seed: number) {
  const H = c.H ?? 12, B = c.B ?? 3, T = c.T ?? 80, N = B * H;
  const rng = new Rng(seed);
  return {
    H, B, T, N, x: firingInput(rng, T, N, 0.25, 0.7), g: normal(rng, T * N), h: c.withH ? normal(rng, T * N, 0.3) : undefined,
    v0: c.withInit ? normal(rng, N, 0.5) : undefined, s0: c.withInit ? Float32Array.from({ length: N }, () => (rng.uniform() < 0.3 ? 1 : 0)) : undefined,
  };
}

function checkAgainstRef(c: Case, r: RlifRun, io: ReturnType<typeof inputs>, slayer: boolean, tol = 2e-5) {
  const p = rlifRefParams({ ...c.opts, size: io.H }, io.T, io.B, r.w, c.opts.bias ? r.bias : undefined, c.sg ?? EXP);
  const f = rlifForwardRef(p, io.x, { v0: io.v0, s0: io.s0 }, r.s);
  expect(relErr(r.v, f.v)).toBeLessThan(1e-5);
  // The kernel's spikes are the reference's own wherever v is not within rounding of θ.
  for (let k = 0; k < f.v.length; k++) if (Math.abs(f.v[k] - p.theta[k % io.H]) > 1e-4) expect(r.s[k]).toBe(f.v[k] >= p.theta[k % io.H] ? 1 : 0);
  const rate = spikeRate(r.s);
  expect(rate).toBeGreaterThan(0.05);
  expect(rate).toBeLessThan(0.8);
  if (c.narrow) {
    // Most neurons are outside the window on most steps (the output-sparse regime), some inside.
    let inside = 0;
    for (let k = 0; k < f.v.length; k++) if (Math.abs(f.v[k] - p.theta[k % io.H]) < c.sg!.width * p.theta[k % io.H]) inside++;
    expect(inside / f.v.length).toBeLessThan(0.25);
    expect(inside / f.v.length).toBeGreaterThan(0.02);
  }
  const ref = rlifBackwardRef(p, f, io.g, { h: io.h, slayer });
  expect(relErr(r.dx, ref.dx)).toBeLessThan(tol);
  expect(relErr(r.dw, ref.dw)).toBeLessThan(tol);
  expect(relErr(r.dv0, ref.dv0)).toBeLessThan(tol);
  expect(relErr(r.ds0, ref.ds0)).toBeLessThan(tol);
  if (c.opts.learnAlpha) expect(relErr(r.dalpha!, ref.dalpha)).toBeLessThan(tol);
  if (c.opts.bias) expect(relErr(r.dbias!, ref.dbias)).toBeLessThan(tol);
  return ref;
}

describe("RLIF against the float64 reference", () => {
  for (const c of cases)
    for (const backward of ["exodus", "slayer", "bptt"] as const)
      it(`${c.label}: ${backward}`, () => {
        const io = inputs(c, 7);
        const r = runRlif({ ...c.opts, size: io.H, backward }, io.T, io.B, io.x, io.g, { h: io.h, v0: io.v0, s0: io.s0, bias: c.opts.bias ? normal(new Rng(3), io.H, 0.1) : undefined });
        const ref = checkAgainstRef(c, r, io, backward === "slayer");
        // The recurrent path carries a real share of the gradient: without it ∂V would be 0.
        expect(ref.dw.some((v) => v !== 0)).toBe(true);
      });

  it("SLAYER differs from EXODUS (the reset term matters here)", () => {
    const c = cases[0];
    const io = inputs(c, 7);
    const a = runRlif({ ...c.opts, size: io.H, backward: "exodus" }, io.T, io.B, io.x, io.g);
    const b = runRlif({ ...c.opts, size: io.H, backward: "slayer" }, io.T, io.B, io.x, io.g);
    expect(relErr(a.dw, b.dw)).toBeGreaterThan(1e-2);
  });

  it("a sequence in two chunks (stateful) equals one call", () => {
    const c = cases[1];
    const io = inputs(c, 9);
    const H = io.H, B = io.B, N = B * H, T1 = 30;
    const whole = runRlif({ ...c.opts, size: H }, io.T, B, io.x, io.g);
    const a = runRlif({ ...c.opts, size: H }, T1, B, io.x.subarray(0, T1 * N), io.g.subarray(0, T1 * N));
    const b = runRlif({ ...c.opts, size: H }, io.T - T1, B, io.x.subarray(T1 * N), io.g.subarray(T1 * N), { v0: a.state[0], s0: a.state[1] });
    expect(Array.from(b.s)).toEqual(Array.from(whole.s.subarray(T1 * N)));
    expect(relErr(b.v, whole.v.subarray(T1 * N))).toBeLessThan(1e-6);
  });
});

describe("RLIF finite differences (∂V, ∂α, ∂bias)", () => {
  // With a compact surrogate narrower than every |v − θ| of the run, σ = 0 on every step and small
  // perturbations flip no spike: the loss Σ h·v is then differentiable and its central
  // differences must equal the gradient through the leak, the reset and the recurrent product.
  it("central differences of Σ h·v equal the gradient", () => {
    const H = 6, B = 2, T = 30, N = B * H;
    const rng = new Rng(45);  // a seed whose membranes stay at least 0.01 from θ
    const x = firingInput(rng, T, N, 0.25, 0.7), h = normal(rng, T * N), g = new Float32Array(T * N);
    const base = { size: H, alpha: 0.85, bias: true, learnAlpha: true, initScale: 2, seed: 5 } as const;
    const probe = runRlif({ ...base, surrogate: { name: "rectangle", scale: 1, width: 1e-9 } }, T, B, x, g, { h });
    let gap = Infinity;
    for (const v of probe.v) gap = Math.min(gap, Math.abs(v - 1));
    expect(gap).toBeGreaterThan(1e-2);
    expect(spikeRate(probe.s)).toBeGreaterThan(0.05);
    const opts = { ...base, surrogate: { name: "rectangle" as const, scale: 1, width: gap / 2 } };
    const r = runRlif(opts, T, B, x, g, { h });
    const loss = (o: RLIFOptions, w: Float32Array, bias?: Float32Array) => {
      const q = runRlif(o, T, B, x, g, { h, w, bias });
      expect(Array.from(q.s)).toEqual(Array.from(r.s));
      let l = 0;
      for (let k = 0; k < q.v.length; k++) l += h[k] * q.v[k];
      return l;
    };
    const eps = gap / 20;  // moves no membrane across θ (asserted in loss())
    const rng2 = new Rng(2);
    for (let n = 0; n < 8; n++) {
      const k = rng2.int(H * H);
      const wp = Float32Array.from(r.w), wm = Float32Array.from(r.w);
      wp[k] += eps;
      wm[k] -= eps;
      const fd = (loss(opts, wp) - loss(opts, wm)) / (wp[k] - wm[k]);
      expect(Math.abs(fd - r.dw[k])).toBeLessThan(3e-3 * (1 + Math.abs(r.dw[k])));
    }
    expect(r.dw.some((v) => Math.abs(v) > 0.1)).toBe(true);
    const da = (loss({ ...opts, alpha: 0.85 + eps }, r.w) - loss({ ...opts, alpha: 0.85 - eps }, r.w)) / (Math.fround(0.85 + eps) - Math.fround(0.85 - eps));
    // α is one value per neuron (expanded from the shared 0.85): the shared change moves all of them.
    const daSum = r.dalpha!.reduce((a, b) => a + b, 0);
    expect(Math.abs(da - daSum)).toBeLessThan(3e-3 * (1 + Math.abs(da)));
    const bp = new Float32Array(H), bm = new Float32Array(H);
    bp[2] = eps;
    bm[2] = -eps;
    const db = (loss(opts, r.w, bp) - loss(opts, r.w, bm)) / (2 * eps);
    expect(Math.abs(db - r.dbias![2])).toBeLessThan(3e-3 * (1 + Math.abs(db)));
  });
});

describe("RLIF options", () => {
  it("refuses bad options with the field named", () => {
    expect(() => new RLIF({ size: 0 })).toThrow(/RLIF size/);
    expect(() => new RLIF({ size: 4, alpha: [0.9, 0.8] })).toThrow(/RLIF alpha.*one value or 4/);
    expect(() => new RLIF({ size: 4, initScale: -1 })).toThrow(/RLIF initScale/);
    expect(() => new RLIF({ size: 4, bias: "yes" as unknown as boolean })).toThrow(/RLIF bias/);
    const l = new RLIF({ size: 4 });
    const x = Tensor.zeros([5, 2, 3]);
    expect(() => l.forward(x)).toThrow(/4 values do not tile|4 neurons/);
    x.dispose();
    l.dispose();
  });
});

describe.skipIf(!cudaAvailable())("RLIF on CUDA ≡ the reference", () => {
  for (const c of [cases[0], cases[2], cases[3], cases[5]])
    for (const backward of ["exodus", "slayer"] as const)
      it(`${c.label}: ${backward}`, () => {
        const io = inputs(c, 7);
        const bias = c.opts.bias ? normal(new Rng(3), io.H, 0.1) : undefined;
        const r = runRlif({ ...c.opts, size: io.H, backward }, io.T, io.B, io.x, io.g, { h: io.h, v0: io.v0, s0: io.s0, bias, device: Device.cuda(0) });
        checkAgainstRef(c, r, io, backward === "slayer");
        const cpu = runRlif({ ...c.opts, size: io.H, backward }, io.T, io.B, io.x, io.g, { h: io.h, v0: io.v0, s0: io.s0, bias });
        expect(Array.from(r.s)).toEqual(Array.from(cpu.s));
        expect(relErr(r.dw, cpu.dw)).toBeLessThan(1e-5);
      });
});
