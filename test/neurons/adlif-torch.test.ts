// adLIF's EXODUS and SLAYER gradients (input, both initial states, α, β, a, b per neuron) against
// PyTorch autograd of the unrolled symplectic-Euler neuron in float64: an independent
// implementation (autograd differentiates the membrane, reset and adaptation op by op; the spike's
// backward is the exponential surrogate written here). Skipped where /usr/bin/python3 has no torch.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { Device } from "../../lib/device.js";
import { AdLIF } from "../../lib/nn/adlif.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { firingInput, normal } from "./helpers.js";
import { relErr, spikeRate } from "./reference.js";
import { PY, hasTorch, pySpike } from "../torch-python.js";

// Reads {x, s, g, v0, w0, T, N, F, alpha, beta, a, b [F], theta, reset, exact}; prints the gradients.
// The forward follows the kernel's spikes s.
const SCRIPT = String.raw`
import json, sys, torch
p = json.load(sys.stdin)
T, N, F, th = p["T"], p["N"], p["F"], p["theta"]
d = lambda k: torch.tensor(p[k], dtype=torch.float64)
x = d("x").reshape(T, N).requires_grad_(True)
S, g = d("s").reshape(T, N), d("g").reshape(T, N)
v0, w0 = d("v0").requires_grad_(True), d("w0").requires_grad_(True)
prm = {k: d(k).requires_grad_(True) for k in ["alpha", "beta", "a", "b"]}
al, be, A, B = (prm[k].repeat(N // F) for k in ["alpha", "beta", "a", "b"])
${pySpike("(1 / (th * 0.5)) * torch.exp(-(v - th).abs() / (th * 0.5))")}
v, w, out = v0, w0, []
for t in range(T):
    u = al * v + (1 - al) * (x[t] - w)
    s = Spike.apply(u, S[t])
    drop = (th * s) if p["reset"] == "subtract" else (u * s)
    v = u - (drop if p["exact"] else drop.detach())
    w = be * w + (1 - be) * (A * v + B * s)
    out.append(s)
(torch.stack(out) * g).sum().backward()
res = {k: t.grad.reshape(-1).tolist() for k, t in [("dx", x), ("dv0", v0), ("dw0", w0)]}
res.update({k: t.grad.tolist() for k, t in prm.items()})
print(json.dumps(res))
`;

describe.skipIf(!hasTorch)("adLIF against PyTorch autograd (float64)", () => {
  for (const reset of ["subtract", "zero"] as const)
    for (const backward of ["exodus", "slayer"] as const)
      it(`${reset} reset, ${backward}`, () => {
        const T = 100, B = 3, F = 8, N = B * F, th = 0.8, cpu = Device.cpu;
        const rng = new Rng(37);
        const x = firingInput(rng, T, N, 1.4, 1.5);
        const g = normal(rng, T * N);
        const v0 = normal(rng, N, 0.3), w0 = normal(rng, N, 0.2);
        const per = (lo: number, step: number) => Float32Array.from({ length: F }, (_, k) => lo + step * k);
        const prm = { alpha: per(0.8, 0.02), beta: per(0.9, 0.01), a: per(-0.4, 0.15), b: per(0.3, 0.2) };
        const layer = new AdLIF({ ...prm, threshold: th, reset, backward, learn: ["alpha", "beta", "a", "b"], device: cpu });
        layer.setState([Tensor.from(v0, [N], cpu), Tensor.from(w0, [N], cpu)]);
        const s = layer.forward(Tensor.from(x, [T, B, F], cpu)).toArray();
        const dx = layer.backward(Tensor.from(g, [T, B, F], cpu)).toArray();
        expect(spikeRate(s)).toBeGreaterThan(0.05);
        const py = spawnSync(PY, ["-c", SCRIPT], {
          input: JSON.stringify({ x: Array.from(x), s: Array.from(s), g: Array.from(g), v0: Array.from(v0), w0: Array.from(w0), T, N, F,
            alpha: Array.from(prm.alpha), beta: Array.from(prm.beta), a: Array.from(prm.a), b: Array.from(prm.b), theta: Math.fround(th), reset,
            exact: backward === "exodus" }),
          encoding: "utf8", maxBuffer: 64 << 20,
        });
        expect(py.status, py.stderr).toBe(0);
        const want = JSON.parse(py.stdout) as Record<string, number[]>;
        expect(relErr(dx, want.dx)).toBeLessThan(1e-5);
        expect(relErr(layer.stateGrads![0].toArray(), want.dv0)).toBeLessThan(1e-5);
        expect(relErr(layer.stateGrads![1].toArray(), want.dw0)).toBeLessThan(1e-5);
        for (const p of layer.parameters()) expect(relErr(p.grad.toArray(), want[p.name]), p.name).toBeLessThan(1e-4);
        layer.dispose();
      }, 60_000);
});
