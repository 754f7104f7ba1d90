// An independent float64 reference of DelayLinear (lib/nn/delay.ts) for its tests and self-check,
// written from the formula (not from the native code)
//     y[t, b, j] = Σ_i w_ji Σ_k p_ji(k) x[t − k, b, i]
// with p a Gaussian of width σ around the clamped delay, normalised over the window of W taps
// starting at clamp(floor(d) − R, 0, D + 1 − W) (σ = 0: one tap at round(d)). It gives the loss
// L = Σ y·G, the analytic gradients from the direct formulas, and central finite differences.
export interface RefNet {
  T: number; B: number; nin: number; nout: number; D: number; sigma: number; windowSigmas: number; perNeuron: boolean;
  x: Float64Array; w: Float64Array; d: Float64Array; G: Float64Array;
}

function taps(n: RefNet, dv: number): { s: number; p: number[]; e: number[] } {
  const dc = Math.min(Math.max(dv, 0), n.D);
  if (n.sigma === 0) return { s: Math.floor(dc + 0.5), p: [1], e: [0] };
  const R = Math.ceil(n.windowSigmas * n.sigma), W = Math.min(2 * R + 2, n.D + 1);
  const s = Math.min(Math.max(Math.floor(dc) - R, 0), n.D + 1 - W);
  const e = Array.from({ length: W }, (_, m) => s + m - dc);
  const g = e.map((v) => Math.exp(-(v * v) / (2 * n.sigma * n.sigma)));
  const z = g.reduce((a, b) => a + b, 0);
  return { s, p: g.map((v) => v / z), e };
}

const dOf = (n: RefNet, j: number, i: number) => (n.perNeuron ? n.d[j] : n.d[j * n.nin + i]);

export function refForward(n: RefNet): Float64Array {
  const y = new Float64Array(n.T * n.B * n.nout);
  for (let j = 0; j < n.nout; j++)
    for (let i = 0; i < n.nin; i++) {
      const { s, p } = taps(n, dOf(n, j, i));
      const w = n.w[j * n.nin + i];
      for (let m = 0; m < p.length; m++)
        for (let t = s + m; t < n.T; t++)
          for (let b = 0; b < n.B; b++) y[(t * n.B + b) * n.nout + j] += w * p[m] * n.x[((t - s - m) * n.B + b) * n.nin + i];
    }
  return y;
}

export function refLoss(n: RefNet): number {
  const y = refForward(n);
  let L = 0;
  for (let k = 0; k < y.length; k++) L += y[k] * n.G[k];
  return L;
}

/** ∂L/∂w, ∂L/∂d, ∂L/∂x by the direct formulas. */
export function refGrads(n: RefNet): { dw: Float64Array; dd: Float64Array; dx: Float64Array } {
  const dw = new Float64Array(n.w.length), dd = new Float64Array(n.d.length), dx = new Float64Array(n.x.length);
  for (let j = 0; j < n.nout; j++)
    for (let i = 0; i < n.nin; i++) {
      const dv = dOf(n, j, i);
      const { s, p, e } = taps(n, dv);
      const w = n.w[j * n.nin + i];
      const A = p.map((_, m) => {
        let a = 0;
        for (let t = s + m; t < n.T; t++)
          for (let b = 0; b < n.B; b++) a += n.G[(t * n.B + b) * n.nout + j] * n.x[((t - s - m) * n.B + b) * n.nin + i];
        return a;
      });
      for (let m = 0; m < p.length; m++) {
        dw[j * n.nin + i] += p[m] * A[m];
        for (let t = s + m; t < n.T; t++)
          for (let b = 0; b < n.B; b++) dx[((t - s - m) * n.B + b) * n.nin + i] += w * p[m] * n.G[(t * n.B + b) * n.nout + j];
      }
      if (n.sigma === 0 || dv < 0 || dv > n.D) continue;
      const mean = p.reduce((acc, pm, m) => acc + pm * e[m], 0);
      let g = 0;
      for (let m = 0; m < p.length; m++) g += (A[m] * p[m] * (e[m] - mean)) / (n.sigma * n.sigma);
      dd[n.perNeuron ? j : j * n.nin + i] += w * g;
    }
  return { dw, dd, dx };
}

/** Central finite differences of L with respect to entries `at` of field f. */
export function refFiniteDiff(n: RefNet, f: "w" | "d" | "x", at: number[], h = 1e-6): number[] {
  return at.map((k) => {
    const a = n[f][k];
    n[f][k] = a + h;
    const up = refLoss(n);
    n[f][k] = a - h;
    const down = refLoss(n);
    n[f][k] = a;
    return (up - down) / (2 * h);
  });
}
