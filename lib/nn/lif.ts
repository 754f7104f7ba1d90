// LIF and IAF neuron layers (docs/neurons.md §1). forward(x [T, batch, …]) returns spikes of the same
// shape; backward(∂L/∂s) returns ∂L/∂x by the chosen method:
//   exodus  one exact reverse scan per neuron (native, O(T));
//   slayer  the same scan without the reset and clamp terms (ρ ≡ 1, c ≡ 1);
//   bptt    the per-step operations recorded on a tape and differentiated step by step.
import type { LayoutOption } from "./layer-layout.js";
import { type DeviceLike, parseDevice } from "../device.js";
import { type LifScanConfig, codes, native } from "../native.js";
import { Tensor, keep } from "../tensor.js";
import { retain } from "./module.js";
import type { FeedGrad, IndexFeed } from "./activation.js";
import { NeuronLayer, type PoolDropout, type Saved, type ScanBackward, type TapeForward, type TapeInputs } from "./neuron.js";
import {
  type BackwardMethod, type Surrogate, type SurrogateName, type SurrogateOptions, checkBackward, checkOptions, decayValues, fail, finite,
  oneOf, paramValues, parseSurrogate, positive,
} from "./options.js";
import type { Var } from "./tape.js";
import { type NirContext, type NirStep, checkTiles, lifNode } from "./nir.js";

export type PerNeuron = number | number[] | Float32Array;

export interface LIFOptions extends LayoutOption {
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

export class LIF extends NeuronLayer {
  readonly surrogate: Surrogate;
  readonly reset: "subtract" | "zero";
  readonly multiSpike: boolean;
  readonly maxSpikes: number;
  readonly vMin: number | undefined;
  readonly normInput: boolean;
  readonly learnAlpha: boolean;
  readonly recordV: boolean;
  /** α [P] (a parameter when learnAlpha). */
  readonly alpha: Tensor;
  readonly threshold: Tensor;
  readonly resetAmount: Tensor;

  constructor(opts: LIFOptions = {}, layerName = "LIF") {
    const L = layerName;
    checkOptions(L, opts, KNOWN);
    const { alpha, theta, m } = lifValues(L, opts);
    super({
      layout: opts.layout,
      name: L, device: parseDevice(opts.device), backward: checkBackward(L, opts.backward),
      stateful: opts.stateful === undefined ? false : bool(`${L} stateful`, opts.stateful), P: Math.max(alpha.length, theta.length),
      states: ["v"],
    });
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
    this.recordV = opts.recordV === undefined ? false : bool(`${L} recordV`, opts.recordV);

    if (this.reset === "zero" && opts.resetAmount !== undefined) fail(`${L} resetAmount`, `no value with reset "zero"`, opts.resetAmount);
    this.alpha = this.addParam("alpha", alpha, this.learnAlpha);
    this.threshold = this.addParam("threshold", theta, false);
    this.resetAmount = this.addParam("m", m, false);
  }

  private config(T: number, N: number): LifScanConfig {
    return {
      T, N, P: this.P, reset: codes().reset[this.reset], multiSpike: this.multiSpike, maxSpikes: this.maxSpikes,
      vMin: this.vMin, normInput: this.normInput, surrogate: this.surrogate.code, sgScale: this.surrogate.scale,
      sgWidth: this.surrogate.width,
    };
  }

  protected override readonly maskedForward = "lif_forward_masked" as const;
  protected override readonly scanWritesOverG = true;

  /** v [T, N], and the input too when a learned α scales it (normInput). */
  protected override savedPerNeuron(): number {
    return this.normInput && this.learnAlpha ? 2 : 1;
  }

  protected scanForward(x: Tensor, s: Tensor, state: Tensor[], T: number, N: number, mask?: Uint8Array): Saved {
    const v = this.scratch("v", T, N);
    native().lifForward({ ...this.config(T, N), x, alpha: this.alpha, theta: this.threshold, m: this.resetAmount, state: state[0], s, v, ...(mask ? { mask } : {}) });
    this.setMembrane(v, s.shape);
    return { v, x: this.normInput && this.learnAlpha ? retain(x) : undefined };
  }

  protected override readonly scanMembraneOnly = (x: Tensor, state: Tensor[], T: number, N: number, mask?: Uint8Array): Saved => {
    // no s: the scan keeps the spikes in a tile buffer; v = x, as it reads x[t, i] before it writes v[t, i] (cuda/cpu/lif.cc)
    native().lifForward({ ...this.config(T, N), x, alpha: this.alpha, theta: this.threshold, m: this.resetAmount, state: state[0], v: x, ...(mask ? { mask } : {}) });
    return { v: retain(x), x: undefined };
  };

  protected override readonly linearScan = (feed: IndexFeed, s: Tensor, state: Tensor[], T: number, N: number, mask?: Uint8Array): Saved => {
    const v = this.scratch("v", T, N);
    native().lifForwardLinear({
      ...this.config(T, N), ...feed.index.arrays("LIF forwardLinear"), w: feed.weight, outFeatures: feed.weight.shape[0], ...(feed.bias ? { bias: feed.bias } : {}),
      alpha: this.alpha, theta: this.threshold, m: this.resetAmount, state: state[0], s, v, ...(mask ? { mask } : {}),
    });
    this.setMembrane(v, feed.shape);
    return { v, x: undefined };
  };

