// LIF and IAF neuron layers (math.md §1). forward(x [T, batch, …]) returns spikes of the same
// shape; backward(∂L/∂s) returns ∂L/∂x by the chosen method:
//   exodus  one exact reverse scan per neuron (native, O(T));
//   slayer  the same scan without the reset and clamp terms (ρ ≡ 1, c ≡ 1);
//   bptt    the per-step operations recorded on a tape and differentiated step by step.
import { type DeviceLike, parseDevice, type Device } from "../device.js";
import * as ops from "../ops.js";
import { Tensor, keep } from "../tensor.js";
import { noForward, sameShape, timeMajor } from "./common.js";
import { Module, type Parameter, newParameter, retain } from "./module.js";
import { GradCode, type LifNativeConfig, ResetCode, neuronNative } from "./native-neurons.js";
import {
  type BackwardMethod, type Surrogate, type SurrogateName, type SurrogateOptions, checkBackward, fail, finite, oneOf,
  paramValues, parseSurrogate, positive,
} from "./options.js";
import { type ParamVar, Tape, type Var, wireSteps } from "./tape.js";

export type PerNeuron = number | number[] | Float32Array;

export interface LIFOptions {
  /** Decay α ∈ (0, 1] per step (shared, or one per neuron). Give this or tauMem. */
  alpha?: PerNeuron;
  /** Membrane time constant, in units of dt: α = exp(-dt/τ). */
  tauMem?: PerNeuron;
  /** Step length for tauMem (default 1). */
  dt?: number;
  /** Threshold θ > 0 (default 1; shared or per neuron). */
  threshold?: PerNeuron;
  /** "subtract" (v − m·s, default) or "zero" (v·(1 − s)). */
  reset?: "subtract" | "zero";
  /** m of the subtract reset (default θ); 0 disables the reset. */
  resetAmount?: number;
  /** "single" (default): 1[v ≥ θ]; "multi": max(0, floor(v/θ)), capped at maxSpikes if given. */
  spikeFn?: "single" | "multi";
  maxSpikes?: number;
  /** Lower bound of v (v = max(v, vMin)); none by default. */
  vMin?: number;
  /** Scale the input by (1 − α). */
  normInput?: boolean;
  surrogate?: SurrogateOptions | SurrogateName;
  backward?: BackwardMethod;
  /** Make α a parameter with a gradient. */
  learnAlpha?: boolean;
  /** Carry the state v_post[T−1] into the next forward (streaming); resetState() clears it. */
  stateful?: boolean;
  /** Keep the membrane potentials of the last forward in `membrane` (always kept by exodus/slayer). */
  recordV?: boolean;
  device?: DeviceLike;
}

const KNOWN = new Set([
  "alpha", "tauMem", "dt", "threshold", "reset", "resetAmount", "spikeFn", "maxSpikes", "vMin", "normInput", "surrogate",
  "backward", "learnAlpha", "stateful", "recordV", "device",
]);

interface Cache {
  T: number;
  N: number;
  shape: readonly number[];
  v?: Tensor; // [T, N] pre-reset potentials
  v0: Tensor; // [N]
  x?: Tensor; // [T, N], for ∂α with normInput
  tape?: TapeRun;
}

interface TapeRun {
  tape: Tape;
  xs: Var[];
  ss: Var[];
  vs: Var[];
  v0: Var;
  alpha: Var;
  views: Tensor[];
}

export class LIF extends Module {
  readonly name: string;
  readonly device: Device;
  readonly backwardMethod: BackwardMethod;
  readonly surrogate: Surrogate;
  readonly reset: "subtract" | "zero";
  readonly multiSpike: boolean;
  readonly maxSpikes: number;
  readonly vMin: number | undefined;
  readonly normInput: boolean;
  readonly learnAlpha: boolean;
  readonly stateful: boolean;
  readonly recordV: boolean;
  /** Number of per-neuron parameter values (1 when shared). */
  readonly P: number;
  /** α [P] (a parameter when learnAlpha). */
  readonly alpha: Tensor;
  readonly threshold: Tensor;
  readonly resetAmount: Tensor;
  private alphaParam: Parameter | undefined;
  private cache: Cache | undefined;
  private _state: Tensor | undefined;
  private _stateGrad: Tensor | undefined;
  private _membrane: Tensor | undefined;
  private vSpare: Tensor | undefined;

