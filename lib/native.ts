// Loads the native addon and types it: the one face of the addon (no other file touches it
// untyped). Every function takes one options object; see binding.h for how it is read.
import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface NativeBufferHandle {
  readonly size: number;
  readonly disposed: boolean;
  dispose(): void;
}

export interface NativeInfo {
  version: string;
  cudaCompiled: boolean;
  cudaArchs: string;
  cudaRuntimeVersion: number;
  cudaDriverVersion: number;
  cudaDeviceCount: number;
  cudaReason: string;
  cpuThreads: number;
  cpuIsa: string;
}

/**
 * A tensor as the addon sees it: a buffer and an element offset into it. lib/tensor.ts's Tensor
 * is one; `shifted(t, k)` makes a view k elements further into the same buffer.
 */
export interface View {
  readonly handle: NativeBufferHandle;
  readonly offset: number;
}
/** An optional view: absent, null or undefined is none. */
export type Opt = View | null | undefined;

/** A view k elements past the start of t (same buffer); the addon checks its bounds. */
export function shifted(t: View, k: number): View {
  return { handle: t.handle, offset: t.offset + k };
}

// ---- codes ---------------------------------------------------------------------------------------
// The names are declared here because TypeScript's types need them; the numbers come from the
// addon (generated from the X-macro lists of cuda/include/exodus/codes.h), and on load the two are
// checked against each other, names and count, so they cannot drift apart.
export const UNARY_OPS = [
  "copy", "neg", "exp", "log", "abs", "sqrt", "square", "relu", "sigmoid", "tanh", "affine", "clamp", "pow", "step",
  "reciprocal",
] as const;
export const BINARY_OPS = ["add", "sub", "mul", "div", "max", "min"] as const;
export const REDUCE_OPS = ["sum", "mean", "max", "min", "argmax", "argmin"] as const;
export const SURROGATES = ["exponential", "boxcar", "gaussian", "fast_sigmoid", "arctan", "triangle", "rectangle"] as const;
export const RESET_MODES = ["subtract", "zero"] as const;
export const NEURON_GRADS = ["exodus", "slayer"] as const;
export type UnaryName = (typeof UNARY_OPS)[number];
export type BinaryName = (typeof BINARY_OPS)[number];
export type ReduceName = (typeof REDUCE_OPS)[number];
export type SurrogateName = (typeof SURROGATES)[number];
export type ResetName = (typeof RESET_MODES)[number];
export type NeuronGradName = (typeof NEURON_GRADS)[number];

const CODE_NAMES = {
  unary: UNARY_OPS, binary: BINARY_OPS, reduce: REDUCE_OPS, surrogate: SURROGATES, reset: RESET_MODES, grad: NEURON_GRADS,
} as const;
type Table<N extends string> = Readonly<Record<N, number>>;
export interface CodeTables {
  unary: Table<UnaryName>;
  binary: Table<BinaryName>;
  reduce: Table<ReduceName>;
  surrogate: Table<SurrogateName>;
  reset: Table<ResetName>;
  grad: Table<NeuronGradName>;
}

let codeTables: CodeTables | undefined;

/** The addon's code tables, checked once against the names above. */
export function codes(): CodeTables {
  if (codeTables) return codeTables;
  const raw = native().codes as Record<string, Record<string, number>>;
  for (const [table, names] of Object.entries(CODE_NAMES)) {
    const t = raw[table];
    const got = t ? Object.keys(t).filter((k) => k !== "count") : [];
    if (!t || t.count !== names.length || got.length !== names.length || names.some((n) => !(n in t)))
      throw new Error(
        `exodus: the native addon's ${table} codes (${got.join(", ")}) do not match this library's ` +
          `(${names.join(", ")}); rebuild the addon with \`npm run build:native\``,
      );
  }
  codeTables = raw as unknown as CodeTables;
  return codeTables;
}