  protected override readonly linearBackwardScan = (b: Omit<ScanBackward, "dx"> & { dx?: Tensor }, lin: FeedGrad): void => {
    native().lifBackwardLinear({
      ...this.carryArgs(),
      ...this.config(b.T, b.N), method: codes().grad[this.backwardMethod as "exodus" | "slayer"], alpha: this.alpha, theta: this.threshold,
      m: this.resetAmount, g: b.g, v: b.saved.v!, v0: b.init[0], dv0: b.stateGrads[0], dalpha: b.paramGrads.alpha,
      ...lin.index.arrays("LIF backwardLinear"), w: lin.weight, outFeatures: lin.weight.shape[0], dw: lin.weightGrad,
      ...(lin.biasGrad ? { db: lin.biasGrad } : {}), ...(b.dx ? { dx: b.dx } : {}),
    });
  };

  protected override readonly pool2Scan = (x: Tensor, y: Tensor, state: Tensor[], T: number, N: number, W: number, dropout?: PoolDropout) => {
    const v = this.scratch("v", T, N);
    const spikes = native().lifForward({
      ...this.config(T, N), x, alpha: this.alpha, theta: this.threshold, m: this.resetAmount, state: state[0], v, y, poolWidth: W,
      ...(dropout ? { dropoutP: dropout.p, dropoutSeed: dropout.seed } : {}),
    });
    this.setMembrane(v, [...y.shape.slice(0, -2), y.shape[y.rank - 2] * 2, y.shape[y.rank - 1] * 2]);
    return { saved: { v, x: this.normInput && this.learnAlpha ? retain(x) : undefined }, spikes };
  };

  /**
   * Set by TimeChunked (time-chunks.ts) around a chunk's backward: `in`, the adjoint λ of the first
   * step after the chunk (none for the last chunk); `out` receives λ of the chunk's first step.
   */
  adjointCarry: { in?: Tensor; out: Tensor } | undefined;

  /** The carried adjoint's arguments of a backward scan (none outside chunks of time). */
  private carryArgs(): { lamIn?: Tensor; lamOut?: Tensor } {
    const carry = this.adjointCarry;
    return carry ? { lamOut: carry.out, ...(carry.in ? { lamIn: carry.in } : {}) } : {};
  }

  protected scanBackward(b: ScanBackward): void {
    native().lifBackward({
      ...this.config(b.T, b.N), method: codes().grad[this.backwardMethod as "exodus" | "slayer"], alpha: this.alpha,
      theta: this.threshold, m: this.resetAmount, g: b.g, h: b.h, v: b.saved.v!, x: b.saved.x, v0: b.init[0], dx: b.dx,
      dv0: b.stateGrads[0], dalpha: b.paramGrads.alpha, ...(b.poolWidth ? { poolWidth: b.poolWidth } : {}),
      ...(b.poolDropout ? { dropoutP: b.poolDropout.p, dropoutSeed: b.poolDropout.seed } : {}),
      ...this.carryArgs(),
    });
  }

  /** A NIR LIF node, or IF when α = 1 (subtractive reset only as an approximation). */
  override toNir(c: NirContext): NirStep {
    checkTiles(c, this.P);
    const node = lifNode(c, {
      name: this.name, multiSpike: this.multiSpike, vMin: this.vMin, normInput: this.normInput, learnAlpha: this.learnAlpha, reset: this.reset,
      surrogate: this.surrogate, alpha: this.alpha.toArray(), threshold: this.threshold.toArray(), resetAmount: this.resetAmount.toArray(),
    });
    return { node, shape: [...c.shape] };
  }

  /** The BPTT baseline's forward: per-step element ops on [N] slices, recorded on a tape. */
  protected tapeForward({ tape, T, N, shape, xs, init, params, learn, outRows }: TapeInputs): TapeForward {
    const rec = this.recordV ? keep(Tensor.empty([T, N], this.device)) : undefined;
    const alpha = params.alpha;
    const oneMinusAlpha = this.normInput ? { v: tape.oneMinus(alpha.v), P: this.P } : undefined;
    let vprev = init[0];
    const ss: Var[] = [], vs: Var[] = [];
    for (let t = 0; t < T; t++) {
      const xt = xs[t];
      const leak = tape.mulParam(vprev, alpha, learn("alpha"));
      const input = oneMinusAlpha ? tape.mulParam(xt, oneMinusAlpha, learn("alpha")) : xt;
      const vpre = tape.add(leak, input);
      const v = this.vMin === undefined ? vpre : tape.clampMin(vpre, this.vMin);
      vs.push(v);
      if (rec) withAt(rec, t, (r) => r.copyFrom(v.value));
      const st = tape.spike(v, this.threshold, this.surrogate, this.multiSpike, this.maxSpikes, outRows[t]);
      ss.push(st);
      vprev = this.reset === "subtract" ? tape.sub(v, tape.mulParam(st, params.m, false)) : tape.sub(v, tape.mul(v, st));
    }
    if (rec) {
      this.setMembrane(rec, shape);
      rec.dispose();
    }
    return { outputs: ss, final: [vprev], membrane: vs };
  }
}

/** α, θ and the reset amount m of LIF options, validated. */
function lifValues(L: string, opts: LIFOptions): { alpha: Float32Array; theta: Float32Array; m: Float32Array } {
  // α from alpha or tauMem (exactly one; IAF passes alpha = 1).
  const alpha = decayValues(L, { value: opts.alpha, tau: opts.tauMem, dt: opts.dt }, { value: "alpha", tau: "tauMem" }, 1);
  const theta = paramValues(`${L} threshold`, opts.threshold ?? 1, positive);
  if (alpha.length > 1 && theta.length > 1 && alpha.length !== theta.length)
    fail(`${L} threshold`, `${alpha.length} values (as many as alpha) or one`, `${theta.length} values`);
  let m = theta;
  if (opts.resetAmount !== undefined) {
    const r = finite(`${L} resetAmount`, opts.resetAmount);
    if (r < 0) fail(`${L} resetAmount`, "a number >= 0", r);
    m = Float32Array.of(r);
  }
  return { alpha, theta, m };
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
