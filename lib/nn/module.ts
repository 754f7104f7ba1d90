// Layer-wise training (Caffe / llm.c style): forward(x) caches what backward needs; backward(dy)
// returns dx and accumulates parameter gradients. The network is feedforward, so a container
// calls backward in reverse order; only the BPTT baseline needs a tape (see tape.ts).
//
// Ownership: forward and backward return new tensors that the caller owns (and may dispose). A
// module keeps its own views of what it caches (a view holds the storage alive), released by the
// next forward or by dispose().
import * as ops from "../ops.js";
import { Tensor, keep } from "../tensor.js";

export interface Parameter {
  /** e.g. "weight", "bias", "alpha". */
  name: string;
  value: Tensor;
  /** Accumulated by backward; cleared by zeroGrad(). */
  grad: Tensor;
}

export abstract class Module {
  /** Whether the next forward records what backward needs (default true). */
  training = true;

  abstract forward(x: Tensor): Tensor;
  abstract backward(dy: Tensor): Tensor;

  parameters(): Parameter[] {
    return [];
  }

  zeroGrad(): void {
    for (const p of this.parameters()) ops.fill(p.grad, 0);
  }

  /** Frees cached activations and parameters. */
  dispose(): void {
    for (const p of this.parameters()) {
      p.value.dispose();
      p.grad.dispose();
    }
  }
}

/** A view of t that keeps its storage alive beyond the caller's handle and any scope(). */
export function retain(t: Tensor): Tensor {
  return keep(t.reshape(t.shape));
}

export function newParameter(name: string, value: Tensor): Parameter {
  return { name, value: keep(value), grad: keep(ops.fill(Tensor.empty(value.shape, value.device), 0)) };
}
