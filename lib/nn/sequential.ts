// A feedforward container: forward through the layers in order, backward in reverse. Each layer
// keeps what its backward needs, so the intermediate tensors are released as soon as passed on.
// The forward follows a fusion plan (plan.ts) built once from what the layers declare: spike
// bitmasks handed from a neuron scan to the Linear after it, and a neuron layer run with the
// AvgPool2d(2) and Dropout after it as one scan.
import type { Activation, ForwardRequest, Fusion, InputReads, LinearTail } from "./activation.js";
import { type Buffer, Module, type Parameter, prefixed } from "./module.js";
import { type PlanStep, buildPlan } from "./plan.js";
import { layoutOf } from "./layer-layout.js";
import { ConfigError } from "../errors.js";
import type { Tensor } from "../tensor.js";
import { type Layout, checkLayout, checkSequenceInput, fromTimeMajor, swapLeadingAxes, toTimeMajor } from "../layout.js";

export interface SequentialOptions {
  /** "TBN" (default): inputs and outputs are time-major [T, B, …]; "BTN": batch-first [B, T, …], transposed in and out. */
  layout?: Layout;
}

export class Sequential extends Module {
  readonly layers: Module[];
  /** Layer indices the last forward ran inside the scan of the layer before them (skipped by backward). */
  private fusedInto = new Set<number>();
  /** Neuron layers (by index) whose last forward computed the product of the Linear before them; their backward takes the Linear's. */
  private linearFed = new Map<number, LinearTail>();
  /** Whether layer i's last forward computed the Linear's product before it, so that its backwardLinear takes both layers' (profile.js). */
  linearFedAt(i: number): boolean {
    return this.linearFed.has(i);
  }
  /** Free each layer's cache right after its backward (set by Checkpointed on its segments). */
  releaseAsItGoes = false;
  private planned: { steps: PlanStep[]; layers: number } | undefined;

  /** The layout of forward's input and output and of backward's gradients (SequentialOptions). */
  readonly layout: Layout;

  /** new Sequential(...layers) or new Sequential(...layers, { layout: "BTN" }). */
  constructor(...layers: (Module | SequentialOptions)[]) {
    super();
    const last = layers[layers.length - 1];
    const opts = last !== undefined && !(last instanceof Module) ? (layers.pop() as SequentialOptions) : {};
    this.layers = layers as Module[];
    this.layout = checkLayout("Sequential layout", opts.layout);
    checkMemberLayouts(this.layers);
  }

  /** The fusion plan, built on the first forward (and again only if layers were added or removed). */
  get plan(): readonly PlanStep[] {
    if (!this.planned || this.planned.layers !== this.layers.length) {
      checkMemberLayouts(this.layers);
      this.planned = { steps: buildPlan(this.layers), layers: this.layers.length };
    }
    return this.planned.steps;
  }

  /** What the first layer reads of the network's input besides the tensor (an option of the data loader's batches). */
  inputReads(): InputReads {
    return { spikeIndex: !!this.fusion().readsSpikes };
  }

  forward(x: Tensor): Tensor {
    // A network with spiking layers reads [T, B, …]: a rank-2 input is a mistake, not [T, N].
    if (x.rank < 3 && (this.layout !== "TBN" || hasNeurons(this))) checkSequenceInput("Sequential", x, this.layout);
    if (this.layout === "TBN") return this.forwardSteps({ x }, () => {}).x;
    const xt = toTimeMajor("Sequential", x, this.layout);
    const y = this.forwardSteps({ x: xt }, () => {}).x; // a spike index describes the time-major batch: none is passed
    if (y !== xt) xt.dispose();
    return fromTimeMajor(y, this.layout);
  }

  /** a.index / a.mask: the input's spike index (a data loader batch's) or bitmask, for a first Linear layer. */
  override forwardActivation(a: Activation, req: ForwardRequest = {}): Activation {
    return this.forwardSteps(a, () => {}, req);
  }

