// The CPU's direct input gradient of a stride-1 convolution (conv_direct_input_grad, exodus/host_ops.h) equals GEMM +
// col2im to float32 rounding and a float64 reference, for the shapes it takes (register blocks of
// 4 channels × 16 pixels or × 2 rows, and 8 × 8), is the same at any thread count, and is chosen by shape.
import { afterAll, describe, expect, it } from "vitest";
import { conv2dBackward, conv2dGeometry, directInputGradFits } from "../lib/conv.js";
import { Rng } from "../lib/random.js";
import { runtimeInfo, setCpuThreads } from "../lib/runtime.js";
import { Tensor } from "../lib/tensor.js";
import { maxRelError } from "./helpers.js";

const initialThreads = runtimeInfo().cpu.threads;
afterAll(() => setCpuThreads(initialThreads));

const uniform = (rng: Rng, shape: number[]) => Tensor.from(rng.fillUniform(new Float32Array(shape.reduce((a, b) => a * b, 1)), -1, 1), shape);

/** ∂x of a stride-1 conv in float64, straight from the definition. */
function dxRef(w: Float32Array, dy: Float32Array, [N, C, H, W]: number[], [O, , KH, KW]: number[], ph: number, pw: number): Float64Array {
  const HO = H + 2 * ph - KH + 1, WO = W + 2 * pw - KW + 1;
  const dx = new Float64Array(N * C * H * W);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) {
          let t = 0;
          for (let o = 0; o < O; o++)
            for (let ki = 0; ki < KH; ki++)
              for (let kj = 0; kj < KW; kj++) {
                const oy = y + ph - ki, ox = x + pw - kj;
                if (oy >= 0 && oy < HO && ox >= 0 && ox < WO) t += w[((o * C + c) * KH + ki) * KW + kj] * dy[((n * O + o) * HO + oy) * WO + ox];
              }
          dx[((n * C + c) * H + y) * W + x] = t;
        }
  return dx;
}

