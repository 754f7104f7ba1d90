// A spike tensor kept compactly between a checkpointed forward and its recompute (checkpoint.ts):
// one bit per value when every value is 0 or 1 (a neuron layer's spikes), one byte when every
// value is a small count (a SEW block's sum of two spike tensors, multi-spike outputs), else not
// at all (the caller keeps the floats). Exact: unpacking gives the same floats bit for bit (a
// negative zero is not packed). Packed in chunks of CHUNK values, so the copies out of and into
// native memory stay 4 MiB each. CPU tensors only: a GPU's would cross the bus twice.
import type { Device } from "../device.js";
import { Tensor } from "../tensor.js";
import { ShapeError } from "../errors.js";
import * as ops from "../ops.js";

/** Values per chunk (a multiple of 8, so that every chunk's bits start at a byte). */
export const CHUNK = 2 ** 20;

export interface Packed {
  shape: readonly number[];
  device: Device;
  /** Per chunk of CHUNK values: 1 bit per value, or 1 byte. */
  bits: boolean;
  slices: Uint8Array[];
}

/** The bit pattern of 1.0f: values are compared as integers, which also tells -0 (0x80000000) from +0. */
const ONE = 0x3f800000;

/** v's values as bits (all +0 or 1.0f: returns the packed bits), or undefined when some other value occurs. */
function asBits(u: Uint32Array): Uint8Array | undefined {
  const b = new Uint8Array(Math.ceil(u.length / 8));
  for (let i = 0; i < u.length; i += 8) {
    let byte = 0;
    const end = Math.min(u.length, i + 8);
    for (let j = i; j < end; j++) {
      const w = u[j];
      if (w === ONE) byte |= 1 << (j - i);
      else if (w !== 0) return undefined;
    }
    b[i >> 3] = byte;
  }
  return b;
}

/** v's values as bytes (all integers 0..255, no -0), or undefined. */
function asBytes(v: Float32Array, u: Uint32Array): Uint8Array | undefined {
  const out = new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const a = v[i];
    if (u[i] === 0) continue;
    if (!(a > 0 && a <= 255 && Number.isInteger(a))) return undefined;
    out[i] = a;
  }
  return out;
}

/** x packed, or undefined when its values are not all small non-negative integers (or x is not on the CPU). */
export function pack(x: Tensor): Packed | undefined {
  if (x.device.isCuda || x.rank < 1 || x.size === 0) return undefined;
  const slices: Uint8Array[] = [];
  let bits = true;
  const done = readChunks(x, (v, u) => {
    let packed = bits ? asBits(u) : undefined;
    if (!packed) {
      packed = asBytes(v, u);
      if (!packed) return false;
      if (bits) {
        bits = false; // the chunks packed so far as bits become bytes
        for (let k = 0; k < slices.length; k++) slices[k] = bytesOf(slices[k], CHUNK);
      }
    }
    slices.push(packed);
    return true;
  });
  return done ? { shape: x.shape, device: x.device, bits, slices } : undefined;
}

/** Calls f with each chunk of CHUNK values of x copied out (v, and u: their bits) until it returns false; whether it never did. */
export function readChunks(x: Tensor, f: (v: Float32Array, u: Uint32Array) => boolean): boolean {
  const flat = x.reshape([x.size]);
  try {
    for (let i = 0; i < x.size; i += CHUNK) {
      const row = flat.slice(i, Math.min(x.size, i + CHUNK));
      const v = row.toArray();
      row.dispose();
      if (!f(v, new Uint32Array(v.buffer, v.byteOffset, v.length))) return false;
    }
    return true;
  } finally {
    flat.dispose();
  }
}

/** n values 0/1 from bits. */
function bytesOf(b: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let j = 0; j < n; j++) out[j] = (b[j >> 3] >> (j & 7)) & 1;
  return out;
}

/** Chunk k's n floats into v (u: its bits). */
function decode(p: Packed, k: number, n: number, v: Float32Array, u: Uint32Array): void {
  const s = p.slices[k];
  if (p.bits) {
    u.fill(0, 0, n);
    for (let i = 0; i < s.length; i++) {
      const byte = s[i];
      if (byte === 0) continue; // most bytes of sparse spikes
      for (let j = 0; j < 8; j++) if ((byte >> j) & 1) u[i * 8 + j] = ONE;
    }
  } else for (let i = 0; i < n; i++) v[i] = s[i];
}

export function unpack(p: Packed): Tensor {
  const t = Tensor.empty(p.shape, p.device);
  const flat = t.reshape([t.size]);
  const v = new Float32Array(Math.min(t.size, CHUNK));
  const u = new Uint32Array(v.buffer);
  p.slices.forEach((_, k) => {
    const start = k * CHUNK;
    const n = Math.min(t.size - start, CHUNK);
    decode(p, k, n, v, u);
    const row = flat.slice(start, start + n);
    row.set(n === v.length ? v : v.subarray(0, n));
    row.dispose();
  });
  flat.dispose();
  return t;
}

/**
 * h += the packed tensor, in place (h has its size), a chunk at a time with the same native add as
 * ops.add(h, unpack(p), h): the same floats bit for bit, without the unpacked tensor in memory.
 */
export function addPacked(h: Tensor, p: Packed): void {
  addByChunks(h, p.shape, "addPacked", (k, n, v, u) => decode(p, k, n, v, u));
}

/**
 * h += a tensor of the given shape that fill(k, n, v, u) writes chunk k of (its n floats into v, u
 * their bits) in place, with the same native add as ops.add(h, dense, h): bit for bit that sum.
 */
export function addByChunks(h: Tensor, shape: readonly number[], op: string, fill: (k: number, n: number, v: Float32Array, u: Uint32Array) => void): void {
  const size = shape.reduce((a, b) => a * b, 1);
  if (h.size !== size) throw new ShapeError(`${op}: expected a tensor of ${size} values (the kept one's shape), received ${h.size}`);
  const flat = h.reshape([size]);
  const v = new Float32Array(Math.min(size, CHUNK));
  const u = new Uint32Array(v.buffer);
  const dense = Tensor.empty([v.length], h.device);
  try {
    for (let k = 0; k * CHUNK < size; k++) {
      const start = k * CHUNK;
      const n = Math.min(size - start, CHUNK);
      fill(k, n, v, u);
      const d = n === v.length ? dense.reshape([n]) : dense.slice(0, n);
      d.set(n === v.length ? v : v.subarray(0, n));
      const row = flat.slice(start, start + n);
      ops.add(row, d, row);
      row.dispose();
      d.dispose();
    }
  } finally {
    dense.dispose();
    flat.dispose();
  }
}

/** Bytes a packed tensor holds. */
export function packedBytes(p: Packed): number {
  return p.slices.reduce((n, s) => n + s.length, 0);
}
