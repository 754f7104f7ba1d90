// A feedforward container: forward through the layers in order, backward in reverse. Each layer
// keeps what its backward needs, so the intermediate tensors are released as soon as passed on.
import { type Buffer, Module, type Parameter, prefixed } from "./module.js";
import type { Tensor } from "../tensor.js";
import type { SpikeHint } from "../sparse.js";
import { NeuronLayer } from "./neuron.js";
import { Dropout } from "./dropout.js";
import { AvgPool2d } from "./pool.js";
import { type Layout, checkLayout, checkSequenceInput, fromTimeMajor, swapLeadingAxes, toTimeMajor } from "../layout.js";

export interface SequentialOptions {
  /** "TBN" (default): inputs and outputs are time-major [T, B, …]; "BTN": batch-first [B, T, …], transposed in and out. */
  layout?: Layout;
}

/** A layer whose forward takes its input's spike bitmask (Module.readsSpikeMask). */
type SpikeMaskReader = Module & { forward(x: Tensor, hint?: SpikeHint): Tensor };

/**
 * Layer i's forward on h in a chain of layers, given the spike bitmask of h that layer i − 1
 * emitted (or, for the first layer, the batch's spike index from the data loader). Returns its
 * output, the number of layers it covered (2 when a neuron layer ran fused with the AvgPool2d(2)
 * after it: the spikes are pooled inside the scan and never stored; 3 with a Dropout after the
 * pooling, applied in the same scan) and, when the next layer
 * reads one, its output's bitmask. Nothing runs between two layers of a chain, so a mask still
 * describes h when it is read.
 */
function layerForward(layers: readonly Module[], i: number, h: Tensor, mask?: SpikeHint): { y: Tensor; mask?: Uint8Array; layers: number } {
  const layer = layers[i];
  const next = layers[i + 1];
  if (layer instanceof NeuronLayer && next instanceof AvgPool2d && next.kernel === 2 && layer.canFusePool2(h)) {
    layer.emitSpikeMask = false;
    // A Dropout after the pooling joins the scan too (in evaluation it is the identity).
    const drop = layers[i + 2];
    if (drop instanceof Dropout) {
      const active = drop.training && drop.p > 0;
      return { y: layer.forwardPool2(h, active ? { p: drop.p, seed: drop.seed } : undefined), layers: 3 };
    }
    return { y: layer.forwardPool2(h), layers: 2 };
  }
  if (layer instanceof NeuronLayer) layer.emitSpikeMask = next?.readsSpikeMask ?? false;
  const y = mask && layer.readsSpikeMask ? (layer as SpikeMaskReader).forward(h, mask) : layer.forward(h);
  return { y, mask: layer instanceof NeuronLayer && layer.emitSpikeMask ? layer.spikeMask : undefined, layers: 1 };
}

export class Sequential extends Module {
  readonly layers: Module[];
  /** Layer indices the last forward ran fused with the layer before them (skipped by backward). */
  private fusedInto = new Set<number>();

  /** The layout of forward's input and output and of backward's gradients (SequentialOptions). */
  readonly layout: Layout;

  /** new Sequential(...layers) or new Sequential(...layers, { layout: "BTN" }). */
  constructor(...layers: (Module | SequentialOptions)[]) {
    super();
    const last = layers[layers.length - 1];
    const opts = last !== undefined && !(last instanceof Module) ? (layers.pop() as SequentialOptions) : {};
    this.layers = layers as Module[];
    this.layout = checkLayout("Sequential layout", opts.layout);
  }

  /** Indices of the layers the last forward ran inside the scan of the layer before them. */
  get fusedLayers(): ReadonlySet<number> {
    return this.fusedInto;
  }

  /** hint: the input's spike index (a data loader batch's `index`), for a first Linear layer. */
  forward(x: Tensor, hint?: SpikeHint): Tensor {
    // A network with spiking layers reads [T, B, …]: a rank-2 input is a mistake, not [T, N].
    if (x.rank < 3 && (this.layout !== "TBN" || hasNeurons(this))) checkSequenceInput("Sequential", x, this.layout);
    if (this.layout === "TBN") return this.forwardSteps(x, hint, () => {});
    const xt = toTimeMajor("Sequential", x, this.layout);
    const y = this.forwardSteps(xt, undefined, () => {}); // a spike index describes the time-major batch: not passed
    if (y !== xt) xt.dispose();
    return fromTimeMajor(y, this.layout);
  }

  /**
   * The forward, calling after(i, y) with the output of every layer i that ran (a fused pair
   * reports its first layer, with the pooled output); the trainer counts spikes this way.
   */
  forwardSteps(x: Tensor, hint: SpikeHint | undefined, after: (i: number, y: Tensor) => void): Tensor {
    let h = x;
    let mask: SpikeHint | undefined = hint;
    this.fusedInto.clear();
    for (let i = 0; i < this.layers.length; ) {
      const next = layerForward(this.layers, i, h, mask);
      if (h !== x) h.dispose();
      h = next.y;
      mask = next.mask;
      after(i, h);
      for (let k = 1; k < next.layers; k++) this.fusedInto.add(i + k);
      i += next.layers;
    }
    return h;
  }

  backward(dy: Tensor): Tensor {
    if (this.layout === "TBN") return this.backwardSteps(dy);
    const g = swapLeadingAxes(dy);
    const dx = this.backwardSteps(g);
    if (dx !== g) g.dispose();
    return fromTimeMajor(dx, this.layout);
  }

  private backwardSteps(dy: Tensor): Tensor {
    let g = dy;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      if (this.fusedInto.has(i)) continue; // its gradient is taken by the layer it ran fused into
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

function hasNeurons(m: Module): boolean {
  return m instanceof NeuronLayer || m.children().some(hasNeurons);
}