// ---- the backend table (cuda/include/exodus/backend.h) ------------------------------------------
// Every native compute op is an entry of one table per backend; `supports` says whether the
// backend of a device has an entry (CUDA lacks the CPU's host-memory speed paths), so callers ask
// it instead of testing the device type. The names are checked against the addon's on first use.
// BACKEND_OPS lists every entry but the scan models' (neurons.h EXO_SCAN_MODELS), which the addon
// names itself (scanModels()); in the table they follow surrogate_grad.
export const BACKEND_OPS = [
  "fill", "unary", "binary", "axpby", "reduce", "gemm", "softmax_xent", "log_softmax",
  "lif_forward", "lif_backward", "expleak_forward", "expleak_backward", "srm_forward", "srm_backward",
  "alif_forward", "alif_backward", "spike_fn", "surrogate_grad",
  "recurrent_forward", "recurrent_backward",
  "gemm_batched", "im2col", "col2im", "pool2d", "pool2d_backward", "adam_step", "dropout_mask", "dropout_apply",
  "scatter_frames", "scatter_batch",
  "count_nonzero", "sparse_linear_forward", "sparse_linear_weight_grad", "sparse_conv_forward", "sparse_conv_weight_grad",
  "max_time_backward",
  "lif_forward_masked", "alif_forward_masked", "lif_forward_pool2", "lif_backward_pool2", "lif_backward_carry", "spike_index_build",
  "spike_index_from_frames", "spike_index_linear_forward", "spike_index_linear_weight_grad", "conv_direct_input_grad",
  "conv_direct_weight_grad", "lif_forward_linear", "lif_backward_linear",
  "delay_window_forward", "delay_window_corr", "delay_window_input_grad",
  "delay_taps", "delay_dense_kernel", "delay_forward_events", "delay_corr_events", "delay_corr_dense", "delay_param_grad",
] as const;
/** A table entry: one BACKEND_OPS names, or a scan model's (its name is the addon's, scanModels()). */
export type BackendOp = (typeof BACKEND_OPS)[number] | `${string}_forward` | `${string}_backward`;

/** One pass of a scan model as the addon describes it (binding_neurons.cc scanModels). */
export interface ScanPass {
  /** The addon function (`cubaForward`) and the table entry it runs (`cuba_forward`). */
  binding: string;
  entry: string;
  /** Its tensors, in the kernel's order: kind lead | in | out | opt_in | opt_out, size TN | N | P | PP. */
  views: readonly { name: string; kind: string; size: string }[];
}
/** A scan model of the addon's list: its name, its config struct, and its two passes. */
export interface ScanModelSpec {
  model: string;
  config: string;
  forward: ScanPass;
  backward: ScanPass;
}

let scanList: readonly ScanModelSpec[] | undefined;

/**
 * The scan models the addon generated from its one list (cuda/include/exodus/neurons.h,
 * EXO_SCAN_MODELS): adding a model there adds its entries, bindings and views here, without a
 * line in this file. The options' types live with the layer (lib/nn/<model>.ts, NeuronScans).
 */
export function scanModels(): readonly ScanModelSpec[] {
  return (scanList ??= native().scanModels());
}

/** The table entries of the scan models, forward and backward of each, in the list's order. */
export function scanEntries(): string[] {
  return scanModels().flatMap((m) => [m.forward.entry, m.backward.entry]);
}

let opsChecked = false;
const supportCache = new Map<string, boolean>();

/** Whether the backend of `device` has the table entry `op`: ask before taking a speed path. */
export function supports(op: BackendOp, device: { readonly type: "cpu" | "cuda"; readonly index: number }): boolean {
  const key = `${op}@${device.type}`;
  const known = supportCache.get(key);
  if (known !== undefined) return known;
  if (!opsChecked) {
    const all = native().backendOps(), scans = new Set(scanEntries());
    const got = all.filter((n) => !scans.has(n));
    if (got.length !== BACKEND_OPS.length || got.some((n, i) => n !== BACKEND_OPS[i]) || [...scans].some((n) => !all.includes(n)))
      throw new Error(
        `exodus: the native addon's backend table (${all.join(", ")}) does not match this library's ` +
          `(${BACKEND_OPS.join(", ")}, and the scan models' ${[...scans].join(", ")}); rebuild the addon with \`npm run build:native\``,
      );
    opsChecked = true;
  }
  const yes = native().supports({ op, device: device.type === "cpu" ? 0 : 1, index: device.index });
  supportCache.set(key, yes);
  return yes;
}

