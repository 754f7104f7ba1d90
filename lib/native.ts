// Loads the native addon and types its raw functions (the only file that touches them untyped).
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

type Buf = NativeBufferHandle;

export interface NativeAddon {
  NativeBuffer: new (deviceType: number, deviceIndex: number, size: number) => NativeBufferHandle;
  write(b: Buf, off: number, data: Float32Array): void;
  read(b: Buf, off: number, n: number): Float32Array;
  copy(src: Buf, srcOff: number, dst: Buf, dstOff: number, n: number): void;
  synchronize(deviceType: number, deviceIndex: number): void;
  fill(b: Buf, off: number, n: number, v: number): void;
  unary(op: number, x: Buf, xOff: number, y: Buf, yOff: number, n: number, a: number, b: number): void;
  binary(op: number, x: Buf, xOff: number, w: Buf, wOff: number, y: Buf, yOff: number, n: number, nb: number, inner: number): void;
  axpby(alpha: number, x: Buf, xOff: number, beta: number, y: Buf, yOff: number, n: number): void;
  reduce(op: number, x: Buf, xOff: number, y: Buf, yOff: number, outer: number, axis: number, inner: number): void;
  gemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    A: Buf, aOff: number, lda: number, B: Buf, bOff: number, ldb: number, beta: number,
    C: Buf, cOff: number, ldc: number,
  ): void;
  softmaxXent(
    logits: Buf, lOff: number, labels: Buf, labOff: number, loss: Buf, lossOff: number,
    grad: Buf | null, gOff: number, rows: number, cols: number, gradScale: number,
  ): void;
  logSoftmax(x: Buf, xOff: number, y: Buf, yOff: number, rows: number, cols: number): void;
  gemmBatched(
    transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    A: Buf, aOff: number, lda: number, strideA: number, B: Buf, bOff: number, ldb: number, strideB: number,
    beta: number, C: Buf, cOff: number, ldc: number, strideC: number, batch: number,
  ): void;
  /** geom: [C, H, W, kh, kw, strideH, strideW, padH, padW] */
  im2col(x: Buf, xOff: number, cols: Buf, colsOff: number, geom: number[], count: number): void;
  col2im(cols: Buf, colsOff: number, dx: Buf, dxOff: number, geom: number[], count: number): void;
  /** geom: [H, W, window, stride] */
  pool2d(isMax: boolean, x: Buf, xOff: number, y: Buf, yOff: number, arg: Buf | null, argOff: number, geom: number[], planes: number): void;
  pool2dBackward(isMax: boolean, dy: Buf, dyOff: number, arg: Buf | null, argOff: number, dx: Buf, dxOff: number, geom: number[], planes: number): void;
  /** config: [lr, beta1, beta2, eps, weightDecay, 1-beta1^t, 1-beta2^t, decoupled ? 1 : 0] */
  adamStep(p: Buf, pOff: number, g: Buf, gOff: number, m: Buf, mOff: number, v: Buf, vOff: number, n: number, config: number[]): void;
  dropoutMask(mask: Buf, off: number, n: number, p: number, seed: number): void;
  /** Writes one sample's sparse frames (flat t·F + f indices, counts) into column b of [T, B, F]. */
  scatterFrames(dst: Buf, dstOff: number, T: number, B: number, F: number, b: number, index: Uint32Array, count: Uint32Array): void;
  /** Zeroes [T, B, F] and scatters every column's frames, on a libuv thread; dst must stay alive until it settles. */
  scatterBatchAsync(dst: Buf, dstOff: number, T: number, B: number, F: number, index: Uint32Array[], count: Uint32Array[]): Promise<void>;
  info(): NativeInfo;
  cudaDeviceInfo(index: number): { name: string; computeCapability: string; totalMemory: number; multiprocessors: number };
  allocatorStats(index: number): { inUse: number; cached: number; peak: number; mallocs: number };
  emptyCache(): void;
  setThreads(n: number): void;
}

// Op codes: must match the enums in cuda/include/exodus/api.h.
export const UnaryOp = {
  copy: 0, neg: 1, exp: 2, log: 3, abs: 4, sqrt: 5, square: 6, relu: 7, sigmoid: 8, tanh: 9,
  affine: 10, clamp: 11, pow: 12, step: 13, reciprocal: 14,
} as const;
export const BinaryOp = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5 } as const;
export const ReduceOp = { sum: 0, mean: 1, max: 2, min: 3, argmax: 4, argmin: 5 } as const;

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

/** The addon: EXODUS_ADDON (a path to a .node file) if set, else the build in the package root. */
export function native(): NativeAddon {
  if (addon) return addon;
  const require = createRequire(import.meta.url);
  const override = process.env.EXODUS_ADDON;
  try {
    if (override) addon = require(resolve(override)) as NativeAddon;
    else addon = (require("node-gyp-build") as (dir: string) => NativeAddon)(packageRoot());
  } catch (e) {
    const where = override ? `EXODUS_ADDON=${override}` : `${packageRoot()}/build/Release/exodus.node`;
    throw new Error(
      `exodus: could not load the native addon (${where}): ${(e as Error).message}\n` +
        "Build it with `npm run build:native` (needs cmake and a C++17 compiler; nvcc for CUDA).",
    );
  }
  return addon;
}
