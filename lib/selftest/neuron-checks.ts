// Self-checks of the neuron kernels: LIF/IAF (several option sets), ExpLeak and SRM, forward and
// each backward method (exodus, slayer, bptt), and the spike/surrogate element ops of the tape.
// On the CPU against the float64 reference; on CUDA against the CPU backend.
import type { Device } from "../device.js";
import { ALIF } from "../nn/alif.js";
import { ExpLeak } from "../nn/expleak.js";
import { LIF, type LIFOptions } from "../nn/lif.js";
import { SURROGATES, codes, native } from "../native.js";
import { SRM } from "../nn/srm.js";
import type { Rng } from "../random.js";
import { Tensor } from "../tensor.js";
import {
  type LifRefParams, alifBackwardRef, alifForwardRef, expLeakBackwardRef, expLeakRef, lifBackwardRef, lifForwardRef, spikeRef, srmBackwardRef,
  srmForwardRef, surrogateRef,
} from "./neuron-reference.js";
import { runNeuronLayer } from "./layer-run.js";
import { registerCheck } from "./registry.js";

const T = 200, B = 4, F = 64, N = B * F;
const alifOpts = {
  alpha: Array.from({ length: F }, (_, i) => 0.85 + 0.14 * (i / F)), rho: 0.95, beta: Array.from({ length: F }, (_, i) => 0.1 + 1.5 * (i / F)),
  threshold: Array.from({ length: F }, (_, i) => 0.7 + 0.6 * (i / F)),
};

function noisy(rng: Rng, n: number, mean: number, std: number, lattice = 0): Float32Array {
  const x = rng.fillNormal(new Float32Array(n), mean, std);
  // On a lattice of 1/lattice an IAF's potentials are exact in float32: no rounding anywhere.
  if (lattice) for (let i = 0; i < n; i++) x[i] = Math.round(x[i] * lattice) / lattice;
  return x;
}

interface LifCase {
  label: string;
  opts: LIFOptions;
  ref: Omit<LifRefParams, "T" | "N">;
  mean: number;
  std: number;
  lattice?: number;
  withH?: boolean;
}

const exp = (scale = 1, width = 0.5) => ({ name: "exponential", scale, width });
const a30 = Math.exp(-1 / 30);
const lifCases: LifCase[] = [
  { label: "LIF τ=30 subtract exponential", opts: { tauMem: 30 }, ref: { alpha: [a30], theta: [1], m: [1], reset: "subtract", sg: exp() }, mean: 0.3, std: 0.8 },
  { label: "IAF on a lattice (exact)", opts: { alpha: 1 }, ref: { alpha: [1], theta: [1], m: [1], reset: "subtract", sg: exp() }, mean: 0.1, std: 0.8, lattice: 64 },
  {
    label: "LIF zero reset vMin arctan", opts: { alpha: 0.9, reset: "zero", vMin: -0.5, surrogate: "arctan" },
    ref: { alpha: [0.9], theta: [1], m: [1], reset: "zero", vMin: -0.5, sg: { name: "arctan", scale: 1, width: 1 } }, mean: 0.3, std: 0.8,
  },
  {
    label: "LIF multi-spike capped gaussian", opts: { alpha: 0.95, spikeFn: "multi", maxSpikes: 3, threshold: 0.75, surrogate: { name: "gaussian", width: 0.3 } },
    ref: { alpha: [0.95], theta: [0.75], m: [0.75], reset: "subtract", multi: true, maxSpikes: 3, sg: { name: "gaussian", scale: 1, width: 0.3 } }, mean: 0.5, std: 1.2,
  },
  {
    label: "LIF per-neuron α,θ normInput boxcar",
    opts: { alpha: Array.from({ length: F }, (_, i) => 0.5 + 0.49 * (i / F)), threshold: Array.from({ length: F }, (_, i) => 0.5 + i / F), normInput: true, surrogate: { name: "boxcar", width: 0.5 } },
    ref: { alpha: Array.from({ length: F }, (_, i) => Math.fround(0.5 + 0.49 * (i / F))), theta: Array.from({ length: F }, (_, i) => Math.fround(0.5 + i / F)), m: Array.from({ length: F }, (_, i) => Math.fround(0.5 + i / F)), reset: "subtract", normInput: true, sg: { name: "boxcar", scale: 1, width: 0.5 } },
    mean: 1.2, std: 1.5,
  },
  {
    label: "LIF readout h fast_sigmoid", opts: { alpha: 0.85, surrogate: { name: "fast_sigmoid", scale: 0.5 } },
    ref: { alpha: [0.85], theta: [1], m: [1], reset: "subtract", sg: { name: "fast_sigmoid", scale: 0.5, width: 10 } }, mean: 0.3, std: 0.8, withH: true,
  },
];

