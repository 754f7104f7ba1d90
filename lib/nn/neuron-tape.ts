// The BPTT baseline's tape for a neuron layer (NeuronLayer with backward "bptt"): recording the
// forward from a subclass's per-step ops, and the backward through it into ∂x, the state and the
// learnable parameters' gradients. The tape is single use: the backward frees it.
import type { Device } from "../device.js";
import * as ops from "../ops.js";
import { Tensor } from "../tensor.js";
import type { Parameter } from "./module.js";
import type { TapeForward, TapeInputs } from "./neuron-contracts.js";
import { type ParamVar, Tape, type Var, wireSteps } from "./tape.js";

export interface TapeRun {
  tape: Tape;
  xs: Var[];
  init: Var[];
  params: Record<string, ParamVar>;
  fwd: TapeForward;
  views: Tensor[];
}

/** The layer's side of a recording: its parameter values [P] by name, which are learnable, and its per-step forward. */
export interface TapeLayer {
  values: ReadonlyMap<string, Tensor>;
  P: number;
  learns: (name: string) => boolean;
  forward: (i: TapeInputs) => TapeForward;
}

/** Records the forward of x2 [T, N] into y from the initial states `init`. */
export function recordTape(x2: Tensor, y: Tensor, init: Tensor[], T: number, N: number, layer: TapeLayer): TapeRun {
  const tape = new Tape();
  const views: Tensor[] = [];
  const view = (t: Tensor) => {
    views.push(t);
    return t;
  };
  const y2 = view(y.reshape([T, N]));
  const xs: Var[] = [];
  const outRows: Tensor[] = [];
  for (let t = 0; t < T; t++) {
    xs.push(tape.leaf(view(x2.at(t))));
    outRows.push(view(y2.at(t)));
  }
  const params: Record<string, ParamVar> = {};
  for (const [k, v] of layer.values) params[k] = { v: tape.leaf(v), P: layer.P };
  const initVars = init.map((t) => tape.leaf(t));
  try {
    const fwd = layer.forward({ tape, T, N, shape: y.shape, xs, init: initVars, params, learn: layer.learns, outRows, view });
    return { tape, xs, init: initVars, params, fwd, views };
  } catch (e) {
    disposeTape({ tape, views } as TapeRun);
    throw e;
  }
}

/**
 * The backward through a recorded run: g = ∂L/∂output [T, N] (h = ∂L/∂membrane, when the loss reads
 * it) → dx, the state gradients (into stateGrads) and the learnable parameters' (added to their
 * Parameter's grad). Frees the tape.
 */
export function backwardTape(run: TapeRun, o: { T: number; N: number; g: Tensor; h?: Tensor; dx: Tensor; stateGrads: Tensor[]; P: number; device: Device; learnable: ReadonlyMap<string, Parameter> }): void {
  ops.fill(o.dx, 0);
  const dx2 = o.dx.reshape([o.T, o.N]);
  const sinks = wireSteps(run.tape, run.xs, run.fwd.outputs, dx2, o.g);
  const paramSinks: [string, Tensor][] = [];
  try {
    if (o.h && run.fwd.membrane)
      for (let t = 0; t < o.T; t++) {
        const ht = o.h.at(t);
        run.tape.seed(run.fwd.membrane[t], ht);
        ht.dispose();
      }
    run.init.forEach((v, i) => (v.sink = o.stateGrads[i]));
    for (const [k, pv] of Object.entries(run.params))
      if (o.learnable.has(k)) {
        const sink = Tensor.zeros([o.P], o.device);
        pv.v.sink = sink;
        paramSinks.push([k, sink]);
      }
    run.tape.backward();
    for (const [k, sink] of paramSinks) {
      const p = o.learnable.get(k)!;
      ops.add(p.grad, sink, p.grad);
    }
  } finally {
    for (const t of sinks) t.dispose();
    for (const [, t] of paramSinks) t.dispose();
    dx2.dispose();
    disposeTape(run);
  }
}

export function disposeTape(run: TapeRun): void {
  run.tape.dispose();
  for (const v of run.views) v.dispose();
  run.views = [];
}
