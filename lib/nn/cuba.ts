// Current-based LIF (CubaLIF; snnTorch's Synaptic, NIR's CubaLIF; docs/neurons.md §7): a synaptic
// current filters the input and drives the membrane of the same step,
//   i[t] = α_s·i[t−1] + x[t],  v[t] = α·v_post[t−1] + i[t],  s[t] = 1[v[t] ≥ θ],
// then the reset (subtract θ, or to zero), as LIF. Backward "exodus" is the exact reverse scan
// with two adjoints (∂L/∂v, ∂L/∂i); "slayer" drops the reset's term; "bptt" differentiates the
// per-step ops on the tape. α and α_s can be learned (per neuron). Streaming state (v, i).
import type { DeviceLike } from "../device.js";
import type { LayoutOption } from "./layer-layout.js";
import { type CubaScanConfig, codes, native } from "../native.js";
import type { Tensor } from "../tensor.js";
import type { PerNeuron } from "./lif.js";
import { NeuronLayer, type Saved, type ScanBackward, type TapeForward, type TapeInputs } from "./neuron.js";
import { type NirContext, type NirStep, checkTiles, lifNode, refuse } from "./nir.js";
import { tauFromDecay } from "../nir/convention.js";
import { type NirDict, f64 } from "../nir/hdf5.js";
import {
  type BackwardMethod, type Surrogate, type SurrogateName, type SurrogateOptions, checkOptions, decayValues, fail, layerBase, oneOf, paramValues, parseSurrogate, positive, learnedParams, sharedLength,
} from "./options.js";
import type { Var } from "./tape.js";

// The addon's CubaLIF bindings (generated from neurons.h's EXO_CUBA_FORWARD / EXO_CUBA_BACKWARD):
// vState, iState [N] the (v, i) state in and out; s, v, i [T, N].
declare module "../native.js" {
  interface NeuronScans {
    cubaForward(o: CubaScanConfig & {
      x: View; alphaSyn: View; alpha: View; theta: View; vState: View; iState: View; s: View; v: View; i: View;
    }): void;
    cubaBackward(o: CubaScanConfig & {
      method: number; alphaSyn: View; alpha: View; theta: View; g: View; v: View; i: View; v0: View; i0: View; dx: View;
      dv0?: Opt; di0?: Opt; dalphaSyn?: Opt; dalpha?: Opt;
    }): void;
  }
}

export const CUBA_PARAMS = ["alpha", "alphaSyn"] as const;
export type CubaParam = (typeof CUBA_PARAMS)[number];

export interface CubaLIFOptions extends LayoutOption {
  /** Synaptic decay α_s ∈ (0, 1], or tauSyn (α_s = exp(−dt/τ)); one of the two is required. */
  alphaSyn?: PerNeuron;
  tauSyn?: PerNeuron;
  /** Membrane decay α ∈ (0, 1] (default 1), or tauMem (α = exp(−dt/τ)). */
  alpha?: PerNeuron;
  tauMem?: PerNeuron;
  /** Step length of tauSyn and tauMem (default 1). */
  dt?: number;
  /** Threshold θ > 0 (default 1; shared or per neuron). */
  threshold?: PerNeuron;
  /** "subtract" (v − θ·s, default) or "zero" (v·(1 − s)). */
  reset?: "subtract" | "zero";
  surrogate?: SurrogateOptions | SurrogateName;
  backward?: BackwardMethod;
  /** Parameters with a gradient: any of "alpha", "alphaSyn". */
  learn?: CubaParam[];
  /** Carry (v, i) into the next forward; resetState() clears it. */
  stateful?: boolean;
  device?: DeviceLike;
}

const KNOWN = new Set(["alphaSyn", "tauSyn", "alpha", "tauMem", "dt", "threshold", "reset", "surrogate", "backward", "learn", "stateful", "device"]);

/** The scan config CubaLIF and adLIF send (LIF's reset and surrogate, native.ts CubaScanConfig). */
export function cubaScanConfig(l: { P: number; reset: "subtract" | "zero"; surrogate: Surrogate }, T: number, N: number): CubaScanConfig {
  return { T, N, P: l.P, reset: codes().reset[l.reset], surrogate: l.surrogate.code, sgScale: l.surrogate.scale, sgWidth: l.surrogate.width };
}

export class CubaLIF extends NeuronLayer {
  readonly surrogate: Surrogate;
  readonly reset: "subtract" | "zero";
  readonly learned: readonly CubaParam[];
  readonly alphaSyn: Tensor;
  readonly alpha: Tensor;
  readonly threshold: Tensor;

  constructor(opts: CubaLIFOptions = {}) {
    const L = "CubaLIF";
    checkOptions(L, opts, KNOWN);
    // dt belongs to whichever time constants are given.
    if (opts.dt !== undefined && opts.tauSyn === undefined && opts.tauMem === undefined) fail(`${L} dt`, "no value unless tauSyn or tauMem is given", opts.dt);
    const dtOf = (tau: unknown) => (tau === undefined ? undefined : opts.dt);
    const alphaSyn = decayValues(L, { value: opts.alphaSyn, tau: opts.tauSyn, dt: dtOf(opts.tauSyn) }, { value: "alphaSyn", tau: "tauSyn" }, undefined);
    const alpha = decayValues(L, { value: opts.alpha, tau: opts.tauMem, dt: dtOf(opts.tauMem) }, { value: "alpha", tau: "tauMem" }, 1);
    const theta = paramValues(`${L} threshold`, opts.threshold ?? 1, positive);
    const P = sharedLength(L, [["alphaSyn", alphaSyn], ["alpha", alpha], ["threshold", theta]]);
    const learn = learnedParams(L, opts.learn, CUBA_PARAMS);
    super(layerBase(L, opts, P, ["v", "i"]));
    this.surrogate = parseSurrogate(L, opts.surrogate);
    this.reset = oneOf(`${L} reset`, opts.reset, ["subtract", "zero"] as const, "subtract");
    this.learned = learn;
    this.alphaSyn = this.addParam("alphaSyn", alphaSyn, learn.includes("alphaSyn"));
    this.alpha = this.addParam("alpha", alpha, learn.includes("alpha"));
    this.threshold = this.addParam("threshold", theta, false);
  }

