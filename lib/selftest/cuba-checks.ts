// Self-checks of the CubaLIF scans (docs/neurons.md §7): per-neuron α_s, α, θ with learnable α_s
// and α, each backward method, both resets; on the CPU against the float64 reference
// (cuba-reference.ts), on CUDA against the CPU backend.
import { CubaLIF } from "../nn/cuba.js";
import type { Rng } from "../random.js";
import { cubaBackwardRef, cubaForwardRef } from "./cuba-reference.js";
import { runNeuronLayer } from "./layer-run.js";
import { registerCheck } from "./registry.js";

const T = 200, B = 4, F = 64, N = B * F;
const per = (lo: number, span: number) => Array.from({ length: F }, (_, i) => lo + span * (i / F));
const opts = { alphaSyn: per(0.5, 0.35), alpha: per(0.85, 0.14), threshold: per(0.7, 0.6) };
const noisy = (rng: Rng, n: number, mean: number, std: number) => rng.fillNormal(new Float32Array(n), mean, std);

for (const reset of ["subtract", "zero"] as const)
  for (const backward of ["exodus", "slayer", "bptt"] as const)
    registerCheck({
      name: `CubaLIF per-neuron α_s α θ, ${reset} reset, learnable (${backward})`,
      group: "neurons",
      tolerance: 2e-5,
      inputs: (rng) => ({ x: noisy(rng, T * N, 0.04, 0.3), g: noisy(rng, T * N, 0, 1) }),
      run: (d, { x, g }) => {
        return runNeuronLayer(new CubaLIF({ ...opts, reset, learn: ["alphaSyn", "alpha"], backward, device: d }), d, x, g, [T, B, F]);
      },
      reference: ({ x, g }) => {
        const f32 = (a: number[]) => a.map(Math.fround);
        const p = { T, N, alphaSyn: f32(opts.alphaSyn), alpha: f32(opts.alpha), theta: f32(opts.threshold), reset, sg: { name: "exponential", scale: 1, width: 0.5 } };
        const f = cubaForwardRef(p, x);
        const r = cubaBackwardRef(p, f, g, { slayer: backward === "slayer" });
        // The layer's parameters in registration order: alphaSyn, alpha. BPTT keeps no membrane:
        // its second output is the spikes again.
        return [f.s, backward === "bptt" ? f.s : f.v, r.dx, r.dalphaSyn, r.dalpha];
      },
    });
