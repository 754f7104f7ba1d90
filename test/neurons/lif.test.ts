// LIF/IAF kernels against the float64 reference, and EXODUS ≡ BPTT over a grid of options.
import { describe, expect, it } from "vitest";
import type { LIFOptions } from "../../lib/nn/lif.js";
import { Rng } from "../../lib/random.js";
import { firingInput, normal, runLif } from "./helpers.js";
import { type LifRefParams, lifBackwardRef, lifForwardRef, relErr, spikeRate } from "./reference.js";

function refParams(o: LIFOptions, T: number, N: number): LifRefParams {
  const arr = (v: unknown, d: number) => (v === undefined ? [d] : typeof v === "number" ? [v] : Array.from(v as number[]));
  let alpha = arr(o.alpha, 1);
  if (o.tauMem !== undefined) alpha = arr(o.tauMem, 1).map((tau) => Math.exp(-(o.dt ?? 1) / tau));
  const theta = arr(o.threshold, 1);
  const P = Math.max(alpha.length, theta.length);
  const ex = (a: number[]) => (a.length === P ? a : new Array(P).fill(a[0]));
  const sg = typeof o.surrogate === "string" ? { name: o.surrogate } : (o.surrogate ?? {});
  const defW: Record<string, number> = { exponential: 0.5, boxcar: 1, gaussian: 0.5, fast_sigmoid: 10, arctan: 1, triangle: 1, rectangle: 0.5 };
  const name = sg.name ?? "exponential";
  return {
    T, N, alpha: Float32Array.from(ex(alpha)), theta: Float32Array.from(ex(theta)),
    m: o.resetAmount !== undefined ? Float32Array.from(new Array(P).fill(o.resetAmount)) : Float32Array.from(ex(theta)),
    reset: o.reset ?? "subtract", multi: o.spikeFn === "multi", maxSpikes: o.maxSpikes ?? 0, vMin: o.vMin,
    normInput: o.normInput, sg: { name, scale: sg.scale ?? 1, width: sg.width ?? defW[name] },
  };
}

interface Case {
  label: string;
  opts: LIFOptions;
  T: number;
  B?: number;
  F?: number;
  mean?: number;
  std?: number;
  withH?: boolean;
  withV0?: boolean;
  /** Looser only where |α·ρ| > 1 makes the gradient grow geometrically and float32 rounding with it. */
  tol?: number;
}

const tau30 = Math.exp(-1 / 30);
const cases: Case[] = [
  { label: "LIF τ=30 subtract exponential", opts: { tauMem: 30 }, T: 300 },
  { label: "IAF α=1 subtract", opts: { alpha: 1 }, T: 300, mean: 0.1 },
  { label: "α=0.9 θ=0.5 zero reset", opts: { alpha: 0.9, threshold: 0.5, reset: "zero" }, T: 200, mean: 0.15, std: 0.4 },
  { label: "α=0.8 m=0.5θ vMin=-0.5", opts: { alpha: 0.8, resetAmount: 0.5, vMin: -0.5 }, T: 200 },
  { label: "multi-spike", opts: { alpha: 0.95, spikeFn: "multi" }, T: 200, mean: 0.6, std: 1.2 },
  { label: "multi-spike capped at 2", opts: { alpha: 0.95, spikeFn: "multi", maxSpikes: 2, threshold: 0.7 }, T: 200, mean: 0.6, std: 1.5 },
  { label: "boxcar surrogate", opts: { tauMem: 10, surrogate: { name: "boxcar", scale: 0.5, width: 0.5 } }, T: 150 },
  { label: "gaussian surrogate", opts: { tauMem: 10, surrogate: { name: "gaussian", scale: 1, width: 0.3 } }, T: 150 },
  { label: "fast_sigmoid surrogate", opts: { tauMem: 20, surrogate: { name: "fast_sigmoid", scale: 1, width: 10 } }, T: 150 },
  { label: "arctan surrogate, zero reset, vMin 0", opts: { tauMem: 20, reset: "zero", vMin: 0, surrogate: "arctan" }, T: 150 },
  { label: "triangle surrogate (compact support)", opts: { tauMem: 20, surrogate: { name: "triangle", scale: 1, width: 0.7 } }, T: 200 },
  { label: "triangle surrogate, defaults, IAF", opts: { alpha: 1, surrogate: "triangle" }, T: 200, mean: 0.1 },
  { label: "rectangle surrogate (compact support)", opts: { tauMem: 20, surrogate: { name: "rectangle", scale: 0.8, width: 0.4 } }, T: 200 },
  { label: "normInput", opts: { alpha: 0.7, normInput: true, threshold: 0.5 }, T: 150, mean: 0.8 },
  { label: "per-neuron α and θ", opts: { alpha: [0.6, 0.8, 0.9, 0.95, 0.99], threshold: [0.5, 1, 1.5, 0.8, 1.2] }, T: 200, F: 5, mean: 0.4 },
  { label: "readout h = ∂L/∂v and v0", opts: { tauMem: 15, threshold: 1.2 }, T: 120, withH: true, withV0: true },
  { label: "exponential scale 3 (ρ < -1)", opts: { tauMem: 30, surrogate: { name: "exponential", scale: 3, width: 0.5 } }, T: 300, tol: 3e-5 },
  { label: "T = 1000", opts: { tauMem: 30 }, T: 1000, B: 2, F: 32 },
];

