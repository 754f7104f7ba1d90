// float64 references of the neuron layers, written from math.md independently of the kernels:
// a straight unrolled forward, and its reverse-mode derivative taken op by op (reset, spike,
// clamp, leak) in reverse time order. Used by the tests (test/neurons/reference.ts) and by
// `exodus selftest`. Arrays are time-major [T, N]; parameters [P], neuron i uses p[i % P].

export type SurrogateRef = { name: string; scale: number; width: number };

export function surrogateRef(sg: SurrogateRef, v: number, theta: number): number {
  const { scale: a, width: w } = sg;
  const d = v - theta;
  switch (sg.name) {
    case "exponential":
      return (a / (theta * w)) * Math.exp(-Math.abs(d) / (theta * w));
    case "boxcar":
      return v >= theta - w * theta ? a / theta : 0;
    case "gaussian": {
      const sd = w * theta;
      return (a / (sd * Math.sqrt(2 * Math.PI))) * Math.exp(-(d * d) / (2 * sd * sd));
    }
    case "fast_sigmoid":
      return a / (1 + w * Math.abs(d)) ** 2;
    case "arctan":
      return a / (1 + (Math.PI * w * d) ** 2);
    default:
      throw new Error(`unknown surrogate ${sg.name}`);
  }
}

export function spikeRef(v: number, theta: number, multi: boolean, maxSpikes: number): number {
  if (!multi) return v >= theta ? 1 : 0;
  const n = Math.max(0, Math.floor(v / theta));
  return maxSpikes > 0 ? Math.min(n, maxSpikes) : n;
}

export interface LifRefParams {
  T: number;
  N: number;
  alpha: ArrayLike<number>;
  theta: ArrayLike<number>;
  m: ArrayLike<number>;
  reset: "subtract" | "zero";
  multi?: boolean;
  maxSpikes?: number;
  vMin?: number;
  normInput?: boolean;
  sg: SurrogateRef;
}

export interface LifRefForward {
  vpre: Float64Array; // before the clamp
  v: Float64Array; // after the clamp, before the reset
  s: Float64Array;
  vpost: Float64Array;
  state: Float64Array;
}

/**
 * Forward; with `forcedSpikes` the spikes are taken from there instead of S(v) (to follow a
 * float32 trajectory exactly when a potential lands within rounding of the threshold).
 */
export function lifForwardRef(p: LifRefParams, x: ArrayLike<number>, v0?: ArrayLike<number>, forcedSpikes?: ArrayLike<number>): LifRefForward {
  const { T, N } = p;
  const P = p.alpha.length;
  const vpre = new Float64Array(T * N), v = new Float64Array(T * N), s = new Float64Array(T * N), vpost = new Float64Array(T * N);
  const state = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const a = p.alpha[i % P], th = p.theta[i % P], m = p.m[i % P];
    let prev = v0 ? v0[i] : 0;
    for (let t = 0; t < T; t++) {
      const o = t * N + i;
      const u = a * prev + (p.normInput ? (1 - a) * x[o] : x[o]);
      vpre[o] = u;
      const vc = p.vMin === undefined ? u : Math.max(u, p.vMin);
      v[o] = vc;
      const sp = forcedSpikes ? forcedSpikes[o] : spikeRef(vc, th, !!p.multi, p.maxSpikes ?? 0);
      s[o] = sp;
      prev = p.reset === "subtract" ? vc - m * sp : vc * (1 - sp);
      vpost[o] = prev;
    }
    state[i] = prev;
  }
  return { vpre, v, s, vpost, state };
}

export interface LifRefGrads {
  dx: Float64Array;
  dv0: Float64Array;
  /** ∂L/∂α per parameter [P]. */
  dalpha: Float64Array;
}

/**
 * Reverse mode through the unrolled forward: g = ∂L/∂s, h = ∂L/∂v (optional). slayer = true drops
 * the reset's dependence on v and the clamp's gate (the SLAYER approximation).
 */