  constructor(opts: LIFOptions = {}, layerName = "LIF") {
    super();
    const L = layerName;
    this.name = L;
    if (typeof opts !== "object" || opts === null) fail(`${L} options`, "an object", opts);
    for (const k of Object.keys(opts)) if (!KNOWN.has(k)) fail(`${L} options`, `only known options (${[...KNOWN].join(", ")})`, k);
    this.device = parseDevice(opts.device);
    this.backwardMethod = checkBackward(L, opts.backward);
    this.surrogate = parseSurrogate(L, opts.surrogate);
    this.reset = oneOf(`${L} reset`, opts.reset, ["subtract", "zero"] as const, "subtract");
    const spikeFn = oneOf(`${L} spikeFn`, opts.spikeFn, ["single", "multi"] as const, "single");
    this.multiSpike = spikeFn === "multi";
    if (this.multiSpike && this.reset === "zero")
      fail(`${L} spikeFn`, `"single" with reset "zero" (multi-spike with zero reset is ill-defined)`, "multi");
    if (opts.maxSpikes !== undefined) {
      if (!this.multiSpike) fail(`${L} maxSpikes`, `no value unless spikeFn is "multi"`, opts.maxSpikes);
      if (!Number.isInteger(opts.maxSpikes) || opts.maxSpikes < 1) fail(`${L} maxSpikes`, "an integer >= 1", opts.maxSpikes);
    }
    this.maxSpikes = opts.maxSpikes ?? 0;
    this.vMin = opts.vMin === undefined ? undefined : finite(`${L} vMin`, opts.vMin);
    this.normInput = opts.normInput === undefined ? false : bool(`${L} normInput`, opts.normInput);
    this.learnAlpha = opts.learnAlpha === undefined ? false : bool(`${L} learnAlpha`, opts.learnAlpha);
    this.stateful = opts.stateful === undefined ? false : bool(`${L} stateful`, opts.stateful);
    this.recordV = opts.recordV === undefined ? false : bool(`${L} recordV`, opts.recordV);

    // α from alpha or tauMem (exactly one; IAF passes alpha = 1).
    if (opts.alpha !== undefined && opts.tauMem !== undefined)
      fail(`${L} options`, "either alpha or tauMem, not both", "both");
    let alpha: Float32Array;
    if (opts.tauMem !== undefined) {
      const dt = opts.dt === undefined ? 1 : positive(`${L} dt`, opts.dt);
      alpha = paramValues(`${L} tauMem`, opts.tauMem, positive).map((tau) => Math.exp(-dt / tau));
    } else {
      if (opts.dt !== undefined) fail(`${L} dt`, "no value unless tauMem is given", opts.dt);
      alpha = paramValues(`${L} alpha`, opts.alpha ?? 1, (w, a) => {
        if (!(a > 0 && a <= 1)) fail(w, "a decay in (0, 1]", a);
      });
    }
    const theta = paramValues(`${L} threshold`, opts.threshold ?? 1, positive);
    if (alpha.length > 1 && theta.length > 1 && alpha.length !== theta.length)
      fail(`${L} threshold`, `${alpha.length} values (as many as alpha) or one`, `${theta.length} values`);
    let m: Float32Array;
    if (opts.resetAmount !== undefined) {
      if (this.reset === "zero") fail(`${L} resetAmount`, `no value with reset "zero"`, opts.resetAmount);
      const r = finite(`${L} resetAmount`, opts.resetAmount);
      if (r < 0) fail(`${L} resetAmount`, "a number >= 0", r);
      m = Float32Array.of(r);
    } else m = theta;
    this.P = Math.max(alpha.length, theta.length);
    const expand = (a: Float32Array) => (a.length === this.P ? a : new Float32Array(this.P).fill(a[0]));
    this.alpha = keep(Tensor.from(expand(alpha), [this.P], this.device));
    this.threshold = keep(Tensor.from(expand(theta), [this.P], this.device));
    this.resetAmount = keep(Tensor.from(expand(m), [this.P], this.device));
    if (this.learnAlpha) {
      this.alphaParam = newParameter("alpha", this.alpha);
    }
  }

