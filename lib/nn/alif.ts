// Adaptive LIF (docs/neurons.md §6, Bellec et al. 2018): a threshold θ[t] = θ0 + β·b[t] that rises after
// each spike and decays back, b[t] = ρ·b[t−1] + (1−ρ)·s[t−1]; v[t] = α·v_post[t−1] + x[t];
// s[t] = 1[v[t] ≥ θ[t]]; the reset subtracts the effective threshold. Backward "exodus" is the
// exact reverse scan with two adjoints (∂L/∂v, ∂L/∂b); "slayer" drops the reset and adaptation
// paths of the spikes; "bptt" differentiates the per-step ops on the tape. α, ρ, β and θ0 can
// all be learned. Streaming state (v, b): b is the adaptation the next step starts from.
import type { LayoutOption } from "./layer-layout.js";
import { type DeviceLike, parseDevice } from "../device.js";
import { type AlifScanConfig, codes, native } from "../native.js";
import type { Tensor } from "../tensor.js";
import type { PerNeuron } from "./lif.js";
import { NeuronLayer, type Saved, type ScanBackward, type TapeForward, type TapeInputs } from "./neuron.js";
import {
  type BackwardMethod, type Surrogate, type SurrogateName, type SurrogateOptions, checkBackward, checkOptions, decayValues, fail, paramValues, parseSurrogate, positive, learnedParams, sharedLength,
} from "./options.js";
import type { Var } from "./tape.js";
import { type NirContext, refuse } from "./nir.js";

export const ALIF_PARAMS = ["alpha", "rho", "beta", "threshold"] as const;
export type AlifParam = (typeof ALIF_PARAMS)[number];

export interface ALIFOptions extends LayoutOption {
  /** Membrane decay α ∈ (0, 1] (default 1), or tauMem (α = exp(−dt/τ)). */
  alpha?: PerNeuron;
  tauMem?: PerNeuron;
  /** Adaptation decay ρ ∈ (0, 1), or tauAdapt (ρ = exp(−dt/τ)); default tauAdapt 200 steps. */
  rho?: PerNeuron;
  tauAdapt?: PerNeuron;
  /** Step length of tauMem and tauAdapt (default 1). */
  dt?: number;
  /** Adaptation strength β ≥ 0 (default 1; 0 is a LIF with reset amount θ0). */
  beta?: PerNeuron;
  /** Baseline threshold θ0 > 0 (default 1). */
  threshold?: PerNeuron;
  surrogate?: SurrogateOptions | SurrogateName;
  backward?: BackwardMethod;
  /** Parameters with a gradient: any of "alpha", "rho", "beta", "threshold". */
  learn?: AlifParam[];
  /** Carry (v, b) into the next forward; resetState() clears it. */
  stateful?: boolean;
  device?: DeviceLike;
}

const KNOWN = new Set(["alpha", "tauMem", "rho", "tauAdapt", "dt", "beta", "threshold", "surrogate", "backward", "learn", "stateful", "device"]);

export class ALIF extends NeuronLayer {
  readonly surrogate: Surrogate;
  readonly learned: readonly AlifParam[];
  readonly alpha: Tensor;
  readonly rho: Tensor;
  readonly beta: Tensor;
  readonly threshold: Tensor;

  constructor(opts: ALIFOptions = {}) {
    const L = "ALIF";
    checkOptions(L, opts, KNOWN);
    const alpha = decayValues(L, { value: opts.alpha, tau: opts.tauMem, dt: opts.dt }, { value: "alpha", tau: "tauMem" }, 1);
    const rho = opts.rho === undefined && opts.tauAdapt === undefined
      ? Float32Array.of(Math.exp(-(opts.dt === undefined ? 1 : positive(`${L} dt`, opts.dt)) / 200))
      : decayValues(L, { value: opts.rho, tau: opts.tauAdapt, dt: opts.dt }, { value: "rho", tau: "tauAdapt" }, undefined, true);
    const beta = paramValues(`${L} beta`, opts.beta ?? 1, (w, b) => {
      if (!(b >= 0) || !Number.isFinite(b)) fail(w, "a number >= 0", b);
    });
    const theta = paramValues(`${L} threshold`, opts.threshold ?? 1, positive);
    const P = sharedLength(L, [alpha, rho, beta, theta].map((v, i) => [ALIF_PARAMS[i], v] as const));
    const learn = learnedParams(L, opts.learn, ALIF_PARAMS);
    super({ layout: opts.layout,
      name: L, device: parseDevice(opts.device), backward: checkBackward(L, opts.backward), stateful: !!opts.stateful, P,
      states: ["v", "b"],
    });
    this.surrogate = parseSurrogate(L, opts.surrogate);
    this.learned = learn;
    this.alpha = this.addParam("alpha", alpha, learn.includes("alpha"));
    this.rho = this.addParam("rho", rho, learn.includes("rho"));
    this.beta = this.addParam("beta", beta, learn.includes("beta"));
    this.threshold = this.addParam("threshold", theta, learn.includes("threshold"));
  }

