// Checkpointing over chunks of TIME (docs/memory.md): for a feed-forward Sequential of Linear and
// LIF/IAF layers, the forward runs the sequence in chunks of `chunk` steps and keeps, between
// chunks, only each neuron layer's state at the boundary (its membrane v); what the layers keep
// for their backward is one chunk's, each chunk's forward replacing the one before's. The backward walks the chunks from
// the last: it puts the boundary states back, re-runs the chunk's forward, then its backward, the
// reverse scans carrying their adjoint λ across the boundary (lif_backward_carry). Memory is then
// one chunk's caches plus the output [T, B, out] (the loss reads it whole) and the boundary states,
// whatever T; the cost is one more forward of every chunk but the last.
//
// The results: a chunk's forward starts from the exact state the one before left, so membranes,
// spikes, the output and the loss are the unchunked step's bit for bit; λ (not ∂v0 = α·λ, which
// would round when divided back by α) crosses the boundary, so every ∂x of the scans is too. The
// weight gradients are sums over the rows of all T steps; summed chunk by chunk they differ from
// one product by float32 rounding (test/nn/time-chunks.test.ts).
import type { Activation, ForwardRequest } from "./activation.js";
import { StepWrapper } from "./step-wrapper.js";
import { Linear } from "./linear.js";
import { LIF } from "./lif.js";
import type { Sequential } from "./sequential.js";
import { ExodusError } from "../errors.js";
import { Tensor, keep } from "../tensor.js";
import { supports } from "../native.js";

export class TimeChunked extends StepWrapper {
  readonly neurons: LIF[];
  /** Each chunk's [start, end) steps of the last forward. */
  private chunks: [number, number][] = [];
  /** The neurons' states at each chunk's start (undefined: zeros), per chunk, per neuron layer. */
  private boundaries: (Tensor[] | undefined)[][] = [];
  /** The neurons' states after the last chunk (a stateful layer carries them on). */
  private finals: (Tensor[] | undefined)[] = [];
  private input: Tensor | undefined;
  private T = 0;

  /** chunk: steps per chunk (the last may be shorter). net: time-major, Linear and LIF/IAF layers (EXODUS or SLAYER) on the CPU. */
  constructor(net: Sequential, readonly chunk: number) {
    super(net);
    if (!Number.isInteger(chunk) || chunk < 1) throw new ExodusError(`TimeChunked chunk: expected an integer number of time steps >= 1, received ${chunk}`);
    checkChunkable(net);
    this.neurons = net.layers.filter((l): l is LIF => l instanceof LIF);
  }

  forward(x: Tensor): Tensor {
    return this.forwardActivation({ x }).x;
  }

  /** The output [T, B, …] of every step, chunk by chunk (a spike index of the whole input is not used: each chunk measures its own). */
  override forwardActivation(a: Activation, req: ForwardRequest = {}): Activation {
    this.release();
    const x = a.x;
    if (x.rank < 3) throw new ExodusError(`TimeChunked forward: expected a time-major input [T, B, …], received shape [${x.shape.join(", ")}]`);
    if (x.device.isCuda || !supports("lif_backward_carry", x.device))
      throw new ExodusError(`TimeChunked forward: chunks of time run on the CPU only (the CUDA LIF scan takes no carried adjoint yet), received an input on ${x.device}; use train.timeChunk "off" or train.memoryBudget with layer checkpointing on CUDA`);
    const T = x.shape[0];
    this.T = T;
    this.input = keep(x.reshape(x.shape));
    for (let t0 = 0; t0 < T; t0 += this.chunk) this.chunks.push([t0, Math.min(T, t0 + this.chunk)]);
    for (const n of this.neurons) n.carryChunks = true;
    let y: Tensor | undefined;
    try {
      for (const [t0, t1] of this.chunks) {
        this.boundaries.push(this.neurons.map((n) => n.states?.map((s) => keep(s.clone()))));
        const xs = x.slice(t0, t1);
        // observe (spike counts) sees each layer's output once, chunk by chunk; recomputes are not observed
        const out = this.net.forwardActivation({ x: xs }, req.observe ? { observe: req.observe } : {}).x;
        xs.dispose();
        y ??= keep(Tensor.empty([T, ...out.shape.slice(1)], x.device));
        copyRows(y, t0, out);
        out.dispose();
        // No release between chunks: the next chunk's forward replaces each layer's caches, and a
        // neuron layer reuses its buffers of the same size (emptying the host block cache would make
        // every chunk fault its pages in again). The last chunk's backward comes first, on its caches.
      }
      this.finals = this.neurons.map((n) => n.states?.map((s) => keep(s.clone())));
    } finally {
      this.endChunks();
    }
    return { x: y! };
  }

