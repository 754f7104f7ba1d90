// Spike-sparse products for Linear and Conv2d (cuda/kernels/sparse.cuh): the forward a = S·Wᵀ
// and the weight gradient ∂W = λᵀ·S from the nonzero entries of a spike (or event-count) input
// only, at a cost ∝ nonzeros × outputs; ∂S = λ·W stays dense. A layer measures its input's
// density in the forward and takes the sparse path below the crossover measured on the CPU
// (docs/performance.md, `benchmarks/step/sweep.ts`). On CUDA the tiled dense GEMM is kept
// unless a layer is told otherwise: the sparse kernels there skip work but not memory reads.
import { type Conv2dGeometry, conv2dGeometry, type Conv2dOptions } from "./conv.js";
import { ExodusError, ShapeError, shapeStr } from "./errors.js";
import { native } from "./native.js";
import { Tensor, sizeOf } from "./tensor.js";

/** "auto": by measured density; "dense" / "sparse": always that path. */
export type ProductPath = "auto" | "dense" | "sparse";
export const PRODUCT_PATHS: readonly ProductPath[] = ["auto", "dense", "sparse"];

/**
 * Densities below which the sparse path is faster on the CPU, measured with
 * `node dist/benchmarks/step/sweep.js` (forward + weight gradient together, on the shapes of the
 * paper's SHD and DVS Gesture layers; figures in docs/performance.md). The sparse work per
 * nonzero is one FMA row over the outputs, which uses the vector units well only for wide rows:
 * for convolutions the crossover rises with the output channels.
 */
export const CPU_CROSSOVER = { linear: 0.25, conv: { narrow: 0.15, medium: 0.25, wide: 0.4 } } as const;

/** The conv crossover for `cout` output channels (narrow ≤ 8, medium ≤ 16, wide above). */
export function convCrossover(cout: number): number {
  const c = CPU_CROSSOVER.conv;
  return cout <= 8 ? c.narrow : cout <= 16 ? c.medium : c.wide;
}

export function checkPath(where: string, p: unknown): ProductPath {
  if (typeof p !== "string" || !(PRODUCT_PATHS as readonly string[]).includes(p))
    throw new ExodusError(`${where}: expected one of ${PRODUCT_PATHS.join(", ")}, received ${JSON.stringify(p)}`);
  return p as ProductPath;
}

/** Fraction of nonzero entries of x (one pass over x). */
export function density(x: Tensor): number {
  if (x.size === 0) return 0;
  const out = Tensor.empty([1], x.device);
  try {
    native().countNonzero({ x, n: x.size, out });
    return out.toArray()[0] / x.size;
  } finally {
    out.dispose();
  }
}

/** Whether a product over input x takes the sparse path: below `crossover` density on the CPU for "auto". */
export function chooseSparse(crossover: number, path: ProductPath, x: Tensor): { sparse: boolean; density?: number } {
  if (path !== "auto") return { sparse: path === "sparse" };
  if (x.device.type !== "cpu") return { sparse: false };
  const d = density(x);
  return { sparse: d < crossover, density: d };
}

function rowsOf(x: Tensor, inFeatures: number, op: string): number {
  if (x.rank < 1 || x.shape[x.rank - 1] !== inFeatures)
    throw new ShapeError(`${op}: expected an input [..., ${inFeatures}], received ${shapeStr(x.shape)}`);
  return x.size / inFeatures;
}

/** y [..., out] = s [..., in] · wᵀ, w [out, in], from the nonzeros of s. */
export function sparseLinear(s: Tensor, w: Tensor): Tensor {
  if (w.rank !== 2) throw new ShapeError(`sparseLinear: expected a weight [out, in], received ${shapeStr(w.shape)}`);
  const [outF, inF] = w.shape;
  const rows = rowsOf(s, inF, "sparseLinear");
  if (!s.device.equals(w.device)) throw new ExodusError(`sparseLinear: input on ${s.device}, weight on ${w.device}`);
  const y = Tensor.empty([...s.shape.slice(0, -1), outF], s.device);
  native().sparseLinearForward({ s, rows, inFeatures: inF, w, outFeatures: outF, y });
  return y;
}

