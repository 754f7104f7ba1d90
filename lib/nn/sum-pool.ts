// Sum pooling over the last two axes of [T, B, C, H, W]: NIR's SumPool2d (an imported graph may
// hold one). The average pool times k²; exact when k² is a power of two (k = 1, 2, 4, …), else
// within one float32 rounding of the sum.
import * as ops from "../ops.js";
import { avgPool2d, pool2dBackward } from "../pool.js";
import type { Tensor } from "../tensor.js";
import { noForward } from "./common.js";
import { Module } from "./module.js";
import { fail } from "./options.js";

export class SumPool2d extends Module {
  private inputShape: readonly number[] | undefined;

  constructor(readonly kernel: number) {
    super();
    if (!Number.isInteger(kernel) || kernel < 1) fail("SumPool2d kernel", "an integer >= 1", kernel);
  }

  forward(x: Tensor): Tensor {
    this.inputShape = x.shape;
    const avg = avgPool2d(x, this.kernel);
    const y = ops.scale(avg, this.kernel * this.kernel);
    avg.dispose();
    return y;
  }

  backward(dy: Tensor): Tensor {
    if (!this.inputShape) noForward("SumPool2d");
    const g = ops.scale(dy, this.kernel * this.kernel);
    const dx = pool2dBackward("avg", g, this.inputShape, this.kernel);
    g.dispose();
    return dx;
  }
}