  /** A first layer that reads spikes reads them from the Sequential's input; the last one's mask is the Sequential's. */
  override fusion(): Fusion {
    const n = this.layers.length;
    return { readsSpikes: n > 0 && !!this.layers[0].fusion().readsSpikes, packsMask: n > 0 && !!this.layers[n - 1].fusion().packsMask };
  }

  /**
   * The forward, calling after(i, out, span) with the output of every layer i that ran, span
   * being the number of layers it covered (a fused group reports its neuron layer, with the
   * pooled output and the spike count). The profiler times layers this way.
   */
  forwardSteps(a: Activation, after: (i: number, out: Activation, span: number) => void, req: ForwardRequest = {}): Activation {
    const steps = this.plan;
    const last = steps.length - 1;
    this.fusedInto.clear();
    this.linearFed.clear();
    let h = a;
    const pass = (i: number, out: Activation, span: number) => {
      if ((h.x !== a.x || req.ownsInput) && out.x !== h.x) h.x.dispose();
      h = out;
      req.observe?.(this.layers[i], out);
      after(i, out, span);
      for (let k = 1; k < span; k++) this.fusedInto.add(i + k);
    };
    // an input this container made (or was handed to drop) is the next layer's to write over
    const owns = () => h.x !== a.x || !!req.ownsInput;
    steps.forEach((step, s) => {
      const { pool2, linear } = step;
      if (linear) return this.linearStep(step.start, linear, h, pass, sub(req, step.packMask || (s === last && !!req.mask), owns(), s === last && !!req.discardOutput));
      if (pool2 && pool2.head.canFusePool2(h.x)) return pass(step.start, pool2.head.forwardPool2(h.x, pool2.dropout?.()), step.span);
      // A fused group whose input does not allow the fused scan (odd sides, W > 256) runs layer by layer.
      if (pool2) for (let i = step.start; i < step.start + step.span; i++) pass(i, this.layers[i].forwardActivation(h, sub(req, false, owns())), 1);
      else pass(step.start, this.layers[step.start].forwardActivation(h, sub(req, step.packMask || (s === last && !!req.mask), owns(), s === last && !!req.discardOutput)), 1);
    });
    return h;
  }

  /**
   * A Linear and the neuron layer after it: the neuron scan computes the product (IndexFeed) when
   * the Linear takes its indexed path and the layer can take it, else the two run one after the
   * other. Either way both keep their caches (each can still run its own backward), and after a
   * fused forward backward takes both in the neuron layer's reverse scan (backwardLinear). The
   * fused step reports its neuron layer only (the Linear's output never existed).
   */
  private linearStep(i: number, linear: NonNullable<PlanStep["linear"]>, h: Activation, pass: (i: number, out: Activation, span: number) => void, req: ForwardRequest): void {
    const fed = linear.tail.canFuseLinear(linear.feed.outFeatures) ? linear.feed.forwardFeed(h) : undefined;
    if (fed && !("y" in fed)) {
      pass(i + 1, linear.tail.forwardLinear(fed, req), 1);
      this.linearFed.set(i + 1, linear.tail);
      return;
    }
    const y = fed ? fed.y : this.layers[i].forwardActivation(h).x;
    pass(i, { x: y }, 1);
    pass(i + 1, this.layers[i + 1].forwardActivation({ x: y }, { ...req, ownsInput: true }), 1); // y is made here: the neuron layer may write over it
  }

  backward(dy: Tensor): Tensor {
    if (this.layout === "TBN") return this.backwardSteps(dy);
    const g = swapLeadingAxes(dy);
    const dx = this.backwardSteps(g);
    if (dx !== g) g.dispose();
    return fromTimeMajor(dx, this.layout);
  }

  /** dy is the caller's to drop (Module.backwardOwned): the first layer may write over it too. */
  override backwardOwned(dy: Tensor): Tensor {
    return this.layout === "TBN" ? this.backwardSteps(dy, true) : this.backward(dy);
  }

