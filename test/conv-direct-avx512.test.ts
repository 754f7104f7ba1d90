// The direct conv ∂x's AVX-512 blocks (cpu/conv_direct_avx512.cc: rows of 32 pixels, 16-wide strips
// down two rows, 8-wide images two rows per vector) give the AVX2 blocks' bits, and the
// narrow-image path (cpu/conv_pixel_major.cc, whose GEMM takes gemm()'s AVX-512 tile) gives the
// same bits either way: each shape's ∂x is computed with EXODUS_AVX512=1 and =0, in a process of
// its own (the switch is read once per process), at 1 and 2 threads, and checked against float64.
// On a CPU without AVX-512 both processes take the AVX2 blocks and the comparison is skipped.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { hasAvx512 } from "./cpu-avx512.js";

const dist = (f: string) => JSON.stringify(new URL(`../dist/lib/${f}`, import.meta.url).pathname);

// [N, C, H, W], [Cout, C, k, k], padding: every AVX-512 block (and the AVX2 fallbacks beside
// them: a 16-wide image with an odd height, an 8-wide one with a height not a multiple of 4),
// several channel blocks, 5 × 5 kernels, no padding, and the 4 × 4 maps of the pixel-major path.
const shapes = [
  [[3, 8, 4, 32], [16, 8, 3, 3], 1], [[2, 16, 3, 64], [5, 16, 3, 3], 1], [[2, 24, 6, 16], [9, 24, 3, 3], 1],
  [[2, 8, 5, 16], [4, 8, 3, 3], 1], [[3, 32, 8, 8], [64, 32, 3, 3], 1], [[2, 16, 12, 8], [3, 16, 5, 5], 2],
  [[2, 8, 6, 8], [7, 8, 3, 3], 1], [[2, 8, 10, 8], [6, 8, 3, 3], 0], [[5, 64, 4, 4], [64, 64, 3, 3], 1],
  // channel blocks of 4, 2 and 1 (base-2 nets), each down 4 rows of 16, along rows of 32, two
  // rows of an 8-wide image per vector, and a shape no AVX-512 block takes (8 wide, 6 high)
  [[2, 4, 8, 16], [8, 4, 3, 3], 1], [[2, 2, 6, 32], [4, 2, 3, 3], 1], [[2, 6, 8, 8], [5, 6, 3, 3], 1],
  [[2, 3, 16, 8], [4, 3, 3, 3], 1], [[2, 2, 6, 8], [3, 2, 3, 3], 1],
];

// One JSON line: per shape and thread count, ∂x as base64 float32 bytes and its largest relative
// error against a float64 reference (relative to the sum of the terms' magnitudes).
const child = `
const { Tensor } = await import(${dist("tensor.js")});
const { conv2dBackward } = await import(${dist("conv.js")});
const { setCpuThreads } = await import(${dist("runtime.js")});
const { Rng } = await import(${dist("random.js")});
const shapes = ${JSON.stringify(shapes)};
const out = { dx: [], errors: [] };
shapes.forEach(([xs, ws, pad], si) => {
  const rng = new Rng(100 + si);
  const [N, C, H, W] = xs, [O, , K] = ws;
  const HO = H + 2 * pad - K + 1, WO = W + 2 * pad - K + 1;
  const w = rng.fillUniform(new Float32Array(O * C * K * K), -1, 1), dy = rng.fillUniform(new Float32Array(N * O * HO * WO), -1, 1);
  const x = Tensor.zeros(xs), wt = Tensor.from(w, ws), dyt = Tensor.from(dy, [N, O, HO, WO]);
  for (const threads of [1, 2]) {
    setCpuThreads(threads);
    const dx = conv2dBackward(x, wt, dyt, { padding: pad, weightGrad: false, inputGradPath: "direct" }).dx.toArray();
    let worst = 0;
    for (let n = 0; n < N; n++)
      for (let c = 0; c < C; c++)
        for (let y = 0; y < H; y++)
          for (let xx = 0; xx < W; xx++) {
            let s = 0, mag = 0;
            for (let o = 0; o < O; o++)
              for (let ki = 0; ki < K; ki++)
                for (let kj = 0; kj < K; kj++) {
                  const oy = y + pad - ki, ox = xx + pad - kj;
                  if (oy < 0 || oy >= HO || ox < 0 || ox >= WO) continue;
                  const p = w[((o * C + c) * K + ki) * K + kj] * dy[((n * O + o) * HO + oy) * WO + ox];
                  s += p;
                  mag += Math.abs(p);
                }
            const got = dx[((n * C + c) * H + y) * W + xx];
            worst = Math.max(worst, Math.abs(got - s) / (mag + 1e-30));
          }
    out.dx.push(Buffer.from(dx.buffer).toString("base64"));
    out.errors.push(worst);
  }
});
console.log(JSON.stringify(out));
`;

function run(avx512: string) {
  return spawnSync(process.execPath, ["--input-type=module", "-e", child], { encoding: "utf8", env: { ...process.env, EXODUS_AVX512: avx512 } });
}

describe("the direct conv input gradient's AVX-512 blocks", () => {
  it.skipIf(!hasAvx512)("give the AVX2 blocks' bits at 1 and 2 threads, and float64's values to float32 rounding", () => {
    const [off, on] = ["0", "1"].map((v) => {
      const r = run(v);
      expect(r.stderr).not.toMatch(/Error/);
      return JSON.parse(r.stdout.trim().split("\n").pop()!) as { dx: string[]; errors: number[] };
    });
    expect(on.dx.length).toBe(2 * shapes.length);
    for (const e of [...off.errors, ...on.errors]) expect(e).toBeLessThan(1e-5);
    on.dx.forEach((d, i) => {
      expect(d === off.dx[i], `shape ${Math.floor(i / 2)} (${JSON.stringify(shapes[Math.floor(i / 2)])}), ${1 + (i % 2)} thread(s)`).toBe(true);
      if (i % 2 === 1) expect(d === on.dx[i - 1], `shape ${Math.floor(i / 2)}: 1 vs 2 threads`).toBe(true);
    });
  }, 120_000);
});
