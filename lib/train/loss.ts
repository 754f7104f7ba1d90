// Readouts over time (docs/neurons.md §5): the network's output y [T, B, C] becomes logits [B, C] by a
// sum, a max or the last step; cross-entropy on the logits; backward maps ∂L/∂logits back to
// ∂L/∂y [T, B, C]. Built from device ops only, so it runs wherever y lives.
import { ShapeError, shapeStr } from "../errors.js";
import { native } from "../native.js";
import * as ops from "../ops.js";
import { Tensor } from "../tensor.js";

export type ReadoutName = "sum" | "max" | "last";
export const READOUTS: readonly ReadoutName[] = ["sum", "max", "last"];

export interface Readout {
  logits: Tensor; // [B, C]
  /** ∂L/∂y [T, B, C] from ∂L/∂logits [B, C]. */
  backward(dLogits: Tensor): Tensor;
}

function check(y: Tensor): [number, number, number] {
  if (y.rank !== 3) throw new ShapeError(`readout: expected the network output [T, B, classes], received ${shapeStr(y.shape)}`);
  return y.shape as [number, number, number];
}

export function readout(name: ReadoutName, y: Tensor): Readout {
  const [T] = check(y);
  const shape = y.shape;
  if (name === "sum")
    return {
      logits: ops.sum(y, 0),
      // Every step contributes with weight 1: the gradient is broadcast over time.
      backward: (g) => ops.add(ops.fill(Tensor.empty(shape, y.device), 0), g, undefined),
    };
  if (name === "last")
    return {
      logits: y.at(T - 1).clone(),
      backward: (g) => {
        const dy = ops.fill(Tensor.empty(shape, y.device), 0);
        const lastRow = dy.at(T - 1);
        lastRow.copyFrom(g);
        lastRow.dispose();
        return dy;
      },
    };
  // max: the gradient flows only to the step that attained the maximum (the first one on ties,
  // as argmax reports it): one fused op writes ∂y[t, b, c] = t == argmax[b, c] ? g[b, c] : 0.
  const idx = ops.argmax(y, 0); // [B, C], float step indices
  return {
    logits: ops.max(y, 0),
    backward: (g) => {
      if (g.size !== idx.size) throw new ShapeError(`readout backward: expected ∂logits ${shapeStr(idx.shape)}, received ${shapeStr(g.shape)}`);
      const dy = Tensor.empty(shape, y.device);
      native().maxTimeBackward({ arg: idx, g, dy, T, n: idx.size });
      return dy;
    },
  };
}

export interface LossResult {
  loss: number;
  /** Rows whose predicted class equals the label. */
  correct: number;
  /** ∂L/∂y for the mean loss over the batch (when asked for). */
  dy?: Tensor;
}

/** Cross-entropy of the readout's logits. Call inside scope(): it frees the intermediates. */
export function readoutCrossEntropy(name: ReadoutName, y: Tensor, labels: ArrayLike<number>, withGrad = true): LossResult {
  const r = readout(name, y);
  const { loss, losses, grad } = ops.softmaxCrossEntropy(r.logits, labels);
  const pred = ops.argmax(r.logits, 1);
  const p = pred.toArray();
  let correct = 0;
  for (let i = 0; i < p.length; i++) if (p[i] === labels[i]) correct++;
  const dy = withGrad ? r.backward(grad) : undefined;
  pred.dispose();
  losses.dispose();
  grad.dispose();
  r.logits.dispose();
  return { loss, correct, dy };
}
