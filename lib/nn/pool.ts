// Average pooling over the last two axes of [T, B, C, H, W] (every time step and image at once).
import { avgPool2d, pool2dBackward } from "../pool.js";
import type { Tensor } from "../tensor.js";
import { noForward } from "./common.js";
import { Module } from "./module.js";
import { fail } from "./options.js";

export class AvgPool2d extends Module {
  private inputShape: readonly number[] | undefined;

  constructor(readonly kernel: number) {
    super();
    if (!Number.isInteger(kernel) || kernel < 1) fail("AvgPool2d kernel", "an integer >= 1", kernel);
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