  override parameters(): Parameter[] {
    return this.alphaParam ? [this.alphaParam] : [];
  }

  /** The state carried into the next forward (v_post of the last step), if stateful. */
  get state(): Tensor | undefined {
    return this._state;
  }
  /** Clears the carried state: the next forward starts from v = 0. */
  resetState(): void {
    this._state?.dispose();
    this._state = undefined;
  }
  /** Sets the initial state v0 [N] (or a number for all neurons) of the next forward. */
  setState(v0: Tensor | number, N?: number): void {
    this.resetState();
    if (typeof v0 === "number") {
      if (N === undefined) fail(`${this.name} setState`, "the neuron count N with a number", v0);
      this._state = keep(Tensor.full([N], v0, this.device));
    } else this._state = keep(v0.clone());
  }
  /** ∂L/∂v0 of the last backward (exodus/slayer/bptt), [N]. */
  get stateGrad(): Tensor | undefined {
    return this._stateGrad;
  }
  /** Pre-reset membrane potentials v of the last forward, shaped like its input. */
  get membrane(): Tensor | undefined {
    return this._membrane;
  }

  private config(T: number, N: number): LifNativeConfig {
    return {
      T, N, P: this.P, reset: ResetCode[this.reset], multiSpike: this.multiSpike ? 1 : 0, maxSpikes: this.maxSpikes,
      hasVmin: this.vMin === undefined ? 0 : 1, vmin: this.vMin ?? 0, normInput: this.normInput ? 1 : 0,
      surrogate: this.surrogate.code, sgScale: this.surrogate.scale, sgWidth: this.surrogate.width,
    };
  }

  private releaseCache(): void {
    const c = this.cache;
    if (!c) return;
    // Keep v's buffer for the next forward of the same size: a fresh [T, N] allocation costs
    // page faults comparable to the scan itself on the CPU.
    this.vSpare?.dispose();
    this.vSpare = c.v;
    c.v0.dispose();
    c.x?.dispose();
    if (c.tape) disposeTapeRun(c.tape);
    this.cache = undefined;
  }

  forward(x: Tensor): Tensor {
    const { T, N } = timeMajor(this.name, x, this.device, this.P);
    this.releaseCache();
    this._membrane?.dispose();
    this._membrane = undefined;
    // v0: the carried state if it fits, else zeros.
    let v0: Tensor;
    // v0: the carried (or set) state if it fits, else zeros. A non-stateful layer uses a state
    // given by setState() once.
    if (this._state && this._state.size === N) v0 = keep(this._state.clone());
    else v0 = keep(Tensor.zeros([N], this.device));
    if (!this.stateful) this.resetState();
    const s = Tensor.empty(x.shape, x.device);
    const state = Tensor.empty([N], x.device);
    const x2 = x.reshape([T, N]);
    try {
      if (this.backwardMethod === "bptt") {
        const run = this.forwardTape(x2, v0, s, state, T, N);
        this.cache = { T, N, shape: x.shape, v0, tape: run };
      } else {
        state.copyFrom(v0);
        let v: Tensor;
        if (this.vSpare && this.vSpare.size === T * N) {
          v = this.vSpare;
          this.vSpare = undefined;
        } else v = keep(Tensor.empty([T, N], x.device));
        const c = this.config(T, N);
        neuronNative().lifForward(c, x2.handle, x2.offset, this.alpha.handle, this.alpha.offset, this.threshold.handle,
          this.threshold.offset, this.resetAmount.handle, this.resetAmount.offset, state.handle, state.offset, s.handle,
          s.offset, v.handle, v.offset);
        const needX = this.normInput && this.learnAlpha;
        this.cache = { T, N, shape: x.shape, v, v0, x: needX ? retain(x2) : undefined };
        this._membrane = keep(v.reshape(x.shape));
      }
    } catch (e) {
      s.dispose();
      state.dispose();
      v0.dispose();
      throw e;
    } finally {
      x2.dispose();
    }
    if (this.stateful) {
      this._state?.dispose();
      this._state = keep(state);
    } else state.dispose();
    return s;
  }

