// Weight normalisation (Salimans & Kingma 2016; PyTorch's torch.nn.utils.weight_norm, dim 0), as
// the paper's DVS Gesture code applies it to every conv and the readout: the wrapped layer's
// weight is W = g·V/‖V‖ with one norm and one g per output (row of a Linear, filter of a conv).
// g and V are the trained parameters ("weight_g" [out, 1, …], "weight_v" like W); they start at
// g = ‖W₀‖, V = W₀, so wrapping does not change the initial function.
//
//   backward: ∂g = (∂W·V)/‖V‖,  ∂V = (g/‖V‖)·(∂W − ∂g·V/‖V‖)   (per output row)
import * as ops from "../ops.js";
import type { Activation, ForwardRequest, Fusion } from "./activation.js";
import { Tensor, keep, scope } from "../tensor.js";
import { type Buffer, Module, type Parameter, newParameter } from "./module.js";
import type { NirContext, NirStep } from "./nir.js";

/** A layer whose `weight` parameter has one output per row of its first axis (Linear, Conv2d). */
export type Weighted = Module & { readonly weight: Parameter };

export class WeightNorm extends Module {
  readonly g: Parameter; // [out, 1, …]
  readonly v: Parameter; // like the weight
  private readonly rows: number;
  private readonly cols: number;

  constructor(readonly inner: Weighted) {
    super();
    const w = inner.weight.value;
    this.rows = w.shape[0];
    this.cols = w.size / this.rows;
    const gShape = w.shape.map((d, i) => (i === 0 ? d : 1));
    const norms = scope(() => keep(ops.sqrt(ops.sum(ops.square(w.reshape([this.rows, this.cols])), 1, true))));
    this.g = newParameter("weight_g", norms.reshape(gShape));
    norms.dispose();
    this.v = newParameter("weight_v", w.clone());
    this.training = inner.training;
  }

  override parameters(): Parameter[] {
    return [this.g, this.v, ...this.inner.parameters().filter((p) => p !== this.inner.weight)];
  }

  override buffers(): Buffer[] {
    return this.inner.buffers();
  }

  override children(): Module[] {
    return [this.inner];
  }

  private views(): { v2: Tensor; g2: Tensor } {
    return { v2: this.v.value.reshape([this.rows, this.cols]), g2: this.g.value.reshape([this.rows, 1]) };
  }

  /** W ← g·V/‖V‖ in the wrapped layer's weight (after each optimiser step, before the forward). */
  syncWeight(): void {
    scope(() => {
      const { v2, g2 } = this.views();
      const norms = ops.sqrt(ops.sum(ops.square(v2), 1, true));
      ops.mul(v2, ops.div(g2, norms), this.inner.weight.value.reshape([this.rows, this.cols]));
    });
  }

  override fusion(): Fusion {
    return { readsSpikes: !!this.inner.fusion().readsSpikes };
  }

  forward(x: Tensor): Tensor {
    this.syncWeight();
    return this.inner.forward(x);
  }

  override forwardActivation(a: Activation, req: ForwardRequest = {}): Activation {
    this.syncWeight();
    return this.inner.forwardActivation(a, req);
  }

  override outputShape(s: readonly number[]): number[] {
    return this.inner.outputShape(s);
  }

  override describe(): string {
    return `WeightNorm(${this.inner.describe()})`;
  }

  /** The wrapped layer's effective weight W = g·V/‖V‖ (its gradient is formed in backward). */
  override reportedWeight(): { kind: string; param: Parameter } | undefined {
    return this.inner.reportedWeight();
  }

  override skipInputGrad(): void {
    this.inner.skipInputGrad();
  }

  /** A training-time reparametrisation: the wrapped layer computes with W = g·V/‖V‖, which is what NIR gets. */
  override toNir(c: NirContext): NirStep | undefined {
    this.syncWeight();
    const step = this.inner.toNir({ ...c, kind: this.inner.constructor.name });
    if (step) step.node.metadata = { exodus_weight_norm: "folded: weight = g * v / |v| per output" };
    return step;
  }

  backward(dy: Tensor): Tensor {
    const wg = this.inner.weight.grad;
    ops.fill(wg, 0);
    const dx = this.inner.backward(dy);
    scope(() => {
      const { v2, g2 } = this.views();
      const dW = wg.reshape([this.rows, this.cols]);
      const norms = ops.sqrt(ops.sum(ops.square(v2), 1, true)); // [rows, 1]
      const dg = ops.div(ops.sum(ops.mul(dW, v2), 1, true), norms);
      ops.add(this.g.grad.reshape([this.rows, 1]), dg, this.g.grad.reshape([this.rows, 1]));
      // ∂V = (g/‖V‖)·(∂W − (∂g/‖V‖)·V)
      const dv = ops.mul(ops.sub(dW, ops.mul(v2, ops.div(dg, norms))), ops.div(g2, norms));
      ops.add(this.v.grad.reshape([this.rows, this.cols]), dv, this.v.grad.reshape([this.rows, this.cols]));
    });
    return dx;
  }

  override zeroGrad(): void {
    super.zeroGrad();
    ops.fill(this.inner.weight.grad, 0);
  }

  override dispose(): void {
    this.inner.dispose();
    for (const p of [this.g, this.v]) {
      p.value.dispose();
      p.grad.dispose();
    }
  }
}
