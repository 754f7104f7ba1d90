// The skeleton every neuron layer shares (LIF/IAF, ALIF, ExpLeak, SRM): streaming state, the
// forward cache and its release, the BPTT tape's wiring (sinks, seeds, parameter leaves), and the
// reduction of per-neuron parameter gradients [N] to their [P] parameters. A subclass validates
// its options and supplies three pieces: the native forward scan, the native backward scan, and
// its BPTT forward recorded on a tape from independent per-step ops.
import type { Device } from "../device.js";
import { type BackendOp, supports } from "../native.js";
import type { Activation, FeedGrad, ForwardRequest, Fusion, IndexFeed, LinearTail, Pool2Head, PoolDropout } from "./activation.js";
import { checkDropout } from "../dropout.js";
import { ExodusError, shapeStr } from "../errors.js";
import * as ops from "../ops.js";
import { Tensor, keep } from "../tensor.js";
import { noForward, sameShape, timeMajor } from "./common.js";
import { Module, type Parameter, newParameter } from "./module.js";
import { applyLayout } from "./layer-layout.js";
import type { Layout } from "../layout.js";
import { type BackwardMethod, fail } from "./options.js";
import { type TapeRun, backwardTape, disposeTape, recordTape } from "./neuron-tape.js";

export type { Saved, ScanBackward, TapeForward, TapeInputs } from "./neuron-contracts.js";
import type { Saved, ScanBackward, TapeForward, TapeInputs } from "./neuron-contracts.js";

export type { PoolDropout } from "./activation.js";

interface Cache {
  T: number;
  N: number;
  shape: readonly number[];
  /** The image width and output shape when the forward ran fused with an AvgPool2d(2) (and a Dropout). */
  pooled?: { W: number; shape: readonly number[]; dropout?: PoolDropout };
  init: Tensor[];
  saved?: Saved;
  tape?: TapeRun;
  /** The Linear product the forward computed in its scan (forwardLinear). */
  feed?: IndexFeed;
}

export abstract class NeuronLayer extends Module {
  readonly name: string;
  readonly device: Device;
  readonly backwardMethod: BackwardMethod;
  readonly stateful: boolean;
  /** Number of per-neuron parameter values (1 when shared). */
  readonly P: number;
  private readonly stateNames: readonly string[];
  /** Parameter tensors [P] by name, and the learnable ones' Parameter. */
  private readonly paramValues = new Map<string, Tensor>();
  private readonly learnable = new Map<string, Parameter>();
  private cache: Cache | undefined;
  private carried: Tensor[] | undefined;
  private _stateGrads: Tensor[] | undefined;
  private _membrane: Tensor | undefined;
  private spares = new Map<string, Tensor>();
  /** The spike bitmask's storage, reused across forwards (each forward's mask is handed on as a value). */
  private maskBuffer: Uint8Array | undefined;
  private scratchOwned = new Set<Tensor>();

  /**
   * Set by TimeChunked (time-chunks.ts) while it runs a sequence in chunks: the final state is
   * carried into the next forward as a stateful layer's is, whatever `stateful` says.
   */
  carryChunks = false;

  /** The layout its own forward and backward take (layer-layout.ts). */
  readonly layout: Layout;

  protected constructor(o: { name: string; device: Device; backward: BackwardMethod; stateful: boolean; P: number; states: readonly string[]; layout?: unknown }) {
    super();
    this.name = o.name;
    this.layout = applyLayout(this, o.name, o.layout);
    this.device = o.device;
    this.backwardMethod = o.backward;
    this.stateful = o.stateful;
    this.P = o.P;
    this.stateNames = o.states;
  }

  /** Registers a parameter [P] (values expanded from one to P), learnable or fixed; returns its tensor. */
  protected addParam(name: string, values: Float32Array, learn: boolean): Tensor {
    const v = values.length === this.P ? values : new Float32Array(this.P).fill(values[0]);
    const t = keep(Tensor.from(v, [this.P], this.device));
    this.paramValues.set(name, t);
    if (learn) this.learnable.set(name, newParameter(name, t));
    return t;
  }
  protected param(name: string): Tensor {
    return this.paramValues.get(name)!;
  }
  protected learns(name: string): boolean {
    return this.learnable.has(name);
  }