// ---- the addon's functions: each takes one options object read by name ------------------------
/** The scan shape every neuron config starts with (cuda/include/exodus/neurons.h ScanShape). */
export interface ScanShape {
  T: number;
  N: number;
  /** Parameter arrays hold P values; neuron i uses index i % P. */
  P: number;
}
/** The surrogate spec of a spiking scan (neurons.h SurrogateSpec). */
export interface SurrogateSpec {
  surrogate: number;
  sgScale: number;
  sgWidth: number;
}
/** Scan configuration of LIF/IAF (cuda/include/exodus/neurons.h LifConfig). */
export interface LifScanConfig extends ScanShape, SurrogateSpec {
  reset: number;
  multiSpike: boolean;
  maxSpikes: number;
  /** Lower bound of v; absent for none. */
  vMin?: number;
  normInput: boolean;
}
export type ExpLeakScanConfig = ScanShape;
/** SRM has no parameter arrays (P is 1 natively). */
export interface SrmScanConfig extends Omit<ScanShape, "P">, SurrogateSpec {
  Ke: number;
  Kn: number;
  theta: number;
  multiSpike: boolean;
  maxSpikes: number;
}
export type AlifScanConfig = ScanShape & SurrogateSpec;
/** Recurrent LIF (neurons.h RlifConfig): P is the layer's neuron count H; N = batch·H. */
export interface RlifScanConfig extends ScanShape, SurrogateSpec {
  reset: number;
}
/** The recurrent CubaLIF, ALIF, adLIF scans (exodus/recurrent.h): model 0, 1, 2; P = H, N = batch·H. */
export interface RecurrentScanConfig extends RlifScanConfig {
  model: number;
}
/** CubaLIF and adLIF read LIF's config: the reset mode and the surrogate (neurons.h LifConfig). */
export interface CubaScanConfig extends ScanShape, SurrogateSpec {
  reset: number;
}
/** Conv geometry as lib/conv.ts's Conv2dGeometry holds it. */
export interface ConvGeom {
  cin: number; h: number; w: number; kh: number; kw: number; sh: number; sw: number; ph: number; pw: number;
}
/** Pool geometry: input h × w, window k, stride s. */
export interface PoolGeom {
  h: number; w: number; k: number; s: number;
}

/** A DelayLinear op's geometry (exodus/delay.h): taps W per synapse, `below` of them under floor(d). */
export interface DelayGeomArgs {
  T: number; B: number; inFeatures: number; outFeatures: number; maxDelay: number; taps: number; below: number;
  sigma: number; perNeuron: boolean;
}

/**
 * The bindings of the scan models (neurons.h EXO_SCAN_MODELS), typed where each model's layer lives:
 * lib/nn/<model>.ts adds its two to this interface (`declare module "../native.js"`), so this file
 * has no entry per model.
 */
export interface NeuronScans {}

