// Recurrent LIF layer (docs/neurons.md, Recurrent LIF): H neurons whose spikes feed back through a
// learnable H×H matrix V,
//   v[t] = α·v_post[t−1] + x[t] + V·s[t−1] (+ bias),  s[t] = H(v[t] − θ),  reset as LIF.
// forward(x [T, batch, H]) returns spikes of the same shape. The native scans run the recurrent
// product inside the loop over t (cpu/rlif.cc, gpu/rlif.cu); backward by
//   exodus  the exact adjoint scan, reset term included (one native call per layer);
//   slayer  the same scan without the reset term;
//   bptt    the per-step operations recorded on the tape (lib/nn/tape.ts), the independent reference.
import type { LayoutOption } from "./layer-layout.js";
import { type DeviceLike, parseDevice } from "../device.js";
import { type RlifScanConfig, codes, native } from "../native.js";
import * as ops from "../ops.js";
import { Rng } from "../random.js";
import { Tensor } from "../tensor.js";
import type { PerNeuron } from "./lif.js";
import { type Parameter, newParameter } from "./module.js";
import { NeuronLayer, type Saved, type ScanBackward, type TapeForward, type TapeInputs } from "./neuron.js";
import {
  type BackwardMethod, type Surrogate, type SurrogateName, type SurrogateOptions, checkBackward, checkOptions, decayValues, fail,
  oneOf, paramValues, parseSurrogate, positive,
} from "./options.js";
import type { Var } from "./tape.js";
import { type NirContext, type NirStep, lifNode, refuse } from "./nir.js";
import { recurrentSubgraph } from "../nir/recurrent.js";

// The addon's recurrent LIF bindings (generated from neurons.h's EXO_RLIF_FORWARD / _BACKWARD): w
// is V [P, P]; vState, sState [N] the (v, s) state in and out; s, v [T, N]; backward: dw [P, P]
// overwritten, dalpha, dbias [N] per neuron (summed over t).
declare module "../native.js" {
  interface NeuronScans {
    rlifForward(o: RlifScanConfig & { x: View; alpha: View; theta: View; m: View; bias?: Opt; w: View; vState: View; sState: View; s: View; v: View }): void;
    rlifBackward(o: RlifScanConfig & {
      method: number; alpha: View; theta: View; m: View; bias?: Opt; w: View; g: View; h?: Opt; v: View; v0: View; s0: View; dx: View;
      dv0?: Opt; ds0?: Opt; dalpha?: Opt; dbias?: Opt; dw: View;
    }): void;
  }
}

export interface RLIFOptions extends LayoutOption {
  /** The number of neurons H (the input's last dimension). */
  size: number;
  /** Decay α ∈ (0, 1] per step (shared, or one per neuron). Give this or tauMem. */
  alpha?: PerNeuron;
  /** Membrane time constant in steps: α = exp(−dt/τ). */
  tauMem?: PerNeuron;
  dt?: number;
  /** Threshold θ > 0 (default 1; shared or per neuron). */
  threshold?: PerNeuron;
  /** "subtract" (v − θ·s, default) or "zero" (v·(1 − s)). */
  reset?: "subtract" | "zero";
  /** A learnable bias added to v each step (default false). */
  bias?: boolean;
  /** Make α a parameter with a gradient. */
  learnAlpha?: boolean;
  /** V's initial values: uniform in ±initScale/√H (default 1), drawn from seed (default 0). */
  initScale?: number;
  seed?: number;
  /** Or an Rng to draw V from (a model builder's, so one seed sets every weight). */
  rng?: Rng;
  surrogate?: SurrogateOptions | SurrogateName;
  backward?: BackwardMethod;
  /** Carry (v_post[T−1], s[T−1]) into the next forward; resetState() clears it. */
  stateful?: boolean;
  device?: DeviceLike;
}

const KNOWN = new Set([
  "size", "alpha", "tauMem", "dt", "threshold", "reset", "bias", "learnAlpha", "initScale", "seed", "rng", "surrogate", "backward",
  "stateful", "device",
]);

export class RLIF extends NeuronLayer {
  readonly size: number;
  readonly surrogate: Surrogate;
  readonly reset: "subtract" | "zero";
  readonly hasBias: boolean;
  readonly learnAlpha: boolean;
  readonly alpha: Tensor;
  readonly threshold: Tensor;
  readonly resetAmount: Tensor;
  /** V [H, H]: V[i][j] weighs neuron j's spike at t−1 into neuron i at t. */
  readonly weight: Parameter;

  constructor(opts: RLIFOptions) {
    const L = "RLIF";
    checkOptions(L, opts, KNOWN);
    const H = opts.size;
    if (!Number.isInteger(H) || H < 1) fail(`${L} size`, "an integer >= 1 (the number of neurons)", H);
    const alpha = decayValues(L, { value: opts.alpha, tau: opts.tauMem, dt: opts.dt }, { value: "alpha", tau: "tauMem" }, 1);
    const theta = paramValues(`${L} threshold`, opts.threshold ?? 1, positive);
    for (const [k, a] of [["alpha", alpha], ["threshold", theta]] as const)
      if (a.length !== 1 && a.length !== H) fail(`${L} ${k}`, `one value or ${H} (one per neuron)`, `${a.length} values`);
    const device = parseDevice(opts.device);
    super({ layout: opts.layout, name: L, device, backward: checkBackward(L, opts.backward), stateful: flag(L, "stateful", opts.stateful), P: H, states: ["v", "s"] });
    this.size = H;
    this.surrogate = parseSurrogate(L, opts.surrogate);
    this.reset = oneOf(`${L} reset`, opts.reset, ["subtract", "zero"] as const, "subtract");
    this.hasBias = flag(L, "bias", opts.bias);
    this.learnAlpha = flag(L, "learnAlpha", opts.learnAlpha);
    this.alpha = this.addParam("alpha", alpha, this.learnAlpha);
    this.threshold = this.addParam("threshold", theta, false);
    this.resetAmount = this.addParam("m", theta, false);
    this.addParam("bias", Float32Array.of(0), this.hasBias);
    const scale = opts.initScale ?? 1;
    if (typeof scale !== "number" || !(scale > 0)) fail(`${L} initScale`, "a number > 0", scale);
    const bound = scale / Math.sqrt(H);
    this.weight = newParameter("weight", Tensor.uniform([H, H], opts.rng ?? new Rng(opts.seed ?? 0), { low: -bound, high: bound, device }));
  }

