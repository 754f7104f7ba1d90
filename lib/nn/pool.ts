// Average, max and sum pooling over the last two axes of [T, B, C, H, W] (every time step and
// image at once); windows of kernel × kernel with stride kernel, no padding.
import * as ops from "../ops.js";
import { avgPool2d, maxPool2d, pool2dBackward } from "../pool.js";
import { type Tensor, keep } from "../tensor.js";
import type { Fusion } from "./activation.js";
import { imageShape, noForward } from "./common.js";
import { Module } from "./module.js";
import { fail } from "./options.js";
import { type NirContext, type NirStep, refuse } from "./nir.js";
import { shapeStr } from "../errors.js";
import { ints } from "../nir/hdf5.js";

/** Pooling over kernel × kernel windows: the per-sample shape and summary line all three share. */
abstract class Pool2d extends Module {
  constructor(readonly kernel: number) {
    super();
    if (!Number.isInteger(kernel) || kernel < 1) fail(`${this.constructor.name} kernel`, "an integer >= 1", kernel);
  }

  override outputShape(s: readonly number[]): number[] {
    const [c, h, w] = imageShape(this.constructor.name, s);
    return [c, Math.floor(h / this.kernel), Math.floor(w / this.kernel)];
  }

  override describe(): string {
    return `${this.constructor.name}(${this.kernel})`;
  }

  /** NIR's AvgPool2d and SumPool2d (MaxPool2d has no node). */
  protected nirPool(c: NirContext, type: "AvgPool2d" | "SumPool2d"): NirStep {
    if (c.shape.length !== 3) refuse(c, `expected an input [C, H, W], received samples of shape ${shapeStr(c.shape)}`);
    const k = this.kernel;
    return { node: { type, kernel_size: ints([k, k]), stride: ints([k, k]), padding: ints([0, 0]) }, shape: this.outputShape(c.shape) };
  }
}

export class AvgPool2d extends Pool2d {
  private inputShape: readonly number[] | undefined;

  override toNir(c: NirContext): NirStep {
    return this.nirPool(c, "AvgPool2d");
  }

  /** A neuron layer before an AvgPool2d(2) can pool inside its scan (Sequential's plan). */
  override fusion(): Fusion {
    return this.kernel === 2 ? { avgPool2: true } : {};
  }

  forward(x: Tensor): Tensor {
    this.inputShape = x.shape;
    return avgPool2d(x, this.kernel);
  }

  backward(dy: Tensor): Tensor {
    if (!this.inputShape) noForward("AvgPool2d");
    return pool2dBackward("avg", dy, this.inputShape, this.kernel);
  }
}

/** Max pooling over the last two axes; backward routes each gradient to its window's winner. */
export class MaxPool2d extends Pool2d {
  private inputShape: readonly number[] | undefined;
  private indices: Tensor | undefined;

  forward(x: Tensor): Tensor {
    const { y, indices } = maxPool2d(x, this.kernel);
    this.indices?.dispose();
    this.indices = keep(indices!);
    this.inputShape = x.shape;
    return y;
  }

  backward(dy: Tensor): Tensor {
    if (!this.inputShape || !this.indices) noForward("MaxPool2d");
    return pool2dBackward("max", dy, this.inputShape, this.kernel, this.kernel, this.indices);
  }

  /** The winners' indices, one per output value. */
  override keptPerStep(s: readonly number[]): number {
    return this.outputShape(s).reduce((a, b) => a * b, 1);
  }

  override releaseCache(): void {
    this.indices?.dispose();
    this.indices = undefined;
  }

  override dispose(): void {
    this.releaseCache();
  }
}

/** Sum pooling (sinabs SumPool2d): k²·average, so spike counts are kept, not averaged. */
export class SumPool2d extends Pool2d {
  private inputShape: readonly number[] | undefined;

  override toNir(c: NirContext): NirStep {
    return this.nirPool(c, "SumPool2d");
  }

  forward(x: Tensor): Tensor {
    this.inputShape = x.shape;
    const y = avgPool2d(x, this.kernel);
    return ops.scale(y, this.kernel * this.kernel, y);
  }

  backward(dy: Tensor): Tensor {
    if (!this.inputShape) noForward("SumPool2d");
    const dx = pool2dBackward("avg", dy, this.inputShape, this.kernel);
    return ops.scale(dx, this.kernel * this.kernel, dx);
  }
}