  /**
   * backwardOwned, and dy itself is disposed once read, so that its storage goes then rather than
   * when the caller drops it (dispose is idempotent): time-major (TBN, what checkpointed segments
   * run), once the first layer has read it; another layout, after the backward. For a caller that
   * will neither read dy again nor use it but to dispose it (a checkpointed step, docs/memory.md).
   */
  backwardTaking(dy: Tensor): Tensor {
    if (this.layout === "TBN") return this.backwardSteps(dy, true, true);
    const dx = this.backward(dy);
    dy.dispose();
    return dx;
  }

  /**
   * A gradient this container made is handed on as owned (backwardOwned): nothing reads it after
   * the layer that takes it. With releaseAsItGoes, each layer's cache is freed once its backward
   * has run (a checkpointed segment's layers: their forward is recomputed before any next backward).
   */
  private backwardSteps(dy: Tensor, owned = false, take = false): Tensor {
    let g = dy;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      if (this.fusedInto.has(i)) continue; // its gradient is taken by the layer it ran fused into
      const layer = this.layers[i];
      // A neuron layer that computed the Linear's product takes the Linear's backward too.
      const viaLinear = this.linearFed.get(i)?.backwardLinear(g);
      const next = viaLinear ?? (g !== dy || owned ? layer.backwardOwned(g) : layer.backward(g));
      if ((g !== dy || take) && next !== g) g.dispose();
      g = next;
      if (this.releaseAsItGoes) layer.releaseCache();
      if (viaLinear && this.releaseAsItGoes) this.layers[i - 1].releaseCache();
      if (viaLinear) i--; // the Linear's backward ran
    }
    return g;
  }

  override outputShape(s: readonly number[]): number[] {
    return this.layers.reduce<number[]>((acc, l) => l.outputShape(acc), [...s]);
  }

  /** Each layer's, on the shape it receives. */
  override keptPerStep(s: readonly number[]): number {
    let n = 0;
    let shape = [...s];
    for (const l of this.layers) {
      n += l.keptPerStep(shape);
      shape = l.outputShape(shape);
    }
    return n;
  }

  override namedLayers(): (readonly [string, Module])[] {
    return this.layers.map((l, i) => [String(i), l] as const);
  }

  /** Parameters named "<layer index>.<name>", e.g. "0.weight". */
  override parameters(): Parameter[] {
    return this.layers.flatMap((l, i) => prefixed(String(i), l.parameters()));
  }

  /** Buffers named like parameters, e.g. "1.running_mean". */
  override buffers(): Buffer[] {
    return this.layers.flatMap((l, i) => prefixed(String(i), l.buffers()));
  }

  override children(): Module[] {
    return this.layers;
  }

  override zeroGrad(): void {
    for (const l of this.layers) l.zeroGrad();
  }

  override dispose(): void {
    for (const l of this.layers) l.dispose();
  }
}

function hasNeurons(m: Module): boolean {
  return m.spiking || m.children().some(hasNeurons);
}

/** The request a layer of the chain gets: a mask when wanted, and the caller's observer; the last one whether its output is dropped. */
function sub(req: ForwardRequest, mask: boolean, ownsInput = false, discardOutput = false): ForwardRequest {
  return { ...(mask ? { mask: true } : {}), ...(req.observe ? { observe: req.observe } : {}), ...(ownsInput ? { ownsInput: true } : {}), ...(discardOutput ? { discardOutput: true } : {}) };
}

/** Layers pass time-major tensors to each other: a batch-first layer belongs outside, its layout on the Sequential. */
function checkMemberLayouts(layers: readonly Module[]): void {
  layers.forEach((l, i) => {
    if (layoutOf(l) === "BTN")
      throw new ConfigError(
        `Sequential layer ${i} (${l.describe()}): expected layout "TBN" (layers inside a Sequential pass time-major [T, B, …] tensors to each other), received "BTN"; give { layout: "BTN" } to the Sequential instead`,
      );
  });
}
