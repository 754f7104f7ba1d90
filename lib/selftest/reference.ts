// Straightforward float64 references of the tensor ops, written independently of the kernels.
// The tests and `exodus selftest` compare the CPU backend against these.

export type Arr = ArrayLike<number>;

export const unaryRef: Record<string, (x: number, a: number, b: number) => number> = {
  copy: (x) => x,
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  abs: Math.abs,
  sqrt: Math.sqrt,
  square: (x) => x * x,
  relu: (x) => Math.max(x, 0),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: Math.tanh,
  affine: (x, a, b) => a * x + b,
  clamp: (x, a, b) => Math.min(Math.max(x, a), b),
  pow: (x, a) => Math.pow(x, a),
  step: (x, a) => (x >= a ? 1 : 0),
  reciprocal: (x) => 1 / x,
};

export const binaryRef: Record<string, (x: number, w: number) => number> = {
  add: (x, w) => x + w,
  sub: (x, w) => x - w,
  mul: (x, w) => x * w,
  div: (x, w) => x / w,
  max: Math.max,
  min: Math.min,
};

/** y[i] = f(x[i], w[(i / inner) % nb]) */
export function binaryBroadcastRef(f: (x: number, w: number) => number, x: Arr, w: Arr, nb: number, inner: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = f(x[i], w[Math.floor(i / inner) % nb]);
  return y;
}

/** Reduction of x viewed as [outer, axis, inner]. */
export function reduceRef(op: string, x: Arr, outer: number, axis: number, inner: number): Float64Array {
  const y = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      let acc = op === "sum" || op === "mean" ? 0 : x[o * axis * inner + i];
      let idx = 0;
      for (let j = 0; j < axis; j++) {
        const v = x[(o * axis + j) * inner + i];
        if (op === "sum" || op === "mean") acc += v;
        else if ((op === "max" || op === "argmax") && v > acc) [acc, idx] = [v, j];
        else if ((op === "min" || op === "argmin") && v < acc) [acc, idx] = [v, j];
      }
      y[o * inner + i] = op === "mean" ? acc / axis : op.startsWith("arg") ? idx : acc;
    }
  return y;
}

/** C = alpha·op(A)·op(B) + beta·C0, row-major, A of `ta ? [K, M] : [M, K]`. */
export function gemmRef(ta: boolean, tb: boolean, M: number, N: number, K: number, alpha: number, A: Arr, B: Arr, beta: number, C0: Arr): Float64Array {
  const C = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (ta ? A[k * M + i] : A[i * K + k]) * (tb ? B[j * K + k] : B[k * N + j]);
      C[i * N + j] = alpha * s + (beta === 0 ? 0 : beta * C0[i * N + j]);
    }
  return C;
}

/** log Σ exp over x[start, start + n), shifted by the maximum for stability. */
function logSumExpRow(x: Arr, start: number, n: number): number {
  let m = -Infinity;
  for (let c = 0; c < n; c++) m = Math.max(m, x[start + c]);
  let z = 0;
  for (let c = 0; c < n; c++) z += Math.exp(x[start + c] - m);
  return Math.log(z) + m;
}

/** Per-row loss and (softmax - onehot)·scale. */
export function softmaxXentRef(x: Arr, labels: Arr, rows: number, cols: number, scale: number): { loss: Float64Array; grad: Float64Array } {
  const loss = new Float64Array(rows);
  const grad = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const logz = logSumExpRow(x, r * cols, cols);
    loss[r] = logz - x[r * cols + labels[r]];
    for (let c = 0; c < cols; c++) grad[r * cols + c] = (Math.exp(x[r * cols + c] - logz) - (c === labels[r] ? 1 : 0)) * scale;
  }
  return { loss, grad };
}

export function logSoftmaxRef(x: Arr, rows: number, cols: number): Float64Array {
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const logz = logSumExpRow(x, r * cols, cols);
    for (let c = 0; c < cols; c++) y[r * cols + c] = x[r * cols + c] - logz;
  }
  return y;
}
