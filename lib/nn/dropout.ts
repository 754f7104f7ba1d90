// Inverted dropout as a layer. Masks come from counter-based seeds, so a run is reproducible
// (and resumable) from the seed alone: the trainer sets `seed` before each training forward.
// With training = false (evaluation) the layer is the identity.
import { dropoutApply } from "../dropout.js";
import { ShapeError, shapeStr } from "../errors.js";
import type { Tensor } from "../tensor.js";
import { noForward } from "./common.js";
import type { Fusion } from "./activation.js";
import { Module } from "./module.js";
import { fail } from "./options.js";

export class Dropout extends Module {
  /** Seed of the next mask (a non-negative integer); changed between steps by the trainer. */
  seed = 0;
  /** The seed and size of the last training forward's mask, recomputed in backward (no mask is stored). */
  private applied: { seed: number; size: number } | undefined;
  private identity = false;

  constructor(readonly p: number) {
    super();
    if (typeof p !== "number" || !(p >= 0 && p < 1)) fail("Dropout p", "a probability in [0, 1)", p);
  }

  /** A fused neuron scan may apply it (Sequential's plan): this step's p and seed, none in evaluation. */
  override fusion(): Fusion {
    return { dropout: () => (this.training && this.p > 0 ? { p: this.p, seed: this.seed } : undefined) };
  }

  /** The identity at inference: no node. */
  override toNir(): undefined {
    return undefined;
  }

  override describe(): string {
    return `Dropout(${this.p})`;
  }

  forward(x: Tensor): Tensor {
    this.applied = undefined;
    this.identity = !this.training || this.p === 0;
    if (this.identity) return x.reshape(x.shape);
    this.applied = { seed: this.seed, size: x.size };
    return dropoutApply(x, this.p, this.seed);
  }

  backward(dy: Tensor): Tensor {
    if (this.identity) return dy.reshape(dy.shape);
    if (!this.applied) noForward("Dropout");
    if (dy.size !== this.applied.size) throw new ShapeError(`Dropout backward: expected dy of ${this.applied.size} elements (the forward's input), received ${shapeStr(dy.shape)}`);
    return dropoutApply(dy, this.p, this.applied.seed);
  }

  override dispose(): void {
    this.applied = undefined;
  }
}

/** Whether m is a Dropout (whose seed the trainer sets per step). */
export function isDropout(m: Module): m is Dropout {
  return m instanceof Dropout;
}
