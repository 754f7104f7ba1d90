// conv2d's direct forward on the CPU (lib/conv-direct.ts: the direct ∂x kernel run on the
// transposed problem) equals im2col + GEMM to float32 rounding and a float64 reference, with and
// without bias, for every register block the kernel has (rows of 32 and 16 pixels, 8-wide images,
// widths not a multiple of 8, 1-8+ channel blocks, 1×1 / 3×3 / 5×5 kernels, every padding below
// the kernel), at 1 and 2 threads with the same bits; "auto" takes it exactly where it fits.
import { afterAll, describe, expect, it } from "vitest";
import { conv2d, conv2dGeometry, directInputGradFits } from "../lib/conv.js";
import { Rng } from "../lib/random.js";
import { runtimeInfo, setCpuThreads } from "../lib/runtime.js";
import { Tensor } from "../lib/tensor.js";
import { maxRelError } from "./helpers.js";

const initialThreads = runtimeInfo().cpu.threads;
afterAll(() => setCpuThreads(initialThreads));

const uniform = (rng: Rng, shape: number[]) => Tensor.from(rng.fillUniform(new Float32Array(shape.reduce((a, b) => a * b, 1)), -1, 1), shape);

/** conv2d (stride 1) in float64 from the definition, with the bias added last. */
function yRef(x: Float32Array, w: Float32Array, b: Float32Array | undefined, [N, C, H, W]: number[], [O, , KH, KW]: number[], p: number): Float64Array {
  const HO = H + 2 * p - KH + 1, WO = W + 2 * p - KW + 1;
  const y = new Float64Array(N * O * HO * WO);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let oy = 0; oy < HO; oy++)
        for (let ox = 0; ox < WO; ox++) {
          let t = 0;
          for (let c = 0; c < C; c++)
            for (let i = 0; i < KH; i++)
              for (let j = 0; j < KW; j++) {
                const iy = oy - p + i, ix = ox - p + j;
                if (iy >= 0 && iy < H && ix >= 0 && ix < W) t += w[((o * C + c) * KH + i) * KW + j] * x[((n * C + c) * H + iy) * W + ix];
              }
          y[((n * O + o) * HO + oy) * WO + ox] = t + (b ? b[o] : 0);
        }
  return y;
}

describe("direct conv2d forward", () => {
  // [x shape, w shape, padding, with bias]
  const shapes: [number[], number[], number, boolean][] = [
    [[3, 2, 32, 32], [2, 2, 3, 3], 1, false], // the base-2 DVS net's first conv (2 → 2)
    [[2, 2, 16, 32], [4, 2, 3, 3], 1, true],
    [[3, 4, 16, 16], [8, 4, 3, 3], 1, false],
    [[4, 8, 8, 8], [16, 8, 3, 3], 1, true],
    [[2, 16, 8, 8], [64, 16, 3, 3], 1, false],
    [[5, 64, 4, 4], [64, 64, 3, 3], 1, false], // 4 × 4 outputs: the pixel-major path
    [[2, 3, 9, 12], [5, 3, 5, 5], 2, true],
    [[2, 8, 10, 16], [3, 8, 3, 3], 0, false], // no padding: 8 × 14 outputs
    [[2, 6, 7, 8], [9, 6, 1, 1], 0, true],
    [[2, 1, 11, 24], [1, 1, 3, 3], 2, false], // padding 2 with a 3 × 3 kernel: outputs larger than the input
  ];
  for (const [xs, ws, pad, withBias] of shapes)
    it(`equals im2col + GEMM and float64: x ${xs.join("×")}, w ${ws.join("×")}, padding ${pad}${withBias ? ", bias" : ""}`, () => {
      const rng = new Rng(xs[1] * 1000 + ws[0] * 10 + pad);
      const x = uniform(rng, xs), w = uniform(rng, ws);
      const b = withBias ? uniform(rng, [ws[0]]) : undefined;
      const g = conv2dGeometry(x, w, { padding: pad });
      expect(directInputGradFits(g)).toBe(true);
      const runs = [1, 2].map((t) => {
        setCpuThreads(t);
        return conv2d(x, w, { padding: pad, forwardPath: "direct" }, b).toArray();
      });
      setCpuThreads(initialThreads);
      const gemm = conv2d(x, w, { padding: pad, forwardPath: "gemm" }, b).toArray();
      const auto = conv2d(x, w, { padding: pad }, b).toArray();
      expect(Array.from(runs[1])).toEqual(Array.from(runs[0]));
      expect(Array.from(auto)).toEqual(Array.from(runs[0]));
      const ref = yRef(x.toArray(), w.toArray(), b?.toArray(), xs, ws, pad);
      expect(maxRelError(runs[0], ref)).toBeLessThan(2e-5);
      expect(maxRelError(gemm, ref)).toBeLessThan(2e-5);
      expect(maxRelError(runs[0], gemm)).toBeLessThan(2e-5);
    });

  it("is not taken for stride 2, and refuses it when forced", () => {
    const rng = new Rng(9);
    const x = uniform(rng, [2, 4, 8, 8]), w = uniform(rng, [4, 4, 3, 3]);
    expect(directInputGradFits(conv2dGeometry(x, w, { padding: 1, stride: 2 }))).toBe(false);
    expect(conv2d(x, w, { padding: 1, stride: 2 }).shape).toEqual([2, 4, 4, 4]);
    expect(() => conv2d(x, w, { padding: 1, stride: 2, forwardPath: "direct" })).toThrow(/conv2d: the direct loop needs a CPU tensor, stride 1 and padding < kernel; received cpu, stride 2x2/);
    expect(() => conv2d(x, w, { padding: 1, forwardPath: "fast" as never })).toThrow(/conv2d: expected a path "auto", "gemm" or "direct", received "fast"/);
  });
});
