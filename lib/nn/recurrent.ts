// The recurrent forms of CubaLIF, ALIF and adLIF (docs/neurons.md, Recurrent layers): H neurons of the
// model whose spikes feed back through a learnable H×H matrix V into the model's input,
//   u[t] = x[t] + V·s[t−1] (+ bias),
// u entering where the feed-forward model takes x (CubaLIF: the synaptic current; ALIF, adLIF: the
// membrane input). One native scan per layer runs the recurrent product inside its loop over t
// (exodus/recurrent.h: one driver for the three models); backward by
//   exodus  the exact adjoint scan, reset terms included (one native call per layer);
//   slayer  the same scan without the reset terms;
//   bptt    the per-step operations recorded on the tape (lib/nn/tape.ts), the independent reference.
// A subclass names its feed-forward model (which validates the model's options) and records one
// step of it on the tape. RLIF (rlif.ts) keeps its own speed-tuned scans.
import { codes, native } from "../native.js";
import * as ops from "../ops.js";
import { Rng } from "../random.js";
import { Tensor } from "../tensor.js";
import { type Parameter, newParameter } from "./module.js";
import { NeuronLayer, type Saved, type ScanBackward, type TapeForward, type TapeInputs } from "./neuron.js";
import { type Surrogate, fail } from "./options.js";
import type { ParamVar, Tape, Var } from "./tape.js";
import { type NirContext, type NirStep, refuse } from "./nir.js";

/** The options a recurrent layer adds to its feed-forward model's. */
export interface RecurrentOptions {
  /** The number of neurons H (the input's last dimension). */
  size: number;
  /** A learnable bias added to the input u each step (default false). */
  bias?: boolean;
  /** V's initial values: uniform in ±initScale/√H (default 1), drawn from seed (default 0). */
  initScale?: number;
  seed?: number;
  /** Or an Rng to draw V from (a model builder's, so one seed sets every weight). */
  rng?: import("../random.js").Rng;
}
const OWN = ["size", "bias", "initScale", "seed", "rng"] as const;

/** The feed-forward layer a recurrent one is built from: its validated settings and parameters. */
export interface FeedForward {
  readonly P: number;
  readonly surrogate: Surrogate;
  readonly backwardMethod: "exodus" | "slayer" | "bptt";
  readonly stateful: boolean;
  readonly learned: readonly string[];
  readonly reset?: "subtract" | "zero";
  parameters(): Parameter[];
  dispose(): void;
}

/** One model: its native code, second state, and parameters as [layer name, scan name, gradient name]. */
export interface RecurrentModel {
  code: 0 | 1 | 2;
  state: string;
  params: readonly (readonly [string, string, string | null])[];
  /** Whether the backward reads u[t] (adLIF's ∂α). */
  saveU: boolean;
}

/** One recorded step: the spikes, the pre-reset membrane and the states after it. */
export interface TapeStep {
  s: Var;
  v: Var;
  state: [Var, Var];
}

/** Splits a recurrent layer's options into its own and its feed-forward model's. */
export function splitOptions<O extends RecurrentOptions>(L: string, opts: O): { own: RecurrentOptions; model: Omit<O, keyof RecurrentOptions> } {
  if (typeof opts !== "object" || opts === null) fail(`${L} options`, "an object", opts);
  const model: Record<string, unknown> = { ...(opts as object) };
  const own: Record<string, unknown> = {};
  for (const k of OWN) {
    if (k in model) own[k] = model[k];
    delete model[k];
  }
  return { own: own as unknown as RecurrentOptions, model: model as Omit<O, keyof RecurrentOptions> };
}

export abstract class RecurrentLayer extends NeuronLayer {
  readonly size: number;
  readonly surrogate: Surrogate;
  readonly reset: "subtract" | "zero";
  readonly hasBias: boolean;
  readonly learned: readonly string[];
  /** V [H, H]: V[i][j] weighs neuron j's spike at t−1 into neuron i at t. */
  readonly weight: Parameter;
  private readonly model: RecurrentModel;

  /** ff: the feed-forward layer of the model's options (read, then disposed); values: its parameters by name. */
  protected constructor(L: string, own: RecurrentOptions, ff: FeedForward, values: Record<string, Tensor>, model: RecurrentModel) {
    const H = own.size;
    if (!Number.isInteger(H) || H < 1) fail(`${L} size`, "an integer >= 1 (the number of neurons)", H);
    if (ff.P !== 1 && ff.P !== H) fail(`${L} parameters`, `one value or ${H} (one per neuron) each`, `${ff.P} values`);
    const first = Object.values(values)[0];
    super({ name: L, device: first.device, backward: ff.backwardMethod, stateful: ff.stateful, P: H, states: ["v", model.state, "s"] });
    this.size = H;
    this.surrogate = ff.surrogate;
    this.reset = ff.reset ?? "subtract";
    this.learned = ff.learned;
    this.model = model;
    for (const [name] of model.params) this.addParam(name, values[name].toArray(), ff.learned.includes(name));
    ff.dispose();
    if (own.bias !== undefined && typeof own.bias !== "boolean") fail(`${L} bias`, "true or false", own.bias);
    this.hasBias = own.bias ?? false;
    this.addParam("bias", Float32Array.of(0), this.hasBias);
    const scale = own.initScale ?? 1;
    if (typeof scale !== "number" || !(scale > 0)) fail(`${L} initScale`, "a number > 0", scale);
    if (own.seed !== undefined && !Number.isInteger(own.seed)) fail(`${L} seed`, "an integer", own.seed);
    const bound = scale / Math.sqrt(H);
    this.weight = newParameter("weight", Tensor.uniform([H, H], own.rng ?? new Rng(own.seed ?? 0), { low: -bound, high: bound, device: this.device }));
  }

