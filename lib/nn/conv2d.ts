// 2-D convolution layer over time-major spike tensors: x [T, B, C, H, W] is T·B images (the
// functional conv2d folds the leading dimensions), so one pass covers every time step.
import { type LayoutOption, applyLayout } from "./layer-layout.js";
import type { Layout } from "../layout.js";
import { conv2d, conv2dBackward, conv2dGeometry, directInputGradFits, directWeightGradFits } from "../conv.js";
import { keepSparse } from "../conv-direct.js";
import { supports } from "../native.js";
import { type Device, type DeviceLike, parseDevice } from "../device.js";
import { Rng } from "../random.js";
import { type ProductPath, checkPath, chooseSparse, convCrossover, sparseConv2d, sparseConv2dWeightGrad } from "../sparse.js";
import { Tensor, keep } from "../tensor.js";
import { ShapeError, shapeStr } from "../errors.js";
import { imageShape, noForward } from "./common.js";
import { Module, type Parameter, newParameter } from "./module.js";
import { type NirContext, type NirStep, refuse } from "./nir.js";
import { f32, ints } from "../nir/hdf5.js";
import { checkOptions, fail } from "./options.js";
import { type Packed, pack, unpack } from "./packed.js";

const CONV2D_OPTIONS: ReadonlySet<string> = new Set(["kernel", "padding", "stride", "seed", "rng", "initScale", "inputGrad", "products", "device"]);

export interface Conv2dLayerOptions extends LayoutOption {
  kernel?: number;
  padding?: number;
  stride?: number;
  /** Seed of the initial weights (default 0), or an Rng to draw from. */
  seed?: number;
  rng?: Rng;
  /** Multiplies the default bound 1/√(C·k·k) of the uniform initialisation (default 1). */
  initScale?: number;
  /** False for a network's first layer, whose input needs no gradient: backward then skips ∂x. */
  inputGrad?: boolean;
  /** Forward and weight-gradient products: by the input's measured density (default), or always dense / sparse (lib/sparse.ts). */
  products?: ProductPath;
  device?: DeviceLike;
}

/** Conv2d without bias (the paper's DVS networks use none). */
export class Conv2d extends Module {
  readonly device: Device;
  readonly weight: Parameter; // [Cout, Cin, k, k]
  readonly padding: number;
  readonly stride: number;
  /** Whether backward computes ∂x; when false it returns an empty tensor of shape [0]. */
  inputGrad: boolean;
  products: ProductPath;
  /** The density of the last forward's input when "auto" measured it. */
  inputDensity: number | undefined;
  /** Whether the weight gradient takes the spike-sparse product (chosen in the forward, by the input's density). */
  private sparseInput = false;
  private input: Tensor | undefined;
  /** With compact (compactCaches): a spike input kept as bits instead of floats (packed.ts). */
  compact = false;
  private packedInput: Packed | undefined;

  /** The layout its own forward and backward take (layer-layout.ts). */
  readonly layout: Layout;

  constructor(readonly inChannels: number, readonly outChannels: number, opts: Conv2dLayerOptions = {}) {
    super();
    checkOptions("Conv2d", opts, CONV2D_OPTIONS);
    this.layout = applyLayout(this, "Conv2d", opts.layout);
    for (const [k, v] of [["inChannels", inChannels], ["outChannels", outChannels], ["kernel", opts.kernel ?? 3]] as const)
      if (!Number.isInteger(v) || v < 1) fail(`Conv2d ${k}`, "an integer >= 1", v);
    const k = opts.kernel ?? 3;
    this.padding = opts.padding ?? Math.floor(k / 2);
    this.stride = opts.stride ?? 1;
    const scale = opts.initScale ?? 1;
    if (!(scale > 0)) fail("Conv2d initScale", "a number > 0", scale);
    this.device = parseDevice(opts.device);
    this.inputGrad = opts.inputGrad ?? true;
    this.products = checkPath("Conv2d products", opts.products ?? "auto");
    const rng = opts.rng ?? new Rng(opts.seed ?? 0);
    const bound = scale / Math.sqrt(inChannels * k * k);
    this.weight = newParameter("weight", Tensor.uniform([outChannels, inChannels, k, k], rng, { low: -bound, high: bound, device: this.device }));
  }

  override parameters(): Parameter[] {
    return [this.weight];
  }

