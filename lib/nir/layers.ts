// Layers that exist for NIR graphs: per-element constants a NIR node holds and exodus's layers do
// not. Each acts on one sample's elements (the per-sample shape, without time and batch):
//   Bias       y = x + b   (a convolution's bias; a neuron's leak drive (dt/τ)·v_leak per step)
//   Scale      y = s ⊙ x   (NIR Scale)
//   Threshold  y = 1[x ≥ θ] (NIR Threshold; not differentiable, so a graph holding one runs but
//              cannot be fine-tuned)
import { type DeviceLike, parseDevice } from "../device.js";
import { ExodusError, ShapeError, shapeStr } from "../errors.js";
import * as ops from "../ops.js";
import { Tensor, keep } from "../tensor.js";
import { noForward } from "../nn/common.js";
import { Module, type Parameter, newParameter } from "../nn/module.js";

/** f on x viewed as [T, B, …sample], returned in x's shape; the intermediate views are released. */
function perSample(x: Tensor, sample: readonly number[], f: (v: Tensor) => Tensor): Tensor {
  const v = x.reshape([x.shape[0], x.shape[1], ...sample]);
  const y = f(v);
  v.dispose();
  const r = y.reshape(x.shape);
  y.dispose();
  return r;
}

function checkSample(layer: string, x: Tensor, sample: readonly number[]): void {
  const n = sample.reduce((a, b) => a * b, 1);
  if (x.rank < 2 || x.size !== x.shape[0] * x.shape[1] * n)
    throw new ShapeError(`${layer}: expected an input [T, B, ${sample.join(", ")}], received ${shapeStr(x.shape)}`);
}

/** x + b over every step and sample; b has the sample's shape. */
export class Bias extends Module {
  readonly bias: Parameter | undefined;
  private readonly constant: Tensor | undefined;
  /** "bias" (a convolution's, learnable) or "drive" (a neuron's leak towards v_leak, a constant). */
  readonly role: "bias" | "drive";

  constructor(readonly sampleShape: readonly number[], values: ArrayLike<number>, opts: { role: "bias" | "drive"; device?: DeviceLike }) {
    super();
    this.role = opts.role;
    const t = Tensor.from(values, [...sampleShape], parseDevice(opts.device));
    if (opts.role === "bias") this.bias = newParameter("bias", t);
    else this.constant = keep(t);
  }

  get values(): Tensor {
    return this.bias ? this.bias.value : this.constant!;
  }

  forward(x: Tensor): Tensor {
    checkSample("Bias", x, this.sampleShape);
    return perSample(x, this.sampleShape, (v) => ops.add(v, this.values));
  }

  backward(dy: Tensor): Tensor {
    if (this.bias) {
      const rows = dy.reshape([-1, ...this.sampleShape]);
      const db = ops.sum(rows, 0);
      ops.add(this.bias.grad, db, this.bias.grad);
      db.dispose();
      rows.dispose();
    }
    return dy.reshape(dy.shape);
  }

  override parameters(): Parameter[] {
    return this.bias ? [this.bias] : [];
  }

  override dispose(): void {
    super.dispose();
    this.constant?.dispose();
  }
}

/** s ⊙ x (NIR Scale): a constant per element. */
export class Scale extends Module {
  readonly scale: Tensor;

  constructor(readonly sampleShape: readonly number[], values: ArrayLike<number>, device?: DeviceLike) {
    super();
    this.scale = keep(Tensor.from(values, [...sampleShape], parseDevice(device)));
  }

  forward(x: Tensor): Tensor {
    checkSample("Scale", x, this.sampleShape);
    return perSample(x, this.sampleShape, (v) => ops.mul(v, this.scale));
  }

  backward(dy: Tensor): Tensor {
    return perSample(dy, this.sampleShape, (v) => ops.mul(v, this.scale));
  }

  override dispose(): void {
    this.scale.dispose();
  }
}

/** 1[x ≥ θ] per element (NIR Threshold). */
export class Threshold extends Module {
  readonly threshold: Tensor;
  private ran = false;

  constructor(readonly sampleShape: readonly number[], values: ArrayLike<number>, device?: DeviceLike) {
    super();
    this.threshold = keep(Tensor.from(values, [...sampleShape], parseDevice(device)));
  }

  forward(x: Tensor): Tensor {
    checkSample("Threshold", x, this.sampleShape);
    this.ran = true;
    return perSample(x, this.sampleShape, (v) => {
      const d = ops.sub(v, this.threshold);
      const y = ops.step(d, 0);
      d.dispose();
      return y;
    });
  }

  backward(_dy: Tensor): Tensor {
    if (!this.ran) noForward("Threshold");
    throw new ExodusError("Threshold (a NIR Threshold node): a step function has no gradient, so a graph holding one runs but cannot be trained; replace the node by a spiking neuron to fine-tune");
  }

  override dispose(): void {
    this.threshold.dispose();
  }
}
