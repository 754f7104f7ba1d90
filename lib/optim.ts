// Optimisers over parameters given as { value, grad } tensor pairs (what Module.parameters()
// returns). One fused native update per parameter tensor.
import { ExodusError } from "./errors.js";
import { native } from "./native.js";
import * as ops from "./ops.js";
import { Tensor, keep } from "./tensor.js";

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

export class Adam {
  readonly lr: number;
  private t = 0;
  private readonly state = new Map<Param, { m: Tensor; v: Tensor }>();
  private readonly opts: Required<AdamOptions>;

  constructor(
    readonly params: Param[],
    opts: AdamOptions = {},
  ) {
    checkParams(params);
    this.opts = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, decoupled: false, ...opts };
    const { lr, betas, eps, weightDecay } = this.opts;
    if (!(lr > 0)) throw new ExodusError(`Adam: expected lr > 0, received ${lr}`);
    if (!(betas[0] >= 0 && betas[0] < 1 && betas[1] >= 0 && betas[1] < 1))
      throw new ExodusError(`Adam: expected betas in [0, 1), received [${betas.join(", ")}]`);
    if (!(eps > 0) || !(weightDecay >= 0)) throw new ExodusError("Adam: expected eps > 0 and weightDecay >= 0");
    this.lr = lr;
  }

  get steps(): number {
    return this.t;
  }

  /** Applies one update from the current gradients; lr may be overridden (schedules). */
  step(lr = this.opts.lr): void {
    this.t++;
    const { betas, eps, weightDecay, decoupled } = this.opts;
    const config = { lr, beta1: betas[0], beta2: betas[1], eps, weightDecay, bias1: 1 - betas[0] ** this.t, bias2: 1 - betas[1] ** this.t, decoupled };
    for (const p of this.params) {
      let s = this.state.get(p);
      if (!s) {
        // keep(): optimiser state outlives any scope() the first step runs in.
        s = { m: keep(Tensor.zeros(p.value.shape, p.value.device)), v: keep(Tensor.zeros(p.value.shape, p.value.device)) };
        this.state.set(p, s);
      }
      native().adamStep({ p: p.value, g: p.grad, m: s.m, v: s.v, n: p.value.size, ...config });
    }
  }

  zeroGrad(): void {
    for (const p of this.params) ops.fill(p.grad, 0);
  }

  /** Step count and moments (host copies, in parameter order; empty before the first step), for checkpoints. */
  exportState(): { steps: number; m: Float32Array[]; v: Float32Array[] } {
    const m: Float32Array[] = [];
    const v: Float32Array[] = [];
    if (this.t > 0)
      for (const p of this.params) {
        const s = this.state.get(p);
        m.push(s ? s.m.toArray() : new Float32Array(p.value.size));
        v.push(s ? s.v.toArray() : new Float32Array(p.value.size));
      }
    return { steps: this.t, m, v };
  }

  /** Restores what exportState() returned, so training continues exactly where it stopped. */
  importState(st: { steps: number; m: Float32Array[]; v: Float32Array[] }): void {
    if (!Number.isInteger(st.steps) || st.steps < 0) throw new ExodusError(`Adam state: expected steps >= 0, received ${st.steps}`);
    if (st.steps > 0 && (st.m.length !== this.params.length || st.v.length !== this.params.length))
      throw new ExodusError(`Adam state: expected moments for ${this.params.length} parameters, received ${st.m.length}`);
    this.dispose();
    this.t = st.steps;
    if (st.steps === 0) return;
    this.params.forEach((p, i) => {
      if (st.m[i].length !== p.value.size || st.v[i].length !== p.value.size)
        throw new ExodusError(`Adam state: parameter ${p.name ?? i} expected ${p.value.size} values, received ${st.m[i].length}`);
      this.state.set(p, {
        m: keep(Tensor.from(st.m[i], p.value.shape, p.value.device)),
        v: keep(Tensor.from(st.v[i], p.value.shape, p.value.device)),
      });
    });
  }

  dispose(): void {
    for (const s of this.state.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.state.clear();
  }
}

/** Plain SGD with optional momentum. */
export class SGD {
  private readonly velocity = new Map<Param, Tensor>();
  constructor(
    readonly params: Param[],
    readonly lr = 1e-2,
    readonly momentum = 0,
  ) {
    checkParams(params);
    if (!(lr > 0) || !(momentum >= 0 && momentum < 1)) throw new ExodusError(`SGD: expected lr > 0 and momentum in [0, 1), received ${lr}, ${momentum}`);
  }
  step(): void {
    for (const p of this.params) {
      if (this.momentum === 0) {
        ops.axpby(-this.lr, p.grad, 1, p.value);
        continue;
      }
      let v = this.velocity.get(p);
      if (!v) this.velocity.set(p, (v = keep(Tensor.zeros(p.value.shape, p.value.device))));
      ops.axpby(1, p.grad, this.momentum, v);
      ops.axpby(-this.lr, v, 1, p.value);
    }
  }
  zeroGrad(): void {
    for (const p of this.params) ops.fill(p.grad, 0);
  }
  dispose(): void {
    for (const v of this.velocity.values()) v.dispose();
    this.velocity.clear();
  }
}