/** dw [out, in] += gᵀ · s for g [..., out], s [..., in], from the nonzeros of s. */
export function sparseLinearWeightGrad(g: Tensor, s: Tensor, dw: Tensor): void {
  if (dw.rank !== 2) throw new ShapeError(`sparseLinearWeightGrad: expected dw [out, in], received ${shapeStr(dw.shape)}`);
  const [outF, inF] = dw.shape;
  const rows = rowsOf(s, inF, "sparseLinearWeightGrad");
  if (g.size !== rows * outF) throw new ShapeError(`sparseLinearWeightGrad: expected g of ${rows} rows × ${outF}, received ${shapeStr(g.shape)}`);
  native().sparseLinearWeightGrad({ g, s, rows, inFeatures: inF, outFeatures: outF, dw });
}

/**
 * A compact row index of a spike (or event-count) matrix s [rows, features] on the CPU: per row,
 * the ascending indices and values of its nonzeros (exodus/host_ops.h). Built in one pass over
 * s, it gives the density, the forward and the weight gradient without scanning s again. Its
 * arrays are kept and reused across steps, grown to the nonzeros actually seen.
 */
export class SpikeIndex {
  private offsets = new Int32Array(1);
  private cols = new Int32Array(0);
  private vals = new Float32Array(0);
  rows = 0;
  features = 0;
  /** Nonzeros of the last matrix indexed. */
  nnz = 0;

  /** Fraction of nonzero entries of the last matrix indexed. */
  get density(): number {
    const size = this.rows * this.features;
    return size ? this.nnz / size : 0;
  }

  /** Whether the arrays hold every nonzero of the last matrix indexed. */
  get complete(): boolean {
    return this.filled;
  }
  private filled = false;

  /**
   * Indexes s [rows, features] (a CPU tensor), growing the arrays when it is sparser than
   * `maxDensity` but does not fit them; returns its density. `mask`, the bitmask of s's nonzeros
   * that a LIF scan packed, saves the pass over s: s is then read at its nonzeros only.
   */
  build(s: Tensor, rows: number, features: number, maxDensity = 1, mask?: Uint8Array): number {
    if (this.offsets.length < rows + 1) this.offsets = new Int32Array(rows + 1);
    const run = (collect: number) => {
      const r = native().spikeIndexBuild({ s, rows, inFeatures: features, offsets: this.offsets, cols: this.cols, vals: this.vals, collect, ...(mask ? { mask } : {}) });
      this.nnz = r.nnz;
      this.filled = r.complete;
    };
    // Chunks denser than maxDensity only count (or all of them, after a dense input: the next is
    // likely dense too). A sparse input that did not fit, or was denser in some rows than
    // maxDensity overall, is indexed again in full with room for a quarter more, so that a
    // density that creeps up does not rebuild every step.
    const afterDense = this.density >= maxDensity; // the last matrix's, before rows/features change
    this.rows = rows;
    this.features = features;
    const size = rows * features;
    run(afterDense ? 0 : Math.min(1, maxDensity));
    if (!this.filled && this.nnz < maxDensity * size) {
      if (this.cols.length < this.nnz) {
        const cap = Math.min(2 ** 31 - 1, size, Math.ceil(this.nnz * 1.25) + 64);
        this.cols = new Int32Array(cap);
        this.vals = new Float32Array(cap);
      }
      run(1);
    }
    return this.density;
  }

