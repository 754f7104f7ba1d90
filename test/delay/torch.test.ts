// DelayLinear against PyTorch autograd (float64; skipped where /usr/bin/python3 has no torch): the
// Gaussian kernel over all D + 1 taps masked to the layer's window, a temporal convolution by
// shifted matmuls, and autograd for ∂w, ∂d and ∂x of L = Σ y·G.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { DelayLinear } from "../../lib/nn/delay.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { PY, hasTorch } from "../torch-python.js";

const SCRIPT = `
import json, sys, math, torch
a = json.load(sys.stdin)
T, B, I, O, D, s = a["T"], a["B"], a["I"], a["O"], a["D"], a["sigma"]
f64 = lambda v, *sh: torch.tensor(v, dtype=torch.float64).reshape(*sh)
x, w, d, G = f64(a["x"], T, B, I).requires_grad_(), f64(a["w"], O, I).requires_grad_(), f64(a["d"], O, I).requires_grad_(), f64(a["G"], T, B, O)
R = math.ceil(4 * s); W = min(2 * R + 2, D + 1)
dc = d.clamp(0, D)
start = (torch.floor(dc.detach()) - R).clamp(0, D + 1 - W)
k = torch.arange(D + 1, dtype=torch.float64).reshape(D + 1, 1, 1)
mask = ((k >= start) & (k < start + W)).double()
g = mask * torch.exp(-(k - dc) ** 2 / (2 * s * s))
K = w * g / g.sum(0)                                # [D + 1, O, I]
xp = torch.cat([torch.zeros(D, B, I, dtype=torch.float64), x])
y = sum(xp[D - j: D - j + T] @ K[j].T for j in range(D + 1))
(y * G).sum().backward()
print(json.dumps({"y": y.detach().flatten().tolist(), "dw": w.grad.flatten().tolist(), "dd": d.grad.flatten().tolist(), "dx": x.grad.flatten().tolist()}))
`;

function dev(got: ArrayLike<number>, want: number[]): number {
  const scale = Math.max(...want.map(Math.abs));
  expect(scale).toBeGreaterThan(0);
  let m = 0;
  for (let k = 0; k < want.length; k++) m = Math.max(m, Math.abs(got[k] - want[k]));
  return m / scale;
}

describe("DelayLinear against PyTorch autograd", () => {
  for (const path of ["dense", "sparse", "window"] as const)
    it.skipIf(!hasTorch)(`${path === "sparse" ? "event-driven" : path} path, σ 1.1, D 9`, () => {
      const T = 16, B = 2, I = 6, O = 5, D = 9, sigma = 1.1, rng = new Rng(21);
      const layer = new DelayLinear(I, O, { maxDelay: D, sigma, products: path, seed: 5, initScale: 2 });
      const d = Array.from(layer.delay.value.toArray(), () => rng.int(D) + 0.1 + 0.8 * rng.uniform());
      layer.delay.value.copyFrom(Tensor.from(d, [O, I]));
      const x = Array.from({ length: T * B * I }, () => (rng.uniform() < 0.25 ? 1 : 0));
      const G = Array.from({ length: T * B * O }, () => rng.range(-1, 1));
      const y = layer.forward(Tensor.from(x, [T, B, I]));
      const dx = layer.backward(Tensor.from(G, [T, B, O]));
      const r = spawnSync(PY, ["-c", SCRIPT], { input: JSON.stringify({ T, B, I, O, D, sigma, x, w: Array.from(layer.weight.value.toArray()), d, G }), encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      const ref = JSON.parse(r.stdout) as { y: number[]; dw: number[]; dd: number[]; dx: number[] };
      expect(dev(y.toArray(), ref.y)).toBeLessThan(2e-6);
      expect(dev(layer.weight.grad.toArray(), ref.dw)).toBeLessThan(5e-6);
      expect(dev(layer.delay.grad.toArray(), ref.dd)).toBeLessThan(5e-6);
      expect(dev(dx.toArray(), ref.dx)).toBeLessThan(5e-6);
      layer.dispose();
    });
});
