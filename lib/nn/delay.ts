// A Linear layer with a learnable delay per synapse (or per output neuron), after DCLS
// (Hammouamri et al., ICLR 2024; docs/delays.md):
//     y_j[t] = Σ_i w_ij · Σ_k p_ij[k] · x_i[t − k],   p_ij = a Gaussian of width σ centred on d_ij,
// normalised over a window of taps k in [0, D]. The delays d_ij are continuous and learnt through
// the interpolation kernel; σ is decayed by the training loop (setSigma, per epoch) from about D/2
// towards a narrow kernel, and σ = 0 (roundDelays, for inference and export) is the hard integer
// delay round(d_ij). Why a truncated window: the event-driven cost is ∝ spikes × out × taps, so a
// narrow σ late in training is also a cheap one; the window starts at floor(d) − R with
// R = ⌈windowSigmas·σ⌉, so between integer delays the op is smooth and its gradient exact.
//
// Three paths give the same values: the dense temporal convolution (D + 1 GEMMs of T·B × in × out
// over the expanded kernel K[k, i, j], the DCLS form), the event-driven one (each nonzero input
// scattered to its outputs' taps of K, and the backward's correlations gathered from the same
// nonzeros) and, on the CPU, the window path (each synapse over its own W taps only, from the
// input's nonzeros when it is sparse). "auto" takes the window path where the window is narrow,
// else chooses events or dense by the input's measured density as Linear chooses (on CUDA "auto"
// is the dense path, as for Linear). ∂x is dense in ∂y: over the window where it fits or where the
// samples fill the vector lanes (any width up to 32 taps), else GEMMs.
import { type LayoutOption, applyLayout } from "./layer-layout.js";
import type { Layout } from "../layout.js";
import { type Device, parseDevice } from "../device.js";
import { ExodusError, ShapeError, shapeStr } from "../errors.js";
import { type DelayGeomArgs, native, supports } from "../native.js";
import * as ops from "../ops.js";
import { Rng } from "../random.js";
import { type ProductPath, checkPath, chooseSparse } from "../sparse.js";
import { Tensor, keep } from "../tensor.js";
import { noForward } from "./common.js";
import { type Buffer, Module, type Parameter, newParameter } from "./module.js";
import { type NirContext, type NirStep, refuse } from "./nir.js";
import { LINEAR_OPTIONS, type LinearOptions } from "./linear.js";
import { checkOptions, fail } from "./options.js";

/**
 * Input density below which the event-driven path is taken ("auto"), measured at the SHD-delays
 * shape on the 2-core development CPU (docs/delays.md, benchmarks/delay/bench.ts: the event path
 * was faster than the dense one at 12 % in every layer and σ measured).
 */
export const DELAY_EVENT_CROSSOVER = 0.15;
/**
 * Input density up to which the window path's forward and correlation run from the input's
 * nonzeros (each spike over its synapses' own W taps) instead of the filters over every step; the
 * native entries choose (mirrors kDelayWindowEventsMaxDensity in cuda/cpu/delay_window_rows.h).
 * Where the window fits, "auto" takes the window path at any density.
 */
export const DELAY_WINDOW_EVENTS_MAX_DENSITY = 0.3;
/**
 * Input density from which the window path's forward runs with the samples in the vector lanes
 * (16 samples and more, at most DELAY_WINDOW_DX_MAX_TAPS taps) instead of from the spikes: its cost
 * does not grow with the density (mirrors kDelayWindowForwardLanesDensity; docs/delays.md).
 */
export const DELAY_WINDOW_FORWARD_LANES_DENSITY = 0.12;

/**
 * The most taps per synapse (W) the window path takes, and the window's share of the kernel
 * (W / (D + 1)) up to which "auto" takes it: measured at the SHD-delays shape on the 2-core
 * development CPU (docs/delays.md, benchmarks/delay/bench.ts). Mirrors kDelayWindowMaxTaps.
 */
export const DELAY_WINDOW_MAX_TAPS = 12;
export const DELAY_WINDOW_SHARE = 0.5;
/**
 * ∂x over each synapse's own taps with the samples in the vector lanes (cuda/cpu/delay_window_dx.cc)
 * runs from this many samples on, for windows up to DELAY_WINDOW_DX_MAX_TAPS taps (mirrors
 * kDelayWindowDxMaxTaps). Where it runs, "auto" takes it for ∂x whatever the forward's path, the
 * whole kernel as the window (σ ≥ 3 at D 25) included: it does the GEMMs' multiply-adds where the
 * window is the whole kernel, fewer where it is narrower, without the expanded kernel's passes
 * (docs/delays.md, "∂x at every width").
 */
