// Inverted dropout as a layer. Masks come from counter-based seeds, so a run is reproducible
// (and resumable) from the seed alone: the trainer sets `seed` before each training forward.
// With training = false (evaluation) the layer is the identity.
import { dropoutMask } from "../dropout.js";
import * as ops from "../ops.js";
import { Tensor, keep } from "../tensor.js";
import { noForward } from "./common.js";
import { Module } from "./module.js";
import { fail } from "./options.js";

export class Dropout extends Module {
  /** Seed of the next mask (a non-negative integer); changed between steps by the trainer. */
  seed = 0;
  private mask: Tensor | undefined;
  private identity = false;

  constructor(readonly p: number) {
    super();
    if (typeof p !== "number" || !(p >= 0 && p < 1)) fail("Dropout p", "a probability in [0, 1)", p);
  }

  forward(x: Tensor): Tensor {
    this.mask?.dispose();
    this.mask = undefined;
    this.identity = !this.training || this.p === 0;
    if (this.identity) return x.reshape(x.shape);
    this.mask = keep(dropoutMask(x.shape, this.p, this.seed, x.device));
    return ops.mul(x, this.mask);
  }

  backward(dy: Tensor): Tensor {
    if (this.identity) return dy.reshape(dy.shape);
    if (!this.mask) noForward("Dropout");
    return ops.mul(dy, this.mask);
  }

  override dispose(): void {
    this.mask?.dispose();
    this.mask = undefined;
  }
}
