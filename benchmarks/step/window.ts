// How much of a compact-support surrogate's window the SHD network's neurons visit: per LIF
// layer, the fraction of (t, b, n) with σ(v) ≠ 0 and the fraction of neurons (b, n) whose
// gradient λ is 0 after their last visit (docs/performance.md, "Compact-support surrogates").
// Only inside the window is the backward scan's own input ũ[t] = λ[t] − α·λ[t+1] nonzero, which
// bounds what a window-sparse ∂x product could skip.
//
//   node dist/benchmarks/step/window.js [--config configs/shd.yaml] [--B 128] [--T 250] [--density 0.1]
import { LIF } from "../../lib/nn/lif.js";
import { Rng } from "../../lib/random.js";
import { SURROGATES } from "../../lib/native.js";
import { Tensor } from "../../lib/tensor.js";
import { loadConfig } from "../../lib/train/config.js";
import { surrogateRef } from "../../lib/selftest/neuron-reference.js";
import { buildModel } from "../../lib/train/model.js";
import { benchShape } from "./step.js";

const args = process.argv.slice(2);
const value = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const B = Number(value("B", "128")), T = Number(value("T", "250")), density = Number(value("density", "0.1"));
const rows: Record<string, unknown>[] = [];
for (const name of ["exponential", "triangle", "rectangle"] as (typeof SURROGATES)[number][])
  for (const width of name === "exponential" ? [1] : [1, 0.5]) {
    const cfg = loadConfig(value("config", "configs/shd.yaml"), { device: "cpu", output: "/tmp/exodus-window", surrogate: name });
    cfg.neuron.surrogate.width = width;
    const { features, classes } = benchShape(cfg);
    const model = buildModel(cfg, { sampleShape: [T, ...features], numClasses: classes });
    const rng = new Rng(5);
    const F = features.reduce((a, b) => a * b, 1);
    const xs = new Float32Array(T * B * F);
    for (let i = 0; i < xs.length; i++) if (rng.uniform() < density) xs[i] = 1;
    const x = Tensor.from(xs, [T, B, ...features]);
    model.net.forward(x).dispose();
    const layers = model.net.layers.filter((l): l is LIF => l instanceof LIF).map((l) => {
      const v = l.membrane!.toArray();
      const N = v.length / T;
      const theta = cfg.neuron.threshold;
      let inWindow = 0;
      const last = new Int32Array(N).fill(-1);
      for (let t = 0; t < T; t++)
        for (let n = 0; n < N; n++)
          if (surrogateRef(cfg.neuron.surrogate, v[t * N + n], theta) !== 0) {
            inWindow++;
            last[n] = t;
          }
      // λ[t] is 0 for t after a neuron's last window visit (nothing downstream of it reaches back).
      let zeroTail = 0;
      for (let n = 0; n < N; n++) zeroTail += T - 1 - last[n];
      return { windowFraction: inWindow / (T * N), lambdaZeroFraction: zeroTail / (T * N) };
    });
    rows.push({ surrogate: name, width, layers });
    console.log(`${name.padEnd(11)} w ${width}: σ ≠ 0 at ${layers.map((r) => `${(100 * r.windowFraction).toFixed(1)} %`).join(" / ")} of (t, b, n); λ ≡ 0 (after the last visit) at ${layers.map((r) => `${(100 * r.lambdaZeroFraction).toFixed(2)} %`).join(" / ")}`);
    x.dispose();
    model.net.dispose();
  }
console.log(JSON.stringify(rows));
