// Generic SRM neuron with finite kernels (docs/neurons.md §3): u[t] = Σ_k ε[k]·a[t−k] + Σ_k ν[k]·s[t−1−k],
// s = S(u). Backward "exodus" is exact (back-substitution for ψ = total ∂L/∂s, then a correlation
// with ε); "slayer" takes ψ = ∂L/∂s; "bptt" differentiates the per-step ops on the tape.
// With ε[k] = α^k and ν[k] = −m·α^(k+1) it is the LIF of §1.
import type { LayoutOption } from "./layer-layout.js";
import { type DeviceLike, parseDevice } from "../device.js";
import { type SrmScanConfig, codes, native } from "../native.js";
import { Tensor, keep } from "../tensor.js";
import { NeuronLayer, type Saved, type ScanBackward, type TapeForward, type TapeInputs } from "./neuron.js";
import {
  type BackwardMethod, type Surrogate, type SurrogateName, type SurrogateOptions, checkBackward, checkOptions, fail, finite, oneOf,
  parseSurrogate, positive,
} from "./options.js";
import type { Var } from "./tape.js";
import { type NirContext, refuse } from "./nir.js";

export interface SRMOptions extends LayoutOption {
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

export class SRM extends NeuronLayer {
  readonly surrogate: Surrogate;
  readonly theta: number;
  readonly multiSpike: boolean;
  readonly maxSpikes: number;
  readonly epsilon: Float32Array;
  readonly nu: Float32Array;
  private eps: Tensor;
  private nuT: Tensor | undefined;
  private thetaT: Tensor;

  constructor(opts: SRMOptions = {}) {
    const L = "SRM";
    checkOptions(L, opts, KNOWN);
    super({ layout: opts.layout, name: L, device: parseDevice(opts.device), backward: checkBackward(L, opts.backward), stateful: false, P: 1, states: [] });
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
    this.thetaT = this.addParam("theta", Float32Array.of(this.theta), false);
  }

  private config(T: number, N: number): SrmScanConfig {
    return {
      T, N, Ke: this.epsilon.length, Kn: this.nu.length, theta: this.theta, multiSpike: this.multiSpike,
      maxSpikes: this.maxSpikes, surrogate: this.surrogate.code, sgScale: this.surrogate.scale, sgWidth: this.surrogate.width,
    };
  }

  override toNir(c: NirContext): never {
    refuse(c, "SRM response and refractory kernels have no NIR node (NIR neurons are LIF/IF/LI/CubaLIF ODEs)");
  }

  protected scanForward(x: Tensor, s: Tensor, _state: Tensor[], T: number, N: number): Saved {
    const u = this.scratch("u", T, N);
    native().srmForward({ ...this.config(T, N), eps: this.eps, nu: this.nuT, a: x, s, u });
    this.setMembrane(u, s.shape);
    return { u };
  }

  protected scanBackward(b: ScanBackward): void {
    const q = Tensor.empty([b.T, b.N], this.device);
    try {
      native().srmBackward({
        ...this.config(b.T, b.N), method: codes().grad[this.backwardMethod as "exodus" | "slayer"], eps: this.eps, nu: this.nuT,
        g: b.g, u: b.saved.u!, q, da: b.dx,
      });
    } finally {
      q.dispose();
    }
  }

  /** u[t] = Σ ε[k]·a[t−k] + Σ ν[k]·s[t−1−k] as scaled adds of the per-step leaves, then the spike. */
  protected tapeForward({ tape, T, xs, outRows }: TapeInputs): TapeForward {
    const ss: Var[] = [];
    for (let t = 0; t < T; t++) {
      let u: Var | undefined;
      const term = (v: Var, w: number) => {
        if (w === 0) return;
        const p = tape.scale(v, w);
        u = u ? tape.add(u, p) : p;
      };
      for (let k = 0; k < this.epsilon.length && k <= t; k++) term(xs[t - k], this.epsilon[k]);
      for (let k = 0; k < this.nu.length && k <= t - 1; k++) term(ss[t - 1 - k], this.nu[k]);
      if (!u) u = tape.scale(xs[t], 0);
      ss.push(tape.spike(u, this.thetaT, this.surrogate, this.multiSpike, this.maxSpikes, outRows[t]));
    }
    return { outputs: ss, final: [] };
  }

  override dispose(): void {
    super.dispose();
    this.eps.dispose();
    this.nuT?.dispose();
  }
}