describe("LIF forward and backward against the float64 reference", () => {
  for (const c of cases) {
    it(c.label, () => {
      const B = c.B ?? 4, F = c.F ?? 24, N = B * F, T = c.T;
      const rng = new Rng(7 + T);
      const theta0 = typeof c.opts.threshold === "number" ? c.opts.threshold : 1;
      const x = firingInput(rng, T, N, (c.mean ?? 0.3) * theta0, (c.std ?? 0.8) * theta0);
      const g = normal(rng, T * N);
      const h = c.withH ? normal(rng, T * N, 0.3) : undefined;
      const v0 = c.withV0 ? normal(rng, N, 0.5) : undefined;
      const shape = [T, B, F];
      const p = refParams(c.opts, T, N);

      const ex = runLif({ ...c.opts, backward: "exodus", learnAlpha: true }, shape, x, g, { h, v0 });
      expect(spikeRate(ex.s)).toBeGreaterThan(0.05);

      // Forward: follow the kernel's spikes; its potentials must match, and its spikes must be
      // S(v) except within float32 rounding of a threshold crossing.
      const f = lifForwardRef(p, x, v0, ex.s);
      expect(relErr(ex.v, f.v)).toBeLessThan(1e-5);
      const free = lifForwardRef(p, x, v0);
      let flips = 0;
      for (let i = 0; i < ex.s.length; i++) if (ex.s[i] !== free.s[i]) flips++;
      expect(flips / ex.s.length).toBeLessThan(0.02); // a rounding flip changes the rest of that neuron only
      let unexplained = 0;
      for (let i = 0; i < ex.s.length; i++) {
        const th = p.theta[(i % N) % p.theta.length];
        const want = p.multi ? Math.min(Math.max(0, Math.floor(f.v[i] / th)), p.maxSpikes || Infinity) : f.v[i] >= th ? 1 : 0;
        const nearEdge = Math.abs(f.v[i] / th - Math.round(f.v[i] / th)) < 1e-4;
        if (ex.s[i] !== want && !nearEdge) unexplained++;
      }
      expect(unexplained).toBe(0);

      // EXODUS: the exact gradient of that trajectory.
      const r = lifBackwardRef(p, f, x, g, { h, v0 });
      expect(relErr(ex.dx, r.dx)).toBeLessThan(1e-5);
      expect(relErr(ex.dv0, r.dv0)).toBeLessThan(1e-5);
      expect(relErr(ex.dalpha!, r.dalpha)).toBeLessThan(1e-5);

      // BPTT (the tape): same spikes, same gradients.
      const bp = runLif({ ...c.opts, backward: "bptt", learnAlpha: true }, shape, x, g, { h, v0 });
      expect(Array.from(bp.s)).toEqual(Array.from(ex.s));
      expect(relErr(bp.v, ex.v)).toBeLessThan(1e-5);
      const tol = c.tol ?? 1e-5;
      expect(relErr(bp.dx, ex.dx)).toBeLessThan(tol);
      expect(relErr(bp.dv0, ex.dv0)).toBeLessThan(tol);
      expect(relErr(bp.dalpha!, ex.dalpha!)).toBeLessThan(tol);
      expect(relErr(bp.dx, r.dx)).toBeLessThan(tol);
    });
  }
});
