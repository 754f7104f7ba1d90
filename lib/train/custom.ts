// What training.train needs to train a module and a loss the caller built, instead of the config's
// model and readout: the module seen as a BuiltModel (its weights for the gradient norms, its
// dropout layers for the per-step seeds) and the loss as the trainer's step function.
import { ExodusError } from "../errors.js";
import { type LossFn, correctCount } from "../loss/index.js";
import { Dropout } from "../nn/dropout.js";
import type { Module } from "../nn/module.js";
import { Sequential } from "../nn/sequential.js";
import { summaryRows, formatSummary } from "../nn/summary.js";
import type { Tensor } from "../tensor.js";
import { type LossResult, type ReadoutName, readout, readoutCrossEntropy } from "./loss.js";
import type { BuiltModel } from "./model.js";
import * as ops from "../ops.js";

/** A caller's module as the trainer sees a config-built one (a Sequential is used as it is). */
export function moduleModel(m: Module, features: readonly number[]): BuiltModel {
  const net = m instanceof Sequential ? m : new Sequential(m);
  const dropouts: Dropout[] = [];
  const walk = (x: Module) => {
    if (x instanceof Dropout) dropouts.push(x);
    x.children().forEach(walk);
  };
  walk(net);
  const weights = net.parameters().filter((p) => /(^|\.)weight$/.test(p.name)).map((p) => ({ layer: p.name.replace(/\.weight$/, ""), param: p }));
  let summary: string[];
  try {
    summary = formatSummary(summaryRows(net.layers, features), features);
  } catch {
    // A layer the table does not know: list the parameters instead.
    summary = [`${net.constructor.name} with ${net.parameters().reduce((n, p) => n + p.value.size, 0)} parameters`];
  }
  return { net, dropouts, weights, summary };
}

/** The trainer's loss step: the config's readout cross-entropy, or the caller's loss function. */
export function lossStep(name: ReadoutName, fn?: LossFn): (y: Tensor, labels: ArrayLike<number>, withGrad?: boolean) => LossResult {
  if (!fn) return (y, labels, withGrad = true) => readoutCrossEntropy(name, y, labels, withGrad);
  if (typeof fn !== "function") throw new ExodusError(`train: expected loss to be a function (y, labels) => { loss, dy, scores? } such as losses.crossEntropyLoss(), received ${typeof fn}`);
  return (y, labels, withGrad = true) => {
    const out = fn(y, labels);
    if (!out || typeof out.loss !== "number" || (withGrad && !out.dy))
      throw new ExodusError("train: the loss function must return { loss: number, dy: Tensor (∂loss/∂y), scores?: Tensor }; build it with losses.lossGrad");
    // Accuracy from the loss's scores, or from the config's readout of y when it gives none.
    let correct: number;
    if (out.scores) correct = correctCount(out, labels);
    else {
      const r = readout(name, y);
      const pred = ops.argmax(r.logits, 1).toArray();
      correct = pred.reduce((n, p, i) => n + (p === labels[i] ? 1 : 0), 0);
    }
    return { loss: out.loss, correct, dy: withGrad ? out.dy : undefined };
  };
}
