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
  /**
   * Whether forward(x, hint) uses a bitmask of x's nonzero entries (bit i of byte i / 8 for flat
   * index i), as the neuron layer before it can pack in its own scan, or a SpikeIndex of x (the
   * data loader's, for a first layer): Sequential passes them.
   */
  get readsSpikeMask(): boolean {
    return false;
  }
  abstract backward(dy: Tensor): Tensor;

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