  override parameters(): Parameter[] {
    // The weight first, as a Linear's (and RLIF's): state dicts name it "<i>.weight".
    return [this.weight, ...super.parameters()];
  }

  override describe(): string {
    return `${this.name}(${this.size}, recurrent)`;
  }

  override reportedWeight(): { kind: string; param: Parameter } {
    return { kind: this.name, param: this.weight };
  }

  private config(T: number, N: number) {
    const s = this.surrogate;
    return { T, N, P: this.P, model: this.model.code, reset: codes().reset[this.reset], surrogate: s.code, sgScale: s.scale, sgWidth: s.width };
  }

  /** The model's parameters by their scan names, the bias and V. */
  private scanParams(): Record<string, Tensor | undefined> & { w: Tensor } {
    const p: Record<string, Tensor | undefined> & { w: Tensor } = { w: this.weight.value, bias: this.hasBias ? this.param("bias") : undefined };
    for (const [name, scan] of this.model.params) p[scan] = this.param(name);
    return p;
  }

  protected scanForward(x: Tensor, s: Tensor, state: Tensor[], T: number, N: number): Saved {
    const v = this.scratch("v", T, N), aux = this.scratch("aux", T, N), u = this.model.saveU ? this.scratch("u", T, N) : undefined;
    native().recurrentForward({
      ...this.config(T, N), ...this.scanParams(), x, vState: state[0], aState: state[1], sState: state[2], s, v, aux, u,
    });
    this.setMembrane(v, s.shape);
    return { v, aux, u };
  }

  protected scanBackward(b: ScanBackward): void {
    const dw = Tensor.empty([this.P, this.P], this.device);
    const grads: Record<string, Tensor | null | undefined> = { dbias: b.paramGrads.bias };
    for (const [name, , grad] of this.model.params) if (grad) grads[grad] = b.paramGrads[name];
    try {
      native().recurrentBackward({
        ...this.config(b.T, b.N), ...this.scanParams(), ...grads, method: codes().grad[this.backwardMethod as "exodus" | "slayer"],
        g: b.g, h: b.h, v: b.saved.v!, aux: b.saved.aux!, u: b.saved.u, v0: b.init[0], a0: b.init[1], s0: b.init[2], dx: b.dx,
        dv0: b.stateGrads[0], da0: b.stateGrads[1], ds0: b.stateGrads[2], dw,
      });
      ops.add(this.weight.grad, dw, this.weight.grad);
    } finally {
      dw.dispose();
    }
  }

  /** One step of the model on the tape from the states before it and the input u[t]. */
  /** NIR has recurrent LIF and CubaLIF (subgraphs, written by RLIF and RCubaLIF); other models have no node. */
  override toNir(c: NirContext): NirStep {
    refuse(c, "its neuron model has no NIR node (NIR 1.0 has LIF, CubaLIF, IF, LI, I; no adaptation); recurrent LIF (RLIF) and CubaLIF (RCubaLIF) export as NIR subgraphs");
  }

  protected abstract tapeStep(tape: Tape, state: [Var, Var], u: Var, params: Record<string, ParamVar>, learn: (n: string) => boolean, out: Tensor): TapeStep;

  /** The BPTT reference: the model's per-step ops and one [B, H]·Vᵀ product per step, on the tape. */
  protected tapeForward({ tape, T, N, xs, init, params, learn, outRows }: TapeInputs): TapeForward {
    const rows = N / this.P;
    const w = tape.leaf(this.weight.value, this.weight.grad);  // ∂V accumulates into the parameter's gradient
    let state: [Var, Var] = [init[0], init[1]];
    let sprev = init[2];
    const ss: Var[] = [], vs: Var[] = [];
    for (let t = 0; t < T; t++) {
      let u = tape.add(xs[t], tape.linearRows(sprev, w, rows));
      if (this.hasBias) u = tape.addParam(u, params.bias, learn("bias"));
      const r = this.tapeStep(tape, state, u, params, learn, outRows[t]);
      ss.push(r.s);
      vs.push(r.v);
      state = r.state;
      sprev = r.s;
    }
    return { outputs: ss, final: [state[0], state[1], sprev], membrane: vs };
  }

  override dispose(): void {
    super.dispose();
    this.weight.value.dispose();
    this.weight.grad.dispose();
  }

  override outputShape(s: readonly number[]): number[] {
    if (s[s.length - 1] !== this.size) fail(`${this.name} input`, `features ending in ${this.size} (the layer's size)`, `[${s.join(", ")}]`);
    return [...s];
  }
}
