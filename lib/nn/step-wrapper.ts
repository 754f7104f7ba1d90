// What runs a Sequential's training step another way (checkpointed over layers, checkpoint.ts; in
// chunks of time, time-chunks.ts) without being a layer of its own: the network's names,
// parameters, buffers and output shape, so optimisers and saved weights see the network itself.
import { type Buffer, Module, type Parameter } from "./module.js";
import type { Sequential } from "./sequential.js";

export abstract class StepWrapper extends Module {
  constructor(readonly net: Sequential) {
    super();
  }

  override outputShape(s: readonly number[]): number[] {
    return this.net.outputShape(s);
  }

  override namedLayers(): (readonly [string, Module])[] {
    return this.net.namedLayers();
  }

  /** The network's own parameter names ("0.weight"). */
  override parameters(): Parameter[] {
    return this.net.parameters();
  }

  override buffers(): Buffer[] {
    return this.net.buffers();
  }

  override children(): Module[] {
    return [this.net];
  }

  override zeroGrad(): void {
    this.net.zeroGrad();
  }

  /** What the wrapper kept for the step. */
  protected abstract release(): void;

  override releaseCache(): void {
    this.release();
    this.net.releaseCache();
  }

  /** Frees what it kept; the network (which it does not own) is left to its owner. */
  override dispose(): void {
    this.release();
  }
}
