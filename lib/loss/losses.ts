// Losses on the tape (mean over the batch, as PyTorch's defaults): softmax cross-entropy of
// scores against class labels, mean squared error against a target, the spike-count loss
// (SLAYER's: squared error between each output's spike count and a target count, true class high,
// others low), and sums / multiples of losses to combine them.
import { ExodusError, ShapeError, shapeStr } from "../errors.js";
import * as ops from "../ops.js";
import { Tensor } from "../tensor.js";
import { checkLabels } from "./labels.js";
import { type LossScalar, type LossVar, tapeOf } from "./tape.js";

function rowsCols(op: string, x: LossVar): [number, number] {
  if (x.value.rank !== 2) throw new ShapeError(`${op}: expected scores [B, classes] (a readout of the output over time), received ${shapeStr(x.value.shape)}`);
  return [x.value.shape[0], x.value.shape[1]];
}

/** Mean softmax cross-entropy of scores [B, C] against integer labels. */
export function crossEntropy(scores: LossVar, labels: Tensor | ArrayLike<number>): LossScalar {
  const tape = tapeOf(scores);
  const [B, C] = rowsCols("crossEntropy", scores);
  const host = checkLabels("crossEntropy", labels, B, C);
  const { loss, losses, grad } = ops.softmaxCrossEntropy(scores.value, host);
  losses.dispose();
  tape.tensor(grad, () => {}); // ∂mean/∂scores, owned by the tape
  return tape.scalar(loss, (g) => tape.accumulate(scores, ops.scale(grad, g)));
}

/** Mean over all elements of (x − target)²; target has x's shape (or broadcasts to it). */
export function mse(x: LossVar, target: Tensor | ArrayLike<number>): LossScalar {
  const tape = tapeOf(x);
  const t = target instanceof Tensor ? target : Tensor.from(target, x.value.shape, x.value.device);
  try {
    const diff = ops.sub(x.value, t);
    tape.tensor(diff, () => {});
    const sq = ops.square(diff);
    const loss = ops.sumAll(sq) / Math.max(1, x.value.size);
    sq.dispose();
    return tape.scalar(loss, (g) => tape.accumulate(x, ops.scale(diff, (2 * g) / Math.max(1, x.value.size))));
  } finally {
    if (t !== target) t.dispose();
  }
}

export interface SpikeCountOptions {
  /** Target firing rate of the true class's output, spikes per step (default 0.5). */
  trueRate?: number;
  /** Target firing rate of every other output (default 0.05). */
  falseRate?: number;
}

/**
 * SLAYER's spike-count loss: ½·mean over samples and classes of (Σ_t y[t] − target)², where the
 * target count is trueRate·T for the true class and falseRate·T for the others. y: [T, B, C].
 */
export function spikeCount(y: LossVar, labels: Tensor | ArrayLike<number>, opts: SpikeCountOptions = {}): LossScalar {
  const tape = tapeOf(y);
  if (y.value.rank !== 3) throw new ShapeError(`spikeCount: expected the output [T, B, classes], received ${shapeStr(y.value.shape)}`);
  const [T, B, C] = y.value.shape;
  const hi = opts.trueRate ?? 0.5;
  const lo = opts.falseRate ?? 0.05;
  for (const [k, v] of [["trueRate", hi], ["falseRate", lo]] as const)
    if (!(typeof v === "number" && v >= 0 && Number.isFinite(v))) throw new ExodusError(`spikeCount ${k}: expected a rate >= 0 (spikes per step), received ${v}`);
  const host = checkLabels("spikeCount", labels, B, C);
  const target = new Float32Array(B * C).fill(lo * T);
  for (let b = 0; b < B; b++) target[b * C + host[b]] = hi * T;
  const counts = sumCounts(y);
  return scale(mse(counts, target), 0.5);
}

function sumCounts(y: LossVar): LossVar {
  const tape = tapeOf(y);
  return tape.tensor(ops.sum(y.value, 0), (g) => {
    const dy = ops.fill(Tensor.empty(y.value.shape, y.value.device), 0);
    ops.add(dy, g, dy);
    tape.accumulate(y, dy);
  });
}

/** a + b (e.g. a loss plus a regulariser). */
export function add(a: LossScalar, b: LossScalar): LossScalar {
  const tape = tapeOf(a, b);
  return tape.scalar(a.value + b.value, (g) => {
    a.grad += g;
    b.grad += g;
  });
}

/** c·a. */
export function scale(a: LossScalar, c: number): LossScalar {
  const tape = tapeOf(a);
  return tape.scalar(c * a.value, (g) => (a.grad += c * g));
}

/** Predicted class per row of scores [B, C] and how many equal the labels. */
export function accuracy(scores: Tensor, labels: ArrayLike<number>): { predictions: Float32Array; correct: number } {
  const pred = ops.argmax(scores, 1);
  const p = pred.toArray();
  pred.dispose();
  let correct = 0;
  for (let i = 0; i < p.length; i++) if (p[i] === labels[i]) correct++;
  return { predictions: p, correct };
}
