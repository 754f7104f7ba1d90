// The forward of a stride-1 convolution on the CPU, computed by the direct ∂x kernel
// (conv_direct_input_grad, exodus/host_ops.h) instead of im2col + GEMM.
//
// Why: ∂x of a convolution is itself a stride-1 convolution, of ∂y with the kernel flipped and
// its channel axes swapped, at padding kernel − 1 − padding. Run the other way round, the same
// kernel computes y = conv(x, w): with w'[ci, co, kh−1−i, kw−1−j] = w[co, ci, i, j] and the
// geometry of a convolution from Cout "channels" of size Ho × Wo to Cin of size H × W, its ∂x is
// y. It keeps blocks of outputs in registers and reads the image once per tap, where im2col
// writes and re-reads C·k·k columns per pixel and the GEMM's K = C·k·k is short: 1.5-7× less
// CPU time for the DVS nets' 2-64-channel convolutions (docs/performance.md).
//
// Each output is the sum over (ci, i, j) of one fma each, the taps of a channel in reverse order
// (k−1 … 0): equal to the GEMM's sum in (ci, i, j) order to float32 rounding, not bit for bit.
import type { Conv2dGeometry } from "./conv.js";
import { native } from "./native.js";
import { Tensor } from "./tensor.js";

/** w [Cout, Cin, kh, kw] → [Cin, Cout, kh, kw], each kernel turned by 180°. */
function flipped(w: Tensor): Tensor {
  const [co, ci, kh, kw] = w.shape;
  const a = w.toArray();
  const f = new Float32Array(a.length);
  for (let o = 0; o < co; o++)
    for (let c = 0; c < ci; c++)
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++) f[((c * co + o) * kh + (kh - 1 - i)) * kw + (kw - 1 - j)] = a[((o * ci + c) * kh + i) * kw + j];
  return Tensor.from(f, [ci, co, kh, kw], w.device);
}

/** y = conv2d(x, w) into y, for g with stride 1 and padding below the kernel size (directInputGradFits). */
export function directConv2dInto(x: Tensor, w: Tensor, y: Tensor, g: Conv2dGeometry): void {
  const wf = flipped(w);
  try {
    // The transposed problem: "input" y (cin = Cout, Ho × Wo), "output gradient" x (Cin channels, H × W).
    const geom = { ...g, cin: g.cout, h: g.ho, w: g.wo, cout: g.cin, ho: g.h, wo: g.w, ph: g.kh - 1 - g.ph, pw: g.kw - 1 - g.pw };
    native().convInputGradDirect({ w: wf, dy: x, dx: y, geom, cout: g.cin, count: g.images });
  } finally {
    wf.dispose();
  }
}

/**
 * Input densities from which the direct loops beat the spike-sparse products (lib/sparse.ts) for
 * convolutions with few output channels, by product (CPU time at one thread over the DVS nets'
 * shapes, docs/performance.md: break-even 1.9-9 % for the forward, 2-20 % for ∂W, rising with the
 * channels). With more outputs than the last row the sparse products' FMA rows are wide enough
 * that they win wherever the sparse crossover chose them.
 */
export const DIRECT_OVER_SPARSE = {
  forward: [{ maxOut: 16, density: 0.02 }],
  weightGrad: [{ maxOut: 8, density: 0.025 }, { maxOut: 16, density: 0.06 }],
} as const;

/** Whether a product that the sparse crossover sent to the sparse path should stay there rather than take the direct loop (`direct`: the loop fits). */
export function keepSparse(g: Conv2dGeometry, density: number | undefined, direct: boolean, product: keyof typeof DIRECT_OVER_SPARSE): boolean {
  if (!direct || density === undefined) return true;
  const row = DIRECT_OVER_SPARSE[product].find((r) => g.cout <= r.maxOut);
  return !row || density < row.density;
}
