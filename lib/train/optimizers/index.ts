// The optimiser a config asks for (train.optimizer, train.lr, train.weightDecay, train.paramGroups).
import type { Parameter } from "../../nn/module.js";
import type { LoopSettings } from "../optim-config.js";
import { AdamOptimizer } from "./adam.js";
import { resolveGroups } from "./groups.js";
import type { Optimizer } from "./optimizer.js";
import { SgdOptimizer } from "./sgd.js";

export { AdamOptimizer } from "./adam.js";
export { SgdOptimizer } from "./sgd.js";
export { Optimizer, type OptimizerState } from "./optimizer.js";
export { resolveGroups, type ParamGroupSpec, type ParamOptions } from "./groups.js";
export { clipGradNorm, globalGradNorm } from "./clip.js";

export function buildOptimizer(t: Pick<LoopSettings, "optimizer" | "paramGroups"> & { lr: number; weightDecay: number }, params: readonly Parameter[], bufferNames: readonly string[] = []): Optimizer {
  const options = resolveGroups(params, t.paramGroups, { lrScale: 1, weightDecay: t.weightDecay }, bufferNames);
  const o = t.optimizer;
  if (o.name === "sgd") return new SgdOptimizer(params, t.lr, options, { momentum: o.momentum, nesterov: o.nesterov });
  return new AdamOptimizer(params, t.lr, options, { betas: o.betas, eps: o.eps, decoupled: o.name === "adamw" });
}

/** How the optimiser reads in the report and the log ("AdamW lr 0.001, weight decay 0.01"). */
export function describeOptimizer(t: Pick<LoopSettings, "optimizer" | "schedule" | "clipGradNorm"> & { lr: number; weightDecay: number }): string {
  const o = t.optimizer;
  const name = o.name === "sgd" ? `SGD${o.momentum ? ` momentum ${o.momentum}${o.nesterov ? " (Nesterov)" : ""}` : ""}` : o.name === "adamw" ? "AdamW" : "Adam";
  const s = t.schedule;
  const sched = s.name === "constant" ? (s.warmupSteps ? `, warm-up ${s.warmupSteps} steps` : "") : `, ${s.name} schedule${"warmupSteps" in s && s.warmupSteps ? ` (warm-up ${s.warmupSteps} steps)` : ""}`;
  return `${name} lr ${t.lr}, weight decay ${t.weightDecay}${o.name === "adamw" ? " (decoupled)" : o.name === "adam" && t.weightDecay ? " (L2)" : ""}${sched}${t.clipGradNorm !== null ? `, gradient norm clipped to ${t.clipGradNorm}` : ""}`;
}
