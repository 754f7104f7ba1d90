// A minimal reverse-mode tape for the BPTT baseline: each op computes its forward with lib/ops
// (one native call per element op, on whole [B·N] slices of one time step) and records a closure
// that propagates the output's gradient to its inputs. backward() replays the closures in reverse,
// one time step at a time, as autograd would on the unrolled network. It knows nothing of the
// EXODUS scan: it differentiates the per-step operations only.
import { Tensor, keep } from "../tensor.js";
import * as ops from "../ops.js";
import { native } from "../native.js";

export class Var {
  grad: Tensor | null = null;
  /** Whether grad aliases another node's gradient (then it is never updated in place). */
  gradShared = false;
  /** For leaves: where the gradient accumulates (a view into the caller's gradient tensor). */
  sink: Tensor | null = null;
  constructor(readonly value: Tensor) {}
}

interface Entry {
  out: Var;
  back: (g: Tensor) => void;
}

/** A per-neuron parameter [P] broadcast over the neurons of a [N] slice (N = rows × P). */
export interface ParamVar {
  v: Var;
  P: number;
}

export class Tape {
  private entries: Entry[] = [];
  private owned: Tensor[] = [];

  /** A leaf holding a tensor it does not own; its gradient accumulates into sink (if any). */
  leaf(value: Tensor, sink: Tensor | null = null): Var {
    const v = new Var(value);
    v.sink = sink;
    return v;
  }

  private node(value: Tensor, back: (g: Tensor) => void): Var {
    this.owned.push(keep(value));
    const out = new Var(value);
    this.entries.push({ out, back });
    return out;
  }

  /**
   * Adds g to v's gradient. An owned g (a fresh tensor) is taken over; a shared one (another
   * node's gradient, passed on unchanged as autograd does for add/sub) is aliased by a view and
   * never written in place: the first later contribution replaces it by a new sum.
   */
  accumulate(v: Var, g: Tensor, shared = false): void {
    if (v.sink) {
      ops.add(v.sink, g, v.sink);
      if (!shared) g.dispose();
    } else if (!v.grad) {
      v.grad = keep(shared ? g.reshape(g.shape) : g);
      v.gradShared = shared;
    } else if (v.gradShared) {
      const sum = keep(ops.add(v.grad, g));
      v.grad.dispose();
      if (!shared) g.dispose();
      v.grad = sum;
      v.gradShared = false;
    } else {
      ops.add(v.grad, g, v.grad);
      if (!shared) g.dispose();
    }
  }

  /** Seeds ∂L/∂v with g (not modified). */
  seed(v: Var, g: Tensor): void {
    this.accumulate(v, g, true);
  }

  // ---- ops ----------------------------------------------------------------------------------------
  add(a: Var, b: Var): Var {
    return this.node(ops.add(a.value, b.value), (g) => {
      this.accumulate(a, g, true);
      this.accumulate(b, g, true);
    });
  }

  sub(a: Var, b: Var): Var {
    return this.node(ops.sub(a.value, b.value), (g) => {
      this.accumulate(a, g, true);
      this.accumulate(b, ops.neg(g));
    });
  }

  mul(a: Var, b: Var): Var {
    return this.node(ops.mul(a.value, b.value), (g) => {
      this.accumulate(a, ops.mul(g, b.value));
      this.accumulate(b, ops.mul(g, a.value));
    });
  }

  /** a · c for a constant c. */
  scale(a: Var, c: number): Var {
    return this.node(ops.scale(a.value, c), (g) => this.accumulate(a, ops.scale(g, c)));
  }

  /** a · p with p [P] broadcast over a [rows·P]; ∂p sums over the rows. */
  mulParam(a: Var, p: ParamVar, needParamGrad: boolean): Var {
    const rows = [a.value.size / p.P, p.P];
    const y = withView(a.value, rows, (av) => ops.mul(av, p.v.value));
    return this.node(reshapeOwned(y, a.value.shape), (g) => {
      const g2 = g.reshape(rows);
      this.accumulate(a, reshapeOwned(ops.mul(g2, p.v.value), a.value.shape));
      if (needParamGrad) {
        const prod = withView(a.value, rows, (av) => ops.mul(g2, av));
        this.accumulate(p.v, ops.sum(prod, 0));
        prod.dispose();
      }
      g2.dispose();
    });
  }

