// The recurrent backward's R = Λ·V has an AVX-512 tile (cpu/packed_rows_gemm_avx512.cc), and the
// RLIF backward's exponential-surrogate step an AVX-512 row (cpu/exp_adjoint_avx512.cc), both taken
// at run time; they must give the AVX2 code's bits. Each layer below runs once in a process with the
// twins on (EXODUS_AVX512=1) and once with them off (0), the switch being read once per process,
// and every output (spikes, ∂x, ∂V, each parameter's gradient, the initial state's) must be the
// same bytes. Shapes: H = 40 (a pair of 16-column panels and a ragged single one of 8 columns)
// with B = 130 (blocks of 8 rows and of 1; 32 neurons in the 16-lane row step, 8 in the AVX2 one),
// and H = 48 (a pair and a full single panel; all 48 neurons in the 16-lane step), B = 37.
// On a CPU without AVX-512 both processes take the AVX2 tile and the comparison is skipped.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { hasAvx512 } from "../cpu-avx512.js";

const dist = (f: string) => JSON.stringify(new URL(`../../dist/lib/${f}`, import.meta.url).pathname);

// Prints one JSON line: per layer and shape, every output as base64 float32 bytes, and the
// hidden spike rate and the largest |∂V| (so that a run that computed nothing cannot pass).
const child = `
const { Device } = await import(${dist("device.js")});
const nn = await import(${dist("nn/index.js")});
const { Rng } = await import(${dist("random.js")});
const { runRecurrent } = await import(${dist("selftest/recurrent-run.js")});
const layers = {
  "RLIF exponential": (H) => new nn.RLIF({ size: H, tauMem: 10, bias: true, learnAlpha: true, backward: "exodus", stateful: true }),
  "RLIF exponential, zero reset": (H) => new nn.RLIF({ size: H, tauMem: 10, reset: "zero", learnAlpha: true, backward: "exodus", stateful: true }),
  "RLIF exponential slayer, zero reset": (H) => new nn.RLIF({ size: H, tauMem: 10, reset: "zero", backward: "slayer", stateful: true }),
  "RLIF triangle": (H) => new nn.RLIF({ size: H, tauMem: 10, surrogate: "triangle", backward: "exodus", stateful: true }),
  "RLIF rectangle": (H) => new nn.RLIF({ size: H, tauMem: 10, surrogate: "rectangle", backward: "exodus", stateful: true }),
  "RCubaLIF": (H) => new nn.RCubaLIF({ size: H, tauMem: 10, tauSyn: 5, bias: true, backward: "exodus", stateful: true }),
  "RALIF": (H) => new nn.RALIF({ size: H, tauMem: 12, tauAdapt: 30, beta: 0.4, learn: ["alpha", "rho", "beta", "threshold"], backward: "exodus", stateful: true }),
  "RAdLIF": (H) => new nn.RAdLIF({ size: H, tauMem: 8, tauAdapt: 30, a: 0.3, b: 0.6, learn: ["alpha", "beta", "a", "b"], backward: "exodus", stateful: true }),
};
const out = {};
for (const [H, B] of [[40, 130], [48, 37]])
  for (const [name, make] of Object.entries(layers)) {
    const rng = new Rng(H + B);
    const T = 12, N = B * H;
    // adLIF's adaptation current needs a stronger drive to fire (as in recurrent-torch.test.ts).
    const [mean, std] = name === "RAdLIF" ? [1.5, 2] : [0.3, 0.8];
    const x = new Float32Array(T * N).map(() => mean + std * rng.normal());
    const g = rng.fillNormal(new Float32Array(T * N), 0, 1);
    const h = rng.fillNormal(new Float32Array(T * N), 0, 0.3);  // ∂L/∂v: the λ head's h term
    const w = rng.fillNormal(new Float32Array(H * H), 0, 0.4);
    const init = [rng.fillNormal(new Float32Array(N), 0, 0.5), new Float32Array(N).map(() => (rng.uniform() < 0.2 ? 1 : 0))];
    const r = runRecurrent(make(H), Device.cpu, { T, B, x, g, h, w, init: name.startsWith("RLIF") ? init : undefined });
    const b64 = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");
    out[name + " H " + H] = {
      rate: r.s.reduce((a, b) => a + b, 0) / r.s.length, maxDw: r.dw.reduce((m, d) => Math.max(m, Math.abs(d)), 0),
      bytes: [r.s, r.dx, r.dw, ...Object.values(r.grads), ...r.dinit].map(b64),
    };
  }
console.log(JSON.stringify(out));
`;

function run(avx512: "0" | "1") {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", child], {
    encoding: "utf8",
    env: { ...process.env, EXODUS_AVX512: avx512 },
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`child (EXODUS_AVX512=${avx512}) failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, { rate: number; maxDw: number; bytes: string[] }>;
}

describe.skipIf(!hasAvx512)("the recurrent backward's AVX-512 tile gives the AVX2 tile's bits", () => {
  it("every output of RLIF (three surrogates, both resets, SLAYER), RCubaLIF, RALIF and RAdLIF", () => {
    const wide = run("1"), narrow = run("0");
    expect(Object.keys(wide).length).toBe(16);
    for (const [k, a] of Object.entries(wide)) {
      const b = narrow[k];
      expect(a.rate, k).toBeGreaterThan(0.02);
      expect(a.rate, k).toBeLessThan(0.9);
      expect(a.maxDw, k).toBeGreaterThan(0);
      expect(a.bytes.length, k).toBe(b.bytes.length);
      a.bytes.forEach((x, i) => expect(x === b.bytes[i], `${k}: output ${i}`).toBe(true));
    }
  }, 120_000);
});
