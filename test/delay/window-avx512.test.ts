// The AVX-512 twins of the window path must give the AVX2 kernels' bits: the ∂x block
// (cuda/cpu/delay_window_dx_avx512.cc) at shapes that reach every part of it (steps that end in a
// 4-step tail block or fill whole 8-step blocks, samples not a multiple of 16, one to three
// 16-sample blocks, W 1, 6, 8 and 12 taps, and 26 and 32, whose taps do not stay in registers), and the correlation from the spikes (16 synapses in zmm
// registers, delay_window_events.cc, W <= 8; outputs not a multiple of 16), seen in the weight and
// delay gradients. Computed in a process with EXODUS_AVX512=1 and in one with 0 (the switch is read
// once per process), each also against the float64 reference (so equal bits are not equal garbage).
// On a CPU without AVX-512 both take the AVX2 kernels: skipped.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { hasAvx512 } from "../cpu-avx512.js";

const dist = (f: string) => JSON.stringify(new URL(`../../dist/lib/${f}`, import.meta.url).pathname);

// [T, B, in, out, D, σ, perNeuron]: W = min(2⌈4σ⌉ + 2, D + 1).
const cases: [number, number, number, number, number, number, boolean][] = [
  [100, 32, 24, 40, 25, 0.5, false], // the SHD-delays window (W 6), T 100: 12 blocks of 8 and a tail of 4
  [21, 21, 13, 37, 12, 0.7, true], // W 8, samples padded to 32, T 21: 2 blocks and a tail
  [16, 40, 17, 9, 20, 1.2, false], // W 12, three sample blocks (48 lanes), T 16: whole blocks only
  [9, 16, 8, 5, 9, 0, false], // W 1 (hard delays), T 9: a block and a tail
  [30, 21, 10, 13, 25, 3, false], // W 26 = D + 1 (∂x only; the window path's forward takes the filters): taps broadcast from memory
  [13, 17, 7, 9, 31, 8, true], // W 32, the widest the ∂x blocks take
];

// Prints one JSON line per process: each case's ∂x (base64 float32 bytes), its deviation from the
// float64 reference (max |got − want| over max |want|) and that max |want|.
const child = `
const { DelayLinear } = await import(${dist("nn/delay.js")});
const { Rng } = await import(${dist("random.js")});
const { Tensor } = await import(${dist("tensor.js")});
const { refGrads } = await import(${dist("selftest/delay-reference.js")});
const out = [];
for (const [T, B, nin, nout, D, sigma, perNeuron] of ${JSON.stringify(cases)}) {
  const rng = new Rng(T * 7 + B);
  const layer = new DelayLinear(nin, nout, { maxDelay: D, sigma, perNeuron, products: "window", inputGrad: true, seed: T, initScale: 2 });
  const dv = layer.delay.value.toArray().map(() => rng.int(D) + 0.1 + 0.8 * rng.uniform());
  layer.delay.value.copyFrom(Tensor.from(dv, layer.delay.value.shape));
  const x = new Float32Array(T * B * nin);
  for (let k = 0; k < x.length; k++) if (rng.uniform() < 0.05) x[k] = 0.5 + rng.int(3);
  const G = Float32Array.from({ length: T * B * nout }, () => rng.range(-1, 1));
  layer.forward(Tensor.from(x, [T, B, nin]));
  const dx = layer.backward(Tensor.from(G, [T, B, nout])).toArray();
  const ref = refGrads({ T, B, nin, nout, D, sigma, windowSigmas: 4, perNeuron, x: Float64Array.from(x),
    w: Float64Array.from(layer.weight.value.toArray()), d: Float64Array.from(dv), G: Float64Array.from(G) });
  const want = ref.dx;
  const b64 = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");
  const dw = layer.weight.grad.toArray(), dd = layer.delay.grad.toArray();
  let wdev = 0, wscale = 0;
  for (let k = 0; k < dw.length; k++) wscale = Math.max(wscale, Math.abs(ref.dw[k])), wdev = Math.max(wdev, Math.abs(dw[k] - ref.dw[k]));
  let scale = 0, dev = 0;
  for (let k = 0; k < want.length; k++) scale = Math.max(scale, Math.abs(want[k])), dev = Math.max(dev, Math.abs(dx[k] - want[k]));
  out.push({ path: layer.path, dx: b64(dx), dev: dev / scale, scale, dw: b64(dw), dd: b64(dd), wdev: wdev / wscale, wscale });
  layer.dispose();
}
console.log(JSON.stringify(out));
`;

function run(avx512: string) {
  return spawnSync(process.execPath, ["--input-type=module", "-e", child], { encoding: "utf8", env: { ...process.env, EXODUS_AVX512: avx512 } });
}

type Case = { path: string; dx: string; dev: number; scale: number; dw: string; dd: string; wdev: number; wscale: number };

describe("the AVX-512 twins of the window path (∂x, correlation)", () => {
  it.skipIf(!hasAvx512)("give the AVX2 kernels' bits, both equal to the float64 reference to float32 rounding", () => {
    const [off, on] = ["0", "1"].map((v) => {
      const r = run(v);
      expect(r.stderr).not.toMatch(/Error/);
      return JSON.parse(r.stdout.trim().split("\n").pop()!) as Case[];
    });
    expect(on.length).toBe(cases.length);
    on.forEach((c, k) => {
      for (const r of [c, off[k]]) {
        expect(r.path).toBe("window");
        expect(r.scale).toBeGreaterThan(0);
        expect(r.dev, `case ${k}`).toBeLessThan(5e-6);
        expect(r.wscale).toBeGreaterThan(0);
        expect(r.wdev, `case ${k}: ∂w`).toBeLessThan(5e-6);
      }
      expect(c.dx === off[k].dx, `case ${k}: ∂x bits`).toBe(true);
      expect(c.dw === off[k].dw, `case ${k}: ∂w bits`).toBe(true);
      expect(c.dd === off[k].dd, `case ${k}: ∂d bits`).toBe(true);
    });
  }, 120_000);
});
