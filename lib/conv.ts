// 2-D convolution over NCHW images as im2col + GEMM. A time-major [T, B, C, H, W] tensor is
// T·B images: the leading dimensions are folded into the batch. The unrolled columns are built
// for a chunk of images at a time, so memory stays bounded for long sequences.
import { ExodusError, ShapeError, shapeStr } from "./errors.js";
import { native, shifted, supports } from "./native.js";
import * as ops from "./ops.js";
import { Tensor, sizeOf } from "./tensor.js";
import { directConv2dInto } from "./conv-direct.js";

export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  /** Upper bound on the im2col workspace, in floats (default 16 Mi = 64 MiB). */
  workspace?: number;
  /** conv2d's product: im2col + GEMM, the CPU's direct loop (lib/conv-direct.ts), or by the shape ("auto", the default). */
  forwardPath?: InputGradPath;
}

export interface Conv2dGeometry {
  images: number;
  cin: number;
  h: number;
  w: number;
  cout: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  ho: number;
  wo: number;
}

const pair = (name: string, v: number | [number, number] | undefined, def: number, min: number): [number, number] => {
  const p: [number, number] = v === undefined ? [def, def] : typeof v === "number" ? [v, v] : v;
  if (p.length !== 2 || p.some((x) => !Number.isInteger(x) || x < min))
    throw new ExodusError(`conv2d ${name}: expected an integer >= ${min} or a pair of them, received ${JSON.stringify(v)}`);
  return p;
};