for (const c of lifCases)
  for (const backward of ["exodus", "slayer", "bptt"] as const) {
    // ∂α is checked where α is per neuron: a shared α's gradient is one sum over T·N terms of both
    // signs, whose float32 rounding is relative to Σ|terms|, not to the (cancelled) sum.
    const withAlpha = backward !== "slayer" && Array.isArray(c.opts.alpha);
    registerCheck({
      name: `${c.label} (${backward})`,
      group: "neurons",
      tolerance: 1e-5,
      inputs: (rng) => ({ x: noisy(rng, T * N, c.mean, c.std, c.lattice), g: noisy(rng, T * N, 0, 1), h: c.withH ? noisy(rng, T * N, 0, 0.3) : undefined }),
      run: (d: Device, { x, g, h }) => {
        const layer = new LIF({ ...c.opts, backward, learnAlpha: withAlpha, recordV: true, device: d });
        try {
          const s = layer.forward(Tensor.from(x, [T, B, F], d));
          const dx = layer.backward(Tensor.from(g, [T, B, F], d), h ? { dv: Tensor.from(h, [T, B, F], d) } : {});
          const out = [s.toArray(), layer.membrane!.toArray(), dx.toArray()];
          if (withAlpha) out.push(layer.parameters()[0].grad.toArray());
          return out;
        } finally {
          layer.dispose();
        }
      },
      reference: ({ x, g, h }) => {
        // The parameters as the kernel holds them (float32), so only the arithmetic differs.
        const f32 = (a: ArrayLike<number>) => Array.from(a, Math.fround);
        const p = { ...c.ref, alpha: f32(c.ref.alpha), theta: f32(c.ref.theta), m: f32(c.ref.m), T, N };
        const f = lifForwardRef(p, x);
        const r = lifBackwardRef(p, f, x, g, { h, slayer: backward === "slayer" });
        const out: ArrayLike<number>[] = [f.s, f.v, r.dx];
        if (withAlpha) out.push(r.dalpha);
        return out;
      },
    });
  }

for (const backward of ["exodus", "bptt"] as const)
  registerCheck({
    name: `ExpLeak per-neuron β (${backward})`,
    group: "neurons",
    tolerance: 1e-5,
    inputs: (rng) => ({ x: noisy(rng, T * N, 0.1, 1), g: noisy(rng, T * N, 0, 1) }),
    run: (d, { x, g }) => {
      const beta = Array.from({ length: F }, (_, i) => 0.6 + 0.39 * (i / F));
      const layer = new ExpLeak({ beta, learnBeta: true, backward, device: d });
      try {
        const y = layer.forward(Tensor.from(x, [T, B, F], d));
        const dx = layer.backward(Tensor.from(g, [T, B, F], d));
        return [y.toArray(), dx.toArray(), layer.parameters()[0].grad.toArray()];
      } finally {
        layer.dispose();
      }
    },
    reference: ({ x, g }) => {
      const beta = Float32Array.from({ length: F }, (_, i) => 0.6 + 0.39 * (i / F));
      const cur = expLeakRef(T, N, beta, x);
      const r = expLeakBackwardRef(T, N, beta, cur, g);
      return [cur, r.dx, r.dbeta];
    },
  });

