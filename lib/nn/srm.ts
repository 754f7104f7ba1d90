// Generic SRM neuron with finite kernels (math.md §3): u[t] = Σ_k ε[k]·a[t−k] + Σ_k ν[k]·s[t−1−k],
// s = S(u). Backward "exodus" is exact (back-substitution for ψ = total ∂L/∂s, then a correlation
// with ε); "slayer" takes ψ = ∂L/∂s; "bptt" differentiates the per-step ops on the tape.
// With ε[k] = α^k and ν[k] = −m·α^(k+1) it is the LIF of §1.
import { type DeviceLike, type Device, parseDevice } from "../device.js";
import * as ops from "../ops.js";
import { Tensor, keep } from "../tensor.js";
import { noForward, sameShape, timeMajor } from "./common.js";
import { Module } from "./module.js";
import { GradCode, type SrmNativeConfig, neuronNative } from "./native-neurons.js";
import {
  type BackwardMethod, type Surrogate, type SurrogateName, type SurrogateOptions, checkBackward, fail, finite, oneOf,
  parseSurrogate, positive,
} from "./options.js";
import { Tape, type Var, wireSteps } from "./tape.js";

export interface SRMOptions {
  /** Response kernel ε[0..Kε) (default: SLAYER's alpha kernel from tauSr). */
  epsilon?: number[] | Float32Array;
  /** Refractory kernel ν[0..Kν), applied one step late (default: from tauRef and scaleRef). */
  nu?: number[] | Float32Array;
  tauSr?: number;
  tauRef?: number;
  scaleRef?: number;
  threshold?: number;
  spikeFn?: "single" | "multi";
  maxSpikes?: number;
  surrogate?: SurrogateOptions | SurrogateName;
  backward?: BackwardMethod;
  device?: DeviceLike;
}

const KNOWN = new Set(["epsilon", "nu", "tauSr", "tauRef", "scaleRef", "threshold", "spikeFn", "maxSpikes", "surrogate", "backward", "device"]);

/** Samples f(k) for k = 0, 1, … until |f| < cut after the peak (SLAYER's truncation). */
function truncated(f: (k: number) => number, cut = 0.01, maxLen = 10000): Float32Array {
  const out: number[] = [];
  let peaked = false;
  let prev = 0;
  for (let k = 0; k < maxLen; k++) {
    const v = f(k);
    if (k > 0 && Math.abs(v) < Math.abs(prev)) peaked = true;
    if (peaked && Math.abs(v) < cut) break;
    out.push(v);
    prev = v;
  }
  return Float32Array.from(out);
}

/** SLAYER's alpha response kernel ε[k] = (k/τ)·exp(1 − k/τ). */
export function alphaKernel(tauSr: number): Float32Array {
  return truncated((k) => (k / tauSr) * Math.exp(1 - k / tauSr));
}

/** SLAYER's refractory kernel ν[k] = −scale·θ·((k+1)/τ)·exp(1 − (k+1)/τ). */
export function refractoryKernel(tauRef: number, scaleRef: number, theta: number): Float32Array {
  return truncated((k) => -scaleRef * theta * ((k + 1) / tauRef) * Math.exp(1 - (k + 1) / tauRef));
}

export class SRM extends Module {
  readonly device: Device;
  readonly backwardMethod: BackwardMethod;
  readonly surrogate: Surrogate;
  readonly theta: number;
  readonly multiSpike: boolean;
  readonly maxSpikes: number;
  readonly epsilon: Float32Array;
  readonly nu: Float32Array;
  private eps: Tensor;
  private nuT: Tensor | undefined;
  private thetaT: Tensor;
  private cache: { T: number; N: number; shape: readonly number[]; u?: Tensor; tape?: { tape: Tape; as: Var[]; ss: Var[]; views: Tensor[] } } | undefined;
  private _membrane: Tensor | undefined;

  constructor(opts: SRMOptions = {}) {
    super();
    const L = "SRM";
    if (typeof opts !== "object" || opts === null) fail(`${L} options`, "an object", opts);
    for (const k of Object.keys(opts)) if (!KNOWN.has(k)) fail(`${L} options`, `only known options (${[...KNOWN].join(", ")})`, k);
    this.device = parseDevice(opts.device);
    this.backwardMethod = checkBackward(L, opts.backward);
    this.surrogate = parseSurrogate(L, opts.surrogate);
    this.theta = opts.threshold === undefined ? 1 : positive(`${L} threshold`, opts.threshold);
    this.multiSpike = oneOf(`${L} spikeFn`, opts.spikeFn, ["single", "multi"] as const, "single") === "multi";
    if (opts.maxSpikes !== undefined && (!this.multiSpike || !Number.isInteger(opts.maxSpikes) || opts.maxSpikes < 1))
      fail(`${L} maxSpikes`, `an integer >= 1 with spikeFn "multi"`, opts.maxSpikes);
    this.maxSpikes = opts.maxSpikes ?? 0;
    const kernel = (what: string, v: unknown, min: number): Float32Array => {
      if (!(Array.isArray(v) || v instanceof Float32Array) || v.length < min) fail(`${L} ${what}`, `an array of at least ${min} numbers`, v);
      const a = Float32Array.from(v as ArrayLike<number>);
      a.forEach((x, i) => finite(`${L} ${what}[${i}]`, x));
      return a;
    };
    if (opts.epsilon !== undefined) {
      if (opts.tauSr !== undefined) fail(`${L} options`, "either epsilon or tauSr, not both", "both");
      this.epsilon = kernel("epsilon", opts.epsilon, 1);
    } else this.epsilon = alphaKernel(opts.tauSr === undefined ? 10 : positive(`${L} tauSr`, opts.tauSr));
    if (opts.nu !== undefined) {
      if (opts.tauRef !== undefined || opts.scaleRef !== undefined) fail(`${L} options`, "either nu or tauRef/scaleRef, not both", "both");
      this.nu = kernel("nu", opts.nu, 0);
    } else {
      const tauRef = opts.tauRef === undefined ? 1 : positive(`${L} tauRef`, opts.tauRef);
      const scaleRef = opts.scaleRef === undefined ? 2 : finite(`${L} scaleRef`, opts.scaleRef);
      this.nu = refractoryKernel(tauRef, scaleRef, this.theta);
    }
    this.eps = keep(Tensor.from(this.epsilon, [this.epsilon.length], this.device));
    this.nuT = this.nu.length ? keep(Tensor.from(this.nu, [this.nu.length], this.device)) : undefined;
    this.thetaT = keep(Tensor.from([this.theta], [1], this.device));
  }

