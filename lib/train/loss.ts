// Readouts over time (math.md §5): the network's output y [T, B, C] becomes logits [B, C] by a
// sum, a max or the last step; cross-entropy on the logits; backward maps ∂L/∂logits back to
// ∂L/∂y [T, B, C]. Built from device ops only, so it runs wherever y lives.
import { ShapeError, shapeStr } from "../errors.js";
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
  // as argmax reports it). mask[t, b, c] = 1[|t − argmax[b, c]| < 0.5], from a [T, 1, 1] time grid.
  const idx = ops.argmax(y, 0); // [B, C], float step indices
  return {
    logits: ops.max(y, 0),
    backward: (g) => {
      const grid = Tensor.from(Float32Array.from({ length: T }, (_, t) => t), [T, 1, 1], y.device);
      const dy = ops.fill(Tensor.empty(shape, y.device), 0);
      ops.add(dy, grid, dy); // t
      ops.sub(dy, idx, dy); // t − argmax
      ops.abs(dy, dy);
      ops.step(dy, 0.5, dy); // 1 where t ≠ argmax
      ops.affine(dy, -1, 1, dy); // 1 where t = argmax
      ops.mul(dy, g, dy);
      grid.dispose();
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