  override parameters(): Parameter[] {
    return [...this.learnable.values()];
  }

  // ---- streaming state ------------------------------------------------------------------------------
  /** The (first) state carried into the next forward, if stateful (v for LIF, i for ExpLeak). */
  get state(): Tensor | undefined {
    return this.carried?.[0];
  }
  /** Every carried state, in the layer's order (ALIF: v, b). */
  get states(): readonly Tensor[] | undefined {
    return this.carried;
  }
  /** Clears the carried state: the next forward starts from zeros. */
  resetState(): void {
    for (const t of this.carried ?? []) t.dispose();
    this.carried = undefined;
  }
  /**
   * Sets the initial state of the next forward: a tensor [N] or a number (then N is needed) for
   * each state of the layer (one value for the first; an array for several).
   */
  setState(value: Tensor | number | (Tensor | number)[], N?: number): void {
    const values = Array.isArray(value) ? value : [value];
    if (values.length < 1 || values.length > this.stateNames.length)
      fail(`${this.name} setState`, `1 to ${this.stateNames.length} values (${this.stateNames.join(", ")})`, `${values.length}`);
    const tensors = values.map((v, i) => {
      if (typeof v === "number") {
        if (N === undefined) fail(`${this.name} setState`, "the neuron count N with a number", v);
        return keep(Tensor.full([N], v, this.device));
      }
      return keep(v.clone());
    });
    const n = tensors[0].size;
    for (let i = tensors.length; i < this.stateNames.length; i++) tensors.push(keep(Tensor.zeros([n], this.device)));
    this.resetState();
    this.carried = tensors;
  }
  /** ∂L/∂(initial state) of the last backward, [N] (the first state). */
  get stateGrad(): Tensor | undefined {
    return this._stateGrads?.[0];
  }
  get stateGrads(): readonly Tensor[] | undefined {
    return this._stateGrads;
  }
  /** The membrane potentials of the last forward, shaped like its input (when kept). */
  get membrane(): Tensor | undefined {
    return this._membrane;
  }
  protected setMembrane(m: Tensor | undefined, shape: readonly number[]): void {
    this._membrane?.dispose();
    this._membrane = m ? keep(m.reshape(shape)) : undefined;
  }

  // ---- what subclasses supply ---------------------------------------------------------------------
  /** Runs the native forward scan; `state` holds the initial states on entry, the final ones on return. */
  protected abstract scanForward(x: Tensor, y: Tensor, state: Tensor[], T: number, N: number, mask?: Uint8Array): Saved;
  /**
   * The forward scan writing the membrane over x (the saved v is x's storage) and keeping no spikes,
   * if the model has one (LIF, IAF): for a forward whose output nobody reads (runForward).
   */
  protected readonly scanMembraneOnly?: (x: Tensor, state: Tensor[], T: number, N: number, mask?: Uint8Array) => Saved;
  /** Whether scanForward packs the spike bitmask it is given (LIF, IAF, ALIF; the others' next layer scans their output). */
  /** The masked forward scan (packing a spike bitmask beside the spikes) this model has, if any. */
  protected readonly maskedForward?: BackendOp;
  protected get packsMask(): boolean {
    return this.maskedForward !== undefined;
  }
  protected abstract scanBackward(b: ScanBackward): void;
  /** The forward scan fused with AvgPool2d(2) over images of width W (y: the pooled map), where a subclass has one. */
  protected readonly pool2Scan?: (x: Tensor, y: Tensor, state: Tensor[], T: number, N: number, W: number, dropout?: PoolDropout) => { saved: Saved; spikes: number };
  /**
   * The forward scan computing its input from a Linear's spike-index product (IndexFeed) row block
   * by row block, where a subclass has one (LIF, IAF): s [T, N] the spikes, as scanForward gives
   * them for x = the product.
   */
  protected readonly linearScan?: (feed: IndexFeed, s: Tensor, state: Tensor[], T: number, N: number, mask?: Uint8Array) => Saved;
  /**
   * Its backward scan taking the Linear's backward too (backwardLinear): b.dx is ∂L/∂(the Linear's
   * input) [T·B, in] to write, or undefined when the Linear takes none.
   */
  protected readonly linearBackwardScan?: (b: Omit<ScanBackward, "dx"> & { dx?: Tensor }, lin: FeedGrad) => void;
  /** Records the BPTT forward on the tape from per-step ops; writes each step's output into outRows. */
  protected abstract tapeForward(i: TapeInputs): TapeForward;