export const DELAY_WINDOW_DX_MIN_SAMPLES = 16;
export const DELAY_WINDOW_DX_MAX_TAPS = 32;

/** How the backward computes ∂x: "auto" (the layer's rule), "dense" (one GEMM per tap) or "window". */
export type DelayInputGradPath = "auto" | "dense" | "window";

/** Whether the build has the lanes blocks (AVX2 and FMA; a "generic" build runs the slower filters). */
let lanesBuilt: boolean | undefined;
const hasLanes = (): boolean => (lanesBuilt ??= native().buildInfo().cpuIsa !== "generic");

/**
 * DelayLinear's product paths: Linear's three ("sparse" is the event-driven path) and "window",
 * the products over each synapse's own W taps (CPU).
 */
export type DelayPath = ProductPath | "window";

/** Linear's options (bias here defaults to false, as DCLS's layers) and the delays'. */
export interface DelayLinearOptions extends Omit<LinearOptions, "products"> {
  /** "auto" (default): events at low input density, else the window path for a narrow σ, else dense. */
  products?: DelayPath;
  /** The largest delay D in time steps (delays are clamped to [0, D]). */
  maxDelay: number;
  /** The kernel's initial width σ in steps (default D / 2, as DCLS); 0: hard integer delays. */
  sigma?: number;
  /** One delay per output neuron instead of one per synapse (default false). */
  perNeuron?: boolean;
  /**
   * σ decayed per epoch (startEpoch): geometrically from `sigma` to `end` over the first `fraction`
   * of the run's epochs, then held (DCLS: to 0.5 over the first quarter). Absent: σ stays as set.
   */
  sigmaDecay?: { end: number; fraction: number };
  /** Half-width of the kernel's window in units of σ (default 4: a tap left out weighs < 4e-4 of the peak). */
  windowSigmas?: number;
}

export class DelayLinear extends Module {
  readonly device: Device;
  readonly weight: Parameter; // [out, in]
  /** Delays in steps: [out, in], or [out] with perNeuron. */
  readonly delay: Parameter;
  readonly bias: Parameter | undefined;
  readonly maxDelay: number;
  readonly perNeuron: boolean;
  readonly windowSigmas: number;
  inputGrad: boolean;
  products: DelayPath;
  /** The density of the last forward's input when "auto" measured it. */
  inputDensity: number | undefined;
  /** σ as a buffer, so a checkpoint or saved model keeps the width it was trained to (`sigma`). */
  private readonly sigmaBuffer: Buffer;
  private sigmaValue: number;
  private readonly sigmaStart: number;
  private readonly sigmaDecay: { end: number; fraction: number } | undefined;
  /** The path of the last forward's products (and of its backward's correlation). */
  path: "dense" | "events" | "window" = "dense";
  /** ∂x's path: "auto" by default; benchmarks set "dense" or "window" to compare the two. */
  inputGradPath: DelayInputGradPath = "auto";
  /** The path the last backward's ∂x took. */
  inputGradTaken: "dense" | "window" | undefined;
  private saved: { x: Tensor; coeff: Tensor; start: Tensor; geom: DelayGeomArgs; K: Tensor | undefined } | undefined;

