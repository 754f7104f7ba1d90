// `exodus selftest --perf`: the speed of every backend-table entry at a representative size, as
// ggml's test-backend-ops has it: GB/s for the ops bound by memory (the bytes an op must read and
// write at least, over its time) and GFLOP/s for the products. Each case calls its entry by name
// on the device; entries the device's backend lacks are listed as such.
import type { Device } from "../device.js";
import { type BackendOp, codes, native, supports } from "../native.js";
import { Rng } from "../random.js";
import { Tensor, scope } from "../tensor.js";

interface PerfCase {
  entry: BackendOp;
  label: string;
  /** Bytes read and written at least (GB/s), or floating-point operations (GFLOP/s). */
  bytes?: number;
  flops?: number;
  /** Allocates the operands; returns one call of the op (and its bytes, when they depend on the data). */
  setup(d: Device, rng: Rng): (() => void) | { call: () => void; bytes: number };
}

export interface PerfResult {
  entry: string;
  label: string;
  /** Median time of one call, ms. */
  ms: number;
  gbps?: number;
  gflops?: number;
  skipped?: string;
}

const E = 1 << 22; // element-wise size: 4 Mi floats (16 MiB)
const T = 100, NN = 32768; // a neuron layer: 100 steps × 128 samples × 256 neurons
const rnd = (d: Device, rng: Rng, shape: number[], lo = -1, hi = 1) => Tensor.uniform(shape, rng, { low: lo, high: hi, device: d });
const sparse = (d: Device, rng: Rng, shape: number[], density: number) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return Tensor.from(Float32Array.from({ length: n }, () => (rng.uniform() < density ? 1 : 0)), shape, d);
};
const lif = (d: Device) => {
  const c = codes();
  return {
    T, N: NN, P: 1, reset: c.reset.subtract, multiSpike: false, maxSpikes: 0, normInput: false, surrogate: c.surrogate.exponential,
    sgScale: 1, sgWidth: 0.5, alpha: Tensor.from([0.95], [1], d), theta: Tensor.from([1], [1], d), m: Tensor.from([1], [1], d),
    state: Tensor.zeros([NN], d), v: Tensor.empty([T, NN], d),
  };
};
const cubaP = (d: Device) => {
  const c = codes(), one = (v: number) => Tensor.from([v], [1], d);
  return {
    T, N: NN, P: 1, reset: c.reset.subtract, surrogate: c.surrogate.exponential, sgScale: 1, sgWidth: 0.5, alphaSyn: one(0.8), alpha: one(0.95),
    theta: one(1), vState: Tensor.zeros([NN], d), iState: Tensor.zeros([NN], d), v: Tensor.empty([T, NN], d), i: Tensor.empty([T, NN], d),
  };
};
const adlifP = (d: Device) => {
  const c = codes(), one = (v: number) => Tensor.from([v], [1], d);
  return {
    T, N: NN, P: 1, reset: c.reset.subtract, surrogate: c.surrogate.exponential, sgScale: 1, sgWidth: 0.5, alpha: one(0.9), beta: one(0.98),
    a: one(0.5), b: one(1), theta: one(1), vState: Tensor.zeros([NN], d), wState: Tensor.zeros([NN], d), v: Tensor.empty([T, NN], d),
    w: Tensor.empty([T, NN], d),
  };
};
const alifP = (d: Device) => {
  const c = codes(), one = (v: number) => Tensor.from([v], [1], d);
  return {
    T, N: NN, P: 1, surrogate: c.surrogate.exponential, sgScale: 1, sgWidth: 0.5, alpha: one(0.95), rho: one(0.95), beta: one(0.5), theta0: one(1),
    v: Tensor.empty([T, NN], d), b: Tensor.empty([T, NN], d),
  };
};
const TN = T * NN;
// A recurrent LIF layer of 256 neurons (batch rows NN / 256), V small enough to keep it firing sparsely.
const rlifP = (d: Device, r: Rng) => ({
  T, N: NN, P: 256, reset: codes().reset.subtract, surrogate: codes().surrogate.exponential, sgScale: 1, sgWidth: 0.5,
  alpha: Tensor.full([256], 0.95, d), theta: Tensor.full([256], 1, d), m: Tensor.full([256], 1, d), w: rnd(d, r, [256, 256], -0.06, 0.06),
  v: Tensor.empty([T, NN], d),
});
// The same layer as a recurrent CubaLIF (model 0 of the generic recurrent driver).
const recP = (d: Device, r: Rng) => ({
  T, N: NN, P: 256, model: 0, reset: codes().reset.subtract, surrogate: codes().surrogate.exponential, sgScale: 1, sgWidth: 0.5,
  alphaSyn: Tensor.full([256], 0.6, d), alpha: Tensor.full([256], 0.95, d), theta: Tensor.full([256], 1, d), w: rnd(d, r, [256, 256], -0.06, 0.06),
  v: Tensor.empty([T, NN], d), aux: Tensor.empty([T, NN], d),
});
const recForward = (d: Device, r: Rng) => {
  const p = recP(d, r), x = rnd(d, r, [T, NN], -0.5, 1);
  return { p, run: () => native().recurrentForward({ ...p, x, vState: Tensor.zeros([NN], d), aState: Tensor.zeros([NN], d), sState: Tensor.zeros([NN], d), s: Tensor.empty([T, NN], d) }) };
};
const GM = 1024; // GEMM size
const conv = { cin: 16, h: 32, w: 32, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1 }, cout = 16, imgs = 32;
const cpix = conv.h * conv.w, ckk = conv.cin * 9;
const IR = 128 * 100, IF = 700, IO = 256, ID = 0.05; // a spike-input Linear: SHD's 700 channels at 5 %