  override parameters(): Parameter[] {
    // The weight first, as a Linear's: state dicts name it "<i>.weight".
    return [this.weight, ...super.parameters()];
  }

  override describe(): string {
    return `RLIF(${this.size}, recurrent)`;
  }

  override reportedWeight(): { kind: string; param: Parameter } {
    return { kind: "RLIF", param: this.weight };
  }

  private config(T: number, N: number): RlifScanConfig {
    return { T, N, P: this.P, reset: codes().reset[this.reset], surrogate: this.surrogate.code, sgScale: this.surrogate.scale, sgWidth: this.surrogate.width };
  }

  private get bias(): Tensor | undefined {
    return this.hasBias ? this.param("bias") : undefined;
  }

  protected scanForward(x: Tensor, s: Tensor, state: Tensor[], T: number, N: number): Saved {
    const v = this.scratch("v", T, N);
    native().rlifForward({
      ...this.config(T, N), x, alpha: this.alpha, theta: this.threshold, m: this.resetAmount, bias: this.bias, w: this.weight.value,
      vState: state[0], sState: state[1], s, v,
    });
    this.setMembrane(v, s.shape);
    return { v };
  }

  protected scanBackward(b: ScanBackward): void {
    const dw = Tensor.empty([this.P, this.P], this.device);
    try {
      native().rlifBackward({
        ...this.config(b.T, b.N), method: codes().grad[this.backwardMethod as "exodus" | "slayer"], alpha: this.alpha,
        theta: this.threshold, m: this.resetAmount, bias: this.bias, w: this.weight.value, g: b.g, h: b.h, v: b.saved.v!,
        v0: b.init[0], s0: b.init[1], dx: b.dx, dv0: b.stateGrads[0], ds0: b.stateGrads[1], dalpha: b.paramGrads.alpha,
        dbias: b.paramGrads.bias, dw,
      });
      ops.add(this.weight.grad, dw, this.weight.grad);
    } finally {
      dw.dispose();
    }
  }

  /** The BPTT reference: per-step element ops and one [B, H]·Vᵀ product per step, on the tape. */
  protected tapeForward({ tape, T, N, xs, init, params, learn, outRows }: TapeInputs): TapeForward {
    const rows = N / this.P;
    const w = tape.leaf(this.weight.value, this.weight.grad);  // ∂V accumulates into the parameter's gradient
    let vprev = init[0];
    let sprev = init[1];
    const ss: Var[] = [], vs: Var[] = [];
    for (let t = 0; t < T; t++) {
      const leak = tape.mulParam(vprev, params.alpha, learn("alpha"));
      let v = tape.add(tape.add(leak, xs[t]), tape.linearRows(sprev, w, rows));
      if (this.hasBias) v = tape.addParam(v, params.bias, learn("bias"));
      vs.push(v);
      const st = tape.spike(v, this.threshold, this.surrogate, false, 0, outRows[t]);
      ss.push(st);
      vprev = this.reset === "subtract" ? tape.sub(v, tape.mulParam(st, params.m, false)) : tape.sub(v, tape.mul(v, st));
      sprev = st;
    }
    return { outputs: ss, final: [vprev, sprev], membrane: vs };
  }

  /** A NIR subgraph {input, lif, w_rec, output} with the feedback edge lif → w_rec → lif (lib/nir/recurrent.ts), as snnTorch writes RLeaky. */
  override toNir(c: NirContext): NirStep {
    if (c.shape.reduce((a, b) => a * b, 1) !== this.size) refuse(c, `samples of shape [${c.shape.join(", ")}] reach a layer of ${this.size} neurons`);
    const lif = lifNode({ ...c, shape: [this.size] }, {
      name: "RLIF", multiSpike: false, vMin: undefined, normInput: false, learnAlpha: this.learnAlpha, reset: this.reset, surrogate: this.surrogate,
      alpha: this.alpha.toArray(), threshold: this.threshold.toArray(), resetAmount: this.resetAmount.toArray(),
    });
    return { node: recurrentSubgraph(lif, this.size, this.weight.value.toArray(), this.bias?.toArray(), "RLIF"), shape: [...c.shape] };
  }

  override dispose(): void {
    super.dispose();
    this.weight.value.dispose();
    this.weight.grad.dispose();
  }

  override outputShape(s: readonly number[]): number[] {
    if (s[s.length - 1] !== this.size) fail("RLIF input", `features ending in ${this.size} (the layer's size)`, `[${s.join(", ")}]`);
    return [...s];
  }
}

function flag(L: string, k: string, v: unknown): boolean {
  if (v === undefined) return false;
  if (typeof v !== "boolean") fail(`${L} ${k}`, "true or false", v);
  return v;
}