  /** a + p with p [P] broadcast over a [rows·P]; ∂p sums over the rows. */
  addParam(a: Var, p: ParamVar, needParamGrad: boolean): Var {
    const rows = [a.value.size / p.P, p.P];
    const y = withView(a.value, rows, (av) => ops.add(av, p.v.value));
    return this.node(reshapeOwned(y, a.value.shape), (g) => {
      this.accumulate(a, g, true);
      if (needParamGrad) this.accumulate(p.v, withView(g, rows, (g2) => ops.sum(g2, 0)));
    });
  }

  /**
   * a·wᵀ for one step's rows: a [rows·K] viewed as [rows, K], w [M, K] (a recurrent or Linear
   * weight), the result [rows·M]; ∂a = g·w, ∂w = gᵀ·a.
   */
  linearRows(a: Var, w: Var, rows: number): Var {
    const [M, K] = w.value.shape;
    const y = withView(a.value, [rows, K], (a2) => ops.matmul(a2, w.value, { transB: true }));
    return this.node(reshapeOwned(y, [rows * M]), (g) => {
      withView(g, [rows, M], (g2) => {
        this.accumulate(a, reshapeOwned(ops.matmul(g2, w.value), a.value.shape));
        this.accumulate(w, withView(a.value, [rows, K], (a2) => ops.matmul(g2, a2, { transA: true })));
      });
    });
  }

  /** 1 − a (e.g. the input scale 1 − α of normInput). */
  oneMinus(a: Var): Var {
    return this.node(ops.affine(a.value, -1, 1), (g) => this.accumulate(a, ops.neg(g)));
  }

  /** max(a, lo); the gradient passes where a > lo. */
  clampMin(a: Var, lo: number): Var {
    return this.node(ops.maximum(a.value, lo), (g) => {
      // 1[a > lo] = 1 - 1[-a ≥ -lo]
      const na = ops.neg(a.value);
      const mask = ops.affine(ops.step(na, -lo, na), -1, 1, na);
      this.accumulate(a, ops.mul(g, mask, mask));
    });
  }

  /** The spike function S(v) forward; the surrogate σ(v) backward. out: where to write s. */
  spike(v: Var, theta: Tensor, sg: { code: number; scale: number; width: number }, multi: boolean, maxSpikes: number, out?: Tensor): Var {
    const s = out ? out.reshape(out.shape) : Tensor.empty(v.value.shape, v.value.device);
    native().spikeFn({ v: v.value, s, n: s.size, theta, P: theta.size, multi, maxSpikes });
    return this.node(s, (g) => {
      const y = Tensor.empty(g.shape, g.device);
      native().surrogateGrad({ surrogate: sg.code, v: v.value, g, y, n: g.size, theta, P: theta.size, scale: sg.scale, width: sg.width });
      this.accumulate(v, y);
    });
  }

  // ---- replay -------------------------------------------------------------------------------------
  /** Runs the recorded closures in reverse; each output's gradient is complete when reached. */
  backward(): void {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i];
      const g = e.out.grad;
      if (!g) continue;
      e.back(g);
      g.dispose();
      e.out.grad = null;
    }
  }

  /** Frees every value and gradient the tape holds. */
  dispose(): void {
    for (const e of this.entries) e.out.grad?.dispose();
    for (const t of this.owned) t.dispose();
    this.entries = [];
    this.owned = [];
  }
}

/** f applied to a view of t with another shape; the view is released afterwards. */
function withView<R>(t: Tensor, shape: number[], f: (v: Tensor) => R): R {
  const v = t.reshape(shape);
  try {
    return f(v);
  } finally {
    v.dispose();
  }
}

/** t reshaped, releasing t's own handle (the view keeps the storage). */
function reshapeOwned(t: Tensor, shape: readonly number[]): Tensor {
  const v = t.reshape(shape);
  t.dispose();
  return v;
}

/**
 * Prepares a per-time-step tape for its reverse pass: input t's gradient accumulates into row t
 * of dx [T, N], output t is seeded with row t of g [T, N]. Returns the row views, to dispose
 * after tape.backward().
 */
export function wireSteps(tape: Tape, inputs: Var[], outputs: Var[], dx: Tensor, g: Tensor): Tensor[] {
  const sinks: Tensor[] = [];
  for (let t = 0; t < inputs.length; t++) {
    const sink = dx.at(t);
    sinks.push(sink);
    inputs[t].sink = sink;
    const gt = g.at(t);
    tape.seed(outputs[t], gt);
    gt.dispose();
  }
  return sinks;
}
