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

// ---- layer ops ---------------------------------------------------------------------------------
export interface ConvRefGeom {
  n: number; c: number; h: number; w: number; cout: number; kh: number; kw: number; s: number; p: number;
}

export function convOut(g: ConvRefGeom): [number, number] {
  return [Math.floor((g.h + 2 * g.p - g.kh) / g.s) + 1, Math.floor((g.w + 2 * g.p - g.kw) / g.s) + 1];
}

/** Direct convolution (no im2col) and its three gradients, in float64. */
export function conv2dRef(x: Arr, wt: Arr, dy: Arr | undefined, g: ConvRefGeom): { y: Float64Array; dx: Float64Array; dw: Float64Array } {
  const [ho, wo] = convOut(g);
  const y = new Float64Array(g.n * g.cout * ho * wo);
  const dx = new Float64Array(g.n * g.c * g.h * g.w);
  const dw = new Float64Array(g.cout * g.c * g.kh * g.kw);
  for (let n = 0; n < g.n; n++)
    for (let co = 0; co < g.cout; co++)
      for (let oy = 0; oy < ho; oy++)
        for (let ox = 0; ox < wo; ox++) {
          const o = ((n * g.cout + co) * ho + oy) * wo + ox;
          let s = 0;
          for (let ci = 0; ci < g.c; ci++)
            for (let ki = 0; ki < g.kh; ki++)
              for (let kj = 0; kj < g.kw; kj++) {
                const yy = oy * g.s - g.p + ki;
                const xx = ox * g.s - g.p + kj;
                if (yy < 0 || yy >= g.h || xx < 0 || xx >= g.w) continue;
                const xi = ((n * g.c + ci) * g.h + yy) * g.w + xx;
                const wi = ((co * g.c + ci) * g.kh + ki) * g.kw + kj;
                s += x[xi] * wt[wi];
                if (dy) {
                  dx[xi] += wt[wi] * dy[o];
                  dw[wi] += x[xi] * dy[o];
                }
              }
          y[o] = s;
        }
  return { y, dx, dw };
}

/** Pooling over planes of [h, w] with window k and stride s; gradient of sum(y * dy). */
export function poolRef(mode: "avg" | "max", x: Arr, dy: Arr, planes: number, h: number, w: number, k: number, s: number): { y: Float64Array; dx: Float64Array } {
  const ho = Math.floor((h - k) / s) + 1;
  const wo = Math.floor((w - k) / s) + 1;
  const y = new Float64Array(planes * ho * wo);
  const dx = new Float64Array(planes * h * w);
  for (let p = 0; p < planes; p++)
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++) {
        const o = (p * ho + oy) * wo + ox;
        let acc = mode === "max" ? -Infinity : 0;
        let arg = -1;
        for (let i = 0; i < k; i++)
          for (let j = 0; j < k; j++) {
            const xi = (p * h + oy * s + i) * w + ox * s + j;
            if (mode === "avg") acc += x[xi];
            else if (x[xi] > acc) [acc, arg] = [x[xi], xi];
          }
        y[o] = mode === "avg" ? acc / (k * k) : acc;
        if (mode === "max") dx[arg] += dy[o];
        else
          for (let i = 0; i < k; i++)
            for (let j = 0; j < k; j++) dx[(p * h + oy * s + i) * w + ox * s + j] += dy[o] / (k * k);
      }
  return { y, dx };
}

/** `steps` Adam updates of p with the fixed gradient g (PyTorch semantics; AdamW when decoupled). */
export function adamRef(p0: Arr, g: Arr, steps: number, lr: number, b1: number, b2: number, eps: number, wd: number, decoupled: boolean): Float64Array {
  const p = Float64Array.from(p0);
  const m = new Float64Array(p.length);
  const v = new Float64Array(p.length);
  for (let t = 1; t <= steps; t++)
    for (let i = 0; i < p.length; i++) {
      const gi = g[i] + (wd && !decoupled ? wd * p[i] : 0);
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      if (wd && decoupled) p[i] -= lr * wd * p[i];
      p[i] -= (lr * (m[i] / (1 - b1 ** t))) / (Math.sqrt(v[i] / (1 - b2 ** t)) + eps);
    }
  return p;
}

/** The counter-based uniform of kernels/optim.cuh (splitmix64 finaliser), with BigInt. */
export function hashUniformRef(seed: number, i: number): number {
  const M = (1n << 64n) - 1n;
  let z = (BigInt(seed) * 0x9e3779b97f4a7c15n + BigInt(i) + 0x632be59bd9b4e019n) & M;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M;
  z ^= z >> 31n;
  return Number(z >> 40n) / 16777216;
}