function indexOf(d: Device, rng: Rng) {
  const s = sparse(d, rng, [IR, IF], ID);
  const ix = { offsets: new Int32Array(IR + 1), cols: new Int32Array(IR * IF), vals: new Float32Array(IR * IF) };
  native().spikeIndexBuild({ s, rows: IR, inFeatures: IF, ...ix });
  return { s, ix };
}

const CASES: PerfCase[] = [
  { entry: "fill", label: `[${E}]`, bytes: 4 * E, setup: (d) => { const y = Tensor.empty([E], d); return () => native().fill({ y, n: E, value: 1 }); } },
  { entry: "unary", label: `exp [${E}]`, bytes: 8 * E, setup: (d, r) => { const x = rnd(d, r, [E]), y = Tensor.empty([E], d); return () => native().unary({ op: codes().unary.exp, x, y, n: E }); } },
  { entry: "binary", label: `add [${E}]`, bytes: 12 * E, setup: (d, r) => { const x = rnd(d, r, [E]), w = rnd(d, r, [E]), y = Tensor.empty([E], d); return () => native().binary({ op: codes().binary.add, x, w, y, n: E, nb: E, inner: 1 }); } },
  { entry: "axpby", label: `[${E}]`, bytes: 12 * E, setup: (d, r) => { const x = rnd(d, r, [E]), y = rnd(d, r, [E]); return () => native().axpby({ alpha: 0.5, x, beta: 0.5, y, n: E }); } },
  { entry: "reduce", label: `sum over time [${T}, ${NN}]`, bytes: 4 * TN, setup: (d, r) => { const x = rnd(d, r, [T, NN]), y = Tensor.empty([NN], d); return () => native().reduce({ op: codes().reduce.sum, x, y, outer: 1, axis: T, inner: NN }); } },
  { entry: "gemm", label: `${GM}x${GM}x${GM}`, flops: 2 * GM ** 3, setup: (d, r) => { const A = rnd(d, r, [GM, GM]), B = rnd(d, r, [GM, GM]), C = Tensor.empty([GM, GM], d); return () => native().gemm({ transA: false, transB: false, M: GM, N: GM, K: GM, alpha: 1, A, lda: GM, B, ldb: GM, beta: 0, C, ldc: GM }); } },
  { entry: "softmax_xent", label: "[12800, 20]", bytes: 8 * 12800 * 20, setup: (d, r) => { const logits = rnd(d, r, [12800, 20]), labels = Tensor.from(Float32Array.from({ length: 12800 }, (_, i) => i % 20), [12800], d), loss = Tensor.empty([12800], d), grad = Tensor.empty([12800, 20], d); return () => native().softmaxXent({ logits, labels, loss, grad, rows: 12800, cols: 20, gradScale: 1 }); } },
  { entry: "log_softmax", label: "[12800, 20]", bytes: 8 * 12800 * 20, setup: (d, r) => { const x = rnd(d, r, [12800, 20]), y = Tensor.empty([12800, 20], d); return () => native().logSoftmax({ x, y, rows: 12800, cols: 20 }); } },
  { entry: "lif_forward", label: `[T=${T}, N=${NN}]`, bytes: 12 * TN, setup: (d, r) => { const a = lif(d), x = rnd(d, r, [T, NN], -0.5, 1.5), s = Tensor.empty([T, NN], d); return () => native().lifForward({ ...a, x, s }); } },
  { entry: "lif_backward", label: `exodus [T=${T}, N=${NN}]`, bytes: 12 * TN, setup: (d, r) => { const a = lif(d), x = rnd(d, r, [T, NN], -0.5, 1.5), s = Tensor.empty([T, NN], d), g = rnd(d, r, [T, NN]), dx = Tensor.empty([T, NN], d); native().lifForward({ ...a, x, s }); return () => native().lifBackward({ ...a, method: codes().grad.exodus, g, v0: Tensor.zeros([NN], d), dx }); } },
  { entry: "expleak_forward", label: `[T=${T}, N=${NN}]`, bytes: 8 * TN, setup: (d, r) => { const x = rnd(d, r, [T, NN]), i = Tensor.empty([T, NN], d); return () => native().expleakForward({ T, N: NN, P: 1, beta: Tensor.from([0.9], [1], d), x, state: Tensor.zeros([NN], d), i }); } },
  { entry: "expleak_backward", label: `[T=${T}, N=${NN}]`, bytes: 12 * TN, setup: (d, r) => { const g = rnd(d, r, [T, NN]), i = rnd(d, r, [T, NN]), dx = Tensor.empty([T, NN], d); return () => native().expleakBackward({ T, N: NN, P: 1, beta: Tensor.from([0.9], [1], d), gradI: g, i, i0: Tensor.zeros([NN], d), dx }); } },
  { entry: "srm_forward", label: `ε 8, ν 4 [T=${T}, N=${NN}]`, bytes: 12 * TN, setup: (d, r) => srm(d, r, false) },
  { entry: "srm_backward", label: `ε 8, ν 4 [T=${T}, N=${NN}]`, bytes: 16 * TN, setup: (d, r) => srm(d, r, true) },
  { entry: "alif_forward", label: `[T=${T}, N=${NN}]`, bytes: 16 * TN, setup: (d, r) => { const a = alifP(d), x = rnd(d, r, [T, NN], -0.5, 1.5), s = Tensor.empty([T, NN], d); return () => native().alifForward({ ...a, x, vState: Tensor.zeros([NN], d), bState: Tensor.zeros([NN], d), s }); } },
  { entry: "alif_backward", label: `exodus [T=${T}, N=${NN}]`, bytes: 16 * TN, setup: (d, r) => { const a = alifP(d), x = rnd(d, r, [T, NN], -0.5, 1.5), s = Tensor.empty([T, NN], d), g = rnd(d, r, [T, NN]), dx = Tensor.empty([T, NN], d); native().alifForward({ ...a, x, vState: Tensor.zeros([NN], d), bState: Tensor.zeros([NN], d), s }); return () => native().alifBackward({ ...a, method: codes().grad.exodus, g, v0: Tensor.zeros([NN], d), dx }); } },
  // The recurrent LIF layer of 256 neurons over the same T × N: GFLOP/s of the dense-equivalent recurrent
  // products (2·T·N·256 per pass; the forward adds only the rows of spiking neurons).
  { entry: "rlif_forward", label: `H 256 [T=${T}, N=${NN}]`, flops: 2 * TN * 256, setup: (d, r) => { const p = rlifP(d, r), x = rnd(d, r, [T, NN], -0.5, 1.5); return () => native().rlifForward({ ...p, x, vState: Tensor.zeros([NN], d), sState: Tensor.zeros([NN], d), s: Tensor.empty([T, NN], d), v: p.v }); } },
  { entry: "recurrent_forward", label: `CubaLIF, H 256 [T=${T}, N=${NN}]`, flops: 2 * TN * 256, setup: (d, r) => recForward(d, r).run },
  { entry: "recurrent_backward", label: `CubaLIF, exodus, H 256 [T=${T}, N=${NN}]`, flops: 4 * TN * 256, setup: (d, r) => { const f = recForward(d, r), z = Tensor.zeros([NN], d); f.run(); const g = rnd(d, r, [T, NN]), dx = Tensor.empty([T, NN], d), dw = Tensor.empty([256, 256], d); return () => native().recurrentBackward({ ...f.p, method: codes().grad.exodus, g, v0: z, a0: z, s0: z, dx, dw }); } },
  { entry: "rlif_backward", label: `exodus, H 256 [T=${T}, N=${NN}]`, flops: 4 * TN * 256, setup: (d, r) => { const p = rlifP(d, r), x = rnd(d, r, [T, NN], -0.5, 1.5), z = Tensor.zeros([NN], d); native().rlifForward({ ...p, x, vState: Tensor.zeros([NN], d), sState: Tensor.zeros([NN], d), s: Tensor.empty([T, NN], d), v: p.v }); const g = rnd(d, r, [T, NN]), dx = Tensor.empty([T, NN], d), dw = Tensor.empty([256, 256], d); return () => native().rlifBackward({ ...p, method: codes().grad.exodus, g, v: p.v, v0: z, s0: z, dx, dw }); } },
  { entry: "cuba_forward", label: `[T=${T}, N=${NN}]`, bytes: 16 * TN, setup: (d, r) => { const a = cubaP(d), x = rnd(d, r, [T, NN], -0.2, 0.5), s = Tensor.empty([T, NN], d); return () => native().cubaForward({ ...a, x, s }); } },
  { entry: "cuba_backward", label: `exodus [T=${T}, N=${NN}]`, bytes: 20 * TN, setup: (d, r) => { const a = cubaP(d), x = rnd(d, r, [T, NN], -0.2, 0.5), s = Tensor.empty([T, NN], d), g = rnd(d, r, [T, NN]), dx = Tensor.empty([T, NN], d), dalpha = Tensor.empty([NN], d), dalphaSyn = Tensor.empty([NN], d); native().cubaForward({ ...a, x, s }); return () => native().cubaBackward({ ...a, method: codes().grad.exodus, g, v0: Tensor.zeros([NN], d), i0: Tensor.zeros([NN], d), dx, dalpha, dalphaSyn }); } },
  { entry: "adlif_forward", label: `[T=${T}, N=${NN}]`, bytes: 16 * TN, setup: (d, r) => { const a = adlifP(d), x = rnd(d, r, [T, NN], 0, 3), s = Tensor.empty([T, NN], d); return () => native().adlifForward({ ...a, x, s }); } },
  { entry: "adlif_backward", label: `exodus [T=${T}, N=${NN}]`, bytes: 24 * TN, setup: (d, r) => { const a = adlifP(d), x = rnd(d, r, [T, NN], 0, 3), s = Tensor.empty([T, NN], d), g = rnd(d, r, [T, NN]), dx = Tensor.empty([T, NN], d), grad = () => Tensor.empty([NN], d); native().adlifForward({ ...a, x, s }); return () => native().adlifBackward({ ...a, method: codes().grad.exodus, g, x, v0: Tensor.zeros([NN], d), w0: Tensor.zeros([NN], d), dx, dalpha: grad(), dbeta: grad(), da: grad(), db: grad() }); } },
  { entry: "spike_fn", label: `[${E}]`, bytes: 8 * E, setup: (d, r) => { const v = rnd(d, r, [E], 0, 2), s = Tensor.empty([E], d); return () => native().spikeFn({ v, s, n: E, theta: Tensor.from([1], [1], d), P: 1, multi: false, maxSpikes: 0 }); } },
  { entry: "surrogate_grad", label: `exponential [${E}]`, bytes: 12 * E, setup: (d, r) => { const v = rnd(d, r, [E], 0, 2), g = rnd(d, r, [E]), y = Tensor.empty([E], d); return () => native().surrogateGrad({ surrogate: codes().surrogate.exponential, v, g, y, n: E, theta: Tensor.from([1], [1], d), P: 1, scale: 1, width: 0.5 }); } },
  { entry: "gemm_batched", label: `${imgs} x [${cout}x${ckk}]·[${ckk}x${cpix}]`, flops: 2 * imgs * cout * ckk * cpix, setup: (d, r) => { const A = rnd(d, r, [cout, ckk]), B = rnd(d, r, [imgs, ckk, cpix]), C = Tensor.empty([imgs, cout, cpix], d); return () => native().gemmBatched({ transA: false, transB: false, M: cout, N: cpix, K: ckk, alpha: 1, A, lda: ckk, strideA: 0, B, ldb: cpix, strideB: ckk * cpix, beta: 0, C, ldc: cpix, strideC: cout * cpix, batch: imgs }); } },
  { entry: "im2col", label: `${imgs} x [${conv.cin},${conv.h},${conv.w}] 3x3`, bytes: 4 * imgs * (ckk * cpix + conv.cin * cpix), setup: (d, r) => { const x = rnd(d, r, [imgs, conv.cin, conv.h, conv.w]), cols = Tensor.empty([imgs * ckk * cpix], d); return () => native().im2col({ x, cols, geom: conv, count: imgs }); } },
  { entry: "col2im", label: `${imgs} x [${conv.cin},${conv.h},${conv.w}] 3x3`, bytes: 4 * imgs * (ckk * cpix + conv.cin * cpix), setup: (d, r) => { const cols = rnd(d, r, [imgs * ckk * cpix]), dx = Tensor.empty([imgs, conv.cin, conv.h, conv.w], d); return () => native().col2im({ cols, dx, geom: conv, count: imgs }); } },
  { entry: "pool2d", label: `max 2x2 [${imgs * conv.cin}, 32, 32]`, bytes: 4 * imgs * conv.cin * (1024 + 2 * 256), setup: (d, r) => { const P = imgs * conv.cin, x = rnd(d, r, [P, 32, 32]), y = Tensor.empty([P, 16, 16], d), indices = Tensor.empty([P, 16, 16], d); return () => native().pool2d({ max: true, x, y, indices, geom: { h: 32, w: 32, k: 2, s: 2 }, planes: P }); } },
  { entry: "pool2d_backward", label: `avg 2x2 [${imgs * conv.cin}, 32, 32]`, bytes: 4 * imgs * conv.cin * (1024 + 256), setup: (d, r) => { const P = imgs * conv.cin, dy = rnd(d, r, [P, 16, 16]), dx = Tensor.empty([P, 32, 32], d); return () => native().pool2dBackward({ max: false, dy, dx, geom: { h: 32, w: 32, k: 2, s: 2 }, planes: P }); } },
  { entry: "adam_step", label: `[${E}]`, bytes: 28 * E, setup: (d, r) => { const p = rnd(d, r, [E]), g = rnd(d, r, [E]), m = Tensor.zeros([E], d), v = Tensor.zeros([E], d); return () => native().adamStep({ p, g, m, v, n: E, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, bias1: 0.1, bias2: 0.001, decoupled: false }); } },
  { entry: "dropout_mask", label: `[${E}]`, bytes: 4 * E, setup: (d) => { const mask = Tensor.empty([E], d); return () => native().dropoutMask({ mask, n: E, p: 0.3, seed: 7 }); } },
  { entry: "dropout_apply", label: `[${E}]`, bytes: 8 * E, setup: (d, r) => { const x = rnd(d, r, [E]); return () => native().dropoutApply({ x, y: x, n: E, p: 0.3, seed: 7 }); } },
  { entry: "scatter_frames", label: "one sample, 250x700 at 5 %", setup: (d, r) => scatter(d, r) },
  { entry: "count_nonzero", label: `[${E}] at 5 %`, bytes: 4 * E, setup: (d, r) => { const x = sparse(d, r, [E], 0.05), out = Tensor.empty([1], d); return () => native().countNonzero({ x, n: E, out }); } },
  { entry: "sparse_linear_forward", label: `[${IR},${IF}]·[${IF},${IO}] at 5 %`, flops: 2 * IR * IF * IO * ID, setup: (d, r) => { const s = sparse(d, r, [IR, IF], ID), w = rnd(d, r, [IO, IF]), y = Tensor.empty([IR, IO], d); return () => native().sparseLinearForward({ s, rows: IR, inFeatures: IF, w, outFeatures: IO, y }); } },
  { entry: "sparse_linear_weight_grad", label: `[${IO},${IR}]·[${IR},${IF}] at 5 %`, flops: 2 * IR * IF * IO * ID, setup: (d, r) => { const s = sparse(d, r, [IR, IF], ID), g = rnd(d, r, [IR, IO]), dw = Tensor.zeros([IO, IF], d); return () => native().sparseLinearWeightGrad({ g, s, rows: IR, inFeatures: IF, outFeatures: IO, dw }); } },
  { entry: "sparse_conv_forward", label: `${imgs} x [${conv.cin},32,32] 3x3 at 5 %`, flops: 2 * imgs * conv.cin * cpix * cout * 9 * ID, setup: (d, r) => { const x = sparse(d, r, [imgs, conv.cin, 32, 32], ID), w = rnd(d, r, [cout, conv.cin, 3, 3]), y = Tensor.empty([imgs, cout, 32, 32], d); return () => native().sparseConvForward({ x, w, y, geom: conv, cout, count: imgs }); } },
  { entry: "sparse_conv_weight_grad", label: `${imgs} x [${conv.cin},32,32] 3x3 at 5 %`, flops: 2 * imgs * conv.cin * cpix * cout * 9 * ID, setup: (d, r) => { const x = sparse(d, r, [imgs, conv.cin, 32, 32], ID), dy = rnd(d, r, [imgs, cout, 32, 32]), dw = Tensor.zeros([cout, conv.cin, 3, 3], d); return () => native().sparseConvWeightGrad({ x, dy, dw, geom: conv, cout, count: imgs }); } },
  { entry: "max_time_backward", label: `[T=${T}, ${NN}]`, bytes: 4 * (TN + 2 * NN), setup: (d, r) => { const arg = Tensor.from(Float32Array.from({ length: NN }, (_, i) => i % T), [NN], d), g = rnd(d, r, [NN]), dy = Tensor.empty([T, NN], d); return () => native().maxTimeBackward({ arg, g, dy, T, n: NN }); } },
  { entry: "lif_forward_masked", label: `[T=${T}, N=${NN}]`, bytes: 12.125 * TN, setup: (d, r) => { const a = lif(d), x = rnd(d, r, [T, NN], -0.5, 1.5), s = Tensor.empty([T, NN], d), mask = new Uint8Array(TN / 8); return () => native().lifForward({ ...a, x, s, mask }); } },
  { entry: "alif_forward_masked", label: `[T=${T}, N=${NN}]`, bytes: 16.125 * TN, setup: (d, r) => { const a = alifP(d), x = rnd(d, r, [T, NN], -0.5, 1.5), s = Tensor.empty([T, NN], d), mask = new Uint8Array(TN / 8); return () => native().alifForward({ ...a, x, vState: Tensor.zeros([NN], d), bState: Tensor.zeros([NN], d), s, mask }); } },
  { entry: "lif_forward_pool2", label: `width 32 [T=${T}, N=${NN}]`, bytes: 9 * TN, setup: (d, r) => { const a = lif(d), x = rnd(d, r, [T, NN], -0.5, 1.5), y = Tensor.empty([T, NN / 4], d); return () => void native().lifForward({ ...a, x, y, poolWidth: 32 }); } },
  { entry: "lif_backward_pool2", label: `width 32 [T=${T}, N=${NN}]`, bytes: 9 * TN, setup: (d, r) => { const a = lif(d), x = rnd(d, r, [T, NN], -0.5, 1.5), y = Tensor.empty([T, NN / 4], d), g = rnd(d, r, [T, NN / 4]), dx = Tensor.empty([T, NN], d); native().lifForward({ ...a, x, y, poolWidth: 32 }); return () => native().lifBackward({ ...a, method: codes().grad.exodus, g, v0: Tensor.zeros([NN], d), dx, poolWidth: 32 }); } },
  { entry: "lif_backward_carry", label: `exodus, λ in and out [T=${T}, N=${NN}]`, bytes: 12 * TN, setup: (d, r) => { const a = lif(d), x = rnd(d, r, [T, NN], -0.5, 1.5), s = Tensor.empty([T, NN], d), g = rnd(d, r, [T, NN]), dx = Tensor.empty([T, NN], d), lamIn = rnd(d, r, [NN]), lamOut = Tensor.empty([NN], d); native().lifForward({ ...a, x, s }); return () => native().lifBackward({ ...a, method: codes().grad.exodus, g, v0: Tensor.zeros([NN], d), dx, lamIn, lamOut }); } },
  { entry: "spike_index_build", label: `[${IR}, ${IF}] at 5 %`, bytes: 4 * IR * IF, setup: (d, r) => { const { s, ix } = indexOf(d, r); return () => void native().spikeIndexBuild({ s, rows: IR, inFeatures: IF, ...ix }); } },
  { entry: "spike_index_from_frames", label: "B 128 × 250x700 at 5 %", setup: (_d, r) => fromFrames(r) },
  { entry: "spike_index_linear_forward", label: `[${IR},${IF}]·[${IF},${IO}] at 5 %`, flops: 2 * IR * IF * IO * ID, setup: (d, r) => { const { ix } = indexOf(d, r), w = rnd(d, r, [IO, IF]), y = Tensor.empty([IR, IO], d); return () => native().spikeIndexLinearForward({ ...ix, rows: IR, inFeatures: IF, w, outFeatures: IO, y }); } },
  { entry: "lif_forward_linear", label: `[${IR},${IF}]·[${IF},${IO}] at 5 % → LIF [T=${T}, N=${NN}]`, flops: 2 * IR * IF * IO * ID, setup: (d, r) => { const { ix } = indexOf(d, r), a = lif(d), w = rnd(d, r, [IO, IF], -0.1, 0.1), s = Tensor.empty([T, NN], d); return () => native().lifForwardLinear({ ...a, ...ix, rows: IR, inFeatures: IF, w, outFeatures: IO, s }); } },
  { entry: "lif_backward_linear", label: `LIF exodus [T=${T}, N=${NN}] → ∂W, ∂x of [${IR},${IF}]·[${IF},${IO}] at 5 %`, flops: 2 * IR * IF * IO * (1 + ID), setup: (d, r) => { const { ix } = indexOf(d, r), a = lif(d), w = rnd(d, r, [IO, IF], -0.1, 0.1), s = Tensor.empty([T, NN], d); native().lifForwardLinear({ ...a, ...ix, rows: IR, inFeatures: IF, w, outFeatures: IO, s }); const g = rnd(d, r, [T, NN]), dw = Tensor.zeros([IO, IF], d), db = Tensor.zeros([IO], d), dx = Tensor.empty([IR, IF], d); return () => native().lifBackwardLinear({ ...a, method: codes().grad.exodus, g, v0: Tensor.zeros([NN], d), ...ix, rows: IR, inFeatures: IF, w, outFeatures: IO, dw, db, dx }); } },
  { entry: "spike_index_linear_weight_grad", label: `[${IO},${IR}]·[${IR},${IF}] at 5 %`, flops: 2 * IR * IF * IO * ID, setup: (d, r) => { const { ix } = indexOf(d, r), g = rnd(d, r, [IR, IO]), dw = Tensor.zeros([IO, IF], d); return () => native().spikeIndexLinearWeightGrad({ ...ix, g, rows: IR, inFeatures: IF, outFeatures: IO, dw }); } },
  { entry: "conv_direct_input_grad", label: `${imgs} x [${conv.cin},32,32] 3x3`, flops: 2 * imgs * conv.cin * cpix * cout * 9, setup: (d, r) => { const w = rnd(d, r, [cout, conv.cin, 3, 3]), dy = rnd(d, r, [imgs, cout, 32, 32]), dx = Tensor.empty([imgs, conv.cin, 32, 32], d); return () => native().convInputGradDirect({ w, dy, dx, geom: conv, cout, count: imgs }); } },
  { entry: "conv_direct_weight_grad", label: `${imgs} x [${conv.cin},32,32] 3x3`, flops: 2 * imgs * conv.cin * cpix * cout * 9, setup: (d, r) => { const x = rnd(d, r, [imgs, conv.cin, 32, 32]), dy = rnd(d, r, [imgs, cout, 32, 32]), dw = Tensor.zeros([cout, conv.cin, 3, 3], d); return () => native().convWeightGradDirect({ x, dy, dw, geom: conv, cout, count: imgs }); } },
  ...delayCases(),
];

