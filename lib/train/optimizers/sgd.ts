// SGD as torch.optim.SGD (dampening 0): d = g + decay·p; with momentum μ, b = μ·b + d (b = d at
// the first step, which a zero buffer gives exactly); Nesterov uses d + μ·b, plain momentum b;
// p -= lr·that. Built from the native axpby, which is memory-bound like a fused kernel would be
// (three or four passes over a parameter per step; the forward and backward dominate a step).
import type { Parameter } from "../../nn/module.js";
import * as ops from "../../ops.js";
import { ExodusError } from "../../errors.js";
import type { Tensor } from "../../tensor.js";
import type { ParamOptions } from "./groups.js";
import { Optimizer } from "./optimizer.js";

export interface SgdSettings {
  momentum: number;
  nesterov: boolean;
}

export class SgdOptimizer extends Optimizer {
  constructor(params: readonly Parameter[], lr: number, options: readonly ParamOptions[], readonly settings: SgdSettings) {
    super(params, lr, options, settings.momentum > 0 ? ["momentum_buffer"] : []);
    if (!(settings.momentum >= 0 && settings.momentum < 1)) throw new ExodusError(`SGD: expected momentum in [0, 1), received ${settings.momentum}`);
    if (settings.nesterov && settings.momentum === 0) throw new ExodusError("SGD: Nesterov needs momentum > 0");
  }

  protected update(p: Parameter, slots: Tensor[], lr: number, weightDecay: number): void {
    const g = p.grad;
    // The gradient is cleared after every step, so the decay term may be added to it in place.
    if (weightDecay !== 0) ops.axpby(weightDecay, p.value, 1, g);
    const mu = this.settings.momentum;
    if (mu === 0) {
      ops.axpby(-lr, g, 1, p.value);
      return;
    }
    const b = slots[0];
    ops.axpby(1, g, mu, b);
    if (this.settings.nesterov) {
      ops.axpby(mu, b, 1, g); // d + μ·b
      ops.axpby(-lr, g, 1, p.value);
    } else ops.axpby(-lr, b, 1, p.value);
  }
}
