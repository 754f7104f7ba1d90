// Self-checks of the adLIF scans (docs/neurons.md §8): per-neuron α, β, a, b, θ, all four
// learnable, each backward method, both resets; on the CPU against the float64 reference
// (adlif-reference.ts), on CUDA against the CPU backend.
import { AdLIF } from "../nn/adlif.js";
import type { Rng } from "../random.js";
import { adlifBackwardRef, adlifForwardRef } from "./adlif-reference.js";
import { runNeuronLayer } from "./layer-run.js";
import { registerCheck } from "./registry.js";

const T = 200, B = 4, F = 64, N = B * F;
const per = (lo: number, span: number) => Array.from({ length: F }, (_, i) => lo + span * (i / F));
const opts = { alpha: per(0.8, 0.15), beta: per(0.9, 0.09), a: per(-0.5, 1.5), b: per(0.2, 1.5), threshold: per(0.7, 0.6) };
const noisy = (rng: Rng, n: number, mean: number, std: number) => rng.fillNormal(new Float32Array(n), mean, std);

for (const reset of ["subtract", "zero"] as const)
  for (const backward of ["exodus", "slayer", "bptt"] as const)
    registerCheck({
      name: `adLIF per-neuron α β a b θ, ${reset} reset, learnable (${backward})`,
      group: "neurons",
      tolerance: 2e-5,
      inputs: (rng) => ({ x: noisy(rng, T * N, 1.2, 1.5), g: noisy(rng, T * N, 0, 1) }),
      run: (d, { x, g }) => {
        return runNeuronLayer(new AdLIF({ ...opts, reset, learn: ["alpha", "beta", "a", "b"], backward, device: d }), d, x, g, [T, B, F]);
      },
      reference: ({ x, g }) => {
        const f32 = (a: number[]) => a.map(Math.fround);
        const p = {
          T, N, alpha: f32(opts.alpha), beta: f32(opts.beta), a: f32(opts.a), b: f32(opts.b), theta: f32(opts.threshold), reset,
          sg: { name: "exponential", scale: 1, width: 0.5 },
        };
        const f = adlifForwardRef(p, x);
        const r = adlifBackwardRef(p, f, x, g, { slayer: backward === "slayer" });
        // Parameters in registration order (α, β, a, b); BPTT keeps no membrane: its second output is the spikes again.
        return [f.s, backward === "bptt" ? f.s : f.v, r.dx, r.dalpha, r.dbeta, r.da, r.db];
      },
    });
