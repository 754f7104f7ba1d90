// What flows from one layer to the next: a tensor, plus what its producer learnt about it for free
// and the next layer can use (the bitmask of its nonzeros that a neuron scan packed, the row index
// the data loader built from a batch's sparse frames, the spike count of a scan fused with its
// pooling). A value handed from layer to layer, never a field left on a layer for another to
// read: nothing runs between the producer and the consumer, so it still describes the tensor.
import type { SpikeIndex } from "../sparse.js";
import type { Tensor } from "../tensor.js";

export interface Activation {
  readonly x: Tensor;
  /** Bit i of byte i / 8 set where x's flat entry i is nonzero (a LIF/IAF/ALIF scan packs it). */
  readonly mask?: Uint8Array;
  /** x as a row index [rows, features] (a data loader batch's, for a first Linear layer). */
  readonly index?: SpikeIndex;
  /** The spikes a neuron scan emitted when x is its pooled output (the spikes themselves were never stored). */
  readonly spikeCount?: number;
}

/** What a layer's caller asks of its forward on an Activation. */
export interface ForwardRequest {
  /** The next layer reads a spike bitmask: pack one of the output when the layer can. */
  readonly mask?: boolean;
  /**
   * Called by a container (Sequential) with each of its layers' output, nested ones too; a fused
   * group reports its first layer, with the pooled output and its spike count.
   */
  readonly observe?: Observer;
  /**
   * Nothing reads the input's values after this forward: a container may drop it once its first
   * layer has run, a layer may write its output over it (a checkpoint's recompute, docs/memory.md).
   */
  readonly ownsInput?: boolean;
  /**
   * The caller drops the output unread (a checkpoint's recompute, which wants the caches only): a
   * layer may leave the output's values undefined and keep less (a LIF on the CPU writes its
   * membrane over an owned input and keeps no spikes). A container passes it to its last layer.
   */
  readonly discardOutput?: boolean;
}

export type Observer = (layer: object, out: Activation) => void;

/** A Dropout's part in a fused scan: its probability and this step's seed. */
export interface PoolDropout {
  p: number;
  seed: number;
}

/** A layer that can run an AvgPool2d(2) (and a Dropout after it) inside its own forward scan. */
export interface Pool2Head {
  /** Whether input x allows it (its shape; the layer's device and method are known already). */
  canFusePool2(x: Activation["x"]): boolean;
  /** The forward followed by the pooling (and dropout), returning the pooled map and the spike count. */
  forwardPool2(x: Activation["x"], dropout?: PoolDropout): Activation;
}

/**
 * A Linear's product over its input's spike index, handed to the neuron layer after it to compute
 * inside its scan (y = index · weightᵀ + bias, of `shape` [T, B, out]; never stored).
 */
export interface IndexFeed {
  readonly index: SpikeIndex;
  readonly weight: Tensor;
  readonly bias?: Tensor;
  readonly shape: readonly number[];
  /** The Linear's side of a backward taken in the neuron layer's reverse scan; undefined once the Linear ran another forward. */
  grad(): FeedGrad | undefined;
}

/** What the neuron layer needs to take the Linear's backward in its own reverse scan (LinearTail.backwardLinear). */
export interface FeedGrad {
  readonly index: SpikeIndex;
  readonly weight: Tensor;
  /** Added to: ∂L/∂W [out, in], ∂L/∂b [out]. */
  readonly weightGrad: Tensor;
  readonly biasGrad?: Tensor;
  readonly inFeatures: number;
  /** Whether the Linear computes ∂L/∂(its input) (false for a network's first layer). */
  readonly inputGrad: boolean;
}

/** A Linear that can hand its product to the neuron layer after it (Linear.forwardFeed). */
export interface IndexFeedSource {
  readonly outFeatures: number;
  /** Indexes and keeps the input as forward does; returns the feed when the product takes the indexed path, else runs it (`y`). */
  forwardFeed(a: Activation): IndexFeed | { y: Tensor };
}

/** A neuron layer that can run the Linear before it inside its forward scan. */
export interface LinearTail {
  /** Whether it can take a product of `out` features now (its device, method and options allow it). */
  canFuseLinear(out: number): boolean;
  /** The forward on the feed's product (with req.mask, packing the spike bitmask too); equal bit for bit to the layers run one after the other. */
  forwardLinear(feed: IndexFeed, req?: ForwardRequest): Activation;
  /**
   * After forwardLinear: this layer's backward and the Linear's in one reverse scan (∂L/∂x never
   * stored), returning ∂L/∂(the Linear's input), or an empty tensor [0] when the Linear takes no
   * input gradient; undefined when it cannot (then run its backward, then the Linear's).
   */
  backwardLinear(dy: Tensor): Tensor | undefined;
}

/**
 * What a layer tells the Sequential that holds it, from which the Sequential builds its fusion
 * plan once. Everything absent means "none".
 */
export interface Fusion {
  /** Its forward reads the input's spike bitmask or index. */
  readsSpikes?: boolean;
  /** Its forward can pack the bitmask of its output's nonzeros. */
  packsMask?: boolean;
  /** It can take an AvgPool2d(2) after it into its scan. */
  pool2Head?: Pool2Head;
  /** It can hand its spike-index product to the neuron layer after it (a Linear on the CPU). */
  indexFeed?: IndexFeedSource;
  /** It can run that product inside its forward scan (LIF, IAF on the CPU). */
  linearTail?: LinearTail;
  /** It is an AvgPool2d with kernel 2. */
  avgPool2?: boolean;
  /** It is a Dropout, which a fused scan can apply: this step's part (undefined when it is the identity). */
  dropout?: () => PoolDropout | undefined;
}

export const NO_FUSION: Fusion = Object.freeze({});

/** What a network's first layer reads of its input besides the tensor (a data loader option). */
export interface InputReads {
  /** Build each batch's spike index (Activation.index) from its sparse frames. */
  spikeIndex?: boolean;
}