  private config(T: number, N: number): CubaScanConfig {
    return cubaScanConfig(this, T, N);
  }
  private params() {
    return { alphaSyn: this.alphaSyn, alpha: this.alpha, theta: this.threshold };
  }

  /** v, i [T, N]. */
  protected override savedPerNeuron(): number {
    return 2;
  }

  protected scanForward(x: Tensor, s: Tensor, state: Tensor[], T: number, N: number): Saved {
    const v = this.scratch("v", T, N), i = this.scratch("i", T, N);
    native().cubaForward({ ...this.config(T, N), ...this.params(), x, vState: state[0], iState: state[1], s, v, i });
    this.setMembrane(v, s.shape);
    return { v, i };
  }

  protected scanBackward(k: ScanBackward): void {
    const pg = k.paramGrads;
    native().cubaBackward({
      ...this.config(k.T, k.N), ...this.params(), method: codes().grad[this.backwardMethod as "exodus" | "slayer"], g: k.g,
      v: k.saved.v!, i: k.saved.i!, v0: k.init[0], i0: k.init[1], dx: k.dx, dv0: k.stateGrads[0], di0: k.stateGrads[1],
      dalphaSyn: pg.alphaSyn, dalpha: pg.alpha,
    });
  }

  override toNir(c: NirContext): NirStep {
    checkTiles(c, this.P);
    return { node: cubaNode(c, this), shape: [...c.shape] };
  }

  /** The BPTT baseline: the recurrences above as per-step tape ops, independent of the scan. */
  protected tapeForward({ tape, T, xs, init, params, learn, outRows }: TapeInputs): TapeForward {
    const { alpha, alphaSyn } = params;
    let vprev = init[0];
    let cur = init[1];
    const ss: Var[] = [], vs: Var[] = [];
    for (let t = 0; t < T; t++) {
      cur = tape.add(tape.mulParam(cur, alphaSyn, learn("alphaSyn")), xs[t]);
      const v = tape.add(tape.mulParam(vprev, alpha, learn("alpha")), cur);
      vs.push(v);
      const s = tape.spike(v, this.threshold, this.surrogate, false, 0, outRows[t]);
      ss.push(s);
      vprev = this.reset === "subtract" ? tape.sub(v, tape.mulParam(s, params.threshold, false)) : tape.sub(v, tape.mul(v, s));
    }
    return { outputs: ss, final: [vprev, cur], membrane: vs };
  }
}

/** What a CubaLIF (or a recurrent CubaLIF's neuron) tells its NIR node. */
export interface CubaNirFields {
  name: string;
  alpha: Tensor;
  alphaSyn: Tensor;
  threshold: Tensor;
  learned: readonly string[];
  reset: "subtract" | "zero";
  surrogate: Surrogate;
}

/**
 * A NIR CubaLIF node: τ_syn and τ_mem from the decays, and w_in = 1/(1 − α_s), r = 1/(1 − α)
 * so that both Euler gains are 1 (exodus's current adds x[t] and its membrane adds i[t]
 * unscaled). The reset follows LIF's rules (subtract only under approximateReset).
 */
export function cubaNode(c: NirContext, l: CubaNirFields): NirDict {
  const alpha = l.alpha.toArray(), alphaSyn = l.alphaSyn.toArray();
  if (!alpha.some((a) => a !== 1) || alphaSyn.some((a) => a === 1))
    refuse(c, "α = 1 or α_s = 1 (no leak) has no CubaLIF time constant; use decays below 1");
  const theta = l.threshold.toArray();
  const lif = lifNode(c, {
    name: l.name, multiSpike: false, vMin: undefined, normInput: false, learnAlpha: l.learned.includes("alpha"), reset: l.reset,
    surrogate: l.surrogate, alpha, threshold: theta, resetAmount: theta,
  });
  const shape = [...c.shape];
  const n = shape.reduce((a, b) => a * b, 1);
  const tiled = (v: Float32Array, f: (x: number) => number) => f64(Float64Array.from({ length: n }, (_, k) => f(v[k % v.length])), shape);
  const { type: _t, tau, ...rest } = lif as Record<string, unknown>;
  const meta = { ...(lif.metadata as Record<string, unknown>), exodus_layer: "CubaLIF", exodus_learn_alpha_syn: l.learned.includes("alphaSyn") ? 1 : 0 };
  return { type: "CubaLIF", tau_syn: tiled(alphaSyn, (a) => tauFromDecay(a, c.dt)), tau_mem: tau, ...rest, w_in: tiled(alphaSyn, (a) => 1 / (1 - a)), metadata: meta } as NirDict;
}
