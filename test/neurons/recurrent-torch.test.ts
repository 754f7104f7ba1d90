// Recurrent CubaLIF, ALIF and adLIF against PyTorch autograd of the unrolled net in float64 (an
// independent implementation: autograd differentiates every op; the spike's backward is the
// surrogate written here). ∂x, ∂V, ∂bias, ∂ each initial state and each learnable parameter, for
// EXODUS and SLAYER (where the model's reset, and ALIF's adaptation, read a detached spike).
// Skipped where /usr/bin/python3 has no torch; test/neurons/recurrent.test.ts checks the same
// against the float64 reference without it.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { Device } from "../../lib/device.js";
import { RAdLIF, RALIF, RCubaLIF } from "../../lib/nn/index.js";
import type { RecurrentLayer } from "../../lib/nn/recurrent.js";
import { Rng } from "../../lib/random.js";
import { refParams, runRecurrent } from "../../lib/selftest/recurrent-run.js";
import { firingInput, normal } from "./helpers.js";
import { relErr } from "./reference.js";
import { PY, hasTorch } from "../torch-python.js";

// Reads a list of {model, x, s, g, h, init, w, bias, T, B, H, params, reset, exact} as JSON (one
// process for every case: torch's import dominates a case); the forward follows the kernel's spikes
// s (a float32 membrane may cross θ where the float64 one just does not).
const SCRIPT = String.raw`
import json, sys, torch
def case(p):
  T, B, H, model = p["T"], p["B"], p["H"], p["model"]
  f64 = lambda a, *shape: torch.tensor(a, dtype=torch.float64).reshape(*shape)
  x = f64(p["x"], T, B, H).requires_grad_(True)
  S, g, hh = f64(p["s"], T, B, H), f64(p["g"], T, B, H), f64(p["h"], T, B, H)
  W = f64(p["w"], H, H).requires_grad_(True)
  bias = f64(p["bias"], H).requires_grad_(True)
  init = [f64(a, B, H).requires_grad_(True) for a in p["init"]]
  P = {k: f64(v, H).requires_grad_(True) for k, v in p["params"].items()}
  class Spike(torch.autograd.Function):
      @staticmethod
      def forward(ctx, d, s, th):
          ctx.save_for_backward(d, th)
          return s
      @staticmethod
      def backward(ctx, gs):
          d, th = ctx.saved_tensors
          # exponential surrogate, scale 1, width 0.5 (relative to θ) at the distance d = v − θ
          return gs * torch.exp(-d.abs() / (0.5 * th)) / (0.5 * th), None, None
  cut = (lambda t: t) if p["exact"] else (lambda t: t.detach())
  th = P["threshold"]
  vp, a, sp = init
  loss = 0
  for t in range(T):
      u = x[t] + sp @ W.T + bias
      if model == "cuba":
          a = P["alphaSyn"] * a + u
          v = P["alpha"] * vp + a
          s = Spike.apply(v - th, S[t], th.detach())
          vp = v - cut(th * s if p["reset"] == "subtract" else v * s)
      elif model == "alif":
          thr = th + P["beta"] * a
          v = P["alpha"] * vp + u
          s = Spike.apply(v - thr, S[t], th.detach())
          vp = v - cut(thr * s)
          a = P["rho"] * a + (1 - P["rho"]) * cut(s)
      else:
          v = P["alpha"] * vp + (1 - P["alpha"]) * (u - a)
          s = Spike.apply(v - th, S[t], th.detach())
          vp = v - cut(th * s if p["reset"] == "subtract" else v * s)
          a = P["beta"] * a + (1 - P["beta"]) * (P["a"] * vp + P["b"] * s)
      loss = loss + (s * g[t]).sum() + (v * hh[t]).sum()
      sp = s
  loss.backward()
  out = {k: t.grad.reshape(-1).tolist() for k, t in dict(dx=x, dw=W, dbias=bias).items()}
  out["dinit"] = [t.grad.reshape(-1).tolist() for t in init]
  out["params"] = {k: t.grad.tolist() for k, t in P.items()}
  return out
print(json.dumps([case(p) for p in json.load(sys.stdin)]))
`;

