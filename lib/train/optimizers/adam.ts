// Adam (weight decay as L2 added to the gradient, PyTorch's torch.optim.Adam) and AdamW (decoupled:
// the weights shrink by lr·decay before the update, torch.optim.AdamW), one fused native update
// per parameter tensor (cuda/kernels/optim.cuh, the kernel lib/optim.ts's Adam uses too, so the
// default optimiser trains bit-identically to earlier versions).
import type { Parameter } from "../../nn/module.js";
import { native } from "../../native.js";
import { ExodusError } from "../../errors.js";
import type { Tensor } from "../../tensor.js";
import type { ParamOptions } from "./groups.js";
import { Optimizer } from "./optimizer.js";

export interface AdamSettings {
  betas: [number, number];
  eps: number;
  decoupled: boolean;
}

export class AdamOptimizer extends Optimizer {
  constructor(params: readonly Parameter[], lr: number, options: readonly ParamOptions[], readonly settings: AdamSettings) {
    super(params, lr, options, ["exp_avg", "exp_avg_sq"]);
    const [b1, b2] = settings.betas;
    if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) throw new ExodusError(`Adam: expected betas in [0, 1), received [${settings.betas.join(", ")}]`);
    if (!(settings.eps > 0)) throw new ExodusError(`Adam: expected eps > 0, received ${settings.eps}`);
  }

  protected update(p: Parameter, [m, v]: Tensor[], lr: number, weightDecay: number): void {
    const [beta1, beta2] = this.settings.betas;
    native().adamStep({
      p: p.value, g: p.grad, m, v, n: p.value.size, lr, beta1, beta2, eps: this.settings.eps, weightDecay,
      bias1: 1 - beta1 ** this.t, bias2: 1 - beta2 ** this.t, decoupled: this.settings.decoupled,
    });
  }
}