/** The learnable-delay entries at the SHD-delays shape (700 → 256, D 25, T 100, B 16 at 5 %, σ 0.5: 6 taps). */
function delayCases(): PerfCase[] {
  const B = 16, D = 25, W = 6, g = { T, B, inFeatures: IF, outFeatures: IO, maxDelay: D, taps: W, below: 2, sigma: 0.5, perNeuron: false };
  const syn = IF * IO, spikeFlops = 2 * T * B * IF * ID * (D + 1) * IO, windowFlops = 2 * T * B * syn * W;
  const state = (d: Device, r: Rng) => {
    const w = rnd(d, r, [IO, IF]), dl = rnd(d, r, [IO, IF], 0, D), coeff = Tensor.empty([IF, IO, W], d), start = Tensor.empty([IF, IO], d);
    const K = Tensor.empty([D + 1, IF, IO], d), x = sparse(d, r, [T, B, IF], ID), A = Tensor.empty([IF, IO, W], d);
    native().delayTaps({ ...g, w, d: dl, coeff, start });
    native().delayDenseKernel({ ...g, coeff, start, K });
    return { w, dl, coeff, start, K, x, A };
  };
  const label = `${IF}→${IO}, D ${D}, ${W} taps`;
  return [
    { entry: "delay_taps", label, bytes: 4 * syn * (3 + W), setup: (d, r) => { const s = state(d, r); return () => native().delayTaps({ ...g, w: s.w, d: s.dl, coeff: s.coeff, start: s.start }); } },
    { entry: "delay_dense_kernel", label, bytes: 4 * syn * (D + 2 + W), setup: (d, r) => { const s = state(d, r); return () => native().delayDenseKernel({ ...g, coeff: s.coeff, start: s.start, K: s.K }); } },
    { entry: "delay_forward_events", label: `${label}, T ${T} B ${B} at 5 %`, flops: spikeFlops, setup: (d, r) => { const s = state(d, r), y = Tensor.empty([T, B, IO], d); return () => native().delayForwardEvents({ ...g, x: s.x, K: s.K, y }); } },
    { entry: "delay_corr_events", label: `${label}, T ${T} B ${B} at 5 %`, flops: spikeFlops, setup: (d, r) => { const s = state(d, r), dy = rnd(d, r, [T, B, IO]); return () => native().delayCorrEvents({ ...g, x: s.x, dy, dK: s.K }); } },
    { entry: "delay_corr_dense", label, bytes: 8 * syn * W + 4 * syn, setup: (d, r) => { const s = state(d, r); return () => native().delayCorrDense({ ...g, dK: s.K, start: s.start, A: s.A }); } },
    { entry: "delay_param_grad", label, bytes: 4 * syn * (W + 6), setup: (d, r) => { const s = state(d, r), dw = Tensor.zeros([IO, IF], d), dd = Tensor.zeros([IO, IF], d); return () => native().delayParamGrad({ ...g, A: s.A, w: s.w, d: s.dl, dw, dd }); } },
    // The window path: every (t, b) of every synapse's W taps, whatever the density.
    { entry: "delay_window_forward", label: `${label}, T ${T} B ${B}`, flops: windowFlops, setup: (d, r) => { const s = state(d, r), y = Tensor.empty([T, B, IO], d); return () => native().delayWindowForward({ ...g, x: s.x, coeff: s.coeff, start: s.start, y }); } },
    { entry: "delay_window_corr", label: `${label}, T ${T} B ${B}`, flops: windowFlops, setup: (d, r) => { const s = state(d, r), dy = rnd(d, r, [T, B, IO]); return () => native().delayWindowCorr({ ...g, x: s.x, dy, start: s.start, A: s.A }); } },
    { entry: "delay_window_input_grad", label: `${label}, T ${T} B ${B}`, flops: windowFlops, setup: (d, r) => { const s = state(d, r), dy = rnd(d, r, [T, B, IO]), dx = Tensor.empty([T, B, IF], d); return () => native().delayWindowInputGrad({ ...g, dy, coeff: s.coeff, start: s.start, dx }); } },
  ];
}