  private config(T: number, N: number): AlifScanConfig {
    return { T, N, P: this.P, surrogate: this.surrogate.code, sgScale: this.surrogate.scale, sgWidth: this.surrogate.width };
  }
  private params() {
    return { alpha: this.alpha, rho: this.rho, beta: this.beta, theta0: this.threshold };
  }

  protected override readonly maskedForward = "alif_forward_masked" as const;

  /** v, b [T, N]. */
  protected override savedPerNeuron(): number {
    return 2;
  }

  protected scanForward(x: Tensor, s: Tensor, state: Tensor[], T: number, N: number, mask?: Uint8Array): Saved {
    const v = this.scratch("v", T, N), b = this.scratch("b", T, N);
    native().alifForward({ ...this.config(T, N), ...this.params(), x, vState: state[0], bState: state[1], s, v, b, ...(mask ? { mask } : {}) });
    this.setMembrane(v, s.shape);
    return { v, b };
  }

  protected scanBackward(k: ScanBackward): void {
    const pg = k.paramGrads;
    native().alifBackward({
      ...this.config(k.T, k.N), ...this.params(), method: codes().grad[this.backwardMethod as "exodus" | "slayer"], g: k.g,
      v: k.saved.v!, b: k.saved.b!, v0: k.init[0], dx: k.dx, dv0: k.stateGrads[0], db0: k.stateGrads[1],
      dalpha: pg.alpha, drho: pg.rho, dbeta: pg.beta, dtheta0: pg.threshold,
    });
  }

  /** The BPTT baseline: the recurrences of §6 as per-step tape ops, independent of the scan. */
  protected tapeForward({ tape, T, xs, init, params, learn, outRows }: TapeInputs): TapeForward {
    const { alpha, rho, beta, threshold } = params;
    const oneMinusRho = { v: tape.oneMinus(rho.v), P: this.P };
    let vprev = init[0];
    let b = init[1];
    const ss: Var[] = [];
    const adapt = (bt: Var, st: Var) => tape.add(tape.mulParam(bt, rho, learn("rho")), tape.mulParam(st, oneMinusRho, learn("rho")));
    for (let t = 0; t < T; t++) {
      if (t > 0) b = adapt(b, ss[t - 1]);
      const th = tape.addParam(tape.mulParam(b, beta, learn("beta")), threshold, learn("threshold"));
      const v = tape.add(tape.mulParam(vprev, alpha, learn("alpha")), xs[t]);
      // S and σ at the distance v − θ[t], the surrogate's width set by θ0: evaluated at
      // v − θ[t] + θ0 against the threshold θ0 (the added θ0 is a constant).
      const d = tape.addParam(tape.sub(v, th), threshold, false);
      const s = tape.spike(d, this.threshold, this.surrogate, false, 0, outRows[t]);
      ss.push(s);
      vprev = tape.sub(v, tape.mul(th, s));
    }
    const bNext = T > 0 ? adapt(b, ss[T - 1]) : b;
    return { outputs: ss, final: [vprev, bNext] };
  }

  override toNir(c: NirContext): never {
    refuse(c, "ALIF's adaptive threshold has no NIR node (NIR 1.0 has LIF, CubaLIF, IF, LI, I with fixed thresholds); train with neuron type lif or cubalif for an exportable network");
  }
}
