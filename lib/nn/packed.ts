// A spike tensor kept compactly between a checkpointed forward and its recompute (checkpoint.ts):
// one bit per value when every value is 0 or 1 (a neuron layer's spikes), one byte when every
// value is a small count (a SEW block's sum of two spike tensors, multi-spike outputs), else not
// at all (the caller keeps the floats). Exact: unpacking gives the same floats bit for bit (a
// negative zero is not packed). Packed in chunks of CHUNK values, so the copies out of and into
// native memory stay 4 MiB each. CPU tensors only: a GPU's would cross the bus twice.
import type { Device } from "../device.js";
import { Tensor } from "../tensor.js";

/** Values per chunk (a multiple of 8, so that every chunk's bits start at a byte). */
const CHUNK = 2 ** 20;

export interface Packed {
  shape: readonly number[];
  device: Device;
  /** Per chunk of CHUNK values: 1 bit per value, or 1 byte. */
  bits: boolean;
  slices: Uint8Array[];
}

/** How x's values can be stored: 1 bit, 1 byte, or not (undefined). */
function encoding(v: Float32Array): "bits" | "bytes" | undefined {
  let small = true;
  for (let i = 0; i < v.length; i++) {
    const a = v[i];
    if (a === 1) continue;
    if (a === 0) {
      if (1 / a < 0) return undefined; // -0 would come back as +0
      continue;
    }
    small = false;
    if (!(a > 0 && a <= 255 && Number.isInteger(a))) return undefined;
  }
  return small ? "bits" : "bytes";
}

/** x packed, or undefined when its values are not all small non-negative integers (or x is not on the CPU). */
export function pack(x: Tensor): Packed | undefined {
  if (x.device.isCuda || x.rank < 1 || x.size === 0) return undefined;
  const slices: Uint8Array[] = [];
  let bits = true;
  const flat = x.reshape([x.size]);
  for (let i = 0; i < x.size; i += CHUNK) {
    const row = flat.slice(i, Math.min(x.size, i + CHUNK));
    const v = row.toArray();
    row.dispose();
    const e = encoding(v);
    if (!e) {
      flat.dispose();
      return undefined;
    }
    if (e === "bytes" && bits) {
      bits = false; // the slices packed so far as bits become bytes
      for (let k = 0; k < slices.length; k++) slices[k] = bytesOf(slices[k], CHUNK);
    }
    if (!bits) slices.push(Uint8Array.from(v));
    else {
      const b = new Uint8Array(Math.ceil(v.length / 8));
      for (let j = 0; j < v.length; j++) if (v[j] === 1) b[j >> 3] |= 1 << (j & 7);
      slices.push(b);
    }
  }
  flat.dispose();
  return { shape: x.shape, device: x.device, bits, slices };
}

function bytesOf(b: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let j = 0; j < n; j++) out[j] = (b[j >> 3] >> (j & 7)) & 1;
  return out;
}

export function unpack(p: Packed): Tensor {
  const t = Tensor.empty(p.shape, p.device);
  const flat = t.reshape([t.size]);
  p.slices.forEach((s, k) => {
    const start = k * CHUNK;
    const n = Math.min(t.size - start, CHUNK);
    const row = flat.slice(start, start + n);
    row.set(p.bits ? Float32Array.from(bytesOf(s, n)) : Float32Array.from(s));
    row.dispose();
  });
  flat.dispose();
  return t;
}

/** Bytes a packed tensor holds. */
export function packedBytes(p: Packed): number {
  return p.slices.reduce((n, s) => n + s.length, 0);
}