export interface NativeAddon extends NeuronScans {
  NativeBuffer: (new (o: { device: number; index: number; size: number; site?: string }) => NativeBufferHandle) & {
    /** Buffers live and freed by the garbage collector, process-wide (binding_buffer.h). */
    stats(): { live: number; liveBytes: number; collected: number; collectedBytes: number; site: string; inCollection: boolean };
  };
  codes: unknown;
  // memory
  write(o: { dst: View; data: Float32Array }): void;
  read(o: { src: View; n: number }): Float32Array;
  copy(o: { src: View; dst: View; n: number }): void;
  synchronize(o: { device: number; index: number }): void;
  // element-wise, reductions, GEMM, losses
  fill(o: { y: View; n: number; value: number }): void;
  unary(o: { op: number; x: View; y: View; n: number; a?: number; b?: number }): void;
  /** y[i] = op(x[i], w[(i / inner) % nb]) */
  binary(o: { op: number; x: View; w: View; y: View; n: number; nb: number; inner: number }): void;
  /** y = alpha·x + beta·y */
  axpby(o: { alpha: number; x: View; beta: number; y: View; n: number }): void;
  reduce(o: { op: number; x: View; y: View; outer: number; axis: number; inner: number }): void;
  gemm(o: {
    transA: boolean; transB: boolean; M: number; N: number; K: number; alpha: number;
    A: View; lda: number; B: View; ldb: number; beta: number; C: View; ldc: number;
  }): void;
  softmaxXent(o: { logits: View; labels: View; loss: View; grad?: Opt; rows: number; cols: number; gradScale: number }): void;
  logSoftmax(o: { x: View; y: View; rows: number; cols: number }): void;
  // layer ops
  gemmBatched(o: {
    transA: boolean; transB: boolean; M: number; N: number; K: number; alpha: number;
    A: View; lda: number; strideA: number; B: View; ldb: number; strideB: number;
    beta: number; C: View; ldc: number; strideC: number; batch: number;
  }): void;
  im2col(o: { x: View; cols: View; geom: ConvGeom; count: number }): void;
  col2im(o: { cols: View; dx: View; geom: ConvGeom; count: number }): void;
  /** The direct ∂x of a stride-1 conv (conv_direct_input_grad, exodus/host_ops.h), without columns. */
  convInputGradDirect(o: { w: View; dy: View; dx: View; geom: ConvGeom; cout: number; count: number }): void;
  /** dw += the direct ∂W of a stride-1 conv (conv_direct_weight_grad, exodus/host_ops.h), without columns. */
  convWeightGradDirect(o: { x: View; dy: View; dw: View; geom: ConvGeom; cout: number; count: number }): void;
  pool2d(o: { max: boolean; x: View; y: View; indices?: Opt; geom: PoolGeom; planes: number }): void;
  pool2dBackward(o: { max: boolean; dy: View; indices?: Opt; dx: View; geom: PoolGeom; planes: number }): void;
  adamStep(o: {
    p: View; g: View; m: View; v: View; n: number; lr: number; beta1: number; beta2: number; eps: number;
    weightDecay: number; bias1: number; bias2: number; decoupled: boolean;
  }): void;
  dropoutMask(o: { mask: View; n: number; p: number; seed: number }): void;
  /** y = x · dropoutMask's mask, the factors recomputed from the seed (y may be x). */
  dropoutApply(o: { x: View; y: View; n: number; p: number; seed: number }): void;
  // spike-sparse products (cuda/kernels/sparse.cuh) and the max-over-time readout's backward
  /** out[0] = the number of nonzero x[i] */
  countNonzero(o: { x: View; n: number; out: View }): void;
  /** y [rows, out] = s [rows, in] · wᵀ from the nonzeros of s */
  sparseLinearForward(o: { s: View; rows: number; inFeatures: number; w: View; outFeatures: number; y: View }): void;
  /** dw [out, in] += gᵀ · s from the nonzeros of s */
  sparseLinearWeightGrad(o: { g: View; s: View; rows: number; inFeatures: number; outFeatures: number; dw: View }): void;
  sparseConvForward(o: { x: View; w: View; y: View; geom: ConvGeom; cout: number; count: number }): void;
  /** dw += the conv weight gradient */
  sparseConvWeightGrad(o: { x: View; dy: View; dw: View; geom: ConvGeom; cout: number; count: number }): void;
  /** dy [T, n] = g where t == arg (float step indices), else 0 */
  maxTimeBackward(o: { arg: View; g: View; dy: View; T: number; n: number }): void;
  // learnable delays (exodus/delay.h; CPU and CUDA): the geometry's fields ride in each options object
  delayTaps(o: DelayGeomArgs & { w: View; d: View; coeff: View; start: View }): void;
  delayDenseKernel(o: DelayGeomArgs & { coeff: View; start: View; K: View }): void;
  delayForwardEvents(o: DelayGeomArgs & { x: View; K: View; y: View }): void;
  delayCorrEvents(o: DelayGeomArgs & { x: View; dy: View; dK: View }): void;
  delayCorrDense(o: DelayGeomArgs & { dK: View; start: View; A: View }): void;
  delayParamGrad(o: DelayGeomArgs & { A: View; w: View; d: View; dw: View; dd: View }): void;
  // the window path (CPU): the products over each synapse's own taps, without K
  delayWindowForward(o: DelayGeomArgs & { x: View; coeff: View; start: View; y: View }): void;
  delayWindowCorr(o: DelayGeomArgs & { x: View; dy: View; start: View; A: View }): void;
  delayWindowInputGrad(o: DelayGeomArgs & { dy: View; coeff: View; start: View; dx: View }): void;
  /** One sample's sparse frames (flat t·F + f indices, counts) into column b of [T, B, F]. */
  scatterFrames(o: { dst: View; T: number; B: number; F: number; b: number; index: Uint32Array; count: Uint32Array }): void;
  /** The same into host memory (kernels/scatter.cuh's index math, for JavaScript callers). */
  scatterFramesHost(o: { out: Float32Array; T: number; B: number; F: number; b: number; index: Uint32Array; count: Uint32Array }): void;
  /** Zeroes [T, B, F] and scatters every column's frames on a libuv thread; dst must stay alive until it settles. */
  scatterBatchAsync(o: { dst: View; T: number; B: number; F: number; index: Uint32Array[]; count: Uint32Array[] }): Promise<void>;
  // neurons
  /**
   * With mask (where supports("lif_forward_masked"); N a multiple of 8), also packs s ≠ 0 into bits, in
   * the same scan. Without s (the CPU only) the spikes are not kept and v may be x. Every form returns the spike count where it counts them (poolWidth), else -1.
   */
  lifForward(o: LifScanConfig & { x: View; alpha: View; theta: View; m: View; state: View; s?: View; v: View; mask?: Uint8Array }): number;
  /** Fused with AvgPool2d(2) over images poolWidth wide (where supports("lif_forward_pool2")): y [T, N/4] instead of s; returns the spike count. */
  lifForward(o: LifScanConfig & { x: View; alpha: View; theta: View; m: View; state: View; v: View; y: View; poolWidth: number; dropoutP?: number; dropoutSeed?: number }): number;
  /** A Linear over a spike index (w [outFeatures, inFeatures], rows = T·B) and the LIF after it in one scan (lif_forward_linear): s and v as lifForward gives them for x = the product. */
  lifForwardLinear(o: LifScanConfig & {
    offsets: Int32Array; cols: Int32Array; vals: Float32Array; rows: number; inFeatures: number; w: View; outFeatures: number; bias?: View;
    alpha: View; theta: View; m: View; state: View; s: View; v: View; mask?: Uint8Array;
  }): void;
  /** Its backward (lif_backward_linear): the LIF's reverse scan, then from its ∂L/∂x in cache the Linear's: dw [out, in] and db added to, dx [rows, in] written. */
  lifBackwardLinear(o: LifScanConfig & {
    method: number; alpha: View; theta: View; m: View; g: View; h?: Opt; v: View; v0: View; dv0?: Opt; dalpha?: Opt;
    offsets: Int32Array; cols: Int32Array; vals: Float32Array; rows: number; inFeatures: number; w: View; outFeatures: number; dw: View; db?: View; dx?: View;
    /** A chunk of time, as lifBackward's. */
    lamIn?: Opt; lamOut?: Opt;
  }): void;
  /** With poolWidth (lif_backward_pool2), g is the pooled gradient [T, N/4] of the fused forward. */
  lifBackward(o: LifScanConfig & {
    method: number; alpha: View; theta: View; m: View; g: View; h?: Opt; v: View; x?: Opt; v0: View; dx: View;
    dv0?: Opt; dalpha?: Opt; poolWidth?: number; dropoutP?: number; dropoutSeed?: number;
    /** A chunk of time (lif_backward_carry, the CPU): λ from the chunk after [N], λ[0] of this one out [N]. */
    lamIn?: Opt; lamOut?: Opt;
  }): void;
  expleakForward(o: ExpLeakScanConfig & { beta: View; x: View; state: View; i: View }): void;
  expleakBackward(o: ExpLeakScanConfig & { beta: View; gradI: View; i: View; i0: View; dx: View; di0?: Opt; dbeta?: Opt }): void;
  srmForward(o: SrmScanConfig & { eps: View; nu?: Opt; a: View; s: View; u: View }): void;
  srmBackward(o: SrmScanConfig & { method: number; eps: View; nu?: Opt; g: View; u: View; q: View; da: View }): void;
  /** vState, bState [N]: the (v, b) state in and out; s, v, b [T, N]. */
  alifForward(o: AlifScanConfig & {
    x: View; alpha: View; rho: View; beta: View; theta0: View; vState: View; bState: View; s: View; v: View; b: View; mask?: Uint8Array;
  }): void;
  alifBackward(o: AlifScanConfig & {
    method: number; alpha: View; rho: View; beta: View; theta0: View; g: View; v: View; b: View; v0: View; dx: View;
    dv0?: Opt; db0?: Opt; dalpha?: Opt; drho?: Opt; dbeta?: Opt; dtheta0?: Opt;
  }): void;
  /**
   * A recurrent CubaLIF/ALIF/adLIF (binding_recurrent.cc): the model's parameters by their scan names
   * (cubaForward's, alifForward's, adlifForward's); aState/aux the second state (i, b, w); u [T, N] for adLIF.
   */
  recurrentForward(o: RecurrentScanConfig & Record<string, View | Opt | number> & {
    x: View; bias?: Opt; w: View; vState: View; aState: View; sState: View; s: View; v: View; aux: View; u?: Opt;
  }): void;
  /** dw [P, P] overwritten; the learnable parameters' gradients [N] by the feed-forward backward's names. */
  recurrentBackward(o: RecurrentScanConfig & Record<string, View | Opt | number> & {
    method: number; w: View; bias?: Opt; g: View; h?: Opt; v: View; aux: View; u?: Opt; v0: View; a0: View; s0: View; dx: View;
    dv0?: Opt; da0?: Opt; ds0?: Opt; dbias?: Opt; dw: View;
  }): void;
  /** s = S(v) with theta[i % P] */
  spikeFn(o: { v: View; s: View; n: number; theta: View; P: number; multi: boolean; maxSpikes: number }): void;
  /** y = σ(v)·g */
  surrogateGrad(o: { surrogate: number; v: View; g: View; y: View; n: number; theta: View; P: number; scale: number; width: number }): void;
  /** The CPU spike index of s [rows, inFeatures] into the arrays while it fits; returns the nonzero count. */
  spikeIndexBuild(o: { s: View; rows: number; inFeatures: number; offsets: Int32Array; cols: Int32Array; vals: Float32Array; mask?: Uint8Array; collect?: number }): { nnz: number; complete: boolean };
  /** The index of the [T, B, F] batch that per-sample sparse frames scatter to; -1 if a sample's indices do not ascend. */
  spikeIndexFromFrames(o: { T: number; B: number; F: number; index: Uint32Array[]; count: Uint32Array[]; offsets: Int32Array; cols: Int32Array; vals: Float32Array }): number;
  spikeIndexLinearForward(o: { offsets: Int32Array; cols: Int32Array; vals: Float32Array; rows: number; inFeatures: number; w: View; outFeatures: number; y: View; bias?: View }): void;
  spikeIndexLinearWeightGrad(o: { g: View; offsets: Int32Array; cols: Int32Array; vals: Float32Array; rows: number; inFeatures: number; outFeatures: number; dw: View }): void;
  // the backend table
  /** The table's entry names (backend.h), in table order. */
  backendOps(): string[];
  /** The scan models of neurons.h's list, their bindings and views (scanModels() above). */
  scanModels(): ScanModelSpec[];
  /** Whether the backend of device (0 cpu, 1 cuda) has the entry op. */
  supports(o: { op: string; device: number; index: number }): boolean;
  // runtime
  info(): NativeInfo;
  buildInfo(): { version: string; cudaCompiled: boolean; cpuThreads: number; cpuIsa: string };
  cudaDeviceInfo(o: { index: number }): { name: string; computeCapability: string; totalMemory: number; multiprocessors: number };
  allocatorStats(o: { index: number }): { inUse: number; cached: number; peak: number; mallocs: number };
  /** The host block cache: bytes live and cached in blocks of 1 MiB and more, the live peak, fresh allocations. */
  hostAllocatorStats(): { inUse: number; cached: number; peak: number; mallocs: number };
  emptyCache(): void;
  setThreads(o: { threads: number }): void;
  // collectives (binding_comm.cc; MPI and NCCL dlopen'ed on first use; lib/dist/)
  mpiInit(o: { library?: string }): { rank: number; size: number; implementation: string; library: string; version: string };
  /** Every rank's data, in rank order (size·n values). */
  mpiAllgather(o: { data: Float64Array; timeoutS: number }): Float64Array;
  /** x ← Σ_r weights[r]·x_r over the ranks; returns the bytes this rank received. */
  mpiWeightedSum(o: { x: View; n: number; weights: Float64Array; ordered: boolean; bucket: number; timeoutS: number }): number;
  mpiFinalize(o: Record<string, never>): void;
  ncclInit(o: { index: number; library?: string; timeoutS: number }): { version: number; library: string };
  ncclAllreduce(o: { x: View; n: number; timeoutS: number }): void;
}

