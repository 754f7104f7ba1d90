// Batch normalisation over time-major spike tensors, with time folded into the batch: the
// statistics of channel c are taken over every (t, b, and for 2-D every pixel), as PyTorch's
// BatchNorm on x.flatten(0, 1) (the paper's CIFAR10-DVS SEW-ResNet). In training the batch
// statistics normalise and update the running ones (momentum, unbiased variance, as PyTorch); in
// evaluation the running statistics normalise. Composed from broadcast element-wise ops and
// reductions, so it runs on both backends without a kernel of its own.
//
//   y = γ·x̂ + β,  x̂ = (x − μ)/√(σ² + ε)
//   training backward (M values per channel): ∂x = (∂x̂ − mean(∂x̂) − x̂·mean(∂x̂·x̂))/√(σ² + ε),
//   ∂x̂ = γ·∂y, ∂γ = Σ ∂y·x̂, ∂β = Σ ∂y;  evaluation: ∂x = γ·∂y/√(σ²_run + ε).
import { type Device, type DeviceLike, parseDevice } from "../device.js";
import { ShapeError, shapeStr } from "../errors.js";
import * as ops from "../ops.js";
import { Tensor, keep, scope } from "../tensor.js";
import { noForward } from "./common.js";
import type { Activation, ForwardRequest } from "./activation.js";
import { type Buffer, Module, type Parameter, newParameter } from "./module.js";
import { fail } from "./options.js";

export interface BatchNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Weight of the batch in the running statistics (default 0.1). */
  momentum?: number;
  /** Learnable γ (weight, init 1) and β (bias, init 0) (default true). */
  affine?: boolean;
  device?: DeviceLike;
}

interface Cache {
  shape: readonly number[];
  /** x̂ as [N, C, S] (training), or nothing (evaluation keeps only the scale). */
  xhat: Tensor;
  /** 1/√(σ² + ε) as [C, 1]. */
  invStd: Tensor;
  training: boolean;
}

/** Sum over the outer and inner axes of [N, C, S]: [C, 1]. */
function channelSum(t: Tensor): Tensor {
  return ops.sum(ops.sum(t, 2, true), 0);
}

abstract class BatchNormBase extends Module {
  readonly device: Device;
  readonly eps: number;
  readonly momentum: number;
  readonly weight: Parameter | undefined; // γ [C]
  readonly bias: Parameter | undefined; // β [C]
  readonly runningMean: Buffer;
  readonly runningVar: Buffer;
  /** Training batches seen (PyTorch's num_batches_tracked). */
  readonly numBatchesTracked: Buffer;
  private cache: Cache | undefined;

  override describe(): string {
    return `${this.kind}(${this.numFeatures})`;
  }

