// A feedforward container: forward through the layers in order, backward in reverse. Each layer
// keeps what its backward needs, so the intermediate tensors are released as soon as passed on.
import { type Buffer, Module, type Parameter, prefixed } from "./module.js";
import type { Tensor } from "../tensor.js";

export class Sequential extends Module {
  readonly layers: Module[];

  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
  }

  forward(x: Tensor): Tensor {
    let h = x;
    for (const layer of this.layers) {
      const next = layer.forward(h);
      if (h !== x) h.dispose();
      h = next;
    }
    return h;
  }

  backward(dy: Tensor): Tensor {
    let g = dy;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const next = this.layers[i].backward(g);
      if (g !== dy) g.dispose();
      g = next;
    }
    return g;
  }

  /** Parameters named "<layer index>.<name>", e.g. "0.weight". */
  override parameters(): Parameter[] {
    return this.layers.flatMap((l, i) => prefixed(String(i), l.parameters()));
  }

  /** Buffers named like parameters, e.g. "1.running_mean". */
  override buffers(): Buffer[] {
    return this.layers.flatMap((l, i) => prefixed(String(i), l.buffers()));
  }

  override children(): Module[] {
    return this.layers;
  }

  override zeroGrad(): void {
    for (const l of this.layers) l.zeroGrad();
  }

  override dispose(): void {
    for (const l of this.layers) l.dispose();
  }
}
