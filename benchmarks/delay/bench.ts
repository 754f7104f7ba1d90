// DelayLinear forward + backward, dense temporal convolution against the event-driven path, at the
// SHD-delays shape (700 → 256, D 25 steps = 250 ms at 10 ms bins, T 100 = 1 s), over input
// densities, at the start of training (σ = D/2: every tap) and at its end (σ 0.5: 6 taps). The
// first layer (no ∂x) and a hidden 256 → 256 layer (with ∂x, which both paths compute densely).
// Paths interleaved per repetition, median of the runs; the load average is printed, since a
// shared machine's figures move with it.
//
//   node dist/benchmarks/delay/bench.js [--B 32] [--reps 2] [--densities 0.01,0.03,0.1,0.2]
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { DelayLinear } from "../../lib/nn/delay.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";

const { values } = parseArgs({ options: { B: { type: "string", default: "32" }, reps: { type: "string", default: "2" }, densities: { type: "string", default: "0.01,0.03,0.1,0.2" } } });
const B = Number(values.B), reps = Number(values.reps), T = 100, D = 25;
const densities = values.densities.split(",").map(Number);

function spikes(n: number, d: number, rng: Rng): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) if (rng.uniform() < d) x[i] = 1;
  return x;
}

function step(layer: DelayLinear, x: Tensor, dy: Tensor): number {
  const t0 = performance.now();
  layer.forward(x).dispose();
  layer.backward(dy).dispose();
  return (performance.now() - t0) / 1000;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

console.log(`DelayLinear fwd+bwd, T ${T}, B ${B}, D ${D}; load average ${loadavg().map((v) => v.toFixed(1)).join(" ")}`);
console.log("| layer | σ (taps) | density | dense s | event s | dense / event |\n|---|---|---|---|---|---|");
const rng = new Rng(7);
for (const [nin, nout, inputGrad] of [[700, 256, false], [256, 256, true]] as const)
  for (const sigma of [D / 2, 0.5])
    for (const d of densities) {
      const x = Tensor.from(spikes(T * B * nin, d, rng), [T, B, nin]);
      const dy = Tensor.from(Float32Array.from({ length: T * B * nout }, () => rng.range(-1, 1)), [T, B, nout]);
      const layers = (["dense", "sparse"] as const).map((products) => new DelayLinear(nin, nout, { maxDelay: D, sigma, products, inputGrad, seed: 1 }));
      const times: number[][] = [[], []];
      for (let r = 0; r < reps; r++) layers.forEach((l, k) => times[k].push(step(l, x, dy)));
      const [dn, ev] = times.map(median);
      const taps = sigma >= D / 2 ? D + 1 : 2 * Math.ceil(4 * sigma) + 2;
      console.log(`| ${nin}→${nout}${inputGrad ? " (+∂x)" : ""} | ${sigma} (${taps}) | ${(d * 100).toFixed(0)} % | ${dn.toFixed(3)} | ${ev.toFixed(3)} | ${(dn / ev).toFixed(1)}× |`);
      layers.forEach((l) => l.dispose());
      x.dispose();
      dy.dispose();
    }
console.log(`load average after: ${loadavg().map((v) => v.toFixed(1)).join(" ")}`);
