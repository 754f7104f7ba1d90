// tonic's preprocessed DVS Gesture: <split>/userNN_<light>/<class>.npy, each an (N, 4) array of
// x, y, p, t in milliseconds. tonic multiplies t by 1000 and casts to int (truncation); so do we.
import { readFileSync } from "node:fs";
import { ExodusError } from "../errors.js";
import { type Events, allocEvents, sortByTime } from "./events.js";

export interface NpyArray {
  shape: number[];
  /** Element i as a number (any stored numeric dtype). */
  data: Float64Array;
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

/** Parses a .npy file of a numeric dtype, C order (version 1, 2 or 3 headers). */
export function readNpy(path: string, buf: Buffer = readFileSync(path)): NpyArray {
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC))
    throw new ExodusError(`${path}: expected a .npy file (magic \\x93NUMPY), received ${JSON.stringify(buf.subarray(0, 6).toString("latin1"))}`);
  const major = buf[6];
  if (major < 1 || major > 3) throw new ExodusError(`${path}: expected .npy format version 1, 2 or 3, received ${major}`);
  const hstart = major === 1 ? 10 : 12;
  if (buf.length < hstart) throw new ExodusError(`${path}: expected a .npy header, received a ${buf.length}-byte file (truncated)`);
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  if (hstart + hlen > buf.length) throw new ExodusError(`${path}: expected a ${hlen}-byte .npy header, received a truncated file`);
  const header = buf.subarray(hstart, hstart + hlen).toString("latin1");
  const descr = /'descr'\s*:\s*'([<>|=])([a-z])(\d+)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)\s*[,}]/.exec(header);
  const shapeM = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeM) throw new ExodusError(`${path}: expected a .npy header dict with descr, fortran_order and shape, received ${JSON.stringify(header.trim().slice(0, 200))}`);
  const dims = shapeM[1].split(",").map((s) => s.trim());
  if (dims.length > 1 && dims[dims.length - 1] === "") dims.pop(); // (n,) and (n, m,)
  const shape = dims.map((d) => (/^\d+$/.test(d) ? Number(d) : NaN));
  if (dims.length === 1 && dims[0] === "") shape.length = 0; // () : a scalar
  if (!shape.every((d) => Number.isSafeInteger(d)))
    throw new ExodusError(`${path}: expected a .npy shape of non-negative integers, received (${shapeM[1].trim()}); the file is corrupt — re-extract it`);
  const [, order, kind, sizeS] = descr;
  const size = Number(sizeS);
  const le = order !== ">";
  const get = reader(kind, size, path);
  const n = shape.reduce((a, b) => a * b, 1);
  const body = hstart + hlen;
  if (!Number.isSafeInteger(n * size) || body + n * size > buf.length)
    throw new ExodusError(`${path}: expected ${n * size} data bytes for shape (${shape.join(", ")}), received ${buf.length - body} (truncated file)`);
  if (body + n * size !== buf.length)
    throw new ExodusError(
      `${path}: expected ${n * size} data bytes for shape (${shape.join(", ")}), received ${buf.length - body}: the file holds more than its header declares (corrupt header?)`,
    );
  if (fortran[1] === "True" && shape.length > 1) throw new ExodusError(`${path}: expected a C-order array, received fortran_order True`);
  // The common case (little-endian float64, 8-aligned: v1 headers pad the data to 64 bytes) is a copy.
  if (kind === "f" && size === 8 && le && (buf.byteOffset + body) % 8 === 0)
    return { shape, data: new Float64Array(buf.buffer.slice(buf.byteOffset + body, buf.byteOffset + body + 8 * n)) };
  const v = new DataView(buf.buffer, buf.byteOffset + body, n * size);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = get(v, i * size, le);
  return { shape, data };
}

function reader(kind: string, size: number, path: string): (v: DataView, o: number, le: boolean) => number {
  const key = `${kind}${size}`;
  switch (key) {
    case "f8": return (v, o, le) => v.getFloat64(o, le);
    case "f4": return (v, o, le) => v.getFloat32(o, le);
    case "i8": return (v, o, le) => Number(v.getBigInt64(o, le));
    case "u8": return (v, o, le) => Number(v.getBigUint64(o, le));
    case "i4": return (v, o, le) => v.getInt32(o, le);
    case "u4": return (v, o, le) => v.getUint32(o, le);
    case "i2": return (v, o, le) => v.getInt16(o, le);
    case "u2": return (v, o, le) => v.getUint16(o, le);
    case "i1": return (v, o) => v.getInt8(o);
    case "u1": return (v, o) => v.getUint8(o);
    default:
      throw new ExodusError(`${path}: expected a numeric dtype (f4/f8/i1..i8/u1..u8), received ${key}`);
  }
}

/** A day in µs: DVS Gesture samples last ~6 s; a larger time is a damaged file. */
const MAX_T_US = 24 * 3600 * 1e6;

/** One tonic DVS Gesture sample: an (N, 4) x, y, p, t_ms array. */
export function readGestureNpy(path: string): Events {
  const a = readNpy(path);
  if (a.shape.length !== 2 || a.shape[1] !== 4)
    throw new ExodusError(`${path}: expected an (N, 4) array of x, y, p, t_ms, received shape (${a.shape.join(", ")})`);
  const n = a.shape[0];
  const e = allocEvents(n);
  for (let i = 0; i < n; i++) {
    const x = a.data[4 * i];
    const y = a.data[4 * i + 1];
    const p = a.data[4 * i + 2];
    const t = Math.trunc(a.data[4 * i + 3] * 1000);
    if (!(Number.isInteger(x) && Number.isInteger(y) && x >= 0 && x < 128 && y >= 0 && y < 128 && (p === 0 || p === 1) && t >= 0 && t <= MAX_T_US))
      throw new ExodusError(`${path}: row ${i}: expected 0 <= x, y < 128, p in {0, 1}, t >= 0, received x=${x}, y=${y}, p=${p}, t_ms=${a.data[4 * i + 3]} (t_ms at most a day)`);
    e.x[i] = x;
    e.y[i] = y;
    e.p[i] = p;
    e.t[i] = t;
  }
  return sortByTime(e);
}
