// float32 tensors on the CPU or a CUDA device, row-major and contiguous; views (reshape, slices
// along the first axis) share storage. Memory is freed by dispose() or by a scope(); the garbage
// collector stays a safety net (binding_buffer.h, finalizer.ts), since GPU memory must not wait for a GC.
import { Device, type DeviceLike, parseDevice } from "./device.js";
import { ExodusError, ShapeError, describe, shapeStr } from "./errors.js";
import { noteAllocation, siteOf } from "./finalizer.js";
import { type NativeBufferHandle, native } from "./native.js";
import type { Rng } from "./random.js";

export type Shape = readonly number[];

/**
 * A device allocation shared by a tensor and its views; freed when the last one is disposed, or
 * by the garbage collector once no tensor reaches it (the handle's weak callback, binding_buffer.h).
 */
class Storage {
  refs = 1;
  constructor(
    readonly handle: NativeBufferHandle,
    readonly device: Device,
  ) {}
  release(): void {
    if (--this.refs === 0) this.handle.dispose();
  }
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function checkShape(shape: Shape, what = "shape"): number[] {
  if (!Array.isArray(shape)) throw new ShapeError(`${what}: expected an array of dimensions, received ${describe(shape)}`);
  for (const d of shape)
    if (!Number.isInteger(d) || d < 0)
      throw new ShapeError(`${what}: expected non-negative integer dimensions, received ${shapeStr(shape)}`);
  return [...shape];
}

/** Float32 view or copy of numeric data; rejects what would silently become NaN. */
function toFloat32(what: string, data: unknown): Float32Array {
  if (data instanceof Float32Array) return data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array)
    throw new ExodusError(`${what}: expected numbers (float32 tensors), received a ${data.constructor.name}; convert with Number() first`);
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) return Float32Array.from(data as unknown as ArrayLike<number>);
  if (!Array.isArray(data))
    throw new ExodusError(`${what}: expected an array or typed array of numbers, received ${describe(data)}`);
  for (let i = 0; i < data.length; i++)
    if (typeof data[i] !== "number")
      throw new ExodusError(`${what}: expected numbers, received ${describe(data[i])} at index ${i}`);
  return Float32Array.from(data as number[]);
}

// ---- scopes: tensors created inside scope(fn) are disposed when it returns --------------------
const scopeStack: Set<Tensor>[] = [];

/**
 * Runs fn and disposes every tensor created inside it, except the ones it returns (a tensor, or
 * an array or plain object of tensors) and the ones passed to keep().
 */
export function scope<T>(fn: () => T): T {
  const tracked = new Set<Tensor>();
  scopeStack.push(tracked);
  let result: T;
  try {
    result = fn();
  } finally {
    scopeStack.pop();
  }
  const keepSet = new Set<Tensor>();
  collectTensors(result, keepSet);
  for (const t of tracked) {
    if (keepSet.has(t)) {
      const outer = scopeStack[scopeStack.length - 1];
      if (outer) outer.add(t); // hand it to the enclosing scope (out of every scope: the garbage collector's)
    } else t.dispose();
  }
  return result;
}

/** Removes t from the scope it was created in, so it outlives it. */
export function keep<T extends Tensor>(t: T): T {
  for (const s of scopeStack) s.delete(t);
  return t;
}

function collectTensors(v: unknown, out: Set<Tensor>): void {
  if (v instanceof Tensor) out.add(v);
  else if (Array.isArray(v)) for (const x of v) collectTensors(x, out);
  else if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype)
    for (const x of Object.values(v)) collectTensors(x, out);
}

export class Tensor {
  readonly shape: readonly number[];
  readonly size: number;
  private _storage: Storage | undefined;

  private constructor(
    storage: Storage,
    readonly offset: number,
    shape: Shape,
  ) {
    this._storage = storage;
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
    // A tensor made in a scope is the scope's to free; one outside every scope is freed by
    // dispose() or, dropped, by the garbage collector.
    scopeStack[scopeStack.length - 1]?.add(this);
  }

  // ---- creation ----------------------------------------------------------------------------------
  /** Uninitialised memory of the given shape. */
  static empty(shape: Shape, device?: DeviceLike): Tensor {
    const s = checkShape(shape);
    const dev = parseDevice(device);
    const site = siteOf(scopeStack.length === 0);
    const handle = new (native().NativeBuffer)({ device: dev.code, index: dev.index, size: sizeOf(s), ...(site && { site }) });
    noteAllocation();
    return new Tensor(new Storage(handle, dev), 0, s);
  }

  static full(shape: Shape, value: number, device?: DeviceLike): Tensor {
    const t = Tensor.empty(shape, device);
    native().fill({ y: t, n: t.size, value });
    return t;
  }

  static zeros(shape: Shape, device?: DeviceLike): Tensor {
    return Tensor.full(shape, 0, device);
  }

  /**
   * Copies data into a new float32 tensor of the given shape (default: 1-D). Accepts a
   * Float32Array (copied as is), any other numeric typed array or an array of numbers
   * (converted to float32).
   */
  static from(data: ArrayLike<number>, shape?: Shape, device?: DeviceLike): Tensor {
    const f32 = toFloat32("Tensor.from", data);
    const s = shape ? checkShape(shape) : [f32.length];
    if (sizeOf(s) !== f32.length)
      throw new ShapeError(`Tensor.from: shape ${shapeStr(s)} holds ${sizeOf(s)} elements, data has ${f32.length}`);
    const t = Tensor.empty(s, device);
    if (f32.length) native().write({ dst: t, data: f32 });
    return t;
  }

