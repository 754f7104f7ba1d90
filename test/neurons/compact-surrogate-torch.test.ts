// The compact-support surrogates (triangle, rectangle) through a LIF layer: the EXODUS and SLAYER
// gradients against PyTorch autograd of the unrolled neuron in float64 (an independent
// implementation: autograd differentiates the reset and the leak op by op; the spike's backward
// is the surrogate written here from math.md). Skipped where /usr/bin/python3 has no torch; the
// float64 reference of test/neurons/lif.test.ts covers the same surrogates without it.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { Rng } from "../../lib/random.js";
import { firingInput, normal, runLif } from "./helpers.js";
import { relErr } from "./reference.js";
import { PY, hasTorch, pySpike } from "../torch-python.js";

// Reads {x, s, g, T, N, alpha, theta, name, a, w, exact} as JSON; prints {dx}. The forward follows
// the kernel's spikes s (a float32 membrane may cross θ where the float64 one just does not).
const SCRIPT = String.raw`
import json, sys, torch
p = json.load(sys.stdin)
T, N, al, th, a, w = p["T"], p["N"], p["alpha"], p["theta"], p["a"], p["w"]
x = torch.tensor(p["x"], dtype=torch.float64).reshape(T, N).requires_grad_(True)
S = torch.tensor(p["s"], dtype=torch.float64).reshape(T, N)
g = torch.tensor(p["g"], dtype=torch.float64).reshape(T, N)
def sigma(v):
    d = (v - th).abs()
    if p["name"] == "triangle":
        return a / (th * w) * torch.clamp(1 - d / (th * w), min=0)
    return torch.where(d < th * w, torch.full_like(v, a / (2 * th * w)), torch.zeros_like(v))
${pySpike("sigma(v)")}
v = torch.zeros(N, dtype=torch.float64)
out = []
for t in range(T):
    v = al * v + x[t]
    s = Spike.apply(v, S[t])
    # SLAYER drops the reset's dependence on v: detach the spike in the reset.
    v = v - th * (s if p["exact"] else s.detach())
    out.append(s)
(torch.stack(out) * g).sum().backward()
print(json.dumps({"dx": x.grad.reshape(-1).tolist()}))
`;

describe.skipIf(!hasTorch)("compact-support surrogates against PyTorch autograd (float64)", () => {
  for (const [name, width, scale] of [["triangle", 0.7, 1], ["rectangle", 0.4, 0.8], ["triangle", 1, 1]] as const)
    for (const backward of ["exodus", "slayer"] as const)
      it(`${name} w ${width}, ${backward}`, () => {
        const T = 120, B = 3, F = 16, N = B * F, tau = 20;
        const rng = new Rng(11);
        const x = firingInput(rng, T, N);
        const g = normal(rng, T * N);
        const r = runLif({ tauMem: tau, surrogate: { name, scale, width }, backward }, [T, B, F], x, g);
        const rate = r.s.reduce((acc, v) => acc + v, 0) / r.s.length;
        expect(rate).toBeGreaterThan(0.05);
        const alpha = Math.fround(Math.exp(-1 / tau));
        const py = spawnSync(PY, ["-c", SCRIPT], {
          input: JSON.stringify({ x: Array.from(x), s: Array.from(r.s), g: Array.from(g), T, N, alpha, theta: 1, name, a: scale, w: width, exact: backward === "exodus" }),
          encoding: "utf8", maxBuffer: 64 << 20,
        });
        expect(py.status, py.stderr).toBe(0);
        const want = Float64Array.from(JSON.parse(py.stdout).dx as number[]);
        expect(relErr(r.dx, want)).toBeLessThan(1e-5);
        // Compact support: some of the gradient is exactly 0 (steps after a neuron's last visit to the window).
        expect(want.some((v) => v === 0)).toBe(true);
      }, 60_000);
});