/** Validates x [..., C, H, W] against w [Cout, C, kh, kw] and returns the geometry. */
export function conv2dGeometry(x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Conv2dGeometry {
  if (x.rank < 3) throw new ShapeError(`conv2d: expected input [..., C, H, W], received ${shapeStr(x.shape)}`);
  if (w.rank !== 4) throw new ShapeError(`conv2d: expected weight [Cout, C, kh, kw], received ${shapeStr(w.shape)}`);
  const [cin, h, wd] = x.shape.slice(-3);
  const [cout, wc, kh, kw] = w.shape;
  if (wc !== cin)
    throw new ShapeError(`conv2d: weight ${shapeStr(w.shape)} expects ${wc} input channels, input ${shapeStr(x.shape)} has ${cin}`);
  const [sh, sw] = pair("stride", opts.stride, 1, 1);
  const [ph, pw] = pair("padding", opts.padding, 0, 0);
  const ho = Math.floor((h + 2 * ph - kh) / sh) + 1;
  const wo = Math.floor((wd + 2 * pw - kw) / sw) + 1;
  if (ho < 1 || wo < 1)
    throw new ShapeError(`conv2d: kernel ${kh}x${kw} does not fit input ${h}x${wd} with padding ${ph},${pw}`);
  if (!x.device.equals(w.device)) throw new ExodusError(`conv2d: input on ${x.device}, weight on ${w.device}`);
  const images = sizeOf(x.shape.slice(0, -3));
  return { images, cin, h, w: wd, cout, kh, kw, sh, sw, ph, pw, ho, wo };
}

/** Images per chunk so that a chunk's columns (and per-image weight gradients) stay within budget. */
function chunkSize(g: Conv2dGeometry, budgetFloats = 1 << 24, noParts = false): number {
  if (!(budgetFloats >= 1)) throw new ExodusError(`conv2d workspace: expected a positive number of floats, received ${budgetFloats}`);
  const perImage = g.cin * g.kh * g.kw * (noParts ? g.ho * g.wo : Math.max(g.ho * g.wo, g.cout));
  return Math.max(1, Math.min(g.images, Math.floor(budgetFloats / perImage)));
}

/** y [..., Cout, Ho, Wo] = conv(x, w) (+ bias [Cout]). */
export function conv2d(x: Tensor, w: Tensor, opts: Conv2dOptions = {}, bias?: Tensor): Tensor {
  const g = conv2dGeometry(x, w, opts);
  const n = native();
  const ckk = g.cin * g.kh * g.kw;
  const P = g.ho * g.wo;
  const y = Tensor.empty([...x.shape.slice(0, -3), g.cout, g.ho, g.wo], x.device);
  if (useDirect("conv2d", opts.forwardPath, x, g)) {
    try {
      directConv2dInto(x, w, y, g);
    } catch (e) {
      y.dispose();
      throw e;
    }
    return biased(y, g, bias);
  }
  const chunk = chunkSize(g, opts.workspace);
  const cols = Tensor.empty([chunk * ckk * P], x.device);
  try {
    for (let i0 = 0; i0 < g.images; i0 += chunk) {
      const cnt = Math.min(chunk, g.images - i0);
      n.im2col({ x: shifted(x, i0 * g.cin * g.h * g.w), cols, geom: g, count: cnt });
      // y_i [Cout, P] = W [Cout, CKK] · cols_i [CKK, P], W shared by every image (stride 0).
      n.gemmBatched({ transA: false, transB: false, M: g.cout, N: P, K: ckk, alpha: 1, A: w, lda: ckk, strideA: 0,
        B: cols, ldb: P, strideB: ckk * P, beta: 0, C: shifted(y, i0 * g.cout * P), ldc: P, strideC: g.cout * P, batch: cnt });
    }
  } finally {
    cols.dispose();
  }
  return biased(y, g, bias);
}

function biased(y: Tensor, g: Conv2dGeometry, bias?: Tensor): Tensor {
  if (bias) {
    if (bias.size !== g.cout) {
      y.dispose();
      throw new ShapeError(`conv2d: expected bias of ${g.cout} values, received ${shapeStr(bias.shape)}`);
    }
    ops.add(y, bias.reshape([g.cout, 1, 1]), y);
  }
  return y;
}

/** The direct loops' backend entries, what each fits, and its condition in words (for the error when forced where it does not fit). */
const DIRECT = {
  inputGrad: { entry: "conv_direct_input_grad", fits: directInputGradFits, needs: "stride 1 and padding < kernel" },
  weightGrad: { entry: "conv_direct_weight_grad", fits: directWeightGradFits, needs: "stride 1, padding < kernel, output width a multiple of 8 and kernel width 1, 3 or 5" },
} as const;

/** Whether a product takes the direct loop: forced ("direct": refused where it does not fit), or by the shape on the CPU. */
function useDirect(op: string, path: InputGradPath | undefined, x: Tensor, g: Conv2dGeometry, kind: keyof typeof DIRECT = "inputGrad"): boolean {
  const { entry, fits, needs } = DIRECT[kind];
  const p = path ?? "auto";
  if (p !== "auto" && p !== "gemm" && p !== "direct") throw new ExodusError(`${op}: expected a path "auto", "gemm" or "direct", received ${JSON.stringify(path)}`);
  const hasDirect = supports(entry, x.device);
  if (p === "direct" && (!hasDirect || !fits(g)))
    throw new ExodusError(`${op}: the direct loop needs a CPU tensor, ${needs}; received ${x.device}, stride ${g.sh}x${g.sw}, padding ${g.ph},${g.pw} with a ${g.kh}x${g.kw} kernel, output width ${g.wo}; leave the path at "auto" (or "gemm") for this shape`);
  return p === "direct" || (p === "auto" && hasDirect && fits(g));
}

export interface Conv2dGrads {
  dx?: Tensor;
  dw: Tensor;
  db?: Tensor;
}

/** How conv2dBackward computes dx: GEMM + col2im, the CPU's direct loop, or by the shape ("auto"). */
export type InputGradPath = "auto" | "gemm" | "direct";

/**
 * Whether the direct input gradient (conv_direct_input_grad, exodus/host_ops.h) handles g: stride 1,
 * padding below the kernel size. It replaces GEMM + col2im there: with K = Cout of 2-64 the GEMM
 * is bound by writing and re-reading the columns; for widths not a multiple of 8 (4 × 4 maps) it
 * runs the same GEMM + col2im sums turned pixel-major, the same bits (docs/performance.md).
 */
export function directInputGradFits(g: Conv2dGeometry): boolean {
  return g.sh === 1 && g.sw === 1 && g.ph <= g.kh - 1 && g.pw <= g.kw - 1;
}

/**
 * Whether the direct weight gradient (conv_direct_weight_grad, exodus/host_ops.h) handles g: stride
 * 1, padding below the kernel size, output width a multiple of 8, kernel width 1, 3 or 5. It
 * replaces im2col + a GEMM per image + the sum of the per-image products there.
 */
export function directWeightGradFits(g: Conv2dGeometry): boolean {
  return directInputGradFits(g) && g.wo % 8 === 0 && [1, 3, 5].includes(g.kw);
}

/**
 * Gradients of conv2d given dy: dW (added into `accumulate.dw` when given) unless `weightGrad` is
 * false (then dw is returned untouched: the spike-sparse path of lib/sparse.ts computes it), dx
 * unless `inputGrad` is false, db when `bias` is true.
 */
export function conv2dBackward(
  x: Tensor,
  w: Tensor,
  dy: Tensor,
  opts: Conv2dOptions & {
    inputGrad?: boolean; weightGrad?: boolean; bias?: boolean; accumulate?: { dw?: Tensor; db?: Tensor };
    inputGradPath?: InputGradPath; weightGradPath?: InputGradPath;
  } = {},
): Conv2dGrads {
  const g = conv2dGeometry(x, w, opts);
  const P = g.ho * g.wo;
  const ckk = g.cin * g.kh * g.kw;
  const want = [...x.shape.slice(0, -3), g.cout, g.ho, g.wo];
  if (dy.size !== sizeOf(want)) throw new ShapeError(`conv2dBackward: expected dy ${shapeStr(want)}, received ${shapeStr(dy.shape)}`);
  const n = native();
  const dw = opts.accumulate?.dw ?? Tensor.zeros(w.shape, x.device);
  const dx = opts.inputGrad === false ? undefined : Tensor.empty(x.shape, x.device);
  const directW = opts.weightGrad !== false && useDirect("conv2dBackward weightGradPath", opts.weightGradPath, x, g, "weightGrad");
  if (directW) n.convWeightGradDirect({ x, dy, dw, geom: g, cout: g.cout, count: g.images });
  const weightGrad = opts.weightGrad !== false && !directW;
  const direct = useDirect("conv2dBackward inputGradPath", opts.inputGradPath, x, g) && dx !== undefined;
  if (direct) n.convInputGradDirect({ w, dy, dx: dx!, geom: g, cout: g.cout, count: g.images });
  const gemmDx = direct ? undefined : dx;
  // On CUDA the weight gradient of a chunk is one product summed over its images (strideC 0):
  // K = images × pixels, with no per-image partials to add afterwards (gpu/gemm.cu). The CPU
  // keeps per-image products, which its pool runs in parallel, and adds them.
  const summed = x.device.isCuda;
  const chunk = chunkSize(g, opts.workspace, summed);
  const cols = Tensor.empty([weightGrad || gemmDx ? chunk * ckk * P : 0], x.device);
  const dwParts = Tensor.empty([weightGrad && !summed ? chunk : 0, g.cout * ckk], x.device);
  try {
    for (let i0 = 0; i0 < g.images && (weightGrad || gemmDx); i0 += chunk) {
      const cnt = Math.min(chunk, g.images - i0);
      const dyi = shifted(dy, i0 * g.cout * P);
      if (weightGrad) {
        n.im2col({ x: shifted(x, i0 * g.cin * g.h * g.w), cols, geom: g, count: cnt });
        if (summed) {
          // dW [Cout, CKK] += Σ_i dy_i [Cout, P] · cols_iᵀ
          n.gemmBatched({ transA: false, transB: true, M: g.cout, N: ckk, K: P, alpha: 1, A: dyi, lda: P, strideA: g.cout * P,
            B: cols, ldb: P, strideB: ckk * P, beta: 1, C: dw, ldc: ckk, strideC: 0, batch: cnt });
        } else {
          // dW_i [Cout, CKK] = dy_i [Cout, P] · cols_iᵀ, then summed over the chunk into dW.
          n.gemmBatched({ transA: false, transB: true, M: g.cout, N: ckk, K: P, alpha: 1, A: dyi, lda: P, strideA: g.cout * P,
            B: cols, ldb: P, strideB: ckk * P, beta: 0, C: dwParts, ldc: ckk, strideC: g.cout * ckk, batch: cnt });
          const part = dwParts.slice(0, cnt);
          const sum = ops.sum(part, 0);
          ops.axpby(1, sum, 1, dw.reshape([g.cout * ckk]));
          sum.dispose();
          part.dispose();
        }
      }
      if (gemmDx) {
        // dcols_i [CKK, P] = Wᵀ [CKK, Cout] · dy_i, scattered back to pixels by col2im.
        n.gemmBatched({ transA: true, transB: false, M: ckk, N: P, K: g.cout, alpha: 1, A: w, lda: ckk, strideA: 0,
          B: dyi, ldb: P, strideB: g.cout * P, beta: 0, C: cols, ldc: P, strideC: ckk * P, batch: cnt });
        n.col2im({ cols, dx: shifted(gemmDx, i0 * g.cin * g.h * g.w), geom: g, count: cnt });
      }
    }
  } finally {
    cols.dispose();
    dwParts.dispose();
  }
  let db: Tensor | undefined;
  if (opts.bias) {
    const perImage = ops.sum(dy.reshape([g.images, g.cout, P]), 2);
    const total = ops.sum(perImage, 0);
    perImage.dispose();
    if (opts.accumulate?.db) {
      ops.axpby(1, total, 1, opts.accumulate.db);
      total.dispose();
      db = opts.accumulate.db;
    } else db = total;
  }
  return { dx, dw, db };
}