for (const backward of ["exodus", "slayer", "bptt"] as const)
  registerCheck({
    name: `SRM τ_sr 4 τ_ref 2 (${backward})`,
    group: "neurons",
    // |ν[0]|·σ reaches 3 here, so ψ grows geometrically backwards and float32 rounding with it.
    tolerance: 3e-5,
    inputs: (rng) => ({ x: noisy(rng, T * N, 0.25, 0.6), g: noisy(rng, T * N, 0, 1) }),
    run: (d, { x, g }) => {
      const layer = new SRM({ tauSr: 4, tauRef: 2, backward, device: d });
      try {
        const s = layer.forward(Tensor.from(x, [T, B, F], d));
        const dx = layer.backward(Tensor.from(g, [T, B, F], d));
        return [s.toArray(), dx.toArray()];
      } finally {
        layer.dispose();
      }
    },
    reference: ({ x, g }) => {
      const probe = new SRM({ tauSr: 4, tauRef: 2, device: "cpu" });
      const p = { T, N, eps: probe.epsilon, nu: probe.nu, theta: 1, sg: { name: "exponential", scale: 1, width: 0.5 } };
      probe.dispose();
      const f = srmForwardRef(p, x);
      return [f.s, srmBackwardRef(p, f.u, g, backward === "slayer")];
    },
  });

// ALIF with per-neuron α, β, θ0 (so each parameter gradient is checked per value; a shared one is
// a cancelling sum, see ∂α above) and a learnable shared ρ checked through EXODUS ≡ BPTT in the tests.
for (const backward of ["exodus", "slayer", "bptt"] as const)
  registerCheck({
    name: `ALIF per-neuron α β θ0, learnable (${backward})`,
    group: "neurons",
    tolerance: 2e-5,
    inputs: (rng) => ({ x: noisy(rng, T * N, 0.4, 0.8), g: noisy(rng, T * N, 0, 1) }),
    run: (d, { x, g }) => {
      return runNeuronLayer(new ALIF({ ...alifOpts, learn: backward === "slayer" ? [] : ["alpha", "beta", "threshold"], backward, device: d }), d, x, g, [T, B, F]);
    },
    reference: ({ x, g }) => {
      const f32 = (a: number[]) => a.map(Math.fround);
      const p = { T, N, alpha: f32(alifOpts.alpha), rho: [Math.fround(alifOpts.rho)], beta: f32(alifOpts.beta), theta0: f32(alifOpts.threshold), sg: exp() };
      const f = alifForwardRef(p, x);
      const r = alifBackwardRef(p, f, g, { slayer: backward === "slayer" });
      // BPTT keeps no membrane: its second output is the spikes again.
      const out: ArrayLike<number>[] = [f.s, backward === "bptt" ? f.s : f.v, r.dx];
      if (backward !== "slayer") out.push(r.dalpha, r.dbeta, r.dtheta0);
      return out;
    },
  });

// ---- element ops of the BPTT tape ---------------------------------------------------------------------
const n = 10007;
registerCheck({
  name: `spike function multi capped [${n}]`,
  group: "neurons",
  tolerance: 0,
  inputs: (rng) => noisy(rng, n, 0.5, 2),
  run: (d, v) => {
    const vt = Tensor.from(v, [n], d), s = Tensor.empty([n], d), th = Tensor.from([0.7], [1], d);
    native().spikeFn({ v: vt, s, n, theta: th, P: 1, multi: true, maxSpikes: 3 });
    return [s.toArray()];
  },
  reference: (v) => [Float64Array.from(v, (x) => spikeRef(x, Math.fround(0.7), true, 3))],
});
for (const name of SURROGATES)
  registerCheck({
    name: `surrogate gradient ${name} [${n}]`,
    group: "neurons",
    tolerance: 1e-5,
    inputs: (rng) => ({ v: noisy(rng, n, 1, 1.5), g: noisy(rng, n, 0, 1) }),
    run: (d, { v, g }) => {
      const vt = Tensor.from(v, [n], d), gt = Tensor.from(g, [n], d), y = Tensor.empty([n], d), th = Tensor.from([1.25], [1], d);
      native().surrogateGrad({ surrogate: codes().surrogate[name], v: vt, g: gt, y, n, theta: th, P: 1, scale: 0.8, width: 0.7 });
      return [y.toArray()];
    },
    reference: ({ v, g }) => [Float64Array.from(v, (x, i) => surrogateRef({ name, scale: 0.8, width: 0.7 }, x, 1.25) * g[i])],
  });