function srm(d: Device, r: Rng, backward: boolean): () => void {
  const c = codes(), cfg = { T, N: NN, Ke: 8, Kn: 4, theta: 1, multiSpike: false, maxSpikes: 0, surrogate: c.surrogate.exponential, sgScale: 1, sgWidth: 0.5 };
  const eps = rnd(d, r, [8], 0, 0.5), nu = rnd(d, r, [4], -1, 0), a = rnd(d, r, [T, NN], 0, 1), s = Tensor.empty([T, NN], d), u = Tensor.empty([T, NN], d);
  native().srmForward({ ...cfg, eps, nu, a, s, u });
  if (!backward) return () => native().srmForward({ ...cfg, eps, nu, a, s, u });
  const g = rnd(d, r, [T, NN]), q = Tensor.empty([T, NN], d), da = Tensor.empty([T, NN], d);
  return () => native().srmBackward({ ...cfg, method: c.grad.exodus, eps, nu, g, u, q, da });
}

/** One sample's frames at 5 % of 250 × 700 (events: index and count, 8 bytes each). */
function frames(r: Rng): { index: Uint32Array; count: Uint32Array } {
  const index: number[] = [];
  for (let i = 0; i < 250 * 700; i++) if (r.uniform() < 0.05) index.push(i);
  return { index: Uint32Array.from(index), count: Uint32Array.from(index, () => 1) };
}
function scatter(d: Device, r: Rng) {
  const f = frames(r), dst = Tensor.zeros([250, 1, 700], d);
  return { call: () => native().scatterFrames({ dst, T: 250, B: 1, F: 700, b: 0, ...f }), bytes: 12 * f.index.length };
}
function fromFrames(r: Rng) {
  const cols = Array.from({ length: 128 }, () => frames(r)), events = cols.reduce((n, c) => n + c.index.length, 0);
  const ix = { offsets: new Int32Array(250 * 128 + 1), cols: new Int32Array(events), vals: new Float32Array(events) };
  const call = () => void native().spikeIndexFromFrames({ T: 250, B: 128, F: 700, index: cols.map((c) => c.index), count: cols.map((c) => c.count), ...ix });
  return { call, bytes: 16 * events };
}