  /**
   * The index of the time-major batch [T, B, F] that the samples' sparse frames (the data loader's
   * form: ascending flat indices t·F + f and their counts) scatter to, built from the frames
   * without the dense batch. Undefined when some sample's indices do not ascend.
   */
  static fromFrames(T: number, B: number, F: number, frames: readonly { index: Uint32Array; count: Uint32Array }[]): SpikeIndex | undefined {
    const ix = new SpikeIndex();
    const cap = frames.reduce((a, f) => a + f.index.length, 0);
    if (cap > 2 ** 31 - 1) return undefined;
    ix.offsets = new Int32Array(T * B + 1);
    ix.cols = new Int32Array(cap);
    ix.vals = new Float32Array(cap);
    const nnz = native().spikeIndexFromFrames({ T, B, F, index: frames.map((f) => f.index), count: frames.map((f) => f.count), offsets: ix.offsets, cols: ix.cols, vals: ix.vals });
    if (nnz < 0) return undefined;
    ix.rows = T * B;
    ix.features = F;
    ix.nnz = nnz;
    ix.filled = true;
    return ix;
  }

  /** The index's arrays for a native product (a fused scan's too); an error naming `op` when incomplete. */
  arrays(op: string) {
    if (!this.complete) throw new ExodusError(`${op}: the spike index is incomplete (${this.nnz} nonzeros, room for ${this.cols.length}); build it with a larger maxDensity`);
    return { offsets: this.offsets, cols: this.cols, vals: this.vals, rows: this.rows, inFeatures: this.features };
  }

  /** y [rows, out] = s · wᵀ (+ bias [out]) for w [out, features], from the index; the bias is added as ops.add would. */
  linear(w: Tensor, bias?: Tensor): Tensor {
    if (w.rank !== 2 || w.shape[1] !== this.features) throw new ShapeError(`SpikeIndex.linear: expected a weight [out, ${this.features}], received ${shapeStr(w.shape)}`);
    if (bias && bias.size !== w.shape[0]) throw new ShapeError(`SpikeIndex.linear: expected a bias of ${w.shape[0]}, received ${shapeStr(bias.shape)}`);
    const y = Tensor.empty([this.rows, w.shape[0]], w.device);
    native().spikeIndexLinearForward({ ...this.arrays("SpikeIndex.linear"), w, outFeatures: w.shape[0], y, ...(bias ? { bias } : {}) });
    return y;
  }

  /** dw [out, features] += gᵀ · s for g [rows, out], from the index. */
  linearWeightGrad(g: Tensor, dw: Tensor): void {
    if (dw.rank !== 2 || dw.shape[1] !== this.features) throw new ShapeError(`SpikeIndex.linearWeightGrad: expected dw [out, ${this.features}], received ${shapeStr(dw.shape)}`);
    if (g.size !== this.rows * dw.shape[0]) throw new ShapeError(`SpikeIndex.linearWeightGrad: expected g of ${this.rows} rows × ${dw.shape[0]}, received ${shapeStr(g.shape)}`);
    native().spikeIndexLinearWeightGrad({ g, ...this.arrays("SpikeIndex.linearWeightGrad"), outFeatures: dw.shape[0], dw });
  }
}

/** conv2d(x, w) from the nonzeros of x (event-driven: each input event adds its kernel's taps). */
export function sparseConv2d(x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor {
  const g = conv2dGeometry(x, w, opts);
  const y = Tensor.empty([...x.shape.slice(0, -3), g.cout, g.ho, g.wo], x.device);
  native().sparseConvForward({ x, w, y, geom: g, cout: g.cout, count: g.images });
  return y;
}

/** dw += ∂conv2d/∂w for dy, from the nonzeros of x. */
export function sparseConv2dWeightGrad(x: Tensor, dy: Tensor, dw: Tensor, opts: Conv2dOptions = {}): Conv2dGeometry {
  const g = conv2dGeometry(x, dw, opts);
  const want = [...x.shape.slice(0, -3), g.cout, g.ho, g.wo];
  if (dy.size !== sizeOf(want)) throw new ShapeError(`sparseConv2dWeightGrad: expected dy ${shapeStr(want)}, received ${shapeStr(dy.shape)}`);
  native().sparseConvWeightGrad({ x, dy, dw, geom: g, cout: g.cout, count: g.images });
  return g;
}
