// Linear layer over all time steps at once (docs/neurons.md §4): y = x·Wᵀ (+ b) for x [T, B, …, in]
// folded into T·B rows; backward gives ∂x = ∂y·W, ∂W += ∂yᵀ·x, ∂b += Σ_rows ∂y.
import { type LayoutOption, applyLayout } from "./layer-layout.js";
import type { Layout } from "../layout.js";
import { type DeviceLike, type Device, parseDevice } from "../device.js";
import { ShapeError, shapeStr } from "../errors.js";
import { supports } from "../native.js";
import * as ops from "../ops.js";
import { Rng } from "../random.js";
import { CPU_CROSSOVER, type ProductPath, checkPath, chooseSparse, SpikeIndex, sparseLinear, sparseLinearWeightGrad } from "../sparse.js";
import { Tensor, keep } from "../tensor.js";
import { noForward } from "./common.js";
import { type Activation, type FeedGrad, type Fusion, type IndexFeed, NO_FUSION } from "./activation.js";
import { Module, type Parameter, newParameter } from "./module.js";
import { type NirContext, type NirStep, refuse } from "./nir.js";
import { f32 } from "../nir/hdf5.js";
import { checkOptions, fail } from "./options.js";

/** LinearOptions' keys: an unknown one is an error with a suggestion (DelayLinear adds its own). */
export const LINEAR_OPTIONS: ReadonlySet<string> = new Set(["bias", "seed", "rng", "initScale", "inputGrad", "products", "device"]);

export interface LinearOptions extends LayoutOption {
  bias?: boolean;
  /** Seed of the initial weights (default 0), or an Rng to draw from. */
  seed?: number;
  rng?: Rng;
  /** Multiplies the default bound 1/√in of the uniform initialisation (default 1). */
  initScale?: number;
  /** False for a network's first layer, whose input needs no gradient: backward then skips ∂x. */
  inputGrad?: boolean;
  /** Forward and weight-gradient products: by the input's measured density (default), or always dense / sparse (lib/sparse.ts). */
  products?: ProductPath;
  device?: DeviceLike;
}


export class Linear extends Module {
  readonly device: Device;
  readonly weight: Parameter; // [out, in]
  readonly bias: Parameter | undefined; // [out]
  /** Whether backward computes ∂x; when false it returns an empty tensor of shape [0]. */
  inputGrad: boolean;
  products: ProductPath;
  /** The density of the last forward's input when "auto" measured it. */
  inputDensity: number | undefined;
  private sparseInput = false;
  /** Whether the last forward took the sparse path through `index` (the CPU). */
  private indexed = false;
  private readonly ownIndex = new SpikeIndex();
  /** The index the last forward used: its own, or one the data loader gave. */
  private index = this.ownIndex;
  private input: Tensor | undefined;
  /** The density of the last backward's ∂y when "auto" measured it (undefined when it did not). */
  gradDensity: number | undefined;
  /** ∂y's index when ∂y is sparse (backward), and how many backwards to skip measuring after a dense ∂y. */
  private readonly gradIndex = new SpikeIndex();
  private denseGradSkips = 0;

