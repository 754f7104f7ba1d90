// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_: the 2-norm over every
// parameter's gradient together; when it exceeds maxNorm, all gradients are scaled by
// maxNorm / (norm + 1e-6), keeping their direction.
import type { Parameter } from "../../nn/module.js";
import * as ops from "../../ops.js";
import { scope } from "../../tensor.js";

/** The global gradient 2-norm (before clipping). */
export function globalGradNorm(params: readonly Parameter[]): number {
  return scope(() => Math.sqrt(params.reduce((s, p) => s + ops.sumAll(ops.square(p.grad)), 0)));
}

/** Clips in place when maxNorm is set; returns the norm before clipping (what loggers report). */
export function clipGradNorm(params: readonly Parameter[], maxNorm: number | null): number {
  const norm = globalGradNorm(params);
  if (maxNorm === null || !Number.isFinite(norm)) return norm; // a non-finite norm stops the run (guard.ts)
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) for (const p of params) ops.axpby(0, p.grad, coef, p.grad);
  return norm;
}
