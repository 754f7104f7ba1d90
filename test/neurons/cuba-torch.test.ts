// CubaLIF's EXODUS and SLAYER gradients (input, both initial states, α and α_s per neuron) against
// PyTorch autograd of the unrolled neuron in float64: an independent implementation (autograd
// differentiates the current, the leak and the reset op by op; the spike's backward is the
// exponential surrogate written here). Skipped where /usr/bin/python3 has no torch.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { Rng } from "../../lib/random.js";
import { firingInput, normal } from "./helpers.js";
import { relErr, spikeRate } from "./reference.js";
import { runCuba } from "./cuba-helpers.js";
import { PY, hasTorch, pySpike } from "../torch-python.js";

// Reads {x, s, g, v0, i0, T, N, F, alphaSyn[F], alpha[F], theta, reset, exact} as JSON; prints the
// gradients. The forward follows the kernel's spikes s (a float32 membrane may cross θ where the
// float64 one just does not).
const SCRIPT = String.raw`
import json, sys, torch
p = json.load(sys.stdin)
T, N, F, th = p["T"], p["N"], p["F"], p["theta"]
d = lambda k: torch.tensor(p[k], dtype=torch.float64)
x = d("x").reshape(T, N).requires_grad_(True)
S, g = d("s").reshape(T, N), d("g").reshape(T, N)
v0, i0 = d("v0").requires_grad_(True), d("i0").requires_grad_(True)
asyn, al = d("alphaSyn").requires_grad_(True), d("alpha").requires_grad_(True)
A, As = al.repeat(N // F), asyn.repeat(N // F)
${pySpike("(1 / (th * 0.5)) * torch.exp(-(v - th).abs() / (th * 0.5))")}
i, v, out = i0, v0, []
for t in range(T):
    i = As * i + x[t]
    v = A * v + i
    s = Spike.apply(v, S[t])
    # SLAYER drops the reset's term: the reset is a constant to the gradient (∂v_post/∂v = 1).
    drop = (th * s) if p["reset"] == "subtract" else (v * s)
    v = v - (drop if p["exact"] else drop.detach())
    out.append(s)
(torch.stack(out) * g).sum().backward()
print(json.dumps({k: t.grad.reshape(-1).tolist() for k, t in [("dx", x), ("dv0", v0), ("di0", i0), ("alpha", al), ("alphaSyn", asyn)]}))
`;

describe.skipIf(!hasTorch)("CubaLIF against PyTorch autograd (float64)", () => {
  for (const reset of ["subtract", "zero"] as const)
    for (const backward of ["exodus", "slayer"] as const)
      it(`${reset} reset, ${backward}`, () => {
        const T = 100, B = 3, F = 8, N = B * F, th = 0.8;
        const rng = new Rng(31);
        const x = firingInput(rng, T, N, 0.08, 0.4);
        const g = normal(rng, T * N);
        const v0 = normal(rng, N, 0.3), i0 = normal(rng, N, 0.2);
        const alphaSyn = Float32Array.from({ length: F }, (_, k) => 0.6 + 0.04 * k), alpha = Float32Array.from({ length: F }, (_, k) => 0.85 + 0.015 * k);
        const r = runCuba({ alphaSyn, alpha, threshold: th, reset, backward }, [T, B, F], x, g, { v0, i0 });
        expect(spikeRate(r.s)).toBeGreaterThan(0.05);
        const py = spawnSync(PY, ["-c", SCRIPT], {
          input: JSON.stringify({ x: Array.from(x), s: Array.from(r.s), g: Array.from(g), v0: Array.from(v0), i0: Array.from(i0), T, N, F,
            alphaSyn: Array.from(alphaSyn), alpha: Array.from(alpha), theta: Math.fround(th), reset, exact: backward === "exodus" }),
          encoding: "utf8", maxBuffer: 64 << 20,
        });
        expect(py.status, py.stderr).toBe(0);
        const want = JSON.parse(py.stdout) as Record<string, number[]>;
        expect(relErr(r.dx, want.dx)).toBeLessThan(1e-5);
        expect(relErr(r.dv0, want.dv0)).toBeLessThan(1e-5);
        expect(relErr(r.di0, want.di0)).toBeLessThan(1e-5);
        expect(relErr(r.grads.alpha, want.alpha)).toBeLessThan(1e-4);
        expect(relErr(r.grads.alphaSyn, want.alphaSyn)).toBeLessThan(1e-4);
      }, 60_000);
});
