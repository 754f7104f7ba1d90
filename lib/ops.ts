// Tensor ops. Shapes and devices are validated here with messages naming what was expected and
// received; the native layer then runs one kernel per op on the tensors' device.
import { checkLabels } from "./loss/labels.js";
import { ExodusError, ShapeError, shapeStr } from "./errors.js";
import { type BinaryName, type ReduceName, type UnaryName, codes, native } from "./native.js";
import { type Shape, Tensor, sizeOf } from "./tensor.js";

function sameDevice(op: string, ...ts: Tensor[]): void {
  const d = ts[0].device;
  for (const t of ts)
    if (!t.device.equals(d))
      throw new ExodusError(`${op}: expected all tensors on ${d}, received one on ${t.device}`);
}

function outFor(op: string, out: Tensor | undefined, shape: Shape, like: Tensor): Tensor {
  if (!out) return Tensor.empty(shape, like.device);
  if (out.size !== sizeOf(shape))
    throw new ShapeError(`${op}: expected out of shape ${shapeStr(shape)}, received ${shapeStr(out.shape)}`);
  sameDevice(op, like, out);
  return out;
}

// ---- unary -------------------------------------------------------------------------------------
export type { UnaryName };

function unary(name: UnaryName, x: Tensor, a = 0, b = 0, out?: Tensor): Tensor {
  const y = outFor(name, out, x.shape, x);
  native().unary({ op: codes().unary[name], x, y, n: x.size, a, b });
  return y;
}

export const neg = (x: Tensor, out?: Tensor) => unary("neg", x, 0, 0, out);
export const exp = (x: Tensor, out?: Tensor) => unary("exp", x, 0, 0, out);
export const log = (x: Tensor, out?: Tensor) => unary("log", x, 0, 0, out);
export const abs = (x: Tensor, out?: Tensor) => unary("abs", x, 0, 0, out);
export const sqrt = (x: Tensor, out?: Tensor) => unary("sqrt", x, 0, 0, out);
export const square = (x: Tensor, out?: Tensor) => unary("square", x, 0, 0, out);
export const relu = (x: Tensor, out?: Tensor) => unary("relu", x, 0, 0, out);
export const sigmoid = (x: Tensor, out?: Tensor) => unary("sigmoid", x, 0, 0, out);
export const tanh = (x: Tensor, out?: Tensor) => unary("tanh", x, 0, 0, out);
export const reciprocal = (x: Tensor, out?: Tensor) => unary("reciprocal", x, 0, 0, out);
/** a·x + b */
export const affine = (x: Tensor, a: number, b: number, out?: Tensor) => unary("affine", x, a, b, out);
export const scale = (x: Tensor, a: number, out?: Tensor) => unary("affine", x, a, 0, out);
export const clamp = (x: Tensor, lo: number, hi: number, out?: Tensor) => unary("clamp", x, lo, hi, out);
export const pow = (x: Tensor, p: number, out?: Tensor) => unary("pow", x, p, 0, out);
/** 1 where x ≥ threshold, else 0. */
export const step = (x: Tensor, threshold = 0, out?: Tensor) => unary("step", x, threshold, 0, out);
export const copy = (x: Tensor, out?: Tensor) => unary("copy", x, 0, 0, out);

// ---- binary with broadcasting --------------------------------------------------------------------
/**
 * How w broadcasts over x: w's shape is right-aligned against x's; its dimensions that are not 1
 * must be one contiguous run equal to x's dimensions there (numpy rules for the common cases:
 * same shape, a scalar, a bias over the last axis, a per-channel [C, 1, 1] over [B, C, H, W]).
 * Returns nb (elements of w) and inner (elements of x after the run).
 */
export function broadcastLayout(xs: Shape, ws: Shape, op = "broadcast"): { nb: number; inner: number } {
  const fail = () =>
    new ShapeError(`${op}: expected a second operand broadcastable to ${shapeStr(xs)}, received ${shapeStr(ws)}`);
  if (ws.length > xs.length) {
    if (ws.slice(0, ws.length - xs.length).some((d) => d !== 1)) throw fail();
    ws = ws.slice(ws.length - xs.length);
  }
  const off = xs.length - ws.length;
  let first = -1;
  let last = -1;
  for (let i = 0; i < ws.length; i++) {
    if (ws[i] === 1 && xs[off + i] !== 1) continue;
    if (ws[i] !== xs[off + i]) throw fail();
    if (first < 0) first = i;
    else if (last !== i - 1) {
      // a gap of broadcast 1s between two matched runs is not supported by one strided kernel
      for (let j = last + 1; j < i; j++) if (xs[off + j] !== 1) throw fail();
    }
    last = i;
  }
  if (first < 0) return { nb: 1, inner: 1 };
  const nb = sizeOf(ws.slice(first, last + 1));
  const inner = sizeOf(xs.slice(off + last + 1));
  return { nb, inner };
}