  /** The BPTT baseline's forward: per-step element ops on [N] slices, recorded on a tape. */
  private forwardTape(x2: Tensor, v0: Tensor, s: Tensor, state: Tensor, T: number, N: number): TapeRun {
    const tape = new Tape();
    const views: Tensor[] = [];
    const view = (t: Tensor) => {
      views.push(t);
      return t;
    };
    const s2 = view(s.reshape([T, N]));
    const rec = this.recordV ? keep(Tensor.empty([T, N], this.device)) : undefined;
    const alpha = tape.leaf(this.alpha);
    const alphaP: ParamVar = { v: alpha, P: this.P };
    const oneMinusAlpha: ParamVar | undefined = this.normInput ? { v: tape.oneMinus(alpha), P: this.P } : undefined;
    const mP: ParamVar = { v: tape.leaf(this.resetAmount), P: this.P };
    const v0v = tape.leaf(v0);
    let vprev = v0v;
    const xs: Var[] = [], ss: Var[] = [], vs: Var[] = [];
    for (let t = 0; t < T; t++) {
      const xt = tape.leaf(view(x2.at(t)));
      xs.push(xt);
      const leak = tape.mulParam(vprev, alphaP, this.learnAlpha);
      const input = oneMinusAlpha ? tape.mulParam(xt, oneMinusAlpha, this.learnAlpha) : xt;
      const vpre = tape.add(leak, input);
      const v = this.vMin === undefined ? vpre : tape.clampMin(vpre, this.vMin);
      vs.push(v);
      if (rec) withAt(rec, t, (r) => r.copyFrom(v.value));
      const st = tape.spike(v, this.threshold, this.surrogate, this.multiSpike, this.maxSpikes, view(s2.at(t)));
      ss.push(st);
      vprev = this.reset === "subtract" ? tape.sub(v, tape.mulParam(st, mP, false)) : tape.sub(v, tape.mul(v, st));
    }
    state.copyFrom(vprev.value);
    if (rec) {
      this._membrane = keep(rec.reshape(s.shape));
      rec.dispose();
    }
    return { tape, xs, ss, vs, v0: v0v, alpha, views };
  }

  /**
   * dy = ∂L/∂s [T, batch, …] → ∂L/∂x. opts.dv = ∂L/∂v (a loss that reads the membrane). Adds
   * ∂L/∂α to the alpha parameter's gradient when learnAlpha; keeps ∂L/∂v0 in stateGrad.
   */
  backward(dy: Tensor, opts: { dv?: Tensor } = {}): Tensor {
    const c = this.cache;
    if (!c) noForward(this.name);
    sameShape(`${this.name} backward dy`, dy, c.shape);
    if (opts.dv) sameShape(`${this.name} backward dv`, opts.dv, c.shape);
    const { T, N } = c;
    const dx = Tensor.empty(c.shape, this.device);
    this._stateGrad?.dispose();
    this._stateGrad = keep(Tensor.zeros([N], this.device));
    if (c.tape) {
      this.backwardTape(c.tape, dy, opts.dv, dx, T, N);
      return dx;
    }
    const dalpha = this.learnAlpha ? Tensor.empty([N], this.device) : null;
    const g = dy.reshape([T, N]);
    const h = opts.dv?.reshape([T, N]);
    try {
      const cfg = this.config(T, N);
      neuronNative().lifBackward(cfg, GradCode[this.backwardMethod as "exodus" | "slayer"], this.alpha.handle, this.alpha.offset,
        this.threshold.handle, this.threshold.offset, this.resetAmount.handle, this.resetAmount.offset, g.handle, g.offset,
        h ? h.handle : null, h?.offset ?? 0, c.v!.handle, c.v!.offset, c.x ? c.x.handle : null, c.x?.offset ?? 0,
        c.v0.handle, c.v0.offset, dx.handle, dx.offset, this._stateGrad.handle, this._stateGrad.offset,
        dalpha ? dalpha.handle : null, dalpha?.offset ?? 0);
      if (dalpha) this.addAlphaGrad(dalpha, N);
    } finally {
      g.dispose();
      h?.dispose();
      dalpha?.dispose();
    }
    return dx;
  }