  /**
   * ∂L/∂input [T, B, …] assembled chunk by chunk; the parameters' gradients are added as in
   * Sequential.backward. A first Linear that takes no input gradient (inputGrad false) gives an
   * empty tensor, as it does in the Sequential, and no [T, B, …] is allocated for it.
   */
  backward(dy: Tensor): Tensor {
    let dx: Tensor | undefined;
    const shape = this.input?.shape;
    this.backwardChunks(dy, (t0, d) => {
      if (d.size === 0) return;
      dx ??= keep(Tensor.empty(shape!, dy.device));
      copyRows(dx, t0, d);
    });
    return dx ?? Tensor.empty([0], dy.device);
  }

  private backwardChunks(dy: Tensor, take: (t0: number, dx: Tensor) => void): void {
    if (!this.input) throw new ExodusError("TimeChunked backward: expected a forward first, received none since the last backward");
    if (dy.shape[0] !== this.T) throw new ExodusError(`TimeChunked backward dy: expected ${this.T} time steps (the forward's), received shape [${dy.shape.join(", ")}]`);
    const N = this.finals.map((f) => f![0].size); // every neuron layer carried its state through the chunks
    let lam: (Tensor | undefined)[] = this.neurons.map(() => undefined);
    const last = this.chunks.length - 1;
    for (const n of this.neurons) n.carryChunks = true;
    try {
      for (let k = last; k >= 0; k--) {
        const [t0, t1] = this.chunks[k];
        if (k < last) {
          this.neurons.forEach((n, i) => putState(n, this.boundaries[k][i]));
          const xs = this.input.slice(t0, t1);
          this.net.forward(xs).dispose();
          xs.dispose();
        }
        const out = this.neurons.map((_, i) => keep(Tensor.empty([N[i]], dy.device)));
        this.neurons.forEach((n, i) => (n.adjointCarry = { in: lam[i], out: out[i] }));
        const g = dy.slice(t0, t1);
        const d = this.net.backward(g);
        g.dispose();
        take(t0, d);
        d.dispose();
        for (const l of lam) l?.dispose();
        lam = out;
      }
    } finally {
      for (const l of lam) l?.dispose();
      for (const n of this.neurons) n.adjointCarry = undefined;
      // the states a stateful layer carries on are the forward's last, not the first chunk's
      this.neurons.forEach((n, i) => putState(n, this.finals[i]));
      this.endChunks();
      this.release();
      this.net.releaseCache();
    }
  }

  /** Back to ordinary forwards: a layer that is not stateful carries nothing on. */
  private endChunks(): void {
    for (const n of this.neurons) {
      n.carryChunks = false;
      if (!n.stateful) n.resetState();
    }
  }

  protected release(): void {
    this.input?.dispose();
    this.input = undefined;
    for (const b of this.boundaries) for (const s of b) for (const t of s ?? []) t.dispose();
    for (const s of this.finals) for (const t of s ?? []) t.dispose();
    this.boundaries = [];
    this.finals = [];
    this.chunks = [];
  }
}

/** Throws unless every layer is a Linear or a LIF/IAF with a scan that takes a carried adjoint (EXODUS, SLAYER). */
export function checkChunkable(net: Sequential): void {
  if (net.layout !== "TBN") throw new ExodusError(`chunks of time: expected a time-major Sequential (layout "TBN"), received layout "${net.layout}"`);
  net.layers.forEach((l, i) => {
    if (l instanceof LIF) {
      if (l.backwardMethod === "bptt") throw new ExodusError(`chunks of time: layer ${i} (${l.name}) uses method "bptt", whose tape takes no carried adjoint; use "exodus" or "slayer", or no time chunks`);
    } else if (!(l instanceof Linear))
      throw new ExodusError(`chunks of time: expected a network of Linear and LIF/IAF layers, received layer ${i} (${l.describe()}); use layer checkpointing (train.memoryBudget) for this network`);
  });
}

/** Whether chunkable: checkChunkable without the throw. */
export function chunkable(net: Sequential): boolean {
  try {
    checkChunkable(net);
    return true;
  } catch {
    return false;
  }
}

function putState(n: LIF, states: Tensor[] | undefined): void {
  if (states) n.setState(states);
  else n.resetState();
}

/** dst[t0 + t] = src[t] for the rows of src. */
function copyRows(dst: Tensor, t0: number, src: Tensor): void {
  const v = dst.slice(t0, t0 + src.shape[0]);
  v.copyFrom(src);
  v.dispose();
}
