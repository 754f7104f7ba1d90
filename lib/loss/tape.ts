// A small reverse-mode tape over the loss: the network's output y [T, B, …] enters as the one
// input, readouts and losses record how to send a gradient back, and backward() yields ∂loss/∂y,
// which is what Module.backward takes. It differentiates only what a loss needs (reductions over
// time, a leaky membrane, element-wise arithmetic, cross-entropy); the network itself keeps its
// exact layer-wise backward. Every tensor the tape creates is its own and freed by dispose(), so
// it works inside or outside scope().
import { ExodusError, ShapeError, shapeStr } from "../errors.js";
import * as ops from "../ops.js";
import { Tensor, keep } from "../tensor.js";

/** A tensor recorded on a tape (an input, a readout, an intermediate of a loss). */
export class LossVar {
  /** ∂loss/∂value, accumulated by the nodes that read this one. */
  grad: Tensor | null = null;
  constructor(
    readonly tape: LossTape,
    readonly value: Tensor,
  ) {}
  get shape(): readonly number[] {
    return this.value.shape;
  }
}

/** A scalar on a tape: a loss, or a sum of losses. Its value is a host number. */
export class LossScalar {
  grad = 0;
  constructor(
    readonly tape: LossTape,
    readonly value: number,
  ) {}
}

type Node = LossVar | LossScalar;

export class LossTape {
  private readonly entries: { out: Node; back: () => void }[] = [];
  private readonly owned: Tensor[] = [];
  private done = false;

  /** The tape's input: the network's output (not owned by the tape, not modified). */
  input(y: Tensor): LossVar {
    return new LossVar(this, y);
  }

  /** Records an op: value (taken over by the tape) and how to pass out's gradient to its inputs. */
  tensor(value: Tensor, back: (g: Tensor) => void): LossVar {
    this.owned.push(keep(value));
    const out = new LossVar(this, value);
    this.entries.push({ out, back: () => out.grad && back(out.grad) });
    return out;
  }

  scalar(value: number, back: (g: number) => void): LossScalar {
    const out = new LossScalar(this, value);
    this.entries.push({ out, back: () => out.grad !== 0 && back(out.grad) });
    return out;
  }

  /** Adds g to v's gradient; g becomes the tape's (it is freed with the tape). */
  accumulate(v: LossVar, g: Tensor): void {
    if (g.size !== v.value.size) throw new ShapeError(`loss tape: gradient ${shapeStr(g.shape)} for a value ${shapeStr(v.value.shape)}`);
    if (!v.grad) {
      v.grad = keep(g.shape.length === v.value.shape.length ? g : g.reshape(v.value.shape));
      if (v.grad !== g) g.dispose();
      this.owned.push(v.grad);
    } else {
      ops.add(v.grad, g.reshape(v.grad.shape), v.grad);
      g.dispose();
    }
  }

  /**
   * Runs the recorded ops in reverse from loss (∂loss/∂loss = 1) and returns ∂loss/∂input as a
   * new tensor the caller owns (zeros where the loss does not depend on the input).
   */
  backward(loss: LossScalar, input: LossVar): Tensor {
    if (loss.tape !== this || input.tape !== this) throw new ExodusError("loss backward: the loss and the input belong to different tapes");
    if (this.done) throw new ExodusError("loss backward: this tape was already run backward; record the loss again for a new gradient");
    this.done = true;
    loss.grad = 1;
    for (let i = this.entries.length - 1; i >= 0; i--) this.entries[i].back();
    const g = input.grad;
    if (!g) return ops.fill(Tensor.empty(input.value.shape, input.value.device), 0);
    return g.clone();
  }

  /** Frees every tensor the tape made (values and gradients); the input is the caller's. */
  dispose(): void {
    for (const t of this.owned) t.dispose();
    this.owned.length = 0;
    this.entries.length = 0;
  }
}

/** The tape shared by the arguments of an op (they must come from one). */
export function tapeOf(...xs: (LossVar | LossScalar)[]): LossTape {
  const t = xs[0].tape;
  for (const x of xs) if (x.tape !== t) throw new ExodusError("loss ops: the arguments were recorded on different tapes");
  return t;
}
