// ExpLeak synaptic filter (math.md §2): i[t] = β·i[t−1] + x[t], with learnable β. ExpLeak → LIF
// is a LIF with synaptic current. There is no spike, so "exodus" and "slayer" are the same exact
// scan; "bptt" differentiates the per-step ops on the tape.
import { type DeviceLike, type Device, parseDevice } from "../device.js";
import * as ops from "../ops.js";
import { Tensor, keep } from "../tensor.js";
import { noForward, sameShape, timeMajor } from "./common.js";
import { Module, type Parameter, newParameter } from "./module.js";
import { neuronNative } from "./native-neurons.js";
import { type BackwardMethod, checkBackward, fail, paramValues, positive } from "./options.js";
import { Tape, type Var, wireSteps } from "./tape.js";
import type { PerNeuron } from "./lif.js";

export interface ExpLeakOptions {
  /** Decay β ∈ (0, 1] (shared or per neuron). Give this or tauSyn. */
  beta?: PerNeuron;
  tauSyn?: PerNeuron;
  dt?: number;
  learnBeta?: boolean;
  stateful?: boolean;
  backward?: BackwardMethod;
  device?: DeviceLike;
}

const KNOWN = new Set(["beta", "tauSyn", "dt", "learnBeta", "stateful", "backward", "device"]);

interface Cache {
  T: number;
  N: number;
  shape: readonly number[];
  out?: Tensor;
  i0: Tensor;
  tape?: { tape: Tape; xs: Var[]; outs: Var[]; i0: Var; beta: Var; views: Tensor[] };
}

export class ExpLeak extends Module {
  readonly device: Device;
  readonly backwardMethod: BackwardMethod;
  readonly P: number;
  readonly beta: Tensor;
  readonly learnBeta: boolean;
  readonly stateful: boolean;
  private betaParam: Parameter | undefined;
  private cache: Cache | undefined;
  private _state: Tensor | undefined;

  constructor(opts: ExpLeakOptions = {}) {
    super();
    const L = "ExpLeak";
    if (typeof opts !== "object" || opts === null) fail(`${L} options`, "an object", opts);
    for (const k of Object.keys(opts)) if (!KNOWN.has(k)) fail(`${L} options`, `only known options (${[...KNOWN].join(", ")})`, k);
    this.device = parseDevice(opts.device);
    this.backwardMethod = checkBackward(L, opts.backward);
    if (opts.beta !== undefined && opts.tauSyn !== undefined) fail(`${L} options`, "either beta or tauSyn, not both", "both");
    let beta: Float32Array;
    if (opts.tauSyn !== undefined) {
      const dt = opts.dt === undefined ? 1 : positive(`${L} dt`, opts.dt);
      beta = paramValues(`${L} tauSyn`, opts.tauSyn, positive).map((tau) => Math.exp(-dt / tau));
    } else {
      if (opts.beta === undefined) fail(`${L} options`, "beta or tauSyn", undefined);
      beta = paramValues(`${L} beta`, opts.beta, (w, b) => {
        if (!(b > 0 && b <= 1)) fail(w, "a decay in (0, 1]", b);
      });
    }
    this.P = beta.length;
    this.beta = keep(Tensor.from(beta, [this.P], this.device));
    this.learnBeta = !!opts.learnBeta;
    this.stateful = !!opts.stateful;
    if (this.learnBeta) this.betaParam = newParameter("beta", this.beta);
  }

  override parameters(): Parameter[] {
    return this.betaParam ? [this.betaParam] : [];
  }

  get state(): Tensor | undefined {
    return this._state;
  }
  resetState(): void {
    this._state?.dispose();
    this._state = undefined;
  }
  setState(i0: Tensor): void {
    this.resetState();
    this._state = keep(i0.clone());
  }

  private releaseCache(): void {
    const c = this.cache;
    if (!c) return;
    c.out?.dispose();
    c.i0.dispose();
    if (c.tape) {
      c.tape.tape.dispose();
      for (const v of c.tape.views) v.dispose();
    }
    this.cache = undefined;
  }