export function lifBackwardRef(p: LifRefParams, f: LifRefForward, x: ArrayLike<number>, g: ArrayLike<number>,
  opts: { h?: ArrayLike<number>; v0?: ArrayLike<number>; slayer?: boolean } = {}): LifRefGrads {
  const { T, N } = p;
  const P = p.alpha.length;
  const dx = new Float64Array(T * N), dv0 = new Float64Array(N), dalpha = new Float64Array(P);
  for (let i = 0; i < N; i++) {
    const a = p.alpha[i % P], th = p.theta[i % P], m = p.m[i % P];
    let postBar = 0; // ∂L/∂v_post[t]
    for (let t = T - 1; t >= 0; t--) {
      const o = t * N + i;
      let vBar = opts.h ? opts.h[o] : 0;
      let sBar = g[o];
      // v_post = v − m·s   |   v·(1 − s)
      if (opts.slayer) vBar += postBar;
      else if (p.reset === "subtract") {
        vBar += postBar;
        sBar += -m * postBar;
      } else {
        vBar += postBar * (1 - f.s[o]);
        sBar += -f.v[o] * postBar;
      }
      // s = S(v), differentiated by the surrogate
      vBar += surrogateRef(p.sg, f.v[o], th) * sBar;
      // v = max(v_pre, v_min)
      const preBar = !opts.slayer && p.vMin !== undefined && !(f.vpre[o] > p.vMin) ? 0 : vBar;
      // v_pre = α·v_post[t−1] + x (·(1 − α))
      const prevPost = t > 0 ? f.vpost[o - N] : opts.v0 ? opts.v0[i] : 0;
      dx[o] = p.normInput ? (1 - a) * preBar : preBar;
      dalpha[i % P] += preBar * (prevPost - (p.normInput ? x[o] : 0));
      postBar = a * preBar;
    }
    dv0[i] = postBar;
  }
  return { dx, dv0, dalpha };
}

// ---- ExpLeak ---------------------------------------------------------------------------------------
export function expLeakRef(T: number, N: number, beta: ArrayLike<number>, x: ArrayLike<number>, i0?: ArrayLike<number>) {
  const P = beta.length;
  const cur = new Float64Array(T * N);
  for (let i = 0; i < N; i++) {
    let c = i0 ? i0[i] : 0;
    for (let t = 0; t < T; t++) cur[t * N + i] = c = beta[i % P] * c + x[t * N + i];
  }
  return cur;
}

export function expLeakBackwardRef(T: number, N: number, beta: ArrayLike<number>, cur: ArrayLike<number>, g: ArrayLike<number>, i0?: ArrayLike<number>) {
  const P = beta.length;
  const dx = new Float64Array(T * N), di0 = new Float64Array(N), dbeta = new Float64Array(P);
  for (let i = 0; i < N; i++) {
    let bar = 0; // ∂L/∂i[t] including later steps
    for (let t = T - 1; t >= 0; t--) {
      const o = t * N + i;
      bar += g[o];
      dx[o] = bar;
      dbeta[i % P] += bar * (t > 0 ? cur[o - N] : i0 ? i0[i] : 0);
      bar *= beta[i % P];
    }
    di0[i] = bar;
  }
  return { dx, di0, dbeta };
}

// ---- SRM --------------------------------------------------------------------------------------------
export interface SrmRefParams {
  T: number;
  N: number;
  eps: ArrayLike<number>;
  nu: ArrayLike<number>;
  theta: number;
  multi?: boolean;
  maxSpikes?: number;
  sg: SurrogateRef;
}

export function srmForwardRef(p: SrmRefParams, a: ArrayLike<number>, forcedSpikes?: ArrayLike<number>) {
  const { T, N } = p;
  const u = new Float64Array(T * N), s = new Float64Array(T * N);
  for (let i = 0; i < N; i++)
    for (let t = 0; t < T; t++) {
      let acc = 0;
      for (let k = 0; k < p.eps.length && k <= t; k++) acc += p.eps[k] * a[(t - k) * N + i];
      for (let k = 0; k < p.nu.length && k <= t - 1; k++) acc += p.nu[k] * s[(t - 1 - k) * N + i];
      u[t * N + i] = acc;
      s[t * N + i] = forcedSpikes ? forcedSpikes[t * N + i] : spikeRef(acc, p.theta, !!p.multi, p.maxSpikes ?? 0);
    }
  return { u, s };
}

/** Reverse mode through u[t] = Σ ε·a + Σ ν·s, s = S(u): accumulate adjoints of s and u backwards. */
export function srmBackwardRef(p: SrmRefParams, u: ArrayLike<number>, g: ArrayLike<number>, slayer = false) {
  const { T, N } = p;
  const da = new Float64Array(T * N);
  for (let i = 0; i < N; i++) {
    const sBar = new Float64Array(T);
    const uBar = new Float64Array(T);
    for (let t = 0; t < T; t++) sBar[t] = g[t * N + i];
    for (let t = T - 1; t >= 0; t--) {
      uBar[t] = surrogateRef(p.sg, u[t * N + i], p.theta) * sBar[t];
      // u[t] read s[t−1−k] with weight ν[k]
      if (!slayer) for (let k = 0; k < p.nu.length && t - 1 - k >= 0; k++) sBar[t - 1 - k] += p.nu[k] * uBar[t];
      for (let k = 0; k < p.eps.length && t - k >= 0; k++) da[(t - k) * N + i] += p.eps[k] * uBar[t];
    }
  }
  return da;
}

// ---- helpers ----------------------------------------------------------------------------------------
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / Math.max(den, 1e-30);
}

export function spikeRate(s: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s[i] > 0) n++;
  return n / s.length;
}
