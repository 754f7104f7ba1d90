// A feedforward container: forward through the layers in order, backward in reverse. Each layer
// keeps what its backward needs, so the intermediate tensors are released as soon as passed on.
import { type Buffer, Module, type Parameter, prefixed } from "./module.js";
import type { Tensor } from "../tensor.js";
import type { SpikeHint } from "../sparse.js";
import { NeuronLayer } from "./neuron.js";

/** A layer whose forward takes its input's spike bitmask (Module.readsSpikeMask). */
type SpikeMaskReader = Module & { forward(x: Tensor, hint?: SpikeHint): Tensor };

/**
 * Layer i's forward on h in a chain of layers, given the spike bitmask of h that layer i − 1
 * emitted (or, for the first layer, the batch's spike index from the data loader); returns its
 * output and, when the next layer reads one, its output's bitmask. A neuron
 * layer packs its spikes for such a next layer; nothing runs between the two in a chain, so the
 * mask still describes h when it is read.
 */
export function layerForward(layers: readonly Module[], i: number, h: Tensor, mask?: SpikeHint): { y: Tensor; mask?: Uint8Array } {
  const layer = layers[i];
  if (layer instanceof NeuronLayer) layer.emitSpikeMask = layers[i + 1]?.readsSpikeMask ?? false;
  const y = mask && layer.readsSpikeMask ? (layer as SpikeMaskReader).forward(h, mask) : layer.forward(h);
  return { y, mask: layer instanceof NeuronLayer && layer.emitSpikeMask ? layer.spikeMask : undefined };
}

export class Sequential extends Module {
  readonly layers: Module[];

  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
  }

  /** hint: the input's spike index (a data loader batch's `index`), for a first Linear layer. */
  forward(x: Tensor, hint?: SpikeHint): Tensor {
    let h = x;
    let mask: SpikeHint | undefined = hint;
    for (let i = 0; i < this.layers.length; i++) {
      const next = layerForward(this.layers, i, h, mask);
      if (h !== x) h.dispose();
      h = next.y;
      mask = next.mask;
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