  /** A (reused) buffer for the spike bitmask of a [T, N] output, when the layer can pack one here. */
  private spikeMaskBuffer(T: number, N: number): Uint8Array | undefined {
    if (!this.maskedForward || !supports(this.maskedForward, this.device) || N % 8 !== 0) return undefined;
    const bytes = Math.ceil((T * N) / 64) * 8;
    if (!this.maskBuffer || this.maskBuffer.length !== bytes) this.maskBuffer = new Uint8Array(bytes);
    return this.maskBuffer;
  }

  /**
   * A [T, N] buffer for a saved tensor, reusing the last forward's when the size fits. Saved
   * tensors not made here (views of the input or output) are released, never reused.
   */
  protected scratch(name: string, T: number, N: number): Tensor {
    const s = this.spares.get(name);
    if (s && s.size === T * N) {
      this.spares.delete(name);
      return s;
    }
    const t = keep(Tensor.empty([T, N], this.device));
    this.scratchOwned.add(t);
    return t;
  }

  private dropCache(): void {
    const c = this.cache;
    if (!c) return;
    // Saved [T, N] buffers are kept for the next forward of the same size: a fresh allocation
    // costs page faults comparable to the scan itself on the CPU.
    for (const [k, t] of Object.entries(c.saved ?? {})) {
      if (!t) continue;
      if (!this.scratchOwned.has(t)) {
        t.dispose();
        continue;
      }
      const old = this.spares.get(k);
      if (old) {
        this.scratchOwned.delete(old);
        old.dispose();
      }
      this.spares.set(k, t);
    }
    for (const t of c.init) t.dispose();
    if (c.tape) disposeTape(c.tape);
    this.cache = undefined;
  }

  /** [T, N] tensors the scan saves for the backward (LIF: v; ALIF: v, b); a BPTT tape keeps more, not counted. */
  protected savedPerNeuron(): number {
    return 1;
  }
  override keptPerStep(s: readonly number[]): number {
    return this.savedPerNeuron() * s.reduce((a, b) => a * b, 1);
  }

  /** Frees the saved tensors, the spare buffers kept for the next forward and the membrane view. */
  override releaseCache(): void {
    this.dropCache();
    for (const t of this.spares.values()) t.dispose();
    this.spares.clear();
    this.scratchOwned.clear();
    this._membrane?.dispose();
    this._membrane = undefined;
  }

  /** Whether this layer has a fused pooling scan it may use (the CPU, not bptt). */
  private canFuse(): boolean {
    return !!this.pool2Scan && supports("lif_forward_pool2", this.device) && this.backwardMethod !== "bptt";
  }

  /**
   * Whether forwardPool2 can run this layer fused with an AvgPool2d(2) on input x (time-major
   * [T, B, C, H, W]): a CPU layer with a fused scan (LIF, IAF), EXODUS or SLAYER, H and W even,
   * W ≤ 256.
   */
  canFusePool2(x: Tensor): boolean {
    if (!this.canFuse() || x.rank < 4) return false;
    const [H, W] = x.shape.slice(-2);
    return H % 2 === 0 && W % 2 === 0 && W <= 256;
  }

  /**
   * The forward followed by AvgPool2d(2), in one scan: the spikes are pooled while they are in
   * cache and never stored (Sequential runs a neuron layer and the pooling after it this way).
   * Returns the pooled map [T, B, C, H/2, W/2], equal bit for bit to the two layers run one after
   * the other, with the spike count (spikeCount); backward then takes its gradient. With
   * `dropout`, the Dropout(p) after the pooling (with that step's seed) is applied in the scan
   * too, as dropoutApply applies it.
   */
  forwardPool2(x: Tensor, dropout?: PoolDropout): Activation {
    if (!this.canFusePool2(x)) throw new ExodusError(`${this.name} forwardPool2: expected a CPU layer with a fused scan (LIF, IAF; not bptt) and an input [T, B, C, H, W] with even H and W <= 256, received ${shapeStr(x.shape)} on ${this.device}`);
    if (dropout) checkDropout(dropout.p, dropout.seed);
    const [H, W] = x.shape.slice(-2);
    return this.runForward(x, { W, shape: [...x.shape.slice(0, -2), H / 2, W / 2], ...(dropout && dropout.p > 0 ? { dropout } : {}) }, false);
  }