/** The package root: the nearest folder above this file holding exodus-snn's package.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, "utf8")).name === "exodus-snn") return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("exodus: cannot find the package root (package.json of exodus-snn)");
    dir = up;
  }
}

let addon: NativeAddon | undefined;
let tracer: ((fn: string, o: unknown) => void) | undefined;
let traced: NativeAddon | undefined;

/**
 * While set, fn(name, options) is called before every addon call (exodus selftest lists which
 * backend-table entries its checks reach); undefined stops it.
 */
export function traceNative(fn: ((name: string, o: unknown) => void) | undefined): void {
  tracer = fn;
  traced = undefined;
}

function tracedAddon(a: NativeAddon): NativeAddon {
  traced ??= new Proxy(a, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (typeof v !== "function" || typeof key !== "string" || key === "NativeBuffer") return v;
      return (...args: unknown[]) => {
        const t = tracer;
        if (t) {
          tracer = undefined;  // calls the tracer itself makes are not traced
          try {
            t(key, args[0]);
          } finally {
            tracer = t;
          }
        }
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return traced;
}

/** The addon's file: EXODUS_ADDON (a path to a .node file) if set, else the build in the package root. */
export function addonPath(): string {
  const override = process.env.EXODUS_ADDON;
  if (override) return resolve(override);
  const require = createRequire(import.meta.url);
  return (require("node-gyp-build") as { path(dir: string): string }).path(packageRoot());
}

/** The addon, loaded on first use. */
export function native(): NativeAddon {
  if (addon) return tracer ? tracedAddon(addon) : addon;
  const require = createRequire(import.meta.url);
  let where = process.env.EXODUS_ADDON ? `EXODUS_ADDON=${process.env.EXODUS_ADDON}` : `${packageRoot()}/build/Release/exodus.node`;
  try {
    const path = addonPath();
    where = path;
    addon = require(path) as NativeAddon;
    if (tracer) return tracedAddon(addon);
  } catch (e) {
    throw new Error(
      `exodus: could not load the native addon (${where}): ${(e as Error).message}\n` +
        "Build it with `npm run build:native` (needs cmake and a C++17 compiler; nvcc for CUDA).",
    );
  }
  return addon;
}
