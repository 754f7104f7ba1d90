// Spike-element-wise residual block, "ADD" connection (Fang et al. 2021, SEW-ResNet; the paper's
// CIFAR10-DVS network): out = a + block(a), where the block ends in a spiking layer, so both terms
// are spikes and the sum counts them. The block must keep the shape of its input.
//   backward: ∂a = ∂out + block.backward(∂out)
import { ShapeError, shapeStr } from "../errors.js";
import * as ops from "../ops.js";
import type { Tensor } from "../tensor.js";
import { type Buffer, Module, type Parameter, prefixed } from "./module.js";
import { Sequential } from "./sequential.js";
import type { Activation, ForwardRequest } from "./activation.js";
import { Checkpointed } from "./checkpoint.js";
import { planCheckpoints } from "./memory.js";
import { addSparse, packSparse } from "./sparse-kept.js";
import { addPacked } from "./packed.js";

export class SEW extends Module {
  readonly block: Sequential;
  /** What runs the block: itself, or its checkpointed segments (checkpointInside). */
  private run: Sequential | Checkpointed;

  constructor(...layers: Module[]) {
    super();
    this.block = layers.length === 1 && layers[0] instanceof Sequential ? layers[0] : new Sequential(...layers);
    this.run = this.block;
  }

  /** Runs the block in checkpointed segments, the cut with the lowest peak for the budget (nn/memory.ts). */
  override checkpointInside(s: readonly number[], rows: number, budget: number): boolean {
    const plan = planCheckpoints(this.block, [rows, 1, ...s], budget);
    if (plan.starts.length < 2) return false;
    this.run = new Checkpointed(this.block, plan.starts);
    return true;
  }

  override keptPerStep(s: readonly number[]): number {
    return this.run.keptPerStep(s);
  }

  override releaseCache(): void {
    this.run.releaseCache();
  }

  forward(x: Tensor): Tensor {
    return this.forwardActivation({ x }).x;
  }

  /** The block's layers report their outputs to req.observe (diagnostics count the spikes inside). */
  override forwardActivation(a: Activation, req: ForwardRequest = {}): Activation {
    const x = a.x;
    // Checkpointed inside, with an input handed over (ownsInput) and nobody else's: the skip reads
    // it from what the checkpoint keeps for its recompute (bits, packed.ts), and the block drops its
    // floats once its first layer has read them.
    const run = this.run;
    if (req.ownsInput && run instanceof Checkpointed && run.segments.length > 1 && x.sole) {
      const shape = x.shape;
      const h = run.forwardActivation({ x }, { ...(req.observe ? { observe: req.observe } : {}), ownsInput: true }).x;
      const skip = run.firstInput();
      if (!skip || h.rank !== shape.length || h.shape.some((d, i) => d !== shape[i]) || !h.sole) {
        h.dispose();
        throw new ShapeError(`SEW: expected the checkpointed block to keep its input and hand back a tensor of its own of the input's shape ${shapeStr(shape)}, received ${shapeStr(h.shape)}`);
      }
      if ("packed" in skip) addPacked(h, skip.packed);
      else ops.add(h, skip.view, h);
      return { x: h };
    }
    const h = run.forwardActivation({ x }, req.observe ? { observe: req.observe } : {}).x;
    if (h.size !== x.size || h.rank !== x.rank || h.shape.some((d, i) => d !== x.shape[i])) {
      h.dispose();
      throw new ShapeError(`SEW: expected the block to keep its input shape ${shapeStr(x.shape)}, received ${shapeStr(h.shape)}`);
    }
    // In place over the block's output when nothing else shares it; out of place when the block
    // handed back a view of its input (dropout in evaluation), which is then not sole.
    if (h.sole) return { x: ops.add(h, x, h) };
    const y = ops.add(h, x);
    h.dispose();
    return { x: y };
  }

  override outputShape(s: readonly number[]): number[] {
    return this.block.outputShape(s);
  }

  override describe(): string {
    return "SEW(ADD)";
  }

  /** The block's layers, as "block.0", "block.1", … */
  override namedLayers(): (readonly [string, Module])[] {
    return this.block.namedLayers().map(([n, l]) => [`block.${n}`, l] as const);
  }

  backward(dy: Tensor): Tensor {
    const g = this.run.backward(dy);
    // In place when g is the block's own (not a view of dy, as an identity block returns): one full-size tensor fewer is live.
    if (g.handle === dy.handle) {
      const dx = ops.add(g, dy);
      g.dispose();
      return dx;
    }
    return ops.add(g, dy, g);
  }

  /**
   * Checkpointed inside (memory is short): the skip sum's copy of dy is kept sparse (sparse-kept.ts;
   * behind a max pooling three values in four are zero) and dy itself is handed to the block to
   * take: its last layer writes over it, and it is disposed once read (the caller reads it no more;
   * its dispose then does nothing). The sum is the dense one, bit for bit.
   */
  override backwardOwned(dy: Tensor): Tensor {
    if (!(this.run instanceof Checkpointed) || !dy.sole) return this.backward(dy);
    const kept = packSparse(dy);
    if (!kept) return this.backward(dy);
    let g = this.run.backwardTaking(dy);
    if (!g.sole) {
      // a view of something else (an identity block's dy): sum into a copy of its own
      const own = g.clone();
      g.dispose();
      g = own;
    }
    addSparse(g, kept);
    return g;
  }

  /** PyTorch-style names: "block.0.weight", … */
  override parameters(): Parameter[] {
    return prefixed("block", this.block.parameters());
  }

  override buffers(): Buffer[] {
    return prefixed("block", this.block.buffers());
  }

  override children(): Module[] {
    return [this.block];
  }

  override zeroGrad(): void {
    this.block.zeroGrad();
  }

  override dispose(): void {
    if (this.run !== this.block) this.run.dispose();
    this.block.dispose();
  }
}