  /**
   * Whether forwardLinear can run this layer on a Linear's product of `out` features: a CPU layer
   * with a linear scan (LIF, IAF), EXODUS or SLAYER, saving v only, out at most 512 (a tile holds
   * whole batch rows).
   */
  canFuseLinear(out: number): boolean {
    return !!this.linearScan && supports("lif_forward_linear", this.device) && this.backwardMethod !== "bptt" && this.savedPerNeuron() === 1 && out <= 512;
  }

  /**
   * The forward on the product of the Linear before it, computed inside the scan and never stored
   * (Sequential runs a Linear over a spike index and a LIF after it this way): the spikes and
   * membranes equal the two layers' run one after the other, bit for bit; backward then takes
   * ∂L/∂spikes as usual and returns ∂L/∂(the product) for the Linear's backward. With req.mask,
   * the scan packs the spike bitmask too (when the batch rows fit whole mask bytes in a tile).
   */
  forwardLinear(feed: IndexFeed, req: ForwardRequest = {}): Activation {
    const out = feed.shape[feed.shape.length - 1];
    if (!this.canFuseLinear(out))
      throw new ExodusError(`${this.name} forwardLinear: expected a CPU layer with a linear scan (LIF, IAF; not bptt; no learned α with normInput) and a product of at most 512 features, received ${out} features on ${this.device}`);
    const y = Tensor.empty(feed.shape, this.device);
    try {
      return this.runForward(y, undefined, !!req.mask && lcm(out, 8) <= 512, false, false, feed);
    } finally {
      y.dispose();
    }
  }

  forward(x: Tensor): Tensor {
    return this.runForward(x, undefined, false).x;
  }

  /** With req.mask, the scan also packs the bitmask of its spikes (LIF, IAF, ALIF on the CPU with N a multiple of 8). */
  override forwardActivation(a: Activation, req: ForwardRequest = {}): Activation {
    return this.runForward(a.x, undefined, !!req.mask, !!req.ownsInput, !!req.discardOutput && !req.observe);
  }

  override fusion(): Fusion {
    return {
      packsMask: this.packsMask, ...(this.canFuse() ? { pool2Head: this as Pool2Head } : {}),
      ...(this.canFuseLinear(1) ? { linearTail: this as LinearTail } : {}),
    };
  }

  override get spiking(): boolean {
    return this.emitsSpikes;
  }
  /** Whether the output is spikes (not a filtered current, as ExpLeak's). */
  protected readonly emitsSpikes: boolean = true;

  override describe(): string {
    return this.name;
  }

