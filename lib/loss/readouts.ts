// Readouts over time as differentiable tape ops: the network's output y [T, B, C] (time-major)
// becomes per-sample scores [B, C] by a sum, a mean, a max or the last step, optionally after a
// leaky membrane that integrates y (a non-spiking LI readout neuron, v[t] = α·v[t−1] + y[t]).
// Device ops only, so they run wherever y lives.
import { ShapeError, shapeStr } from "../errors.js";
import { native } from "../native.js";
import * as ops from "../ops.js";
import { Tensor } from "../tensor.js";
import { type LossVar, tapeOf } from "./tape.js";

export type TimeReadout = "sum" | "mean" | "max" | "last";
export const TIME_READOUTS: readonly TimeReadout[] = ["sum", "mean", "max", "last"];

function timeMajor(op: string, y: LossVar): number {
  if (y.value.rank < 2 || y.value.shape[0] === 0)
    throw new ShapeError(`${op}: expected a time-major output [T, B, …] with T >= 1, received ${shapeStr(y.value.shape)}`);
  return y.value.shape[0];
}

/** Σ_t y[t]: every step receives the full gradient. */
export function sumOverTime(y: LossVar): LossVar {
  const tape = tapeOf(y);
  return tape.tensor(ops.sum(y.value, 0), (g) => tape.accumulate(y, broadcastTime(g, y.value, 1)));
}

/** (1/T)·Σ_t y[t]. */
export function meanOverTime(y: LossVar): LossVar {
  const tape = tapeOf(y);
  const T = timeMajor("meanOverTime", y);
  return tape.tensor(ops.mean(y.value, 0), (g) => tape.accumulate(y, broadcastTime(g, y.value, 1 / T)));
}

/** max_t y[t]; the gradient goes to the step that attained it (the first one on ties). */
export function maxOverTime(y: LossVar): LossVar {
  const tape = tapeOf(y);
  const T = timeMajor("maxOverTime", y);
  const arg = ops.argmax(y.value, 0);
  tape.tensor(arg, () => {}); // owned by the tape, freed with it
  return tape.tensor(ops.max(y.value, 0), (g) => {
    const dy = Tensor.empty(y.value.shape, y.value.device);
    native().maxTimeBackward({ arg, g, dy, T, n: arg.size });
    tape.accumulate(y, dy);
  });
}

/** y[T − 1]. */
export function lastStep(y: LossVar): LossVar {
  const tape = tapeOf(y);
  const T = timeMajor("lastStep", y);
  const last = y.value.at(T - 1);
  const value = last.clone();
  last.dispose();
  return tape.tensor(value, (g) => {
    const dy = ops.fill(Tensor.empty(y.value.shape, y.value.device), 0);
    const row = dy.at(T - 1);
    row.copyFrom(g);
    row.dispose();
    tape.accumulate(y, dy);
  });
}

/** One of the readouts by name (the config's loss.readout plus "mean"). */
export function overTime(name: TimeReadout, y: LossVar): LossVar {
  if (name === "sum") return sumOverTime(y);
  if (name === "mean") return meanOverTime(y);
  if (name === "max") return maxOverTime(y);
  if (name === "last") return lastStep(y);
  throw new ShapeError(`readout: expected one of ${TIME_READOUTS.join(", ")}, received ${JSON.stringify(name)}`);
}

export interface MembraneOptions {
  /** Decay per step α ∈ [0, 1] (default 1: a pure integrator). Give this or tau. */
  alpha?: number;
  /** Time constant in steps: α = exp(−1/τ). */
  tau?: number;
}

/**
 * The membrane potential of a leaky, non-spiking readout neuron driven by y: v[0] = y[0],
 * v[t] = α·v[t−1] + y[t]. Combine with a readout (maxOverTime(membrane(y)) is the max-membrane
 * readout of many SNN papers, lastStep(membrane(y)) the final potential).
 */
export function membrane(y: LossVar, opts: MembraneOptions = {}): LossVar {
  const tape = tapeOf(y);
  const T = timeMajor("membrane", y);
  const alpha = membraneAlpha(opts);
  const v = y.value.clone();
  for (let t = 1; t < T; t++) step(v, t, t - 1, alpha);
  return tape.tensor(v, (g) => {
    // ∂v[s]/∂y[t] = α^(s−t) for s ≥ t, so ∂L/∂y[t] = g[t] + α·∂L/∂y[t+1]: the same scan, reversed.
    const dy = g.clone();
    for (let t = T - 2; t >= 0; t--) step(dy, t, t + 1, alpha);
    tape.accumulate(y, dy);
  });
}

export function membraneAlpha(o: MembraneOptions): number {
  if (o.alpha !== undefined && o.tau !== undefined) throw new ShapeError("membrane: expected alpha or tau, received both");
  if (o.tau !== undefined) {
    if (!(typeof o.tau === "number" && o.tau > 0 && Number.isFinite(o.tau))) throw new ShapeError(`membrane tau: expected a finite number > 0, received ${o.tau}`);
    return Math.exp(-1 / o.tau);
  }
  const a = o.alpha ?? 1;
  if (!(typeof a === "number" && a >= 0 && a <= 1)) throw new ShapeError(`membrane alpha: expected a decay in [0, 1], received ${a}`);
  return a;
}

/** x[t] += α·x[from], in place. */
function step(x: Tensor, t: number, from: number, alpha: number): void {
  const dst = x.at(t);
  const src = x.at(from);
  ops.axpby(alpha, src, 1, dst);
  dst.dispose();
  src.dispose();
}

/** g [B, …] repeated over the T steps of like, times c. */
function broadcastTime(g: Tensor, like: Tensor, c: number): Tensor {
  const dy = ops.fill(Tensor.empty(like.shape, like.device), 0);
  const gc = c === 1 ? g : ops.scale(g, c);
  ops.add(dy, gc, dy);
  if (gc !== g) gc.dispose();
  return dy;
}