  forward(x: Tensor): Tensor {
    const { T, N } = timeMajor("ExpLeak", x, this.device, this.P);
    this.releaseCache();
    const i0 = keep(this._state && this._state.size === N ? this._state.clone() : Tensor.zeros([N], this.device));
    if (!this.stateful) this.resetState();
    const out = Tensor.empty(x.shape, this.device);
    const state = Tensor.empty([N], this.device);
    const x2 = x.reshape([T, N]);
    const o2 = out.reshape([T, N]);
    try {
      if (this.backwardMethod === "bptt") {
        const tape = new Tape();
        const views: Tensor[] = [];
        const beta = tape.leaf(this.beta);
        const i0v = tape.leaf(i0);
        let prev = i0v;
        const xs: Var[] = [], outs: Var[] = [];
        for (let t = 0; t < T; t++) {
          const xt = tape.leaf(x2.at(t));
          views.push(xt.value);
          xs.push(xt);
          prev = tape.add(tape.mulParam(prev, { v: beta, P: this.P }, this.learnBeta), xt);
          outs.push(prev);
          const ot = o2.at(t);
          ot.copyFrom(prev.value);
          ot.dispose();
        }
        state.copyFrom(prev.value);
        this.cache = { T, N, shape: x.shape, i0, tape: { tape, xs, outs, i0: i0v, beta, views } };
      } else {
        state.copyFrom(i0);
        neuronNative().expleakForward({ T, N, P: this.P }, this.beta.handle, this.beta.offset, x2.handle, x2.offset,
          state.handle, state.offset, out.handle, out.offset);
        this.cache = { T, N, shape: x.shape, i0, out: keep(out.reshape([T, N])) };
      }
    } finally {
      x2.dispose();
      o2.dispose();
    }
    if (this.stateful) {
      this._state?.dispose();
      this._state = keep(state);
    } else state.dispose();
    return out;
  }

  backward(dy: Tensor): Tensor {
    const c = this.cache;
    if (!c) noForward("ExpLeak");
    sameShape("ExpLeak backward dy", dy, c.shape);
    const { T, N } = c;
    const dx = Tensor.empty(c.shape, this.device);
    const g = dy.reshape([T, N]);
    try {
      if (c.tape) {
        const run = c.tape;
        ops.fill(dx, 0);
        const dx2 = dx.reshape([T, N]);
        const sinks = wireSteps(run.tape, run.xs, run.outs, dx2, g);
        const dbeta = this.learnBeta ? Tensor.zeros([this.P], this.device) : null;
        if (dbeta) run.beta.sink = dbeta;
        run.tape.backward();
        if (dbeta) {
          ops.add(this.betaParam!.grad, dbeta, this.betaParam!.grad);
          dbeta.dispose();
        }
        for (const s of sinks) s.dispose();
        dx2.dispose();
      } else {
        const dbeta = this.learnBeta ? Tensor.empty([N], this.device) : null;
        neuronNative().expleakBackward({ T, N, P: this.P }, this.beta.handle, this.beta.offset, g.handle, g.offset,
          c.out!.handle, c.out!.offset, c.i0.handle, c.i0.offset, dx.handle, dx.offset, null, 0,
          dbeta ? dbeta.handle : null, dbeta?.offset ?? 0);
        if (dbeta) {
          const rows = dbeta.reshape([N / this.P, this.P]);
          const summed = ops.sum(rows, 0);
          ops.add(this.betaParam!.grad, summed, this.betaParam!.grad);
          for (const t of [summed, rows, dbeta]) t.dispose();
        }
      }
    } finally {
      g.dispose();
    }
    return dx;
  }

  override dispose(): void {
    this.releaseCache();
    this.resetState();
    this.betaParam?.grad.dispose();
    this.beta.dispose();
  }
}
