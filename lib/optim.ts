// Optimisers over parameters given as { value, grad } tensor pairs (what Module.parameters()
// returns): the library's face of the optimisers `exodus train` uses (lib/train/optimizers), so
// there is one implementation of each update. Adam's step(lr) takes the learning rate itself;
// its exportState()/importState() keep their { steps, m, v } form.
import { ExodusError } from "./errors.js";
import { Tensor } from "./tensor.js";
import { AdamOptimizer } from "./train/optimizers/adam.js";
import type { Optimizer } from "./train/optimizers/optimizer.js";
import { SgdOptimizer } from "./train/optimizers/sgd.js";

export interface Param {
  value: Tensor;
  grad: Tensor;
  name?: string;
}

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  /** L2 penalty added to the gradient (PyTorch Adam), or decoupled decay with `decoupled` (AdamW). */
  weightDecay?: number;
  decoupled?: boolean;
}

function checkParams(params: Param[]): void {
  for (const [i, p] of params.entries())
    if (!(p.value instanceof Tensor) || !(p.grad instanceof Tensor) || p.value.size !== p.grad.size)
      throw new ExodusError(`optimizer: parameter ${p.name ?? i} needs value and grad tensors of equal size`);
}

/** The parameters as the optimisers take them (named), each with its own options: none of train's groups. */
function named(params: Param[], weightDecay: number) {
  return {
    params: params.map((p, i) => ({ name: p.name ?? String(i), value: p.value, grad: p.grad })),
    options: params.map(() => ({ lrScale: 1, weightDecay })),
  };
}

abstract class Wrapped {
  protected abstract readonly inner: Optimizer;
  zeroGrad(): void {
    this.inner.zeroGrad();
  }
  dispose(): void {
    this.inner.dispose();
  }
}

export class Adam extends Wrapped {
  readonly lr: number;
  protected readonly inner: AdamOptimizer;

  constructor(
    readonly params: Param[],
    opts: AdamOptions = {},
  ) {
    super();
    checkParams(params);
    const o: Required<AdamOptions> = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, decoupled: false, ...opts };
    if (!(o.lr > 0)) throw new ExodusError(`Adam: expected lr > 0, received ${o.lr}`);
    if (!(o.betas[0] >= 0 && o.betas[0] < 1 && o.betas[1] >= 0 && o.betas[1] < 1))
      throw new ExodusError(`Adam: expected betas in [0, 1), received [${o.betas.join(", ")}]`);
    if (!(o.eps > 0) || !(o.weightDecay >= 0)) throw new ExodusError("Adam: expected eps > 0 and weightDecay >= 0");
    this.lr = o.lr;
    const n = named(params, o.weightDecay);
    this.inner = new AdamOptimizer(n.params, o.lr, n.options, { betas: o.betas, eps: o.eps, decoupled: o.decoupled });
  }

  get steps(): number {
    return this.inner.steps;
  }

  /** Applies one update from the current gradients; lr may be overridden (schedules). */
  step(lr = this.lr): void {
    this.inner.stepAt(lr);
  }

  /** Step count and moments (host copies, in parameter order; empty before the first step), for checkpoints. */
  exportState(): { steps: number; m: Float32Array[]; v: Float32Array[] } {
    const st = this.inner.exportState();
    return { steps: st.steps, m: st.slots.exp_avg, v: st.slots.exp_avg_sq };
  }

  /** Restores what exportState() returned, so training continues exactly where it stopped. */
  importState(st: { steps: number; m: Float32Array[]; v: Float32Array[] }): void {
    if (!Number.isInteger(st.steps) || st.steps < 0) throw new ExodusError(`Adam state: expected steps >= 0, received ${st.steps}`);
    if (st.steps > 0 && (st.m.length !== this.params.length || st.v.length !== this.params.length))
      throw new ExodusError(`Adam state: expected moments for ${this.params.length} parameters, received ${st.m.length}`);
    this.params.forEach((p, i) => {
      if (st.steps > 0 && (st.m[i].length !== p.value.size || st.v[i].length !== p.value.size))
        throw new ExodusError(`Adam state: parameter ${p.name ?? i} expected ${p.value.size} values, received ${st.m[i].length}`);
    });
    this.inner.importState({ steps: st.steps, slots: { exp_avg: st.m, exp_avg_sq: st.v } });
  }
}

/** Plain SGD with optional momentum. */
export class SGD extends Wrapped {
  protected readonly inner: SgdOptimizer;
  constructor(
    readonly params: Param[],
    readonly lr = 1e-2,
    readonly momentum = 0,
  ) {
    super();
    checkParams(params);
    if (!(lr > 0) || !(momentum >= 0 && momentum < 1)) throw new ExodusError(`SGD: expected lr > 0 and momentum in [0, 1), received ${lr}, ${momentum}`);
    const n = named(params, 0);
    this.inner = new SgdOptimizer(n.params, lr, n.options, { momentum, nesterov: false });
  }
  step(): void {
    this.inner.stepAt(this.lr);
  }
}