  /** The layout its own forward and backward take (layer-layout.ts). */
  readonly layout: Layout;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: LinearOptions = {}) {
    super();
    checkOptions("Linear", opts, LINEAR_OPTIONS);
    for (const [k, v] of [["inFeatures", inFeatures], ["outFeatures", outFeatures]] as const)
      if (!Number.isInteger(v) || v < 1) fail(`Linear ${k}`, "an integer >= 1", v);
    const scale = opts.initScale ?? 1;
    if (typeof scale !== "number" || !(scale > 0)) fail("Linear initScale", "a number > 0", scale);
    this.device = parseDevice(opts.device);
    this.layout = applyLayout(this, "Linear", opts.layout);
    this.inputGrad = opts.inputGrad ?? true;
    this.products = checkPath("Linear products", opts.products ?? "auto");
    const rng = opts.rng ?? new Rng(opts.seed ?? 0);
    const bound = scale / Math.sqrt(inFeatures);
    this.weight = newParameter("weight", Tensor.uniform([outFeatures, inFeatures], rng, { low: -bound, high: bound, device: this.device }));
    this.bias = opts.bias === false ? undefined
      : newParameter("bias", Tensor.uniform([outFeatures], rng, { low: -bound, high: bound, device: this.device }));
  }

  override parameters(): Parameter[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }

  /** Where the backend has the spike-index products (the CPU), unless always dense, it reads its input's spike bitmask or index. */
  override fusion(): Fusion {
    return supports("spike_index_linear_forward", this.device) && this.products !== "dense" ? { readsSpikes: true, indexFeed: this } : NO_FUSION;
  }

  forward(x: Tensor): Tensor {
    return this.run(x, {});
  }

  /**
   * a.mask, the bitmask of x's nonzero entries from the neuron layer that wrote x, or a.index,
   * x's spike index from the data loader, replaces the pass over x.
   */
  override forwardActivation(a: Activation): Activation {
    return { x: this.run(a.x, a) };
  }

  override outputShape(s: readonly number[]): number[] {
    if (s[s.length - 1] !== this.inFeatures) throw new ShapeError(`Linear: expected ${this.inFeatures} input features, received ${shapeStr(s)}`);
    return [...s.slice(0, -1), this.outFeatures];
  }

  override describe(): string {
    return `Linear(${this.inFeatures}→${this.outFeatures}${this.bias ? ", bias" : ""})`;
  }

  override reportedWeight(): { kind: string; param: Parameter } {
    return { kind: "Linear", param: this.weight };
  }

  override skipInputGrad(): void {
    this.inputGrad = false;
  }

  override toNir(c: NirContext): NirStep {
    const { shape } = c;
    if (shape.length !== 1 || shape[0] !== this.inFeatures) refuse(c, `expected an input of ${this.inFeatures} features, received samples of shape ${shapeStr(shape)} (add a Flatten)`);
    const w = f32(this.weight.value.toArray(), [this.outFeatures, this.inFeatures]);
    return { node: this.bias ? { type: "Affine", weight: w, bias: f32(this.bias.value.toArray()) } : { type: "Linear", weight: w }, shape: [this.outFeatures] };
  }

  private run(x: Tensor, known: Pick<Activation, "index" | "mask">): Tensor {
    return this.complete(x, this.prepare(x, known));
  }

  /**
   * The forward up to its product, for a neuron layer that computes the product inside its own
   * scan (Sequential's Linear → LIF step, IndexFeed): the input is indexed and kept for the
   * backward as forward keeps it, and when the product takes the indexed path its index, weight
   * and bias are returned instead of the output; otherwise the product runs here (`y`).
   */
  forwardFeed(a: Activation): IndexFeed | { y: Tensor } {
    const x2 = this.prepare(a.x, a);
    if (!this.indexed) return { y: this.complete(a.x, x2) };
    this.input?.dispose();
    this.input = keep(x2);
    const index = this.index;
    return {
      index, weight: this.weight.value, ...(this.bias ? { bias: this.bias.value } : {}), shape: [...a.x.shape.slice(0, -1), this.outFeatures],
      grad: () => (this.indexed && this.input && this.index === index ? this.feedGrad() : undefined),
    };
  }

  private feedGrad(): FeedGrad {
    return {
      index: this.index, weight: this.weight.value, weightGrad: this.weight.grad, ...(this.bias ? { biasGrad: this.bias.grad } : {}),
      inFeatures: this.inFeatures, inputGrad: this.inputGrad,
    };
  }

  /** Checks x, chooses the product's path (indexing x when sparse) and returns x as rows [rows, in]. */
  private prepare(x: Tensor, known: Pick<Activation, "index" | "mask">): Tensor {
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.inFeatures)
      throw new ShapeError(`Linear: expected an input [..., ${this.inFeatures}], received ${shapeStr(x.shape)}`);
    const rows = x.size / this.inFeatures;
    const x2 = x.reshape([rows, this.inFeatures]);
    this.indexed = false;
    if (supports("spike_index_linear_forward", this.device) && this.products !== "dense") {
      // One pass over the input gives its density and, when sparse enough, the index that the
      // forward and the weight gradient read instead of the input.
      const crossover = this.products === "sparse" ? 1 : CPU_CROSSOVER.linear;
      const ix = known.index;
      const given = ix && ix.rows === rows && ix.features === this.inFeatures && ix.complete ? ix : undefined;
      this.index = given ?? this.ownIndex;
      const d = given ? given.density : this.ownIndex.build(x2, rows, this.inFeatures, crossover, ix ? undefined : known.mask);
      this.inputDensity = this.products === "auto" ? d : undefined;
      this.indexed = this.sparseInput = this.products === "sparse" || this.inputDensity! < crossover;
    } else {
      const choice = chooseSparse(CPU_CROSSOVER.linear, this.products, x2);
      this.sparseInput = choice.sparse;
      this.inputDensity = choice.density;
    }
    return x2;
  }

  /** The product of the path prepare chose; keeps x2 for the backward. */
  private complete(x: Tensor, x2: Tensor): Tensor {
    let y2: Tensor;
    if (this.indexed) y2 = this.index.linear(this.weight.value, this.bias?.value); // the bias added in the same pass
    else {
      if (this.sparseInput) y2 = sparseLinear(x2, this.weight.value);
      else ops.gemm((y2 = Tensor.empty([x2.shape[0], this.outFeatures], this.device)), x2, this.weight.value, { transB: true });
      if (this.bias) ops.add(y2, this.bias.value, y2);
    }
    const y = y2.reshape([...x.shape.slice(0, -1), this.outFeatures]);
    y2.dispose();
    this.input?.dispose();
    this.input = keep(x2);
    return y;
  }

  backward(dy: Tensor): Tensor {
    const x2 = this.input;
    if (!x2) noForward("Linear");
    const rows = x2.shape[0];
    if (dy.size !== rows * this.outFeatures || dy.shape[dy.rank - 1] !== this.outFeatures)
      throw new ShapeError(`Linear backward: expected dy of ${rows} rows × ${this.outFeatures}, received ${shapeStr(dy.shape)}`);
    const dy2 = dy.reshape([rows, this.outFeatures]);
    if (this.indexed) this.index.linearWeightGrad(dy2, this.weight.grad);
    else if (this.sparseInput) sparseLinearWeightGrad(dy2, x2, this.weight.grad);
    else ops.gemm(this.weight.grad, dy2, x2, { transA: true, beta: 1 });
    if (this.bias) {
      const db = ops.sum(dy2, 0);
      ops.add(this.bias.grad, db, this.bias.grad);
      db.dispose();
    }
    if (!this.inputGrad) {
      dy2.dispose();
      return Tensor.empty([0], this.device);
    }
    if (this.sparseGrad(dy2, rows)) {
      // ∂x = ∂y·W from ∂y's nonzeros: the index's product with Wᵀ [in, out] as its weight. Same
      // terms in the same order as the GEMM (zero terms left out), so the same result.
      const w = this.weight.value.toArray(), wt = new Float32Array(w.length);
      for (let o = 0; o < this.outFeatures; o++) for (let i = 0; i < this.inFeatures; i++) wt[i * this.outFeatures + o] = w[o * this.inFeatures + i];
      const wtT = Tensor.from(wt, [this.inFeatures, this.outFeatures], this.device);
      const dx2 = this.gradIndex.linear(wtT);
      wtT.dispose();
      dy2.dispose();
      const dx = dx2.reshape([...dy.shape.slice(0, -1), this.inFeatures]);
      dx2.dispose();
      return dx;
    }
    const dx = Tensor.empty([...dy.shape.slice(0, -1), this.inFeatures], this.device);
    const dx2 = dx.reshape([rows, this.inFeatures]);
    ops.gemm(dx2, dy2, this.weight.value);
    dx2.dispose();
    dy2.dispose();
    return dx;
  }

  /**
   * Whether ∂y [rows, out] is sparse enough for ∂x from its nonzeros ("auto" on the CPU): a
   * max-over-time readout's ∂y has one nonzero step per sample and class. Indexes it when so.
   * After a dense ∂y the next 7 backwards skip the measuring pass (∂y is likely dense again).
   */
  private sparseGrad(dy2: Tensor, rows: number): boolean {
    this.gradDensity = undefined;
    if (this.products !== "auto" || !supports("spike_index_linear_forward", this.device)) return false;
    if (this.denseGradSkips > 0) {
      this.denseGradSkips--;
      return false;
    }
    this.gradDensity = this.gradIndex.build(dy2, rows, this.outFeatures, CPU_CROSSOVER.linear);
    if (this.gradDensity < CPU_CROSSOVER.linear && this.gradIndex.complete) return true;
    this.denseGradSkips = 7;
    return false;
  }

  /** Its input [F] (a spike input's index lives in JavaScript arrays, not counted here). */
  override keptPerStep(s: readonly number[]): number {
    return s.reduce((a, b) => a * b, 1);
  }

  override releaseCache(): void {
    this.input?.dispose();
    this.input = undefined;
    this.index = this.ownIndex;
  }

  override dispose(): void {
    this.releaseCache();
    super.dispose();
  }
}