describe("direct conv input gradient", () => {
  const shapes: [string, number[], number[], number][] = [
    ["8 → 16 at 32×32, pad 1 (4×16 blocks)", [3, 8, 32, 32], [16, 8, 3, 3], 1],
    ["16 → 8 at 8×8, pad 1 (4 ch × 2 rows)", [2, 16, 8, 8], [8, 16, 3, 3], 1],
    ["8 → 4 at 7×24, pad 1 (8 ch × 8 px)", [2, 8, 7, 24], [4, 8, 3, 3], 1],
    ["8 → 5 at 6×24, 5×5 kernel pad 2", [2, 8, 6, 24], [5, 8, 5, 5], 2],
    ["8 → 3 at 9×16, 3×3 kernel no padding", [4, 8, 9, 16], [3, 8, 3, 3], 0],
    // fewer or other than 8k input channels (the base-2 nets: 2 → 4 at 32×32, 4 → 8 at 16×16)
    ["2 → 4 at 32×32, pad 1", [3, 2, 32, 32], [4, 2, 3, 3], 1],
    ["4 → 8 at 16×16, pad 1", [3, 4, 16, 16], [8, 4, 3, 3], 1],
    ["6 → 5 at 5×24, pad 1 (2-channel blocks, odd height)", [2, 6, 5, 24], [5, 6, 3, 3], 1],
    ["3 → 4 at 8×8, pad 1 (1-channel blocks)", [2, 3, 8, 8], [4, 3, 3, 3], 1],
    ["1 → 2 at 7×16, 5×5 kernel pad 2", [2, 1, 7, 16], [2, 1, 5, 5], 2],
  ];
  for (const [what, xs, ws, pad] of shapes)
    it(`equals GEMM + col2im and a float64 reference: ${what}`, () => {
      const rng = new Rng(xs[2] * 100 + ws[0]);
      const x = uniform(rng, xs), w = uniform(rng, ws);
      const g = conv2dGeometry(x, w, { padding: pad });
      expect(directInputGradFits(g)).toBe(true);
      const dy = uniform(rng, [xs[0], ws[0], g.ho, g.wo]);
      const opts = { padding: pad, weightGrad: false };
      const direct = conv2dBackward(x, w, dy, { ...opts, inputGradPath: "direct" }).dx!.toArray();
      const gemm = conv2dBackward(x, w, dy, { ...opts, inputGradPath: "gemm" }).dx!.toArray();
      const auto = conv2dBackward(x, w, dy, opts).dx!.toArray();
      expect(Array.from(auto)).toEqual(Array.from(direct));
      expect(maxRelError(direct, gemm)).toBeLessThan(2e-5);
      expect(maxRelError(direct, dxRef(w.toArray(), dy.toArray(), xs, ws, pad, pad))).toBeLessThan(2e-5);
    });

  // Widths not a multiple of 8 (the DVS nets' 4 × 4 maps) take the pixel-major GEMM
  // (cuda/cpu/conv_pixel_major.cc): the same sums as GEMM + col2im in the same order, so the same bits.
  const narrow: [string, number[], number[], number][] = [
    ["64 → 64 at 4×4, pad 1 (the DVS nets' last convs)", [37, 64, 4, 4], [64, 64, 3, 3], 1],
    ["32 → 16 at 4×4, pad 1", [5, 16, 4, 4], [32, 16, 3, 3], 1],
    ["8 → 24 at 5×12, 5×5 kernel pad 2", [3, 8, 5, 12], [24, 8, 5, 5], 2],
    ["16 → 7 at 6×6, no padding", [4, 16, 6, 6], [7, 16, 3, 3], 0],
    ["8 → 300 at 3×3, pad 1 (K = Cout over gemm's 256-step block)", [2, 8, 3, 3], [300, 8, 3, 3], 1],
    ["3 → 5 at 4×4, pad 1", [6, 3, 4, 4], [5, 3, 3, 3], 1],
  ];
  for (const [what, xs, ws, pad] of narrow)
    it(`narrow images: the same bits as GEMM + col2im, and a float64 reference: ${what}`, () => {
      const rng = new Rng(xs[3] * 100 + ws[0] + xs[0]);
      const x = uniform(rng, xs), w = uniform(rng, ws);
      const g = conv2dGeometry(x, w, { padding: pad });
      expect(directInputGradFits(g)).toBe(true);
      const dy = uniform(rng, [xs[0], ws[0], g.ho, g.wo]);
      const opts = { padding: pad, weightGrad: false };
      const gemm = conv2dBackward(x, w, dy, { ...opts, inputGradPath: "gemm" }).dx!.toArray();
      const runs = [1, 2].map((t) => {
        setCpuThreads(t);
        return conv2dBackward(x, w, dy, { ...opts, inputGradPath: "direct" }).dx!.toArray();
      });
      setCpuThreads(initialThreads);
      const auto = conv2dBackward(x, w, dy, opts).dx!.toArray();
      expect(Array.from(runs[0])).toEqual(Array.from(gemm));
      expect(Array.from(runs[1])).toEqual(Array.from(gemm));
      expect(Array.from(auto)).toEqual(Array.from(gemm));
      expect(maxRelError(runs[0], dxRef(w.toArray(), dy.toArray(), xs, ws, pad, pad))).toBeLessThan(2e-5);
    });

  it("gives the same bits at 1, 2 and 3 threads", () => {
    const rng = new Rng(4);
    const x = uniform(rng, [13, 8, 16, 16]), w = uniform(rng, [12, 8, 3, 3]), dy = uniform(rng, [13, 12, 16, 16]);
    const runs = [1, 2, 3].map((t) => {
      setCpuThreads(t);
      return Array.from(conv2dBackward(x, w, dy, { padding: 1, weightGrad: false, inputGradPath: "direct" }).dx!.toArray());
    });
    setCpuThreads(initialThreads);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
  });

  it("is not chosen for shapes it does not take, and refuses them when forced", () => {
    const rng = new Rng(5);
    const cases: [number[], number[], { padding?: number; stride?: number }][] = [
      [[1, 6, 8, 8], [4, 6, 2, 2], { padding: 2 }], // padding not below a 2×2 kernel
      [[1, 8, 8, 12], [4, 8, 3, 3], { padding: 3 }], // padding not below the kernel size
      [[1, 8, 16, 16], [4, 8, 3, 3], { padding: 1, stride: 2 }], // stride 2
    ];
    for (const [xs, ws, o] of cases) {
      const x = uniform(rng, xs), w = uniform(rng, ws);
      const g = conv2dGeometry(x, w, o);
      expect(directInputGradFits(g)).toBe(false);
      const dy = uniform(rng, [xs[0], ws[0], g.ho, g.wo]);
      expect(() => conv2dBackward(x, w, dy, { ...o, inputGradPath: "direct" })).toThrow(/conv2dBackward inputGradPath: the direct loop needs a CPU tensor, stride 1 and padding < kernel; received cpu, stride .* leave the path at "auto"/);
      expect(conv2dBackward(x, w, dy, o).dx!.size).toBe(x.size);
    }
  });
});