/** Times every case whose entry the device has (and that the filter lets through). */
export function runPerf(device: Device, opts: { filter?: RegExp; minMs?: number; onResult?: (r: PerfResult) => void } = {}): PerfResult[] {
  const minMs = opts.minMs ?? 200;
  const sync = () => native().synchronize({ device: device.isCuda ? 1 : 0, index: device.index });
  const results: PerfResult[] = [];
  for (const c of CASES) {
    if (opts.filter && !opts.filter.test(`${c.entry} ${c.label}`)) continue;
    let r: PerfResult;
    if (!supports(c.entry, device)) r = { entry: c.entry, label: c.label, ms: NaN, skipped: `the ${device.type} backend has no ${c.entry}` };
    else
      r = scope(() => {
        const made = c.setup(device, new Rng(7));
        const call = typeof made === "function" ? made : made.call;
        const bytes = typeof made === "function" ? c.bytes ?? 0 : made.bytes;
        call();
        sync();
        const times: number[] = [];
        for (let spent = 0; times.length < 3 || (spent < minMs && times.length < 50);) {
          const t0 = performance.now();
          call();
          sync();
          const ms = performance.now() - t0;
          times.push(ms);
          spent += ms;
        }
        times.sort((a, b) => a - b);
        const ms = times[times.length >> 1];
        return {
          entry: c.entry, label: c.label, ms,
          ...(c.flops ? { gflops: c.flops / ms / 1e6 } : { gbps: bytes / ms / 1e6 }),
        };
      });
    opts.onResult?.(r);
    results.push(r);
  }
  return results;
}

/** The entries of the table that no perf case times. */
export function untimed(): string[] {
  return native().backendOps().filter((e) => !CASES.some((c) => c.entry === e));
}
