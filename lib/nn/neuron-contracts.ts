// The contracts between NeuronLayer (neuron.ts) and its subclasses: what a native forward scan
// keeps, what the backward scan reads and writes, and what a BPTT forward records on the tape.
import type { PoolDropout } from "./activation.js";
import type { Tensor } from "../tensor.js";
import type { ParamVar, Tape, Var } from "./tape.js";

/** What a native forward scan kept for its backward, by name ([T, N] or [N] tensors). */
export type Saved = Record<string, Tensor | undefined>;

/** The native backward scan's inputs and outputs. */
export interface ScanBackward {
  T: number;
  N: number;
  /** ∂L/∂output [T, N], or with poolWidth ∂L/∂(pooled output) [T, N / 4]. */
  g: Tensor;
  /** The image width of an AvgPool2d(2) fused into the scan (scanForwardPool2). */
  poolWidth?: number;
  /** The Dropout fused after that pooling (g is then the gradient of its output). */
  poolDropout?: PoolDropout;
  /** ∂L/∂membrane [T, N], when the loss reads it. */
  h?: Tensor;
  saved: Saved;
  /** The states the forward started from, [N] each. */
  init: Tensor[];
  /** ∂L/∂x [T, N], to write. */
  dx: Tensor;
  /** ∂L/∂(initial state) [N] each, to write. */
  stateGrads: Tensor[];
  /** Per-neuron gradients [N] of the learnable parameters, to write (null when not learnable). */
  paramGrads: Record<string, Tensor | null>;
}

/** What a subclass's BPTT forward recorded. */
export interface TapeForward {
  /** The layer's output per step (seeded with ∂L/∂output). */
  outputs: Var[];
  /** The final states (their values become the carried state). */
  final: Var[];
  /** The membrane per step, seeded with ∂L/∂membrane when the loss reads it. */
  membrane?: Var[];
}

/** The inputs a subclass's BPTT forward builds on. */
export interface TapeInputs {
  tape: Tape;
  T: number;
  N: number;
  /** The input's shape [T, batch, …]. */
  shape: readonly number[];
  /** Leaves of the input rows x[t] [N]. */
  xs: Var[];
  /** Leaves of the initial states [N]. */
  init: Var[];
  /** Leaves of the parameters [P] (with P for broadcasting), by name. */
  params: Record<string, ParamVar>;
  /** Whether the parameter has a gradient (so the tape computes it). */
  learn: (name: string) => boolean;
  /** Rows of the output tensor [T, N] to write each step's output into. */
  outRows: Tensor[];
  /** Registers a view to release with the tape. */
  view: (t: Tensor) => Tensor;
}

