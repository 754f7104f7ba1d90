// The CPU backend's AVX-512 twins (cpu/cpu_features.h: gemm()'s 6 x 32 tile, the plain LIF
// backward scan) must not change a result: the same products, and three SHD training steps
// (config's net, B 32, T 60: both twins run), give the same bits with them (EXODUS_AVX512=1) and
// without them (0), each in a process of its own since the switch is read once per process.
// On a CPU without AVX-512 both processes take the AVX2 kernel and the comparison is skipped.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { hasAvx512 } from "./cpu-avx512.js";

const dist = (f: string) => JSON.stringify(new URL(`../dist/lib/${f}`, import.meta.url).pathname);
const shdConfig = JSON.stringify(new URL("../configs/shd.yaml", import.meta.url).pathname);

// Prints one JSON line: every product's C (as base64 float32 bytes) and its largest relative
// error against a float64 reference, then the SHD net's weights after three steps.
const child = `
const { Tensor, scope } = await import(${dist("tensor.js")});
const ops = await import(${dist("ops.js")});
const { Rng } = await import(${dist("random.js")});
const { loadConfig } = await import(${dist("train/config.js")});
const { buildModel } = await import(${dist("train/model.js")});
const { readoutCrossEntropy } = await import(${dist("train/loss.js")});
const { Adam } = await import(${dist("optim.js")});
const rng = new Rng(11);
const out = { products: [], errors: [], weights: [] };
// M, N, K, transA, transB, alpha, beta: full and ragged 6-row and 16/32-column tiles, K over one
// 256-deep block (C accumulated), transposed operands, beta 0 / 1 / other, wide C (packed A).
const shapes = [
  [600, 128, 128, false, false, 1, 0], [97, 70, 300, false, false, 1, 0], [50, 33, 20, false, true, 2, 0.5],
  [61, 48, 17, true, false, 1, 1], [12, 160, 64, true, true, 0.5, 0], [300, 96, 40, false, false, 1, 0.25],
  [7, 32, 530, false, false, 1, 0], [64, 512, 100, false, false, 1, 0],
];
for (const [M, N, K, tA, tB, alpha, beta] of shapes) {
  const a = rng.fillNormal(new Float32Array(M * K), 0, 1), b = rng.fillNormal(new Float32Array(K * N), 0, 1);
  const c0 = rng.fillNormal(new Float32Array(M * N), 0, 1);
  const at = Tensor.from(a, tA ? [K, M] : [M, K]), bt = Tensor.from(b, tB ? [N, K] : [K, N]), ct = Tensor.from(c0, [M, N]);
  ops.gemm(ct, at, bt, { transA: tA, transB: tB, alpha, beta });
  const c = ct.toArray();
  let worst = 0;
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0, mag = 0;
      for (let k = 0; k < K; k++) {
        const p = (tA ? a[k * M + i] : a[i * K + k]) * (tB ? b[j * K + k] : b[k * N + j]);
        s += p;
        mag += Math.abs(p);
      }
      const ref = alpha * s + beta * c0[i * N + j];
      worst = Math.max(worst, Math.abs(c[i * N + j] - ref) / (Math.abs(alpha) * mag + Math.abs(beta * c0[i * N + j]) + 1e-30));
    }
  out.products.push(Buffer.from(c.buffer).toString("base64"));
  out.errors.push(worst);
  [at, bt, ct].forEach((t) => t.dispose());
}
const cfg = loadConfig(${shdConfig}, { device: "cpu", output: "/tmp/exodus-gemm-avx512" });
const T = 60, B = 32;
const model = buildModel(cfg, { sampleShape: [T, 100], numClasses: 20 });
const opt = new Adam(model.net.parameters(), { lr: 1e-3 });
const xs = new Float32Array(T * B * 100);
for (let i = 0; i < xs.length; i++) if (rng.uniform() < 0.1) xs[i] = 1;
const x = Tensor.from(xs, [T, B, 100]);
const labels = Float32Array.from({ length: B }, () => rng.int(20));
for (let step = 0; step < 3; step++)
  scope(() => {
    const h = model.net.forward(x);
    let g = readoutCrossEntropy(cfg.loss.readout, h, labels).dy;
    for (let i = model.net.layers.length - 1; i >= 0; i--) g = model.net.layers[i].backward(g);
    opt.step();
    model.net.zeroGrad();
  });
out.weights = model.net.parameters().map((p) => Buffer.from(p.value.toArray().buffer).toString("base64"));
console.log(JSON.stringify(out));
`;

function run(avx512: string) {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", child], {
    encoding: "utf8",
    env: { ...process.env, EXODUS_AVX512: avx512 },
  });
  return r;
}

describe("the AVX-512 twins of the CPU kernels", () => {
  it.skipIf(!hasAvx512)("give the AVX2 kernels' bits for products and SHD training steps", () => {
    const [off, on] = ["0", "1"].map((v) => {
      const r = run(v);
      expect(r.stderr).not.toMatch(/Error/);
      return JSON.parse(r.stdout.trim().split("\n").pop()!) as { products: string[]; errors: number[]; weights: string[] };
    });
    // Both agree with float64 to float32 rounding (so equal bits are not equal garbage) …
    for (const e of [...off.errors, ...on.errors]) expect(e).toBeLessThan(1e-5);
    expect(on.products.length).toBe(8);
    // … and with each other exactly.
    on.products.forEach((p, i) => expect(p === off.products[i], `product ${i}`).toBe(true));
    expect(on.weights.length).toBeGreaterThan(3);
    on.weights.forEach((w, i) => expect(w === off.weights[i], `weight ${i}`).toBe(true));
  }, 120_000);

  it("names EXODUS_AVX512 when it is neither 0 nor 1", () => {
    const r = run("yes");
    expect(r.stdout + r.stderr).toMatch(/EXODUS_AVX512: expected 0 \(use AVX2 only\) or 1 .*received "yes"/);
  }, 60_000);
});