  /** Membrane potentials u of the last forward (exodus/slayer). */
  get membrane(): Tensor | undefined {
    return this._membrane;
  }

  private config(T: number, N: number): SrmNativeConfig {
    return {
      T, N, Ke: this.epsilon.length, Kn: this.nu.length, theta: this.theta, multiSpike: this.multiSpike ? 1 : 0,
      maxSpikes: this.maxSpikes, surrogate: this.surrogate.code, sgScale: this.surrogate.scale, sgWidth: this.surrogate.width,
    };
  }

  private releaseCache(): void {
    const c = this.cache;
    if (!c) return;
    c.u?.dispose();
    if (c.tape) {
      c.tape.tape.dispose();
      for (const v of c.tape.views) v.dispose();
    }
    this._membrane?.dispose();
    this._membrane = undefined;
    this.cache = undefined;
  }

  forward(x: Tensor): Tensor {
    const { T, N } = timeMajor("SRM", x, this.device);
    this.releaseCache();
    const s = Tensor.empty(x.shape, this.device);
    const x2 = x.reshape([T, N]);
    const s2 = s.reshape([T, N]);
    try {
      if (this.backwardMethod === "bptt") {
        const tape = new Tape();
        const views: Tensor[] = [];
        const as: Var[] = [], ss: Var[] = [];
        for (let t = 0; t < T; t++) {
          const at = tape.leaf(x2.at(t));
          views.push(at.value);
          as.push(at);
          let u: Var | undefined;
          const term = (v: Var, w: number) => {
            if (w === 0) return;
            const p = tape.scale(v, w);
            u = u ? tape.add(u, p) : p;
          };
          for (let k = 0; k < this.epsilon.length && k <= t; k++) term(as[t - k], this.epsilon[k]);
          for (let k = 0; k < this.nu.length && k <= t - 1; k++) term(ss[t - 1 - k], this.nu[k]);
          if (!u) u = tape.scale(at, 0);
          const st = s2.at(t);
          views.push(st);
          ss.push(tape.spike(u, this.thetaT, this.surrogate, this.multiSpike, this.maxSpikes, st));
        }
        this.cache = { T, N, shape: x.shape, tape: { tape, as, ss, views } };
      } else {
        const u = keep(Tensor.empty([T, N], this.device));
        neuronNative().srmForward(this.config(T, N), this.eps.handle, this.eps.offset, this.nuT?.handle ?? null,
          this.nuT?.offset ?? 0, x2.handle, x2.offset, s.handle, s.offset, u.handle, u.offset);
        this.cache = { T, N, shape: x.shape, u };
        this._membrane = keep(u.reshape(x.shape));
      }
    } finally {
      x2.dispose();
      s2.dispose();
    }
    return s;
  }

  backward(dy: Tensor): Tensor {
    const c = this.cache;
    if (!c) noForward("SRM");
    sameShape("SRM backward dy", dy, c.shape);
    const { T, N } = c;
    const dx = Tensor.empty(c.shape, this.device);
    const g = dy.reshape([T, N]);
    try {
      if (c.tape) {
        const run = c.tape;
        const dx2 = dx.reshape([T, N]);
        ops.fill(dx2, 0);
        const sinks = wireSteps(run.tape, run.as, run.ss, dx2, g);
        run.tape.backward();
        for (const s of sinks) s.dispose();
        dx2.dispose();
        run.tape.dispose();
        for (const v of run.views) v.dispose();
        c.tape = undefined;
      } else {
        const q = Tensor.empty([T, N], this.device);
        neuronNative().srmBackward(this.config(T, N), GradCode[this.backwardMethod as "exodus" | "slayer"], this.eps.handle,
          this.eps.offset, this.nuT?.handle ?? null, this.nuT?.offset ?? 0, g.handle, g.offset, c.u!.handle, c.u!.offset,
          q.handle, q.offset, dx.handle, dx.offset);
        q.dispose();
      }
    } finally {
      g.dispose();
    }
    return dx;
  }

  override dispose(): void {
    this.releaseCache();
    this.eps.dispose();
    this.nuT?.dispose();
    this.thetaT.dispose();
  }
}