  constructor(private readonly kind: string, readonly numFeatures: number, opts: BatchNormOptions = {}) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures < 1) fail(`${kind} numFeatures`, "an integer >= 1", numFeatures);
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    if (typeof this.eps !== "number" || !(this.eps > 0)) fail(`${kind} eps`, "a number > 0", this.eps);
    if (typeof this.momentum !== "number" || !(this.momentum >= 0 && this.momentum <= 1)) fail(`${kind} momentum`, "a number in [0, 1]", this.momentum);
    this.device = parseDevice(opts.device);
    const C = numFeatures;
    if (opts.affine !== false) {
      this.weight = newParameter("weight", Tensor.full([C], 1, this.device));
      this.bias = newParameter("bias", Tensor.zeros([C], this.device));
    }
    this.runningMean = { name: "running_mean", value: keep(Tensor.zeros([C], this.device)) };
    this.runningVar = { name: "running_var", value: keep(Tensor.full([C], 1, this.device)) };
    this.numBatchesTracked = { name: "num_batches_tracked", value: keep(Tensor.zeros([1], this.device)) };
  }

  /** [N, C, S] layout of an input; throws when the channels do not match. */
  protected abstract layout(shape: readonly number[]): [number, number, number];

  override parameters(): Parameter[] {
    return this.weight && this.bias ? [this.weight, this.bias] : [];
  }

  override buffers(): Buffer[] {
    return [this.runningMean, this.runningVar, this.numBatchesTracked];
  }

  protected checkChannels(shape: readonly number[], axis: number, what: string): void {
    if (shape.length < -axis + 1 || shape[shape.length + axis] !== this.numFeatures)
      throw new ShapeError(`${this.kind}: expected an input ${what} with ${this.numFeatures} channels, received ${shapeStr(shape)}`);
  }

  forward(x: Tensor): Tensor {
    return this.forwardInto(x, false);
  }

  /** With an input handed over (ownsInput) that nothing shares, x − mean (then x̂) is formed over it. */
  override forwardActivation(a: Activation, req: ForwardRequest = {}): Activation {
    return { x: this.forwardInto(a.x, !!req.ownsInput && a.x.sole) };
  }

  private forwardInto(x: Tensor, owned: boolean): Tensor {
    if (!x.device.equals(this.device))
      throw new ShapeError(`${this.kind}: expected the input on ${this.device} (the layer's device), received it on ${x.device}`);
    const [N, C, S] = this.layout(x.shape);
    const M = N * S;
    if (this.training && M < 2)
      throw new ShapeError(`${this.kind}: training needs more than one value per channel to normalise, received ${shapeStr(x.shape)}`);
    this.release();
    // Full-size temporaries are freed as soon as used and x̂ is formed in place: at 128 × 128 ×
    // 64 channels × T·B 128 each is 512 MiB, and scope() alone would hold five until the end.
    const r = scope(() => {
      const x3 = x.reshape([N, C, S]);
      let xhat: Tensor;
      let invStd: Tensor;
      if (this.training) {
        const mean = ops.scale(channelSum(x3), 1 / M);
        const xc = ops.sub(x3, mean, owned ? x3 : undefined);
        const sq = ops.square(xc);
        const variance = ops.scale(channelSum(sq), 1 / M);
        sq.dispose();
        invStd = ops.reciprocal(ops.sqrt(ops.add(variance, this.eps)));
        xhat = ops.mul(xc, invStd, xc);
        const m = this.momentum;
        ops.axpby(m, mean, 1 - m, this.runningMean.value);
        ops.axpby(m * (M / (M - 1)), variance, 1 - m, this.runningVar.value);
        ops.add(this.numBatchesTracked.value, 1, this.numBatchesTracked.value);
      } else {
        invStd = ops.reciprocal(ops.sqrt(ops.add(this.runningVar.value.reshape([C, 1]), this.eps)));
        const xc = ops.sub(x3, this.runningMean.value.reshape([C, 1]), owned ? x3 : undefined);
        xhat = ops.mul(xc, invStd, xc);
      }
      let y3: Tensor;
      if (this.weight && this.bias) {
        y3 = ops.mul(xhat, this.weight.value.reshape([C, 1]));
        ops.add(y3, this.bias.value.reshape([C, 1]), y3);
      } else y3 = xhat.reshape(xhat.shape);
      return { y: y3.reshape(x.shape), xhat: keep(xhat), invStd: keep(invStd) };
    });
    this.cache = { shape: x.shape, xhat: r.xhat, invStd: r.invStd, training: this.training };
    return r.y;
  }

  backward(dy: Tensor): Tensor {
    return this.backwardInto(dy, false);
  }

  /** ∂x̂ = γ·∂y and then ∂x formed over dy's storage: one full-size tensor fewer in flight. */
  override backwardOwned(dy: Tensor): Tensor {
    return this.backwardInto(dy, dy.sole);
  }

  private backwardInto(dy: Tensor, owned: boolean): Tensor {
    const c = this.cache;
    if (!c) noForward(this.kind);
    if (dy.size !== c.xhat.size)
      throw new ShapeError(`${this.kind} backward: expected dy of shape ${shapeStr(c.shape)}, received ${shapeStr(dy.shape)}`);
    const [N, C, S] = this.layout(c.shape);
    const M = N * S;
    return scope(() => {
      const dy3 = dy.reshape([N, C, S]);
      // As the forward: full-size temporaries freed when used, the rest in place.
      const use = (t: Tensor, f: (t: Tensor) => Tensor) => {
        const r = f(t);
        t.dispose();
        return r;
      };
      if (this.weight && this.bias) {
        ops.add(this.bias.grad, channelSum(dy3).reshape([C]), this.bias.grad);
        ops.add(this.weight.grad, use(ops.mul(dy3, c.xhat), channelSum).reshape([C]), this.weight.grad);
      }
      // after the parameters' gradients, which read dy: an owned dy may now be written over
      const dxhat = this.weight ? (owned ? ops.mul(dy3, this.weight.value.reshape([C, 1]), dy3) : ops.mul(dy3, this.weight.value.reshape([C, 1]))) : dy3;
      let dx: Tensor;
      if (c.training) {
        const meanD = ops.scale(channelSum(dxhat), 1 / M);
        const meanDX = ops.scale(use(ops.mul(dxhat, c.xhat), channelSum), 1 / M);
        // in place when dxhat is this backward's own or dy is (not the caller's dy to keep)
        dx = dxhat !== dy3 || owned ? ops.sub(dxhat, meanD, dxhat) : ops.sub(dxhat, meanD);
        const xm = ops.mul(c.xhat, meanDX);
        ops.sub(dx, xm, dx);
        xm.dispose();
        ops.mul(dx, c.invStd, dx);
      } else dx = owned ? ops.mul(dxhat, c.invStd, dxhat) : ops.mul(dxhat, c.invStd);
      return dx.reshape(c.shape);
    });
  }

  /** x̂, as large as its input (and 1/√(σ² + ε) per channel, not per step). */
  override keptPerStep(s: readonly number[]): number {
    return s.reduce((a, b) => a * b, 1);
  }

  override releaseCache(): void {
    this.release();
  }

  private release(): void {
    this.cache?.xhat.dispose();
    this.cache?.invStd.dispose();
    this.cache = undefined;
  }

  override dispose(): void {
    this.release();
    super.dispose();
  }
}

/** Batch norm of [..., C] (e.g. [T, B, C] after a Linear layer): statistics over every leading index. */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super("BatchNorm1d", numFeatures, opts);
  }
  protected layout(shape: readonly number[]): [number, number, number] {
    this.checkChannels(shape, -1, "[..., C]");
    return [shape.slice(0, -1).reduce((a, b) => a * b, 1), this.numFeatures, 1];
  }
}

/** Batch norm of [..., C, H, W] (e.g. [T, B, C, H, W]): statistics over every leading index and pixel. */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super("BatchNorm2d", numFeatures, opts);
  }
  protected layout(shape: readonly number[]): [number, number, number] {
    if (shape.length < 3) throw new ShapeError(`BatchNorm2d: expected an input [..., C, H, W], received ${shapeStr(shape)}`);
    this.checkChannels(shape, -3, "[..., C, H, W]");
    return [shape.slice(0, -3).reduce((a, b) => a * b, 1), this.numFeatures, shape[shape.length - 2] * shape[shape.length - 1]];
  }
}
