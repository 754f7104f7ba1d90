// [T, B, C, H, W] → [T, B, C·H·W] (a view), so a Linear readout can follow the convolutions.
import type { Tensor } from "../tensor.js";
import { noForward } from "./common.js";
import { Module } from "./module.js";
import type { NirContext, NirStep } from "./nir.js";
import { ints } from "../nir/hdf5.js";

export class Flatten extends Module {
  private inputShape: readonly number[] | undefined;

  override outputShape(s: readonly number[]): number[] {
    return [s.reduce((a, b) => a * b, 1)];
  }

  override toNir(c: NirContext): NirStep {
    return { node: { type: "Flatten", start_dim: 0, end_dim: -1, input_type: ints([...c.shape]) }, shape: this.outputShape(c.shape) };
  }

  forward(x: Tensor): Tensor {
    this.inputShape = x.shape;
    return x.reshape([x.shape[0], x.shape[1], -1]);
  }

  backward(dy: Tensor): Tensor {
    if (!this.inputShape) noForward("Flatten");
    return dy.reshape(this.inputShape);
  }
}
