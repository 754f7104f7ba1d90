// Self-checks of the recurrent CubaLIF, ALIF and adLIF layers (docs/neurons.md, Recurrent layers):
// spikes and every gradient (∂x, ∂V, each learnable parameter with the bias, ∂ each initial state)
// of EXODUS, SLAYER and the BPTT tape, against the float64 reverse-mode reference
// (recurrent-reference.ts); on CUDA against the CPU.
import { Device } from "../device.js";
import { RAdLIF } from "../nn/radlif.js";
import { RALIF } from "../nn/ralif.js";
import { RCubaLIF } from "../nn/rcuba.js";
import type { RecurrentLayer } from "../nn/recurrent.js";
import type { Rng } from "../random.js";
import { registerCheck } from "./registry.js";
import { recurrentRef } from "./recurrent-reference.js";
import { type RecurrentInputs, refParams, runRecurrent } from "./recurrent-run.js";

const T = 40, B = 3, H = 16, N = B * H;
const SG = { name: "exponential", scale: 1, width: 0.5 };
type Backward = "exodus" | "slayer" | "bptt";

const models: { label: string; mean: number; std: number; make: (backward: Backward, device: Device) => RecurrentLayer }[] = [
  { label: "CubaLIF", mean: 0.15, std: 0.5, make: (backward, device) => new RCubaLIF({ size: H, tauMem: 10, tauSyn: 4, bias: true, learn: ["alpha", "alphaSyn"], backward, device, stateful: true }) },
  { label: "ALIF", mean: 0.3, std: 0.8, make: (backward, device) => new RALIF({ size: H, tauMem: 12, tauAdapt: 30, beta: 0.4, bias: true, learn: ["alpha", "rho", "beta", "threshold"], backward, device, stateful: true }) },
  { label: "adLIF", mean: 1.5, std: 2, make: (backward, device) => new RAdLIF({ size: H, tauMem: 8, tauAdapt: 30, a: 0.3, b: 0.6, reset: "zero", bias: true, learn: ["alpha", "beta", "a", "b"], backward, device, stateful: true }) },
];

function outputs(layer: RecurrentLayer, d: Device, i: RecurrentInputs): Float32Array[] {
  const learned = [...layer.learned, "bias"];
  const r = runRecurrent(layer, d, i);
  return [r.s, r.dx, r.dw, ...learned.map((n) => r.grads[n]), ...r.dinit];
}

for (const m of models)
  for (const backward of ["exodus", "slayer", "bptt"] as const)
    registerCheck({
      name: `recurrent ${m.label}, bias, learnable parameters, initial state (${backward})`,
      group: "neurons",
      tolerance: 2e-5,
      inputs: (rng: Rng): RecurrentInputs => ({
        T, B, x: rng.fillNormal(new Float32Array(T * N), m.mean, m.std), g: rng.fillNormal(new Float32Array(T * N), 0, 1),
        w: rng.fillUniform(new Float32Array(H * H), -0.3, 0.3), bias: rng.fillNormal(new Float32Array(H), 0, 0.1),
        init: [rng.fillNormal(new Float32Array(N), 0, 0.5), rng.fillNormal(new Float32Array(N), 0, 0.3), Float32Array.from({ length: N }, () => (rng.uniform() < 0.3 ? 1 : 0))],
      }),
      run: (d, i) => outputs(m.make(backward, d), d, i),
      reference: (i) => {
        const layer = m.make(backward, Device.cpu);
        try {
          const p = refParams(layer, T, B, i, SG);
          const r = recurrentRef(p, i.x, i.g, { init: i.init, slayer: backward === "slayer" });
          return [r.s, r.dx, r.dw, ...[...layer.learned].map((n) => r.dparams[n]), r.dbias, ...r.dinit];
        } finally {
          layer.dispose();
        }
      },
    });