  private addAlphaGrad(perNeuron: Tensor, N: number): void {
    const rows = perNeuron.reshape([N / this.P, this.P]);
    const summed = ops.sum(rows, 0);
    ops.add(this.alphaParam!.grad, summed, this.alphaParam!.grad);
    summed.dispose();
    rows.dispose();
  }

  private backwardTape(run: TapeRun, dy: Tensor, dv: Tensor | undefined, dx: Tensor, T: number, N: number): void {
    ops.fill(dx, 0);
    const dx2 = dx.reshape([T, N]);
    const dy2 = dy.reshape([T, N]);
    const dv2 = dv?.reshape([T, N]);
    const sinks = wireSteps(run.tape, run.xs, run.ss, dx2, dy2);
    const dalpha = this.learnAlpha ? Tensor.zeros([this.P], this.device) : null;
    try {
      if (dv2) for (let t = 0; t < T; t++) withAt(dv2, t, (h) => run.tape.seed(run.vs[t], h));
      run.v0.sink = this._stateGrad!;
      if (dalpha) run.alpha.sink = dalpha;
      run.tape.backward();
      if (dalpha) ops.add(this.alphaParam!.grad, dalpha, this.alphaParam!.grad);
    } finally {
      for (const t of sinks) t.dispose();
      dx2.dispose();
      dy2.dispose();
      dv2?.dispose();
      dalpha?.dispose();
      // The tape is single use: free it now rather than at the next forward.
      disposeTapeRun(run);
      this.cache!.tape = undefined;
    }
  }

  override dispose(): void {
    this.releaseCache();
    this.vSpare?.dispose();
    this.vSpare = undefined;
    this.resetState();
    this._stateGrad?.dispose();
    this._membrane?.dispose();
    if (this.alphaParam) this.alphaParam.grad.dispose();
    this.alpha.dispose();
    this.threshold.dispose();
    this.resetAmount.dispose();
  }
}

/** Integrate-and-fire: a LIF with α = 1 (no leak). */
export class IAF extends LIF {
  constructor(opts: Omit<LIFOptions, "alpha" | "tauMem" | "dt" | "learnAlpha" | "normInput"> = {}) {
    for (const k of ["alpha", "tauMem", "dt", "learnAlpha", "normInput"])
      if (opts && k in opts) fail(`IAF ${k}`, "no value (IAF has α = 1; use LIF for a leak)", (opts as Record<string, unknown>)[k]);
    super({ ...opts, alpha: 1 }, "IAF");
  }
}

function bool(what: string, v: unknown): boolean {
  if (typeof v !== "boolean") fail(what, "true or false", v);
  return v;
}

export function withAt<R>(t: Tensor, i: number, f: (row: Tensor) => R): R {
  const r = t.at(i);
  try {
    return f(r);
  } finally {
    r.dispose();
  }
}

function disposeTapeRun(run: TapeRun): void {
  run.tape.dispose();
  for (const v of run.views) v.dispose();
  run.views = [];
}
