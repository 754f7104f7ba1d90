// The CPU's direct weight gradient of a stride-1 convolution (conv_direct_weight_grad,
// exodus/host_ops.h) equals im2col + GEMM to float32 rounding and a float64 reference, added into
// what dw held, for output-channel blocks of 4, 2 and 1, kernel widths 1, 3 and 5, every padding
// below the kernel; gives the same bits at 1 and 2 threads (fixed slices); and is taken by "auto"
// exactly where it fits, refused when forced elsewhere.
import { afterAll, describe, expect, it } from "vitest";
import { conv2dBackward, conv2dGeometry, directWeightGradFits } from "../lib/conv.js";
import { Rng } from "../lib/random.js";
import { runtimeInfo, setCpuThreads } from "../lib/runtime.js";
import { Tensor } from "../lib/tensor.js";
import { maxRelError } from "./helpers.js";

const initialThreads = runtimeInfo().cpu.threads;
afterAll(() => setCpuThreads(initialThreads));

const uniform = (rng: Rng, shape: number[]) => Tensor.from(rng.fillUniform(new Float32Array(shape.reduce((a, b) => a * b, 1)), -1, 1), shape);

/** dw0 + ∂conv/∂w (stride 1) in float64, from the definition. */
function dwRef(x: Float32Array, dy: Float32Array, dw0: Float32Array, [N, C, H, W]: number[], [O, , KH, KW]: number[], p: number): Float64Array {
  const HO = H + 2 * p - KH + 1, WO = W + 2 * p - KW + 1;
  const dw = Float64Array.from(dw0);
  for (let o = 0; o < O; o++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < KH; i++)
        for (let j = 0; j < KW; j++) {
          let t = 0;
          for (let n = 0; n < N; n++)
            for (let oy = 0; oy < HO; oy++)
              for (let ox = 0; ox < WO; ox++) {
                const iy = oy - p + i, ix = ox - p + j;
                if (iy >= 0 && iy < H && ix >= 0 && ix < W) t += dy[((n * O + o) * HO + oy) * WO + ox] * x[((n * C + c) * H + iy) * W + ix];
              }
          dw[((o * C + c) * KH + i) * KW + j] += t;
        }
  return dw;
}

describe("direct conv weight gradient", () => {
  // [x shape, w shape, padding]: spike-like and dense inputs, 9 or more images (several slices)
  const shapes: [number[], number[], number][] = [
    [[11, 2, 16, 16], [2, 2, 3, 3], 1], // the base-2 DVS net's first conv (2 → 2)
    [[9, 2, 8, 32], [4, 2, 3, 3], 1],
    [[10, 4, 16, 16], [8, 4, 3, 3], 1],
    [[9, 8, 8, 8], [16, 8, 3, 3], 1],
    [[12, 3, 6, 8], [7, 3, 3, 3], 1], // 7 outputs: a block of 4, of 2 and of 1
    [[9, 3, 9, 16], [5, 3, 5, 5], 2], // 5 × 5: blocks of 2 and 1
    [[9, 5, 7, 8], [3, 5, 1, 1], 0],
    [[9, 2, 10, 18], [6, 2, 3, 3], 0], // no padding: 16-wide outputs
  ];
  for (const [xs, ws, pad] of shapes)
    it(`equals im2col + GEMM and float64: x ${xs.join("×")}, w ${ws.join("×")}, padding ${pad}`, () => {
      const rng = new Rng(xs[1] * 1000 + ws[0] * 10 + pad);
      const x = uniform(rng, xs), w = uniform(rng, ws);
      const g = conv2dGeometry(x, w, { padding: pad });
      expect(directWeightGradFits(g)).toBe(true);
      const dy = uniform(rng, [xs[0], ws[0], g.ho, g.wo]);
      const dw0 = uniform(rng, ws);
      const grad = (path: "direct" | "gemm" | "auto", threads = initialThreads) => {
        setCpuThreads(threads);
        const dw = dw0.clone();
        conv2dBackward(x, w, dy, { padding: pad, inputGrad: false, weightGradPath: path, accumulate: { dw } });
        setCpuThreads(initialThreads);
        return dw.toArray();
      };
      const [one, two] = [grad("direct", 1), grad("direct", 2)];
      const gemm = grad("gemm"), auto = grad("auto");
      expect(Array.from(two)).toEqual(Array.from(one));
      expect(Array.from(auto)).toEqual(Array.from(one));
      const ref = dwRef(x.toArray(), dy.toArray(), dw0.toArray(), xs, ws, pad);
      expect(maxRelError(one, ref)).toBeLessThan(2e-5);
      expect(maxRelError(gemm, ref)).toBeLessThan(2e-5);
      expect(maxRelError(one, gemm)).toBeLessThan(2e-5);
    });

  it("is not taken where it does not fit, and refuses those shapes when forced", () => {
    const rng = new Rng(3);
    const cases: [number[], number[], { padding?: number; stride?: number }][] = [
      [[2, 2, 8, 12], [3, 2, 3, 3], { padding: 1 }], // output width 12
      [[2, 2, 8, 16], [3, 2, 3, 3], { padding: 1, stride: 2 }], // stride 2
      [[2, 2, 8, 14], [3, 2, 7, 7], { padding: 3 }], // 7-wide kernel
    ];
    for (const [xs, ws, o] of cases) {
      const x = uniform(rng, xs), w = uniform(rng, ws);
      const g = conv2dGeometry(x, w, o);
      expect(directWeightGradFits(g)).toBe(false);
      const dy = uniform(rng, [xs[0], ws[0], g.ho, g.wo]);
      expect(() => conv2dBackward(x, w, dy, { ...o, inputGrad: false, weightGradPath: "direct" })).toThrow(/conv2dBackward weightGradPath: the direct loop needs a CPU tensor, stride 1, padding < kernel, output width a multiple of 8 and kernel width 1, 3 or 5; received cpu/);
      const auto = conv2dBackward(x, w, dy, { ...o, inputGrad: false }).dw.toArray();
      const gemm = conv2dBackward(x, w, dy, { ...o, inputGrad: false, weightGradPath: "gemm" }).dw.toArray();
      expect(Array.from(auto)).toEqual(Array.from(gemm));
    }
  });
});