function binary(name: BinaryName, x: Tensor, w: Tensor, out?: Tensor): Tensor {
  sameDevice(name, x, w);
  const { nb, inner } = broadcastLayout(x.shape, w.shape, name);
  const y = outFor(name, out, x.shape, x);
  native().binary({ op: codes().binary[name], x, w, y, n: x.size, nb, inner });
  return y;
}

export function add(x: Tensor, w: Tensor | number, out?: Tensor): Tensor {
  return typeof w === "number" ? affine(x, 1, w, out) : binary("add", x, w, out);
}
export function sub(x: Tensor, w: Tensor | number, out?: Tensor): Tensor {
  return typeof w === "number" ? affine(x, 1, -w, out) : binary("sub", x, w, out);
}
export function mul(x: Tensor, w: Tensor | number, out?: Tensor): Tensor {
  return typeof w === "number" ? affine(x, w, 0, out) : binary("mul", x, w, out);
}
export function div(x: Tensor, w: Tensor | number, out?: Tensor): Tensor {
  return typeof w === "number" ? affine(x, 1 / w, 0, out) : binary("div", x, w, out);
}
export function maximum(x: Tensor, w: Tensor | number, out?: Tensor): Tensor {
  return typeof w === "number" ? clamp(x, w, Infinity, out) : binary("max", x, w, out);
}
export function minimum(x: Tensor, w: Tensor | number, out?: Tensor): Tensor {
  return typeof w === "number" ? clamp(x, -Infinity, w, out) : binary("min", x, w, out);
}

/** y ← α·x + β·y, in place. */
export function axpby(alpha: number, x: Tensor, beta: number, y: Tensor): Tensor {
  sameDevice("axpby", x, y);
  if (x.size !== y.size)
    throw new ShapeError(`axpby: expected x and y of equal size, received ${shapeStr(x.shape)} and ${shapeStr(y.shape)}`);
  native().axpby({ alpha, x, beta, y, n: x.size });
  return y;
}

/** Sets every element to v, in place. */
export function fill(x: Tensor, v: number): Tensor {
  native().fill({ y: x, n: x.size, value: v });
  return x;
}

// ---- reductions --------------------------------------------------------------------------------

function normAxis(op: string, x: Tensor, axis: number): number {
  const a = axis < 0 ? axis + x.rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= x.rank)
    throw new ShapeError(`${op}: expected an axis in [${-x.rank}, ${x.rank}) for shape ${shapeStr(x.shape)}, received ${axis}`);
  if (x.shape[a] === 0) throw new ShapeError(`${op}: cannot reduce axis ${a} of length 0 in ${shapeStr(x.shape)}`);
  return a;
}

function reduce(name: ReduceName, x: Tensor, axis: number, keepDims: boolean, out?: Tensor): Tensor {
  const a = normAxis(name, x, axis);
  const outer = sizeOf(x.shape.slice(0, a));
  const inner = sizeOf(x.shape.slice(a + 1));
  const shape = keepDims ? x.shape.map((d, i) => (i === a ? 1 : d)) : x.shape.filter((_, i) => i !== a);
  const y = outFor(name, out, shape, x);
  native().reduce({ op: codes().reduce[name], x, y, outer, axis: x.shape[a], inner });
  return y;
}

/** Sum over one axis (axis 0 of a time-major [T, B, …] tensor is time). */
export const sum = (x: Tensor, axis: number, keepDims = false, out?: Tensor) => reduce("sum", x, axis, keepDims, out);
export const mean = (x: Tensor, axis: number, keepDims = false, out?: Tensor) => reduce("mean", x, axis, keepDims, out);
export const max = (x: Tensor, axis: number, keepDims = false, out?: Tensor) => reduce("max", x, axis, keepDims, out);
export const min = (x: Tensor, axis: number, keepDims = false, out?: Tensor) => reduce("min", x, axis, keepDims, out);
/** Index of the maximum along axis (first on ties), as float32 values. */
export const argmax = (x: Tensor, axis: number, keepDims = false, out?: Tensor) => reduce("argmax", x, axis, keepDims, out);
export const argmin = (x: Tensor, axis: number, keepDims = false, out?: Tensor) => reduce("argmin", x, axis, keepDims, out);

/** Sum of all elements, as a number. */
export function sumAll(x: Tensor): number {
  if (x.size === 0) return 0;
  const flat = x.reshape([x.size]);
  const s = reduce("sum", flat, 0, false);
  const v = s.item();
  s.dispose();
  flat.dispose();
  return v;
}