  override outputShape(s: readonly number[]): number[] {
    const [c, h, w] = imageShape("Conv2d", s);
    if (c !== this.inChannels) throw new ShapeError(`Conv2d: expected ${this.inChannels} input channels, received ${shapeStr(s)}`);
    const k = this.weight.value.shape[2];
    const o = (n: number) => Math.floor((n + 2 * this.padding - k) / this.stride) + 1;
    return [this.outChannels, o(h), o(w)];
  }

  override describe(): string {
    const k = this.weight.value.shape[2];
    return `Conv2d(${this.inChannels}→${this.outChannels}, ${k}×${k}${this.stride !== 1 ? `, stride ${this.stride}` : ""})`;
  }

  override reportedWeight(): { kind: string; param: Parameter } {
    return { kind: "Conv2d", param: this.weight };
  }

  override skipInputGrad(): void {
    this.inputGrad = false;
  }

  override toNir(c: NirContext): NirStep {
    const [co, ci, k] = this.weight.value.shape;
    const { shape } = c;
    if (shape.length !== 3 || shape[0] !== ci) refuse(c, `expected an input [${ci}, H, W], received samples of shape ${shapeStr(shape)}`);
    const [h, w] = [shape[1], shape[2]];
    const node = {
      type: "Conv2d", input_shape: ints([h, w]), weight: f32(this.weight.value.toArray(), [co, ci, k, k]), stride: ints([this.stride, this.stride]),
      padding: ints([this.padding, this.padding]), dilation: ints([1, 1]), groups: 1, bias: f32(new Float32Array(co)),
    };
    const out = (n: number) => Math.floor((n + 2 * this.padding - k) / this.stride) + 1;
    return { node, shape: [co, out(h), out(w)] };
  }

  forward(x: Tensor): Tensor {
    const geom = { padding: this.padding, stride: this.stride };
    const choice = chooseSparse(convCrossover(this.outChannels), this.products, x);
    this.inputDensity = choice.density;
    // A narrow conv's direct loops beat the sparse products above a few % (conv-direct.ts).
    const g = conv2dGeometry(x, this.weight.value, geom);
    const cpu = supports("conv_direct_input_grad", x.device), forced = this.products === "sparse";
    const sparseForward = choice.sparse && (forced || keepSparse(g, choice.density, cpu && directInputGradFits(g), "forward"));
    this.sparseInput = choice.sparse && (forced || keepSparse(g, choice.density, cpu && directWeightGradFits(g), "weightGrad"));
    const y = sparseForward ? sparseConv2d(x, this.weight.value, geom) : conv2d(x, this.weight.value, geom);
    this.releaseCache();
    const packed = this.compact ? pack(x) : undefined;
    if (packed) this.packedInput = packed;
    else this.input = keep(x.reshape(x.shape));
    return y;
  }

  override compactCaches(): void {
    this.compact = true;
  }

  backward(dy: Tensor): Tensor {
    const x = this.input ?? (this.packedInput ? unpack(this.packedInput) : undefined);
    if (!x) noForward("Conv2d");
    try {
      return this.backwardFrom(x, dy);
    } finally {
      if (x !== this.input) x.dispose(); // the unpacked copy
    }
  }

  private backwardFrom(x: Tensor, dy: Tensor): Tensor {
    const geom = { padding: this.padding, stride: this.stride };
    if (this.sparseInput) {
      sparseConv2dWeightGrad(x, dy, this.weight.grad, geom);
      if (!this.inputGrad) return Tensor.empty([0], this.device);
    }
    const { dx } = conv2dBackward(x, this.weight.value, dy, {
      ...geom, accumulate: { dw: this.weight.grad }, inputGrad: this.inputGrad, weightGrad: !this.sparseInput,
    });
    return dx ?? Tensor.empty([0], this.device);
  }

  /** Its input (the backward recomputes the im2col columns from it), as bits when compact (counted as spikes). */
  override keptPerStep(s: readonly number[]): number {
    return s.reduce((a, b) => a * b, 1) / (this.compact ? 32 : 1);
  }

  override releaseCache(): void {
    this.input?.dispose();
    this.input = undefined;
    this.packedInput = undefined;
  }

  override dispose(): void {
    this.releaseCache();
    super.dispose();
  }
}
