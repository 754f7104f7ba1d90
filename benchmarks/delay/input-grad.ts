// ∂x of one DelayLinear alone, by the GEMMs over the expanded kernel against the window entry
// (each synapse's own W taps, the samples in the vector lanes), at the SHD-delays hidden shape:
// the layer's backward timed with ∂x by either path and without ∂x, interleaved, after one
// forward (the backward keeps what the forward saved, so it can run again); ∂x's time is the
// difference of the medians. The correlation runs on the forward's path, the same in all three.
//
//   node dist/benchmarks/delay/input-grad.js [--B 32] [--nin 256] [--nout 256] [--sigmas 0.5,1.5,3,12.5] [--reps 9]
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { DelayLinear, type DelayInputGradPath } from "../../lib/nn/delay.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";

const { values } = parseArgs({
  options: {
    B: { type: "string", default: "32" }, nin: { type: "string", default: "256" }, nout: { type: "string", default: "256" },
    sigmas: { type: "string", default: "0.5,1.5,3,12.5" }, reps: { type: "string", default: "9" }, density: { type: "string", default: "0.05" },
  },
});
const B = Number(values.B), nin = Number(values.nin), nout = Number(values.nout), reps = Number(values.reps), T = 100, D = 25;
const rng = new Rng(3);
const x = Tensor.from(Float32Array.from({ length: T * B * nin }, () => (rng.uniform() < Number(values.density) ? 1 : 0)), [T, B, nin]);
const dy = Tensor.from(Float32Array.from({ length: T * B * nout }, () => rng.range(-1, 1)), [T, B, nout]);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const load = () => loadavg().map((v) => v.toFixed(1)).join(" ");
console.log(`DelayLinear ∂x alone, ${nin} → ${nout}, T ${T}, B ${B}, D ${D}; median of ${reps} [min–max] ms; load average ${load()}`);
console.log("| σ (taps) | backward without ∂x | ∂x by GEMMs | ∂x by the window entry | GEMMs / window |\n|---|---|---|---|---|");
for (const sigma of values.sigmas.split(",").map(Number)) {
  const settings: [DelayInputGradPath, boolean][] = [["dense", false], ["dense", true], ["window", true]];
  const layers = settings.map(([p, inputGrad]) => {
    const l = new DelayLinear(nin, nout, { maxDelay: D, sigma, products: "sparse", inputGrad, seed: 1 });
    l.inputGradPath = p;
    l.forward(x).dispose();
    return l;
  });
  const ms: number[][] = settings.map(() => []);
  for (let r = 0; r < reps; r++)
    layers.forEach((l, k) => {
      const t0 = performance.now();
      l.backward(dy).dispose();
      ms[k].push(performance.now() - t0);
    });
  const [base, gemm, win] = ms.map(median);
  const cell = (k: number, v: number) => `${v.toFixed(1)} [${Math.min(...ms[k]).toFixed(1)}–${Math.max(...ms[k]).toFixed(1)}]`;
  const taps = Math.min(2 * Math.ceil(4 * sigma) + 2, D + 1);
  console.log(`| ${sigma} (${taps}) | ${cell(0, base)} | ${(gemm - base).toFixed(1)} | ${(win - base).toFixed(1)} | ${((gemm - base) / (win - base)).toFixed(2)}× |`);
  layers.forEach((l) => l.dispose());
}
console.log(`load average after: ${load()}`);
