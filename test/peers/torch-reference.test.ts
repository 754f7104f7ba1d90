// The reference PyTorch modules of benchmarks/peers/exodus_torch.py reproduce exodus's forward on
// random input: each neuron (LIF, IAF, ALIF, CubaLIF, AdLIF, RLIF, ExpLeak, SRM) with the same options
// and exodus's state dict loaded strictly, and whole networks exported by exodus (model
// files with their config) loaded by load_exodus with load_state_dict(strict=True). Skipped where
// /usr/bin/python3 has no torch.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ALIF, AdLIF, CubaLIF, ExpLeak, IAF, LIF, RLIF, Rng, SRM, Tensor, type Module } from "../../lib/index.js";
import { encodeSafetensors } from "../../lib/io/safetensors.js";
import { modelMetadata, moduleState, stateTensors } from "../../lib/train/checkpoint.js";
import { validateConfig } from "../../lib/train/config.js";
import { buildModel } from "../../lib/train/model.js";
import { tmp } from "../data/helpers.js";
import { randomArray } from "../helpers.js";
import { PY, hasTorch } from "../torch-python.js";

const PEERS = join(import.meta.dirname, "..", "..", "benchmarks", "peers");

function python(script: string, input: unknown): unknown {
  const r = spawnSync(PY, ["-c", `import sys, json\nsys.path.insert(0, ${JSON.stringify(PEERS)})\n${script}`], { input: JSON.stringify(input), encoding: "utf8", maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`python failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Fraction of entries that differ by more than tol (a spike flipped by a last-bit difference counts). */
function mismatch(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-4): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > tol * Math.max(1, Math.abs(b[i]))) n++;
  return n / a.length;
}

const [T, B, N] = [40, 3, 6];
const per = (lo: number, hi: number, seed: number) => Array.from(randomArray(new Rng(seed), N, lo, hi));

// exodus layer, and the Python expression building the same module (x is [T, B, N]).
const cases: { name: string; layer: () => Module; torch: string; lo?: number; hi?: number }[] = [
  { name: "LIF, per-neuron τ and θ, vMin, normInput", layer: () => new LIF({ tauMem: per(3, 20, 1), threshold: per(0.3, 1, 2), vMin: -0.5, normInput: true, learnAlpha: true }),
    torch: `LIF(tau_mem=${JSON.stringify(per(3, 20, 1))}, threshold=${JSON.stringify(per(0.3, 1, 2))}, v_min=-0.5, norm_input=True, learn_alpha=True)`, hi: 3 },
  { name: "LIF, reset to zero", layer: () => new LIF({ tauMem: 8, reset: "zero" }), torch: "LIF(tau_mem=8, reset='zero')" },
  { name: "LIF, multi-spike capped at 3, reset amount 0.5", layer: () => new LIF({ alpha: 0.9, spikeFn: "multi", maxSpikes: 3, resetAmount: 0.5 }),
    torch: "LIF(alpha=0.9, spike_fn='multi', max_spikes=3, reset_amount=0.5)", hi: 4 },
  { name: "IAF", layer: () => new IAF({ threshold: 2 }), torch: "IAF(threshold=2)" },
  { name: "ALIF, per-neuron β", layer: () => new ALIF({ tauMem: 10, tauAdapt: 30, beta: per(0.5, 2, 3), threshold: 0.8, learn: ["alpha", "beta"] }),
    torch: `ALIF(tau_mem=10, tau_adapt=30, beta=${JSON.stringify(per(0.5, 2, 3))}, threshold=0.8, learn=["alpha", "beta"])` },
  { name: "CubaLIF, per-neuron τ_syn, learned decays, reset to zero", layer: () => new CubaLIF({ tauSyn: per(2, 8, 4), tauMem: 10, threshold: 0.8, reset: "zero", learn: ["alpha", "alphaSyn"] }),
    torch: `CubaLIF(tau_syn=${JSON.stringify(per(2, 8, 4))}, tau_mem=10, threshold=0.8, reset='zero', learn=["alpha", "alphaSyn"])`, hi: 1 },
  { name: "AdLIF, per-neuron a, learned", layer: () => new AdLIF({ tauMem: 5, tauAdapt: 30, a: per(-0.5, 1, 5), b: 0.8, threshold: 0.4, learn: ["alpha", "beta", "a", "b"] }),
    torch: `AdLIF(tau_mem=5, tau_adapt=30, a=${JSON.stringify(per(-0.5, 1, 5))}, b=0.8, threshold=0.4, learn=["alpha", "beta", "a", "b"])`, hi: 3 },
  { name: "AdLIF, defaults", layer: () => new AdLIF({ threshold: 0.3 }), torch: "AdLIF(threshold=0.3)", hi: 3 },
  { name: "RLIF, bias, learned α (its weight loaded from exodus's state dict)", layer: () => new RLIF({ size: N, tauMem: 6, threshold: 0.7, bias: true, learnAlpha: true, seed: 9, initScale: 2 }),
    torch: `RLIF(${N}, tau_mem=6, threshold=0.7, bias=True, learn_alpha=True)` },
  { name: "ExpLeak", layer: () => new ExpLeak({ tauSyn: 5, learnBeta: true }), torch: "ExpLeak(tau_syn=5, learn_beta=True)", lo: -1 },
  { name: "SRM, SLAYER's kernels", layer: () => new SRM({ tauSr: 4, tauRef: 2, scaleRef: 2, threshold: 1.5 }), torch: "SRM(tau_sr=4, tau_ref=2, scale_ref=2, threshold=1.5)" },
  { name: "SRM, explicit kernels, multi-spike", layer: () => new SRM({ epsilon: [0.5, 1, 0.5], nu: [-1, -0.5], spikeFn: "multi" }),
    torch: "SRM(epsilon=[0.5, 1, 0.5], nu=[-1, -0.5], spike_fn='multi')", hi: 3 },
];

describe("reference PyTorch modules (benchmarks/peers/exodus_torch.py)", () => {
  it.skipIf(!hasTorch)("each neuron module reproduces the exodus layer's forward and has its state_dict names", () => {
    const inputs = cases.map((c, k) => Array.from(randomArray(new Rng(100 + k), T * B * N, c.lo ?? 0, c.hi ?? 2)));
    const want = cases.map((c, k) => {
      const l = c.layer();
      const y = l.forward(Tensor.from(inputs[k], [T, B, N])).toArray();
      const dict = l.stateDict();
      const names = Object.keys(dict);
      const state = Object.fromEntries(Object.entries(dict).map(([k, t]) => [k, { shape: t.shape, data: Array.from(t.toArray()) }]));
      l.dispose();
      return { y, names, state };
    });
    const got = python(
      `from exodus_torch import *
d = json.loads(sys.stdin.read())
out = []
for expr, x, st in zip(d["exprs"], d["xs"], d["states"]):
    m = eval(expr)
    names = list(m.state_dict().keys())
    m.load_state_dict({k: torch.tensor(v["data"], dtype=torch.float32).reshape(v["shape"]) for k, v in st.items()}, strict=True)
    with torch.no_grad():
        y = m(torch.tensor(x, dtype=torch.float32).reshape(${T}, ${B}, ${N}))
    out.append({"y": y.flatten().tolist(), "names": names})
print(json.dumps(out))`,
      { exprs: cases.map((c) => c.torch), xs: inputs, states: want.map((w) => w.state) },
    ) as { y: number[]; names: string[] }[];
    cases.forEach((c, k) => {
      expect(got[k].names, c.name).toEqual(want[k].names);
      expect(want[k].y.some((v) => v !== 0), `${c.name}: exodus output not all zero`).toBe(true);
      expect(mismatch(got[k].y, want[k].y), c.name).toBeLessThanOrEqual(0.002);
    });
  });

  it.skipIf(!hasTorch)("load_exodus runs exported mlp and conv networks (with a synapse filter, ALIF) as exodus does", () => {
    const dir = tmp("exodus-torch-ref-");
    const nets = [
      { file: "mlp.safetensors", shape: { sampleShape: [30, 12], numClasses: 4 },
        cfg: { model: { kind: "mlp", hidden: [16, 16], initScale: 2 }, neuron: { type: "lif", tauMem: 10, threshold: 0.5, synapse: { tauSyn: 3, learn: true }, learn: ["alpha"] } } },
      { file: "alif.safetensors", shape: { sampleShape: [30, 12], numClasses: 4 },
        cfg: { model: { kind: "mlp", hidden: [16], initScale: 2 }, neuron: { type: "alif", tauMem: 10, tauAdapt: 20, beta: 0.5, threshold: 0.5 } } },
      { file: "conv.safetensors", shape: { sampleShape: [8, 2, 8, 8], numClasses: 3 },
        cfg: { model: { kind: "conv", channels: [4, 6], kernel: 3, pool: 2, poolUntil: 2, dropout: 0.2, readoutDropout: 0.3, initScale: 2 }, neuron: { type: "iaf", threshold: 0.3 } } },
    ];
    const want = nets.map((n, k) => {
      const cfg = validateConfig({ dataset: { name: "shd", root: "unused" }, device: "cpu", train: { seed: 3 + k }, ...n.cfg });
      const { net } = buildModel(cfg, n.shape);
      net.eval();
      const position = JSON.stringify({ epoch: 1, step: 1, data: n.shape });
      writeFileSync(join(dir, n.file), encodeSafetensors(stateTensors(moduleState(net)), modelMetadata(cfg, { "exodus.position": position })));
      const x = Array.from(randomArray(new Rng(50 + k), n.shape.sampleShape.reduce((a, b) => a * b, 2), 0, 1), (v) => (v < 0.3 ? 1 : 0));
      const y = net.forward(Tensor.from(x, [n.shape.sampleShape[0], 2, ...n.shape.sampleShape.slice(1)])).toArray();
      net.dispose();
      return { x, y, shape: [n.shape.sampleShape[0], 2, ...n.shape.sampleShape.slice(1)] };
    });
    const got = python(
      `import torch
from exodus_torch import load_exodus
d = json.loads(sys.stdin.read())
out = []
for f, w in zip(d["files"], d["want"]):
    net = load_exodus(f)
    with torch.no_grad():
        out.append(net(torch.tensor(w["x"], dtype=torch.float32).reshape(w["shape"])).flatten().tolist())
print(json.dumps(out))`,
      { files: nets.map((n) => join(dir, n.file)), want },
    ) as number[][];
    nets.forEach((n, k) => {
      expect(want[k].y.some((v) => v !== 0), n.file).toBe(true);
      expect(mismatch(got[k], want[k].y), n.file).toBeLessThanOrEqual(0.002);
    });
  });
});