const models: [string, (b: "exodus" | "slayer", reset: "subtract" | "zero", H: number) => RecurrentLayer, number, number][] = [
  ["cuba", (backward, reset, H) => new RCubaLIF({ size: H, tauMem: 10, tauSyn: 4, reset, bias: true, learn: ["alpha", "alphaSyn"], backward, stateful: true, device: Device.cpu }), 0.15, 0.5],
  ["alif", (backward, _reset, H) => new RALIF({ size: H, tauMem: 12, tauAdapt: 30, beta: 0.4, bias: true, learn: ["alpha", "rho", "beta", "threshold"], backward, stateful: true, device: Device.cpu }), 0.3, 0.8],
  ["adlif", (backward, reset, H) => new RAdLIF({ size: H, tauMem: 8, tauAdapt: 30, a: 0.3, b: 0.6, reset, bias: true, learn: ["alpha", "beta", "a", "b"], backward, stateful: true, device: Device.cpu }), 1.5, 2],
];

interface Case {
  label: string;
  input: Record<string, unknown>;
  r: ReturnType<typeof runRecurrent>;
  learned: string[];
}

/** Every case run through exodus, then one torch process for all of them. */
function runAll(): { cases: Case[]; want: Want[] } {
  const cases: Case[] = [];
  for (const [model, make, mean, std] of models)
    for (const reset of model === "alif" ? (["subtract"] as const) : (["subtract", "zero"] as const))
      for (const backward of ["exodus", "slayer"] as const) {
        const T = 30, B = 3, H = 10, N = B * H;
        const rng = new Rng(41);
        const io = {
          T, B, x: firingInput(rng, T, N, mean, std), g: normal(rng, T * N), h: normal(rng, T * N, 0.3),
          w: rng.fillUniform(new Float32Array(H * H), -0.4, 0.4), bias: normal(rng, H, 0.1),
          init: [normal(rng, N, 0.5), normal(rng, N, 0.3), Float32Array.from({ length: N }, () => (rng.uniform() < 0.3 ? 1 : 0))],
        };
        const layer = make(backward, reset, H);
        const p = refParams(layer, T, B, io, { name: "exponential", scale: 1, width: 0.5 });
        const learned = [...layer.learned];
        const r = runRecurrent(layer, Device.cpu, io);
        const input = {
          model, T, B, H, x: Array.from(io.x), s: Array.from(r.s), g: Array.from(io.g), h: Array.from(io.h), init: io.init.map((a) => Array.from(a)),
          w: Array.from(io.w), bias: Array.from(io.bias), reset, exact: backward === "exodus",
          params: Object.fromEntries(Object.entries(p.params).map(([k, v]) => [k, Array.from(v as Float32Array)])),
        };
        cases.push({ label: `${model}, ${reset} reset, ${backward}`, input, r, learned });
      }
  const py = spawnSync(PY, ["-c", SCRIPT], { input: JSON.stringify(cases.map((c) => c.input)), encoding: "utf8", maxBuffer: 256 << 20 });
  if (py.status !== 0) throw new Error(`torch reference failed: ${py.stderr}`);
  return { cases, want: JSON.parse(py.stdout) as Want[] };
}
interface Want {
  dx: number[];
  dw: number[];
  dbias: number[];
  dinit: number[][];
  params: Record<string, number[]>;
}

describe.skipIf(!hasTorch)("recurrent CubaLIF, ALIF, adLIF against PyTorch autograd (float64)", () => {
  let all: { cases: Case[]; want: Want[] } | undefined;
  const get = () => (all ??= runAll());
  const labels = models.flatMap(([model]) => (model === "alif" ? ["subtract"] : ["subtract", "zero"]).flatMap((reset) => ["exodus", "slayer"].map((b) => `${model}, ${reset} reset, ${b}`)));
  labels.forEach((label, k) =>
    it(label, () => {
      const { cases, want: wants } = get();
      const { r, learned } = cases[k];
      const want = wants[k];
      expect(cases[k].label).toBe(label);
      expect(relErr(r.dx, want.dx), "dx").toBeLessThan(2e-5);
      expect(relErr(r.dw, want.dw), "dw").toBeLessThan(2e-5);
      expect(relErr(r.grads.bias, want.dbias), "dbias").toBeLessThan(2e-5);
      for (let q = 0; q < 3; q++) expect(relErr(r.dinit[q], want.dinit[q]), `dinit ${q}`).toBeLessThan(2e-5);
      expect(learned.length).toBeGreaterThan(0);
      for (const n of learned) expect(relErr(r.grads[n], want.params[n]), n).toBeLessThan(2e-5);
      expect(r.s.some((v) => v === 1)).toBe(true);
    }, 300_000));
});