  /** With `feed`, x is the output's storage (its values unread) and the scan computes its input from the feed. */
  private runForward(x: Tensor, pooled: Cache["pooled"], packMask: boolean, ownsInput = false, discard = false, feed?: IndexFeed): Activation {
    const { T, N } = timeMajor(this.name, x, this.device, this.P);
    this.dropCache();
    this.setMembrane(undefined, x.shape);
    let spikeCount: number | undefined;
    let mask: Uint8Array | undefined;
    // The carried (or set) state if it fits, else zeros; a non-stateful layer uses a state given by
    // setState() once.
    const fits = this.carried && this.carried[0].size === N;
    const init = this.stateNames.map((_, i) => keep(fits ? this.carried![i].clone() : Tensor.zeros([N], this.device)));
    if (!this.stateful && !this.carryChunks) this.resetState();
    // The scan reads x[t, i] before it writes s[t, i] (scanWritesOverG: the same kernel shape), so
    // spikes may go over an input that nothing else reads or shares, unless the scan keeps x.
    const over = ownsInput && !pooled && this.backwardMethod !== "bptt" && this.scanWritesOverG && !this.device.isCuda && this.savedPerNeuron() === 1 && x.sole;
    // Nobody reads the output either (a checkpoint's recompute): the membrane goes over x, no spikes are
    // kept, and the output handed back is x's storage, its values undefined (ForwardRequest.discardOutput).
    const membraneOnly = over && discard && this.scanMembraneOnly !== undefined;
    const y = over || feed ? x.reshape(x.shape) : Tensor.empty(pooled ? pooled.shape : x.shape, x.device);
    const final = init.map(() => Tensor.empty([N], x.device));
    const x2 = x.reshape([T, N]);
    try {
      if (pooled) {
        final.forEach((f, i) => f.copyFrom(init[i]));
        const run = this.pool2Scan!(x2, y, final, T, N, pooled.W, pooled.dropout);
        spikeCount = run.spikes;
        this.cache = { T, N, shape: x.shape, pooled, init, saved: run.saved };
      } else if (this.backwardMethod === "bptt") {
        const run = this.recordTape(x2, y, init, T, N);
        final.forEach((f, i) => f.copyFrom(run.fwd.final[i].value));
        this.cache = { T, N, shape: x.shape, init, tape: run };
      } else {
        final.forEach((f, i) => f.copyFrom(init[i]));
        mask = packMask ? this.spikeMaskBuffer(T, N) : undefined;
        const saved = feed ? this.linearScan!(feed, x2, final, T, N, mask)
          : membraneOnly ? this.scanMembraneOnly!(x2, final, T, N, mask) : this.scanForward(x2, y, final, T, N, mask);
        this.cache = { T, N, shape: x.shape, init, saved, ...(feed ? { feed } : {}) };
      }
    } catch (e) {
      y.dispose();
      for (const t of [...final, ...init]) t.dispose();
      throw e;
    } finally {
      x2.dispose();
    }
    if (this.stateful || this.carryChunks) {
      this.resetState();
      this.carried = final.map((t) => keep(t));
    } else for (const t of final) t.dispose();
    return { x: y, ...(mask ? { mask } : {}), ...(spikeCount !== undefined ? { spikeCount } : {}) };
  }

  private recordTape(x2: Tensor, y: Tensor, init: Tensor[], T: number, N: number): TapeRun {
    return recordTape(x2, y, init, T, N, { values: this.paramValues, P: this.P, learns: (k) => this.learns(k), forward: (i) => this.tapeForward(i) });
  }

  /**
   * dy = ∂L/∂output [T, batch, …] → ∂L/∂x. opts.dv = ∂L/∂membrane (a loss that reads it). Adds
   * the learnable parameters' gradients to their Parameter; keeps ∂L/∂(initial state) in stateGrads.
   */
  backward(dy: Tensor, opts: { dv?: Tensor } = {}): Tensor {
    return this.backwardInto(dy, opts, false);
  }

  /** The scan writes ∂x over the caller's dy when it may (scanWritesOverG; not pooled, not the tape). */
  override backwardOwned(dy: Tensor): Tensor {
    return this.backwardInto(dy, {}, true);
  }

  /**
   * Whether the CPU scans may write over their input: the LIF backward reads g[t, i] and then
   * writes dx[t, i] and reads no g after, the forward reads x[t, i] and then writes s[t, i]
   * (cuda/cpu/lif.cc; the CUDA kernels declare them __restrict__, so not there).
   */
  protected readonly scanWritesOverG: boolean = false;

  /** After forwardLinear, this layer's backward and the Linear's in one reverse scan (LinearTail.backwardLinear). */
  backwardLinear(dy: Tensor): Tensor | undefined {
    const c = this.cache;
    const lin = c?.feed && this.linearBackwardScan ? c.feed.grad() : undefined;
    if (!c || !lin || c.tape || c.pooled) return undefined;
    sameShape(`${this.name} backward dy`, dy, c.shape);
    const { T, N } = c;
    const dx = Tensor.empty(lin.inputGrad ? [...c.shape.slice(0, -1), lin.inFeatures] : [0], this.device);
    const g = dy.reshape([T, N]);
    try {
      this.withGrads(N, (stateGrads, paramGrads) =>
        this.linearBackwardScan!({ T, N, g, saved: c.saved!, init: c.init, stateGrads, paramGrads, ...(lin.inputGrad ? { dx } : {}) }, lin));
    } catch (e) {
      dx.dispose();
      throw e;
    } finally {
      g.dispose();
    }
    return dx;
  }

