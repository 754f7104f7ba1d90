// Layer-wise training (Caffe / llm.c style): forward(x) caches what backward needs; backward(dy)
// returns dx and accumulates parameter gradients. The network is feedforward, so a container
// calls backward in reverse order; only the BPTT baseline needs a tape (see tape.ts).
//
// Ownership: forward and backward return new tensors that the caller owns (and may dispose). A
// module keeps its own views of what it caches (a view holds the storage alive), released by the
// next forward or by dispose().
import * as ops from "../ops.js";
import { Tensor, keep } from "../tensor.js";
import { type LoadStateDictOptions, type LoadStateDictResult, type StateDict, type StateValue, loadStateDict, loadStateDictFile, saveStateDict, stateDict } from "./state-dict.js";
import { type Activation, type ForwardRequest, type Fusion, NO_FUSION } from "./activation.js";
import { type NirContext, type NirStep, refuse } from "./nir.js";

export interface Parameter {
  /** e.g. "weight", "bias", "alpha". */
  name: string;
  value: Tensor;
  /** Accumulated by backward; cleared by zeroGrad(). */
  grad: Tensor;
}

/** State that is not trained by gradients but saved with the weights (BatchNorm's running statistics). */
export interface Buffer {
  /** e.g. "running_mean". */
  name: string;
  value: Tensor;
}

export abstract class Module {
  /** Training mode (default true): dropout drops, batch norm uses and updates batch statistics. */
  training = true;

  abstract forward(x: Tensor): Tensor;
  abstract backward(dy: Tensor): Tensor;

  /**
   * backward(dy) for a caller that reads dy's values no more (it may still dispose its handle):
   * a layer may then write its gradient over dy's storage, one full-size tensor fewer in flight
   * (docs/memory.md). The same values as backward; by default it is backward.
   */
  backwardOwned(dy: Tensor): Tensor {
    return this.backward(dy);
  }

  // ---- what a layer says about itself: read by Sequential's fusion plan, the summary, the
  // trainer's diagnostics and the model builder, so that nothing outside lib/nn tests layer kinds.

  /**
   * The forward on an Activation (the tensor and what its producer knew of it), returning the
   * output's: a layer that reads a spike bitmask or index, or packs one (see fusion()), overrides
   * it; the others run forward(a.x). A container calls req.observe with each of its layers' output.
   */
  forwardActivation(a: Activation, _req: ForwardRequest = {}): Activation {
    return { x: this.forward(a.x) };
  }

  /** What this layer offers the fusion plan of the Sequential holding it (nothing by default). */
  fusion(): Fusion {
    return NO_FUSION;
  }

  /** One step's output shape for input features s (without T and batch; [C, H, W] or [F]). */
  outputShape(s: readonly number[]): number[] {
    return [...s];
  }

  /** A short description for the summary: "Conv2d(2→64, 3×3)", "LIF". */
  describe(): string {
    return this.constructor.name;
  }

  /** Whether the output is spikes (a spiking neuron layer): it gets a firing rate and warnings. */
  get spiking(): boolean {
    return false;
  }

  /** Sub-layers shown and walked under this one, with their path segment ("0", "block.1"). */
  namedLayers(): (readonly [string, Module])[] {
    return [];
  }

  /** The weight whose gradient norm the trainer reports, with the layer kind naming it ("Linear"). */
  reportedWeight(): { kind: string; param: Parameter } | undefined {
    return undefined;
  }

  /**
   * Values (floats) this layer's forward keeps for its backward, per sample and time step, for
   * one step's input features s: what a training forward holds until backward (docs/memory.md).
   * A leaf keeps nothing unless it says so; a wrapper keeps what its sub-modules keep.
   */
  keptPerStep(s: readonly number[]): number {
    return this.children().reduce((n, c) => n + c.keptPerStep(s), 0);
  }

  /**
   * For a block whose own layers keep more than a budget allows (a SEW block at full resolution):
   * checkpoints inside it when it can, for input features s and T·B = rows; returns whether it did.
   */
  checkpointInside(_s: readonly number[], _rows: number, _budget: number): boolean {
    return false;
  }

  /**
   * Asks the layers to keep their caches compactly where they can, at some cost in time (a
   * Conv2d keeps a spike input as bits): set when a step must fit a memory budget (nn/memory.ts).
   */
  compactCaches(): void {
    for (const c of this.children()) c.compactCaches();
  }

  /**
   * Frees what the last forward kept for its backward (and buffers kept for reuse), so the
   * memory returns now; the next backward then needs a new forward. Checkpointing (checkpoint.ts)
   * calls it after a segment's first forward.
   */
  releaseCache(): void {
    for (const c of this.children()) c.releaseCache();
  }

  /** For a network's first layer, whose input needs no gradient: backward may skip ∂x. */
  skipInputGrad(): void {}

  /** Its NIR node and the per-sample shape after it (lib/nir/export.ts); undefined: the identity at inference, left out. */
  toNir(c: NirContext): NirStep | undefined {
    refuse(c, "no NIR node for this layer type");
  }

  parameters(): Parameter[] {
    return [];
  }

  buffers(): Buffer[] {
    return [];
  }

  /** Sub-modules (containers and wrappers), so train()/eval() reach every layer. */
  children(): Module[] {
    return [];
  }

  /** Sets training mode on this module and every sub-module; returns this. */
  train(on = true): this {
    this.training = on;
    for (const c of this.children()) c.train(on);
    return this;
  }

  /** Called by the training loop at the start of each epoch (0-based) of `epochs`: per-epoch schedules (a DelayLinear's σ). */
  startEpoch(epoch: number, epochs: number): void {
    for (const c of this.children()) c.startEpoch(epoch, epochs);
  }

  /** Evaluation mode: train(false). */
  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) ops.fill(p.grad, 0);
  }

  // ---- state, with PyTorch's names and semantics (state-dict.ts) -----------------------------------
  /** Parameters and buffers by name ("0.weight", "1.running_mean"): the module's own tensors. */
  stateDict(): StateDict {
    return stateDict(this);
  }

  /** Copies values in by name; strict (default) requires exactly the module's names. */
  loadStateDict(dict: Record<string, StateValue> | Map<string, StateValue>, opts?: LoadStateDictOptions): LoadStateDictResult {
    return loadStateDict(this, dict, opts);
  }

  /** Writes the state to a safetensors file torch's load_state_dict takes (config: stored with it). */
  save(path: string, opts?: { config?: unknown }): void {
    saveStateDict(this, path, opts);
  }

  /** Loads a file written by save(), `exodus train` (model or checkpoint) or torch (safetensors). */
  load(path: string, opts?: LoadStateDictOptions): LoadStateDictResult {
    return loadStateDictFile(this, path, opts);
  }

  /** Frees cached activations and parameters. */
  dispose(): void {
    for (const p of this.parameters()) {
      p.value.dispose();
      p.grad.dispose();
    }
    for (const b of this.buffers()) b.value.dispose();
  }
}

/** PyTorch-style names of nested modules: "<prefix>.<name>", e.g. "3.block.0.weight". */
export function prefixed<T extends { name: string }>(prefix: string, items: T[]): T[] {
  return items.map((p) => ({ ...p, name: `${prefix}.${p.name}` }));
}

/** A view of t that keeps its storage alive beyond the caller's handle and any scope(). */
export function retain(t: Tensor): Tensor {
  return keep(t.reshape(t.shape));
}

export function newParameter(name: string, value: Tensor): Parameter {
  return { name, value: keep(value), grad: keep(ops.fill(Tensor.empty(value.shape, value.device), 0)) };
}
