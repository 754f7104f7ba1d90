// The optimisers of `exodus train` (train.optimizer): SGD (momentum, Nesterov), Adam (L2 weight
// decay, PyTorch's Adam) and AdamW (decoupled decay), each with per-parameter options (groups.ts).
// All keep their state as named slots of per-parameter tensors (torch's names: exp_avg,
// exp_avg_sq, momentum_buffer), which the checkpoint stores as "optimizer.<slot>.<parameter>",
// plus the step count, which is the run's step. That is the whole state: a resumed run continues
// bit-exactly.
import type { Parameter } from "../../nn/module.js";
import * as ops from "../../ops.js";
import { ExodusError } from "../../errors.js";
import { Tensor, keep } from "../../tensor.js";
import type { ParamOptions } from "./groups.js";

export interface OptimizerState {
  steps: number;
  /** Per slot, one host array per parameter (parameter order); empty before the first step. */
  slots: Record<string, Float32Array[]>;
}

export abstract class Optimizer {
  protected t = 0;
  private readonly state = new Map<string, Tensor[]>();

  constructor(
    readonly params: readonly Parameter[],
    readonly lr: number,
    readonly options: readonly ParamOptions[],
    /** The slots this optimiser keeps (checkpoint names). */
    readonly slotNames: readonly string[],
  ) {
    if (options.length !== params.length) throw new ExodusError(`optimizer: expected options for ${params.length} parameters, received ${options.length}`);
    for (const [i, p] of params.entries())
      if (!(p.value instanceof Tensor) || !(p.grad instanceof Tensor) || p.value.size !== p.grad.size)
        throw new ExodusError(`optimizer: parameter ${p.name ?? i} needs value and grad tensors of equal size`);
  }

  get steps(): number {
    return this.t;
  }

  /** One update from the current gradients with the learning rate train.lr × factor (the schedule's), times each group's lrScale. */
  step(factor = 1): void {
    this.stepAt(this.lr * factor);
  }

  /** One update with the learning rate lr (times each group's lrScale): lib/optim.ts's step(lr). */
  stepAt(lr: number): void {
    this.t++;
    this.params.forEach((p, i) => this.update(p, this.slotsOf(i), lr * this.options[i].lrScale, this.options[i].weightDecay));
  }

  protected abstract update(p: Parameter, slots: Tensor[], lr: number, weightDecay: number): void;

  /** The slot tensors of parameter i, zeros the first time (keep(): they outlive any scope()). */
  private slotsOf(i: number): Tensor[] {
    const key = String(i);
    let s = this.state.get(key);
    if (!s) {
      const p = this.params[i].value;
      s = this.slotNames.map(() => keep(Tensor.zeros(p.shape, p.device)));
      this.state.set(key, s);
    }
    return s;
  }

  zeroGrad(): void {
    for (const p of this.params) ops.fill(p.grad, 0);
  }

  exportState(): OptimizerState {
    const slots: Record<string, Float32Array[]> = {};
    this.slotNames.forEach((name, k) => {
      slots[name] = this.t === 0 ? [] : this.params.map((p, i) => this.state.get(String(i))?.[k].toArray() ?? new Float32Array(p.value.size));
    });
    return { steps: this.t, slots };
  }

  importState(st: OptimizerState): void {
    if (!Number.isInteger(st.steps) || st.steps < 0) throw new ExodusError(`optimizer state: expected steps >= 0, received ${st.steps}`);
    this.dispose();
    this.t = st.steps;
    if (st.steps === 0) return;
    this.params.forEach((p, i) => {
      const s = this.slotNames.map((name) => {
        const x = st.slots[name]?.[i];
        if (!x || x.length !== p.value.size)
          throw new ExodusError(`optimizer state: ${name} of parameter ${p.name}: expected ${p.value.size} values, received ${x ? x.length : "none"}`);
        return keep(Tensor.from(x, p.value.shape, p.value.device));
      });
      this.state.set(String(i), s);
    });
  }

  dispose(): void {
    for (const s of this.state.values()) for (const t of s) t.dispose();
    this.state.clear();
  }
}
