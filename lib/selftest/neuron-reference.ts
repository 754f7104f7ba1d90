// float64 references of the neuron layers, written from the equations of docs/neurons.md independently of the kernels:
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
    case "triangle":
      return (a / (theta * w)) * Math.max(0, 1 - Math.abs(d) / (theta * w));
    case "rectangle":
      return Math.abs(d) < theta * w ? a / (2 * theta * w) : 0;
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

// ---- ALIF (docs/neurons.md §6) ---------------------------------------------------------------------------
export interface AlifRefParams {
  T: number;
  N: number;
  alpha: ArrayLike<number>;
  rho: ArrayLike<number>;
  beta: ArrayLike<number>;
  theta0: ArrayLike<number>;
  sg: SurrogateRef;
}
export interface AlifRefForward {
  v: Float64Array;
  b: Float64Array;
  s: Float64Array;
  vpost: Float64Array;
  /** Final (v_post[T−1], b[T]). */
  vState: Float64Array;
  bState: Float64Array;
}
const at = (a: ArrayLike<number>, i: number) => a[i % a.length];

/** Forward from (v0, b[0]) (zeros by default); forcedSpikes as in lifForwardRef. */
export function alifForwardRef(p: AlifRefParams, x: ArrayLike<number>, init: { v0?: ArrayLike<number>; b0?: ArrayLike<number> } = {},
  forcedSpikes?: ArrayLike<number>): AlifRefForward {
  const { T, N } = p;
  const v = new Float64Array(T * N), b = new Float64Array(T * N), s = new Float64Array(T * N), vpost = new Float64Array(T * N);
  const vState = new Float64Array(N), bState = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const al = at(p.alpha, i), rho = at(p.rho, i), be = at(p.beta, i), th0 = at(p.theta0, i);
    let vp = init.v0 ? init.v0[i] : 0;
    let bt = init.b0 ? init.b0[i] : 0;
    for (let t = 0; t < T; t++) {
      const o = t * N + i;
      if (t > 0) bt = rho * bt + (1 - rho) * s[o - N];
      const th = th0 + be * bt;
      const u = al * vp + x[o];
      const sp = forcedSpikes ? forcedSpikes[o] : u >= th ? 1 : 0;
      v[o] = u;
      b[o] = bt;
      s[o] = sp;
      vp = u - th * sp;
      vpost[o] = vp;
    }
    vState[i] = vp;
    bState[i] = T > 0 ? rho * bt + (1 - rho) * s[(T - 1) * N + i] : bt;
  }
  return { v, b, s, vpost, vState, bState };
}

export interface AlifRefGrads {
  dx: Float64Array;
  dv0: Float64Array;
  db0: Float64Array;
  /** Parameter gradients [P] each (P = the length of the parameter arrays). */
  dalpha: Float64Array;
  drho: Float64Array;
  dbeta: Float64Array;
  dtheta0: Float64Array;
}

/**
 * Reverse mode through the unrolled forward, op by op in reverse time order (g = ∂L/∂s). slayer =
 * true drops every path by which a spike changes later states: the reset and the adaptation.
 */
export function alifBackwardRef(p: AlifRefParams, f: AlifRefForward, g: ArrayLike<number>,
  opts: { v0?: ArrayLike<number>; slayer?: boolean } = {}): AlifRefGrads {
  const { T, N } = p;
  const P = Math.max(p.alpha.length, p.rho.length, p.beta.length, p.theta0.length);
  const out: AlifRefGrads = {
    dx: new Float64Array(T * N), dv0: new Float64Array(N), db0: new Float64Array(N), dalpha: new Float64Array(P),
    drho: new Float64Array(P), dbeta: new Float64Array(P), dtheta0: new Float64Array(P),
  };
  for (let i = 0; i < N; i++) {
    const al = at(p.alpha, i), rho = at(p.rho, i), be = at(p.beta, i), th0 = at(p.theta0, i), k = i % P;
    let postBar = 0; // ∂L/∂v_post[t]
    let bNextBar = 0; // ∂L/∂b[t+1]
    for (let t = T - 1; t >= 0; t--) {
      const o = t * N + i;
      const th = th0 + be * f.b[o];
      let sBar = g[o];
      // b[t+1] = ρ·b[t] + (1 − ρ)·s[t]
      let bBar = rho * bNextBar;
      if (!opts.slayer) sBar += (1 - rho) * bNextBar;
      out.drho[k] += bNextBar * (f.b[o] - f.s[o]);
      // v_post = v − θ·s
      let vBar = postBar;
      let thBar = opts.slayer ? 0 : -f.s[o] * postBar;
      if (!opts.slayer) sBar += -th * postBar;
      // s = H(v − θ), differentiated by the surrogate at v − θ + θ0 (threshold θ0)
      const sig = surrogateRef(p.sg, f.v[o] - th + th0, th0);
      vBar += sig * sBar;
      thBar += -sig * sBar;
      // θ = θ0 + β·b
      out.dtheta0[k] += thBar;
      out.dbeta[k] += thBar * f.b[o];
      bBar += be * thBar;
      // v = α·v_post[t−1] + x
      const prevPost = t > 0 ? f.vpost[o - N] : opts.v0 ? opts.v0[i] : 0;
      out.dx[o] = vBar;
      out.dalpha[k] += vBar * prevPost;
      postBar = al * vBar;
      bNextBar = bBar;
    }
    out.dv0[i] = postBar;
    out.db0[i] = bNextBar;
  }
  return out;
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