  static randn(shape: Shape, rng: Rng, opts: { mean?: number; std?: number; device?: DeviceLike } = {}): Tensor {
    const s = checkShape(shape);
    return Tensor.from(rng.fillNormal(new Float32Array(sizeOf(s)), opts.mean ?? 0, opts.std ?? 1), s, opts.device);
  }

  static uniform(shape: Shape, rng: Rng, opts: { low?: number; high?: number; device?: DeviceLike } = {}): Tensor {
    const s = checkShape(shape);
    return Tensor.from(rng.fillUniform(new Float32Array(sizeOf(s)), opts.low ?? 0, opts.high ?? 1), s, opts.device);
  }

  // ---- properties ---------------------------------------------------------------------------------
  get device(): Device {
    return this.storage.device;
  }
  get rank(): number {
    return this.shape.length;
  }
  get disposed(): boolean {
    return this._storage === undefined;
  }
  /** The storage; throws a clear error when the tensor was disposed. */
  /** No other tensor shares this one's storage (no view, no cache): a caller that owns it may write over it. */
  get sole(): boolean {
    return this.storage.refs === 1;
  }

  private get storage(): Storage {
    if (!this._storage) throw new ExodusError(`tensor of shape ${shapeStr(this.shape)} used after dispose()`);
    return this._storage;
  }
  /** The native buffer, for the op layer. */
  get handle(): NativeBufferHandle {
    return this.storage.handle;
  }

  // ---- data movement ------------------------------------------------------------------------------
  /** A host copy of the values (waits for the device). */
  toArray(): Float32Array {
    return this.size === 0 ? new Float32Array(0) : native().read({ src: this, n: this.size });
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new ShapeError(`item(): expected a tensor of one element, received shape ${shapeStr(this.shape)}`);
    return this.toArray()[0];
  }

  /** Overwrites the values from host data of the same size. */
  set(data: ArrayLike<number>): this {
    const f32 = toFloat32("set()", data);
    if (f32.length !== this.size)
      throw new ShapeError(`set(): expected ${this.size} values for shape ${shapeStr(this.shape)}, received ${f32.length}`);
    if (f32.length) native().write({ dst: this, data: f32 });
    return this;
  }

  /** Copies the values of src (same size, any device) into this tensor. */
  copyFrom(src: Tensor): this {
    if (src.size !== this.size)
      throw new ShapeError(`copyFrom: expected ${this.size} elements ${shapeStr(this.shape)}, received ${src.size} ${shapeStr(src.shape)}`);
    native().copy({ src, dst: this, n: this.size });
    return this;
  }

  /** This tensor on another device (itself when already there). */
  to(device: DeviceLike): Tensor {
    const dev = parseDevice(device);
    if (dev.equals(this.device)) return this;
    return Tensor.empty(this.shape, dev).copyFrom(this);
  }

  clone(): Tensor {
    return Tensor.empty(this.shape, this.device).copyFrom(this);
  }

  // ---- views --------------------------------------------------------------------------------------
  /** Same data, new shape; one dimension may be -1 (inferred). No copy. */
  reshape(shape: Shape): Tensor {
    const dims = [...shape];
    const inferred = dims.indexOf(-1);
    if (inferred >= 0) {
      const rest = sizeOf(dims.filter((_, i) => i !== inferred));
      if (rest === 0 || this.size % rest !== 0)
        throw new ShapeError(`reshape: cannot infer -1 in ${shapeStr(shape)} for ${this.size} elements ${shapeStr(this.shape)}`);
      dims[inferred] = this.size / rest;
    }
    const s = checkShape(dims, "reshape");
    if (sizeOf(s) !== this.size)
      throw new ShapeError(`reshape: expected a shape of ${this.size} elements (from ${shapeStr(this.shape)}), received ${shapeStr(shape)}`);
    return this.viewOf(this.offset, s);
  }

  /** Rows [start, end) along the first axis, as a view. */
  slice(start: number, end = this.shape[0]): Tensor {
    if (this.rank === 0) throw new ShapeError("slice: expected a tensor of rank >= 1, received a scalar");
    const n = this.shape[0];
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > n || start > end)
      throw new ShapeError(`slice: expected 0 <= start <= end <= ${n}, received start ${start}, end ${end}`);
    const row = this.size / (n || 1);
    return this.viewOf(this.offset + start * row, [end - start, ...this.shape.slice(1)]);
  }

  /** Row i along the first axis, without that axis. */
  at(i: number): Tensor {
    if (this.rank === 0) throw new ShapeError("at: expected a tensor of rank >= 1, received a scalar");
    const n = this.shape[0];
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new ShapeError(`at: expected an index in [0, ${n}), received ${i}`);
    return this.viewOf(this.offset + i * (this.size / n), this.shape.slice(1));
  }

  private viewOf(offset: number, shape: number[]): Tensor {
    const st = this.storage;
    st.refs++;
    return new Tensor(st, offset, shape);
  }

  // ---- lifetime -----------------------------------------------------------------------------------
  /** Frees this tensor's reference; the memory goes when its last view is disposed. Idempotent. */
  dispose(): void {
    if (!this._storage) return;
    this._storage.release();
    this._storage = undefined;
  }

  toString(): string {
    return `Tensor(${shapeStr(this.shape)}, ${this.device})`;
  }
}

/** Disposes every tensor found in v (a tensor, array, or plain object of tensors). */
export function disposeAll(v: unknown): void {
  const s = new Set<Tensor>();
  collectTensors(v, s);
  for (const t of s) t.dispose();
}