  /** Runs a native backward scan with fresh state gradients and per-neuron parameter gradients, then sums the latter into the parameters. */
  private withGrads(N: number, scan: (stateGrads: Tensor[], paramGrads: Record<string, Tensor | null>) => void): void {
    for (const t of this._stateGrads ?? []) t.dispose();
    this._stateGrads = this.stateNames.map(() => keep(Tensor.zeros([N], this.device)));
    const paramGrads: Record<string, Tensor | null> = {};
    for (const k of this.paramValues.keys()) paramGrads[k] = this.learns(k) ? Tensor.empty([N], this.device) : null;
    try {
      scan(this._stateGrads, paramGrads);
      for (const [k, pg] of Object.entries(paramGrads)) if (pg) this.addParamGrad(k, pg, N);
    } finally {
      for (const pg of Object.values(paramGrads)) pg?.dispose();
    }
  }

  private backwardInto(dy: Tensor, opts: { dv?: Tensor }, owned: boolean): Tensor {
    const c = this.cache;
    if (!c) noForward(this.name);
    sameShape(`${this.name} backward dy`, dy, c.pooled ? c.pooled.shape : c.shape);
    if (opts.dv) sameShape(`${this.name} backward dv`, opts.dv, c.shape);
    const { T, N } = c;
    const over = owned && this.scanWritesOverG && !c.tape && !c.pooled && !this.device.isCuda && dy.sole;
    const dx = over ? dy.reshape(c.shape) : Tensor.empty(c.shape, this.device);
    const g = dy.reshape(c.pooled ? [T, N / 4] : [T, N]);
    const h = opts.dv?.reshape([T, N]);
    try {
      if (c.tape) {
        for (const t of this._stateGrads ?? []) t.dispose();
        this._stateGrads = this.stateNames.map(() => keep(Tensor.zeros([N], this.device)));
        this.backwardTape(c, c.tape, g, h, dx);
      } else
        this.withGrads(N, (stateGrads, paramGrads) =>
          this.scanBackward({ T, N, g, h, saved: c.saved!, init: c.init, dx, stateGrads, paramGrads, ...(c.pooled ? { poolWidth: c.pooled.W, poolDropout: c.pooled.dropout } : {}) }));
    } catch (e) {
      dx.dispose();
      throw e;
    } finally {
      g.dispose();
      h?.dispose();
    }
    return dx;
  }

  /** Sums a per-neuron gradient [N] over the rows that share each of the P values, into the parameter's grad. */
  private addParamGrad(name: string, perNeuron: Tensor, N: number): void {
    const p = this.learnable.get(name)!;
    const rows = perNeuron.reshape([N / this.P, this.P]);
    const summed = ops.sum(rows, 0);
    ops.add(p.grad, summed, p.grad);
    summed.dispose();
    rows.dispose();
  }

  private backwardTape(c: Cache, run: TapeRun, g: Tensor, h: Tensor | undefined, dx: Tensor): void {
    try {
      backwardTape(run, { T: c.T, N: c.N, g, h, dx, stateGrads: this._stateGrads!, P: this.P, device: this.device, learnable: this.learnable });
    } finally {
      c.tape = undefined; // single use: freed by backwardTape rather than at the next forward
    }
  }

  override dispose(): void {
    this.dropCache();
    for (const t of this.spares.values()) t.dispose();
    this.spares.clear();
    this.scratchOwned.clear();
    this.resetState();
    for (const t of this._stateGrads ?? []) t.dispose();
    this._stateGrads = undefined;
    this._membrane?.dispose();
    this._membrane = undefined;
    for (const p of this.learnable.values()) p.grad.dispose();
    for (const t of this.paramValues.values()) t.dispose();
  }
}

function lcm(a: number, b: number): number {
  let [p, q] = [a, b];
  while (q) [p, q] = [q, p % q];
  return (a / p) * b;
}
