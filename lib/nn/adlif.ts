// Adaptive LIF with an adaptation current (adLIF; Bittar & Garner 2022) in the symplectic-Euler
// discretisation of SE-adLIF (Baronig et al. 2025; docs/neurons.md §8):
//   v[t] = α·v_post[t−1] + (1 − α)·(x[t] − w[t−1]),  s[t] = 1[v[t] ≥ θ],  reset as LIF,
//   w[t] = β·w[t−1] + (1 − β)·(a·v_post[t] + b·s[t]).
// Backward "exodus" is the exact reverse scan with two adjoints (∂L/∂v, ∂L/∂w); "slayer" drops
// the reset's term; "bptt" differentiates the per-step ops on the tape. α, β, a and b can be
// learned (per neuron). Streaming state (v, w).
import type { DeviceLike } from "../device.js";
import type { LayoutOption } from "./layer-layout.js";
import { type CubaScanConfig, codes, native } from "../native.js";
import type { Tensor } from "../tensor.js";
import type { PerNeuron } from "./lif.js";
import { cubaScanConfig } from "./cuba.js";
import { retain } from "./module.js";
import { NeuronLayer, type Saved, type ScanBackward, type TapeForward, type TapeInputs } from "./neuron.js";
import {
  type BackwardMethod, type Surrogate, type SurrogateName, type SurrogateOptions, checkOptions, decayValues, finite, layerBase, oneOf, paramValues, parseSurrogate, positive, learnedParams, sharedLength,
} from "./options.js";
import type { Var } from "./tape.js";
import { type NirContext, refuse } from "./nir.js";

// The addon's adLIF bindings (generated from neurons.h's EXO_ADLIF_FORWARD / EXO_ADLIF_BACKWARD):
// vState, wState [N] the (v, w) state in and out; s, v, w [T, N].
declare module "../native.js" {
  interface NeuronScans {
    adlifForward(o: CubaScanConfig & {
      x: View; alpha: View; beta: View; a: View; b: View; theta: View; vState: View; wState: View; s: View; v: View; w: View;
    }): void;
    adlifBackward(o: CubaScanConfig & {
      method: number; alpha: View; beta: View; a: View; b: View; theta: View; g: View; x: View; v: View; w: View; v0: View; w0: View;
      dx: View; dv0?: Opt; dw0?: Opt; dalpha?: Opt; dbeta?: Opt; da?: Opt; db?: Opt;
    }): void;
  }
}

export const ADLIF_PARAMS = ["alpha", "beta", "a", "b"] as const;
export type AdlifParam = (typeof ADLIF_PARAMS)[number];

export interface AdLIFOptions extends LayoutOption {
  /** Membrane decay α ∈ (0, 1), or tauMem (α = exp(−dt/τ)); default tauMem 20 steps. */
  alpha?: PerNeuron;
  tauMem?: PerNeuron;
  /** Adaptation decay β ∈ (0, 1), or tauAdapt (β = exp(−dt/τ)); default tauAdapt 150 steps. */
  beta?: PerNeuron;
  tauAdapt?: PerNeuron;
  /** Step length of tauMem and tauAdapt (default 1). */
  dt?: number;
  /** Subthreshold coupling a (default 0.5) and spike-triggered adaptation b (default 1). */
  a?: PerNeuron;
  b?: PerNeuron;
  /** Threshold θ > 0 (default 1). */
  threshold?: PerNeuron;
  /** "subtract" (v − θ·s, default) or "zero" (v·(1 − s)). */
  reset?: "subtract" | "zero";
  surrogate?: SurrogateOptions | SurrogateName;
  backward?: BackwardMethod;
  /** Parameters with a gradient: any of "alpha", "beta", "a", "b". */
  learn?: AdlifParam[];
  /** Carry (v, w) into the next forward; resetState() clears it. */
  stateful?: boolean;
  device?: DeviceLike;
}

const KNOWN = new Set(["alpha", "tauMem", "beta", "tauAdapt", "dt", "a", "b", "threshold", "reset", "surrogate", "backward", "learn", "stateful", "device"]);

export class AdLIF extends NeuronLayer {
  readonly surrogate: Surrogate;
  readonly reset: "subtract" | "zero";
  readonly learned: readonly AdlifParam[];
  readonly alpha: Tensor;
  readonly beta: Tensor;
  readonly a: Tensor;
  readonly b: Tensor;
  readonly threshold: Tensor;