// ---- GEMM --------------------------------------------------------------------------------------
export interface GemmOptions {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
}

function matDims(op: string, t: Tensor, name: string): [number, number] {
  if (t.rank < 2) throw new ShapeError(`${op}: expected ${name} of rank >= 2, received ${shapeStr(t.shape)}`);
  return [sizeOf(t.shape.slice(0, -1)), t.shape[t.rank - 1]];
}

/**
 * C ← α·op(A)·op(B) + β·C in place. A tensor of rank > 2 is a matrix of its leading dimensions
 * folded into rows (so [T, B, N] @ W covers all time steps at once).
 */
export function gemm(c: Tensor, a: Tensor, b: Tensor, opts: GemmOptions = {}): Tensor {
  const { transA = false, transB = false, alpha = 1, beta = 0 } = opts;
  sameDevice("gemm", a, b, c);
  const [ar, ac] = matDims("gemm", a, "A");
  const [br, bc] = matDims("gemm", b, "B");
  const [cr, cc] = matDims("gemm", c, "C");
  const [M, K] = transA ? [ac, ar] : [ar, ac];
  const [K2, N] = transB ? [bc, br] : [br, bc];
  if (K !== K2)
    throw new ShapeError(
      `gemm: inner dimensions differ: op(A) is [${M}, ${K}] (from ${shapeStr(a.shape)}${transA ? "ᵀ" : ""}), op(B) is [${K2}, ${N}] (from ${shapeStr(b.shape)}${transB ? "ᵀ" : ""})`,
    );
  if (cr !== M || cc !== N) throw new ShapeError(`gemm: expected C of [${M}, ${N}], received ${shapeStr(c.shape)}`);
  native().gemm({ transA, transB, M, N, K, alpha, A: a, lda: ac, B: b, ldb: bc, beta, C: c, ldc: cc });
  return c;
}

/** op(A)·op(B) as a new tensor; A's leading dimensions are kept: [..., K] @ [K, N] → [..., N]. */
export function matmul(a: Tensor, b: Tensor, opts: { transA?: boolean; transB?: boolean } = {}): Tensor {
  const [ar, ac] = matDims("matmul", a, "A");
  const [br, bc] = matDims("matmul", b, "B");
  const M = opts.transA ? ac : ar;
  const N = opts.transB ? br : bc;
  const shape = !opts.transA && a.rank > 2 ? [...a.shape.slice(0, -1), N] : [M, N];
  const c = Tensor.empty(shape, a.device);
  try {
    return gemm(c, a, b, opts);
  } catch (e) {
    c.dispose();
    throw e;
  }
}

// ---- softmax and cross-entropy -------------------------------------------------------------------
/** log softmax over the last axis. */
export function logSoftmax(x: Tensor, out?: Tensor): Tensor {
  const [rows, cols] = matDims("logSoftmax", x.rank === 1 ? x.reshape([1, x.size]) : x, "x");
  const y = outFor("logSoftmax", out, x.shape, x);
  native().logSoftmax({ x, y, rows, cols });
  return y;
}

export interface CrossEntropyResult {
  /** Mean loss over the rows. */
  loss: number;
  /** Per-row loss [rows]. */
  losses: Tensor;
  /** ∂loss/∂logits [rows, classes] for the mean loss. */
  grad: Tensor;
}

/** Softmax cross-entropy of logits [rows, classes] against integer class labels. */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor | ArrayLike<number>): CrossEntropyResult {
  if (logits.rank !== 2)
    throw new ShapeError(`softmaxCrossEntropy: expected logits [rows, classes], received ${shapeStr(logits.shape)}`);
  const [rows, cols] = logits.shape;
  // Host labels are checked here (a bad one names its row); a device tensor is the caller's to check.
  const lab = labels instanceof Tensor ? labels : Tensor.from(checkLabels("softmaxCrossEntropy", labels, rows, cols), [labels.length], logits.device);
  try {
    if (lab.size !== rows)
      throw new ShapeError(`softmaxCrossEntropy: expected ${rows} labels (one per row), received ${lab.size}`);
    sameDevice("softmaxCrossEntropy", logits, lab);
    const losses = Tensor.empty([rows], logits.device);
    const grad = Tensor.empty([rows, cols], logits.device);
    try {
      native().softmaxXent({ logits, labels: lab, loss: losses, grad, rows, cols, gradScale: 1 / rows });
    } catch (e) {
      losses.dispose();
      grad.dispose();
      throw e;
    }
    return { loss: sumAll(losses) / rows, losses, grad };
  } finally {
    if (!(labels instanceof Tensor)) lab.dispose();
  }
}
