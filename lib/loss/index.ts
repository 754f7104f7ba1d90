// Losses with gradients for layer-wise training: a loss is written as a function of the network's
// output y [T, B, …] with the tape ops of this folder, and lossGrad returns its value and ∂loss/∂y
// for net.backward(dy):
//
//   const y = net.forward(x);
//   const { loss, dy } = losses.lossGrad(y, (y) => losses.crossEntropy(losses.sumOverTime(y), labels));
//   net.backward(dy);
//
// or, ready-made for training.train and classification loops: losses.crossEntropyLoss({ readout: "max" }).
import { ExodusError } from "../errors.js";
import type { Tensor } from "../tensor.js";
import { accuracy, crossEntropy, spikeCount, type SpikeCountOptions } from "./losses.js";
import { type MembraneOptions, type TimeReadout, membrane, overTime, sumOverTime } from "./readouts.js";
import { LossScalar, LossTape, type LossVar } from "./tape.js";

export { LossTape, LossVar, LossScalar } from "./tape.js";
export { sumOverTime, meanOverTime, maxOverTime, lastStep, overTime, membrane, TIME_READOUTS, type TimeReadout, type MembraneOptions } from "./readouts.js";
export { crossEntropy, mse, spikeCount, add, scale, accuracy, type SpikeCountOptions } from "./losses.js";
export { checkLabels, LabelError } from "./labels.js";

export interface LossOutput {
  /** The loss value. */
  loss: number;
  /** ∂loss/∂y, the shape of y: the argument of net.backward. Owned by the caller. */
  dy: Tensor;
  /** The scores [B, C] the loss read (when it says), for accuracy; owned by the caller. */
  scores?: Tensor;
}

/** What a loss function built on the tape returns: the loss, and optionally the scores it used. */
export type LossExpr = LossScalar | { loss: LossScalar; scores?: LossVar };

/**
 * Records f on a fresh tape with y as its input and runs it backward: the loss and ∂loss/∂y.
 * The tape's intermediates are freed before it returns.
 */
export function lossGrad(y: Tensor, f: (y: LossVar) => LossExpr): LossOutput {
  const tape = new LossTape();
  try {
    const input = tape.input(y);
    const r = f(input);
    const out = r instanceof LossScalar ? { loss: r, scores: undefined } : r;
    if (!(out.loss instanceof LossScalar)) throw new ExodusError("lossGrad: expected the function to return a loss (e.g. losses.crossEntropy(...)) or { loss, scores }");
    const dy = tape.backward(out.loss, input);
    return { loss: out.loss.value, dy, ...(out.scores ? { scores: out.scores.value.clone() } : {}) };
  } finally {
    tape.dispose();
  }
}

/** A loss of a classification network: y [T, B, C] and the batch's labels → loss, ∂loss/∂y, scores. */
export type LossFn = (y: Tensor, labels: ArrayLike<number>) => LossOutput;

export interface ReadoutLossOptions {
  /** How y becomes scores over time (default "sum"). */
  readout?: TimeReadout;
  /** Integrate y in a leaky readout membrane first (see membrane()). */
  membrane?: MembraneOptions;
}

/** The scores of y by a readout (after the membrane, if any). */
function scoresOf(y: LossVar, o: ReadoutLossOptions): LossVar {
  return overTime(o.readout ?? "sum", o.membrane ? membrane(y, o.membrane) : y);
}

/** Cross-entropy of a readout of y: the loss `exodus train` uses (loss.readout). */
export function crossEntropyLoss(o: ReadoutLossOptions = {}): LossFn {
  return (y, labels) =>
    lossGrad(y, (v) => {
      const scores = scoresOf(v, o);
      return { loss: crossEntropy(scores, labels), scores };
    });
}

/** The spike-count loss; the scores for accuracy are the spike counts. */
export function spikeCountLoss(o: SpikeCountOptions = {}): LossFn {
  return (y, labels) =>
    lossGrad(y, (v) => {
      const loss = spikeCount(v, labels, o);
      return { loss, scores: sumOverTime(v) };
    });
}

/** Rows of a LossOutput's scores whose argmax equals the label. */
export function correctCount(out: LossOutput, labels: ArrayLike<number>): number {
  if (!out.scores) throw new ExodusError("correctCount: the loss did not return scores (return { loss, scores } from the loss function)");
  return accuracy(out.scores, labels).correct;
}