  constructor(opts: AdLIFOptions = {}) {
    const L = "AdLIF";
    checkOptions(L, opts, KNOWN);
    const dt = opts.dt === undefined ? 1 : positive(`${L} dt`, opts.dt);
    // A decay from its value or time constant; the default is the time constant given.
    const decay = (value: PerNeuron | undefined, tau: PerNeuron | undefined, names: { value: string; tau: string }, tauDefault: number) =>
      value === undefined && tau === undefined
        ? Float32Array.of(Math.exp(-dt / tauDefault))
        : decayValues(L, { value, tau, dt: tau === undefined ? undefined : opts.dt }, names, undefined, true);
    const alpha = decay(opts.alpha, opts.tauMem, { value: "alpha", tau: "tauMem" }, 20);
    const beta = decay(opts.beta, opts.tauAdapt, { value: "beta", tau: "tauAdapt" }, 150);
    const a = paramValues(`${L} a`, opts.a ?? 0.5, finite);
    const b = paramValues(`${L} b`, opts.b ?? 1, finite);
    const theta = paramValues(`${L} threshold`, opts.threshold ?? 1, positive);
    const all = { alpha, beta, a, b, threshold: theta };
    const P = sharedLength(L, Object.entries(all));
    const learn = learnedParams(L, opts.learn, ADLIF_PARAMS);
    super(layerBase(L, opts, P, ["v", "w"]));
    this.surrogate = parseSurrogate(L, opts.surrogate);
    this.reset = oneOf(`${L} reset`, opts.reset, ["subtract", "zero"] as const, "subtract");
    this.learned = learn;
    this.alpha = this.addParam("alpha", alpha, learn.includes("alpha"));
    this.beta = this.addParam("beta", beta, learn.includes("beta"));
    this.a = this.addParam("a", a, learn.includes("a"));
    this.b = this.addParam("b", b, learn.includes("b"));
    this.threshold = this.addParam("threshold", theta, false);
  }

  private config(T: number, N: number): CubaScanConfig {
    return cubaScanConfig(this, T, N);
  }
  private params() {
    return { alpha: this.alpha, beta: this.beta, a: this.a, b: this.b, theta: this.threshold };
  }

  /** v, w and the input x [T, N]. */
  protected override savedPerNeuron(): number {
    return 3;
  }

  protected scanForward(x: Tensor, s: Tensor, state: Tensor[], T: number, N: number): Saved {
    const v = this.scratch("v", T, N), w = this.scratch("w", T, N);
    native().adlifForward({ ...this.config(T, N), ...this.params(), x, vState: state[0], wState: state[1], s, v, w });
    this.setMembrane(v, s.shape);
    // x for ∂α (∂v/∂α = v_post[t−1] − x[t] + w[t−1])
    return { v, w, x: retain(x) };
  }

  protected scanBackward(k: ScanBackward): void {
    const pg = k.paramGrads;
    native().adlifBackward({
      ...this.config(k.T, k.N), ...this.params(), method: codes().grad[this.backwardMethod as "exodus" | "slayer"], g: k.g,
      x: k.saved.x!, v: k.saved.v!, w: k.saved.w!, v0: k.init[0], w0: k.init[1], dx: k.dx, dv0: k.stateGrads[0], dw0: k.stateGrads[1],
      dalpha: pg.alpha, dbeta: pg.beta, da: pg.a, db: pg.b,
    });
  }

  /** The BPTT baseline: the recurrences above as per-step tape ops, independent of the scan. */
  protected tapeForward({ tape, T, xs, init, params, learn, outRows }: TapeInputs): TapeForward {
    const { alpha, beta, a, b, threshold } = params;
    const oneMinusAlpha = { v: tape.oneMinus(alpha.v), P: this.P }, oneMinusBeta = { v: tape.oneMinus(beta.v), P: this.P };
    let vprev = init[0];
    let w = init[1];
    const ss: Var[] = [], vs: Var[] = [];
    for (let t = 0; t < T; t++) {
      const v = tape.add(tape.mulParam(vprev, alpha, learn("alpha")), tape.mulParam(tape.sub(xs[t], w), oneMinusAlpha, learn("alpha")));
      vs.push(v);
      const s = tape.spike(v, this.threshold, this.surrogate, false, 0, outRows[t]);
      ss.push(s);
      vprev = this.reset === "subtract" ? tape.sub(v, tape.mulParam(s, threshold, false)) : tape.sub(v, tape.mul(v, s));
      const drive = tape.add(tape.mulParam(vprev, a, learn("a")), tape.mulParam(s, b, learn("b")));
      w = tape.add(tape.mulParam(w, beta, learn("beta")), tape.mulParam(drive, oneMinusBeta, learn("beta")));
    }
    return { outputs: ss, final: [vprev, w], membrane: vs };
  }

  override toNir(c: NirContext): never {
    refuse(c, "adLIF's adaptation current w (driven by a·v and b·s, feeding back into the membrane) has no NIR node (NIR 1.0 has LIF, CubaLIF, IF, LI, I without adaptation); train with neuron type lif or cubalif for an exportable network");
  }
}
