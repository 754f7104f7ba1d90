// One training step (forward + backward, no optimiser) of configs/shd-delays.yaml's network on a
// random SHD-shaped batch (T 100, 140 inputs at the given spike density), per product path of the
// DelayLinear layers, and the SHD epoch (8,156 samples) it extrapolates to. The load average is
// printed: figures from a shared machine move with it.
//
//   node dist/benchmarks/delay/step.js [--B 256] [--density 0.05] [--reps 2]
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DelayLinear } from "../../lib/nn/delay.js";
import { Rng } from "../../lib/random.js";
import { loadConfig } from "../../lib/train/config.js";
import { buildModel } from "../../lib/train/model.js";
import { Tensor, scope } from "../../lib/tensor.js";

const { values } = parseArgs({ options: { B: { type: "string", default: "256" }, density: { type: "string", default: "0.05" }, reps: { type: "string", default: "2" } } });
const B = Number(values.B), density = Number(values.density), reps = Number(values.reps), T = 100, F = 140;
const cfg = loadConfig(join(import.meta.dirname, "..", "..", "..", "configs", "shd-delays.yaml"));
const rng = new Rng(1);
const x = Tensor.from(Float32Array.from({ length: T * B * F }, () => (rng.uniform() < density ? 1 : 0)), [T, B, F]);
console.log(`shd-delays step, T ${T}, B ${B}, input density ${density}; load average ${loadavg().map((v) => v.toFixed(1)).join(" ")}`);
for (const products of ["auto", "dense"] as const) {
  const model = buildModel(cfg, { sampleShape: [T, F], numClasses: 20 });
  for (const l of model.net.layers) if (l instanceof DelayLinear) l.products = products;
  const times: number[] = [];
  for (let r = 0; r < reps; r++)
    scope(() => {
      const t0 = performance.now();
      model.net.zeroGrad();
      const y = model.net.forward(x);
      model.net.backward(Tensor.from(Float32Array.from({ length: y.size }, () => rng.range(-1e-3, 1e-3)), y.shape));
      times.push((performance.now() - t0) / 1000);
    });
  const s = Math.min(...times);
  const paths = model.net.layers.filter((l): l is DelayLinear => l instanceof DelayLinear).map((l) => `${l.inputDensity === undefined ? "?" : (100 * l.inputDensity).toFixed(1)} %`);
  console.log(`${products}: ${s.toFixed(2)} s per step (best of ${reps}); epoch of 8156 samples ≈ ${((s * 8156) / B / 60).toFixed(1)} min; DelayLinear input densities ${paths.join(", ")}`);
  model.net.dispose();
}