  /** The layout its own forward and backward take (layer-layout.ts). */
  readonly layout: Layout;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: DelayLinearOptions) {
    super();
    if (typeof opts !== "object" || opts === null) fail("DelayLinear options", "a mapping with at least maxDelay", opts);
    checkOptions("DelayLinear", opts, new Set([...LINEAR_OPTIONS, "maxDelay", "sigma", "perNeuron", "sigmaDecay", "windowSigmas"]));
    this.layout = applyLayout(this, "DelayLinear", opts.layout);
    for (const [k, v] of [["inFeatures", inFeatures], ["outFeatures", outFeatures]] as const)
      if (!Number.isInteger(v) || v < 1) fail(`DelayLinear ${k}`, "an integer >= 1", v);
    if (!Number.isInteger(opts.maxDelay) || opts.maxDelay < 0) fail("DelayLinear maxDelay", "an integer >= 0 (steps)", opts.maxDelay);
    const scale = opts.initScale ?? 1;
    if (typeof scale !== "number" || !(scale > 0)) fail("DelayLinear initScale", "a number > 0", scale);
    this.windowSigmas = opts.windowSigmas ?? 4;
    if (typeof this.windowSigmas !== "number" || !(this.windowSigmas > 0)) fail("DelayLinear windowSigmas", "a number > 0", opts.windowSigmas);
    this.device = parseDevice(opts.device);
    if (!supports("delay_taps", this.device))
      throw new ExodusError(`DelayLinear: the ${this.device.type} backend of this build has no delay kernels (supports("delay_taps") is false); build the model on the CPU (device: "cpu") or use a build with that backend`);
    this.maxDelay = opts.maxDelay;
    this.perNeuron = opts.perNeuron ?? false;
    this.inputGrad = opts.inputGrad ?? true;
    this.products = opts.products === "window" ? "window" : checkPath("DelayLinear products (or \"window\")", opts.products ?? "auto");
    this.sigmaValue = 0;
    this.sigmaBuffer = { name: "sigma", value: keep(Tensor.zeros([1], this.device)) };
    this.setSigma(opts.sigma ?? this.maxDelay / 2);
    this.sigmaStart = this.sigmaValue;
    const dec = opts.sigmaDecay;
    if (dec !== undefined && (typeof dec !== "object" || dec === null || !(dec.end >= 0) || !(dec.fraction > 0 && dec.fraction <= 1)))
      fail("DelayLinear sigmaDecay", "{ end: a number >= 0, fraction: a number in (0, 1] }", dec);
    this.sigmaDecay = dec;
    const rng = opts.rng ?? new Rng(opts.seed ?? 0);
    const bound = scale / Math.sqrt(inFeatures);
    this.weight = newParameter("weight", Tensor.uniform([outFeatures, inFeatures], rng, { low: -bound, high: bound, device: this.device }));
    // Delays uniform over [0, D], as DCLS initialises its positions over the whole kernel.
    const dShape = this.perNeuron ? [outFeatures] : [outFeatures, inFeatures];
    this.delay = newParameter("delay", Tensor.uniform(dShape, rng, { low: 0, high: this.maxDelay, device: this.device }));
    this.bias = opts.bias ? newParameter("bias", Tensor.uniform([outFeatures], rng, { low: -bound, high: bound, device: this.device })) : undefined;
  }

  /** The kernel's width σ in steps (0: hard integer delays). */
  get sigma(): number {
    return this.sigmaValue;
  }

  /** Sets σ (the training loop decays it per epoch); 0 rounds each delay to the nearest step. */
  setSigma(sigma: number): void {
    if (typeof sigma !== "number" || !(sigma >= 0) || !Number.isFinite(sigma)) fail("DelayLinear sigma", "a finite number >= 0 (steps)", sigma);
    this.sigmaValue = sigma;
    ops.fill(this.sigmaBuffer.value, sigma);
  }

  override buffers(): Buffer[] {
    return [this.sigmaBuffer];
  }

  override startEpoch(epoch: number, epochs: number): void {
    const dec = this.sigmaDecay;
    if (!dec) return;
    const span = Math.max(1, Math.round(dec.fraction * epochs)), s0 = this.sigmaStart;
    // Geometric, so each epoch shrinks σ by the same factor; an end of 0 is reached at the span's end.
    const f = Math.min(epoch / span, 1);
    this.setSigma(f >= 1 || s0 === 0 ? dec.end : dec.end === 0 ? s0 * (1 - f) : s0 * (dec.end / s0) ** f);
  }

  /** Rounds every delay to its integer step and sets σ = 0: the network inference and export run. */
  roundDelays(): void {
    const d = this.delay.value.toArray().map((v) => Math.round(Math.min(Math.max(v, 0), this.maxDelay)));
    const rounded = Tensor.from(d, this.delay.value.shape, this.device);
    this.delay.value.copyFrom(rounded);
    rounded.dispose();
    this.setSigma(0);
  }

  /** The delays rounded to integer steps ([out, in] or [out], row-major), as inference uses them. */
  integerDelays(): Int32Array {
    return Int32Array.from(this.delay.value.toArray(), (v) => Math.round(Math.min(Math.max(v, 0), this.maxDelay)));
  }

  override parameters(): Parameter[] {
    return this.bias ? [this.weight, this.delay, this.bias] : [this.weight, this.delay];
  }

  override outputShape(s: readonly number[]): number[] {
    if (s[s.length - 1] !== this.inFeatures) throw new ShapeError(`DelayLinear: expected ${this.inFeatures} input features, received ${shapeStr(s)}`);
    return [...s.slice(0, -1), this.outFeatures];
  }

  override describe(): string {
    return `DelayLinear(${this.inFeatures}→${this.outFeatures}, D ${this.maxDelay}, σ ${+this.sigmaValue.toFixed(3)}${this.perNeuron ? ", per neuron" : ""})`;
  }

  override reportedWeight(): { kind: string; param: Parameter } {
    return { kind: "DelayLinear", param: this.weight };
  }

  override skipInputGrad(): void {
    this.inputGrad = false;
  }

  override toNir(c: NirContext): NirStep {
    // several nodes (Linear + Delay branches, lib/nir/delay-export.ts): exportNetwork / exportGraph write them
    refuse(c, "a DelayLinear is several NIR nodes (Linear and Delay branches); export the network with exportNetwork (exodus export does)");
  }

  /** The geometry of an input of T steps and B samples, with this σ's window. */
  private geom(T: number, B: number): DelayGeomArgs {
    const s = this.sigmaValue;
    const R = s === 0 ? 0 : Math.ceil(this.windowSigmas * s);
    const taps = s === 0 ? 1 : Math.min(2 * R + 2, this.maxDelay + 1);
    return { T, B, inFeatures: this.inFeatures, outFeatures: this.outFeatures, maxDelay: this.maxDelay, taps, below: Math.min(R, taps - 1), sigma: s, perNeuron: this.perNeuron };
  }

  forward(x: Tensor): Tensor {
    if (x.rank < 3 || x.shape[x.rank - 1] !== this.inFeatures)
      throw new ShapeError(`DelayLinear: expected a time-major input [T, batch…, ${this.inFeatures}], received ${shapeStr(x.shape)}`);
    const T = x.shape[0], B = x.size / (T * this.inFeatures);
    this.setSigma(this.sigmaBuffer.value.item()); // a loaded state dict may have replaced it
    const g = this.geom(T, B);
    // DCLS clamps the positions after every optimiser step; clamping before the step's forward is the same.
    ops.minimum(ops.maximum(this.delay.value, 0, this.delay.value), this.maxDelay, this.delay.value);
    const coeff = Tensor.empty([this.inFeatures, this.outFeatures, g.taps], this.device);
    const start = Tensor.empty([this.inFeatures, this.outFeatures], this.device);
    native().delayTaps({ ...g, w: this.weight.value, d: this.delay.value, coeff, start });
    const y = Tensor.empty([...x.shape.slice(0, -1), this.outFeatures], this.device);
    this.path = this.choosePath(x, g);
    let K: Tensor | undefined;
    if (this.path === "window") native().delayWindowForward({ ...g, x, coeff, start, y });
    else {
      K = Tensor.empty([this.maxDelay + 1, this.inFeatures, this.outFeatures], this.device);
      native().delayDenseKernel({ ...g, coeff, start, K });
      if (this.path === "events") native().delayForwardEvents({ ...g, x, K, y });
      else {
        ops.fill(y, 0);
        for (let k = 0; k <= this.maxDelay && k < T; k++) this.tap(y, x, K, k, T, B, (yv, xv, Kk) => ops.gemm(yv, xv, Kk, { beta: 1 }));
      }
    }
    if (this.bias) ops.add(y, this.bias.value, y);
    this.release();
    this.saved = { x: keep(x.reshape(x.shape)), coeff: keep(coeff), start: keep(start), geom: g, K: K && keep(K) };
    return y;
  }

  /** Whether the window path can run g here and, for "auto", costs less than the dense form. */
  private windowFits(g: DelayGeomArgs): boolean {
    if (!supports("delay_window_forward", this.device)) return false;
    if (this.products === "window") return true;
    return this.products === "auto" && g.taps <= DELAY_WINDOW_MAX_TAPS && g.taps <= DELAY_WINDOW_SHARE * (this.maxDelay + 1);
  }

  private choosePath(x: Tensor, g: DelayGeomArgs): "dense" | "events" | "window" {
    if (this.products === "window") return "window";
    const choice = chooseSparse(DELAY_EVENT_CROSSOVER, this.products, x);
    this.inputDensity = choice.density;
    // A narrow window: the window path, which itself runs from the spikes of a sparse input.
    if (this.windowFits(g)) return "window";
    return choice.sparse ? "events" : "dense";
  }

  /** f on tap k's views: y[k:] and x[:T−k] as rows, and K[k] as [in, out]. */
  private tap(y: Tensor, x: Tensor, K: Tensor, k: number, T: number, B: number, f: (y: Tensor, x: Tensor, Kk: Tensor) => void): void {
    const rows = (T - k) * B;
    const y2 = y.reshape([T * B, this.outFeatures]), x2 = x.reshape([T * B, this.inFeatures]);
    const yv = y2.slice(k * B, T * B), xv = x2.slice(0, rows), Kk = K.at(k);
    f(yv, xv, Kk);
    for (const v of [y2, x2, yv, xv, Kk]) v.dispose();
  }

  backward(dy: Tensor): Tensor {
    const s = this.saved;
    if (!s) noForward("DelayLinear");
    const { x, start, geom: g } = s;
    const T = g.T, B = g.B;
    if (dy.size !== T * B * this.outFeatures || dy.shape[dy.rank - 1] !== this.outFeatures)
      throw new ShapeError(`DelayLinear backward: expected dy [${T}, …, ${this.outFeatures}] of ${T * B} rows, received ${shapeStr(dy.shape)}`);
    const A = Tensor.empty([this.inFeatures, this.outFeatures, g.taps], this.device);
    if (this.path === "window" && g.taps <= DELAY_WINDOW_MAX_TAPS) native().delayWindowCorr({ ...g, x, dy, start, A });
    else {
      const dK = Tensor.empty([this.maxDelay + 1, this.inFeatures, this.outFeatures], this.device);
      if (this.path === "events") native().delayCorrEvents({ ...g, x, dy, dK });
      else {
        ops.fill(dK, 0);
        for (let k = 0; k <= this.maxDelay && k < T; k++) this.tap(dy, x, dK, k, T, B, (dyv, xv, dKk) => ops.gemm(dKk, xv, dyv, { transA: true }));
      }
      native().delayCorrDense({ ...g, dK, start, A });
      dK.dispose();
    }
    native().delayParamGrad({ ...g, A, w: this.weight.value, d: this.delay.value, dw: this.weight.grad, dd: this.delay.grad });
    A.dispose();
    if (this.bias) {
      const db = ops.sum(dy.reshape([T * B, this.outFeatures]), 0);
      ops.add(this.bias.grad, db, this.bias.grad);
      db.dispose();
    }
    if (!this.inputGrad) return Tensor.empty([0], this.device);
    const dx = Tensor.empty([...dy.shape.slice(0, -1), this.inFeatures], this.device);
    // ∂x is dense in dy whatever the input: over each synapse's own taps where the window fits.
    this.inputGradTaken = this.windowInputGrad(g) ? "window" : "dense";
    if (this.inputGradTaken === "window") native().delayWindowInputGrad({ ...g, dy, coeff: s.coeff, start, dx });
    else {
      const K = s.K ?? this.expandedKernel(g, s.coeff, start);
      ops.fill(dx, 0);
      // ∂x[t − k] += ∂y[t] · K[k]: the same tap views with the roles of x and y swapped.
      for (let k = 0; k <= this.maxDelay && k < T; k++) this.tap(dy, dx, K, k, T, B, (dyv, dxv, Kk) => ops.gemm(dxv, dyv, Kk, { transB: true, beta: 1 }));
      if (!s.K) K.dispose();
    }
    return dx;
  }

  /**
   * Whether ∂x runs over each synapse's own taps: where the window path fits, and under "auto" also
   * wherever the lanes form runs (enough samples, a window it is compiled for), at any width.
   */
  private windowInputGrad(g: DelayGeomArgs): boolean {
    if (this.inputGradPath !== "auto") return this.inputGradPath === "window" && supports("delay_window_input_grad", this.device);
    if (this.windowFits(g)) return true;
    return (
      this.products === "auto" && supports("delay_window_input_grad", this.device) && hasLanes() && g.B >= DELAY_WINDOW_DX_MIN_SAMPLES && g.taps <= DELAY_WINDOW_DX_MAX_TAPS
    );
  }

  private expandedKernel(g: DelayGeomArgs, coeff: Tensor, start: Tensor): Tensor {
    const K = Tensor.empty([this.maxDelay + 1, this.inFeatures, this.outFeatures], this.device);
    native().delayDenseKernel({ ...g, coeff, start, K });
    return K;
  }

  private release(): void {
    if (!this.saved) return;
    for (const t of [this.saved.x, this.saved.coeff, this.saved.start, this.saved.K]) t?.dispose();
    this.saved = undefined;
  }

  override dispose(): void {
    this.release();
    super.dispose();
  }
}
