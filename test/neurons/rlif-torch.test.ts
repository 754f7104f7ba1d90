// Recurrent LIF against PyTorch autograd of the unrolled net in float64 (an independent
// implementation: autograd differentiates the reset, the leak, the recurrent product and the bias op
// by op; the spike's backward is the surrogate written here). ∂x, ∂V, ∂α, ∂bias, ∂v0, ∂s0, for
// EXODUS and SLAYER (the reset detached: its backward treats u = v). Skipped where /usr/bin/python3
// has no torch; test/neurons/rlif.test.ts checks the same against the float64 reference without it.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { Rng } from "../../lib/random.js";
import { firingInput, normal } from "./helpers.js";
import { relErr } from "./reference.js";
import { runRlif } from "./rlif-helpers.js";
import { PY, hasTorch, pySpike } from "../torch-python.js";

// Reads {x, s, g, h, v0, s0, w, bias, T, B, H, alpha, theta, reset, exact} as JSON; the forward
// follows the kernel's spikes s (a float32 membrane may cross θ where the float64 one just does not).
const SCRIPT = String.raw`
import json, sys, torch
p = json.load(sys.stdin)
T, B, H, th = p["T"], p["B"], p["H"], p["theta"]
f64 = lambda k, *shape: torch.tensor(p[k], dtype=torch.float64).reshape(*shape)
x = f64("x", T, B, H).requires_grad_(True)
S, g, hh = f64("s", T, B, H), f64("g", T, B, H), f64("h", T, B, H)
W = f64("w", H, H).requires_grad_(True)
bias = f64("bias", H).requires_grad_(True)
alpha = torch.tensor(p["alpha"], dtype=torch.float64, requires_grad=True)
v0 = f64("v0", B, H).requires_grad_(True)
s0 = f64("s0", B, H).requires_grad_(True)
# exponential surrogate, scale 1, width 0.5 (relative to θ)
${pySpike("torch.exp(-(v - th).abs() / (0.5 * th)) / (0.5 * th)")}
u, sp, loss = v0, s0, 0
for t in range(T):
    v = alpha * u + x[t] + sp @ W.T + bias
    s = Spike.apply(v, S[t])
    drop = th * s if p["reset"] == "subtract" else v * s
    # SLAYER ignores the reset in the backward (u = v there): the amount removed is detached.
    u = v - (drop if p["exact"] else drop.detach())
    loss = loss + (s * g[t]).sum() + (v * hh[t]).sum()
    sp = s
loss.backward()
out = {k: t.grad.reshape(-1).tolist() for k, t in dict(dx=x, dw=W, dbias=bias, dv0=v0, ds0=s0).items()}
out["dalpha"] = alpha.grad.item()
print(json.dumps(out))
`;

describe.skipIf(!hasTorch)("RLIF against PyTorch autograd (float64)", () => {
  for (const reset of ["subtract", "zero"] as const)
    for (const backward of ["exodus", "slayer"] as const)
      it(`${reset} reset, ${backward}`, () => {
        const T = 40, B = 3, H = 10, N = B * H, alpha = 0.9;
        const rng = new Rng(31);
        const x = firingInput(rng, T, N, 0.25, 0.7), g = normal(rng, T * N), h = normal(rng, T * N, 0.3);
        const v0 = normal(rng, N, 0.5), s0 = Float32Array.from({ length: N }, () => (rng.uniform() < 0.3 ? 1 : 0));
        const bias = normal(rng, H, 0.1);
        const r = runRlif({ size: H, alpha, reset, bias: true, learnAlpha: true, backward, seed: 8 }, T, B, x, g, { h, v0, s0, bias });
        const py = spawnSync(PY, ["-c", SCRIPT], {
          input: JSON.stringify({
            x: Array.from(x), s: Array.from(r.s), g: Array.from(g), h: Array.from(h), v0: Array.from(v0), s0: Array.from(s0),
            w: Array.from(r.w), bias: Array.from(bias), T, B, H, alpha: Math.fround(alpha), theta: 1, reset, exact: backward === "exodus",
          }),
          encoding: "utf8", maxBuffer: 64 << 20,
        });
        expect(py.status, py.stderr).toBe(0);
        const want = JSON.parse(py.stdout) as Record<string, number[] | number>;
        for (const k of ["dx", "dw", "dbias", "dv0", "ds0"] as const) expect(relErr(r[k]!, want[k] as number[]), k).toBeLessThan(2e-5);
        // α is shared in torch, one value per neuron here: compare the sum.
        const da = r.dalpha!.reduce((a, b) => a + b, 0);
        expect(Math.abs(da - (want.dalpha as number))).toBeLessThan(2e-5 * (1 + Math.abs(want.dalpha as number)));
        expect(r.s.some((v) => v === 1)).toBe(true);
      }, 60_000);
});
