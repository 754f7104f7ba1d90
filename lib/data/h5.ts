// SHD / SSC reader (HDF5). h5wasm's high-level API cannot read the float16 vlen /spikes/times
// ("Float16 not supported"), so ragged rows are read through its low-level Module: the wasm heap
// receives hvl_t pairs (uint32 length, uint32 pointer) whose rows are decoded here, half floats
// included. Rows are read in chunks: one wasm call per row would dominate the load time.
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { ExodusError } from "../errors.js";
import { type Events, type SensorSize, allocEvents } from "./events.js";

/** SHD/SSC samples last ~1.4 s; a spike time beyond a day is a damaged file. */
const MAX_T_US = 24 * 3600 * 1e6;

export const AUDIO_SENSOR: SensorSize = { width: 700, height: 1, polarities: 1 };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type H5Module = any;
type H5Lib = typeof import("h5wasm");
let lib: Promise<{ h5: H5Lib; Module: H5Module }> | undefined;

async function loadH5(): Promise<{ h5: H5Lib; Module: H5Module }> {
  lib ??= (async () => {
    const h5 = (await import("h5wasm/node")) as unknown as { default: H5Lib };
    const Module = await h5.default.ready;
    // HDF5 errors become JS exceptions instead of diagnostics printed to stderr.
    Module.activate_throwing_error_handler();
    return { h5: h5.default, Module };
  })();
  return lib;
}

/** The file on which the HDF5 library aborted (an assertion in its C code), if it did. */
let aborted: string | undefined;

/** The gist of an HDF5 error stack: its first and last "in H5xxx(): reason" lines. Notes an abort. */
function h5Message(e: unknown, path?: string): string {
  const text = String((e as Error)?.message ?? e);
  // After abort() the wasm instance is dead: every later call fails, so later opens must say why.
  if (/Aborted\(/.test(text)) aborted ??= path ?? "an HDF5 file";
  const lines = [...text.matchAll(/in (\w+\(\)): (.*)$/gm)].map((m) => `${m[1]}: ${m[2].trim()}`);
  if (lines.length === 0) return text.split("\n")[0];
  return lines.length === 1 ? lines[0] : `${lines[0]} … ${lines[lines.length - 1]}`;
}

/** IEEE 754 half → float32 value, via a 65536-entry table built once. */
let halfTable: Float32Array | undefined;
export function halfToFloat(bits: number): number {
  halfTable ??= buildHalfTable();
  return halfTable[bits & 0xffff];
}
/** Cleanup calls into h5wasm: after a failure they may throw again, which must not hide the first error. */
function quietly(f: () => unknown): void {
  try {
    f();
  } catch {
    /* the library is failing already; the error being thrown explains why */
  }
}

function buildHalfTable(): Float32Array {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    if (e === 0) t[h] = s * m * 2 ** -24;
    else if (e === 31) t[h] = m ? NaN : s * Infinity;
    else t[h] = s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return t;
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * HDF5 files start with the signature at 0, 512, 1024, 2048, … (a user block may precede it).
 * Returns the superblock's "size of lengths" (bytes of a length field, 8 in practice).
 */
function checkSignature(path: string): number {
  const size = statSync(path).size;
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(16);
    for (let off = 0; off + 16 <= size; off = off === 0 ? 512 : off * 2) {
      readSync(fd, buf, 0, 16, off);
      if (!buf.subarray(0, 8).equals(HDF5_SIGNATURE)) continue;
      const version = buf[8];
      const lengths = version <= 1 ? buf[14] : buf[10];
      if (![2, 4, 8].includes(lengths))
        throw new ExodusError(`${path}: HDF5 superblock: expected a size of lengths of 2, 4 or 8 bytes, received ${lengths} (corrupt file)`);
      return lengths;
    }
  } finally {
    closeSync(fd);
  }
  throw new ExodusError(`${path}: expected an HDF5 file (SHD/SSC .h5), received a file without the HDF5 signature`);
}

const GCOL = Buffer.from("GCOL\x01\x00\x00\x00", "latin1");
const heapChecked = new Map<string, string>();

/**
 * Walks every global heap collection (where vlen rows live) the way HDF5 parses it, and rejects
 * one HDF5 would loop on or overrun. HDF5 1.14's collection parser advances by each object's
 * declared size; a free-space object of size 0 (e.g. 16 zeroed bytes) never advances, and h5wasm
 * then spins at 100 % CPU forever. So the bounds are checked here, before HDF5 sees the file.
 * Collections are found by their signature; checked files are remembered by size and mtime.
 */
function checkGlobalHeaps(path: string, lengthSize: number): void {
  const st = statSync(path);
  const id = `${st.size}:${st.mtimeMs}`;
  if (heapChecked.get(path) === id) return;
  const fd = openSync(path, "r");
  try {
    const CHUNK = 1 << 24;
    const buf = Buffer.alloc(CHUNK + GCOL.length);
    for (let base = 0; base < st.size; base += CHUNK) {
      const got = readSync(fd, buf, 0, buf.length, base);
      const view = buf.subarray(0, got);
      for (let i = view.indexOf(GCOL); i >= 0 && i < CHUNK; i = view.indexOf(GCOL, i + 1)) walkCollection(fd, path, base + i, st.size, lengthSize);
    }
  } finally {
    closeSync(fd);
  }
  heapChecked.set(path, id);
}

function walkCollection(fd: number, path: string, at: number, fileSize: number, lengthSize: number): void {
  const bad = (what: string) =>
    new ExodusError(`${path}: global heap collection at byte ${at}: ${what} (corrupt file; re-download or re-extract it)`);
  const head = Buffer.alloc(8 + lengthSize);
  readSync(fd, head, 0, head.length, at);
  const size = readLength(head, 8, lengthSize);
  const hdr = 8 + lengthSize;
  if (size < hdr || at + size > fileSize) throw bad(`expected a collection size within the file, received ${size} bytes at ${fileSize} bytes of file`);
  const heap = Buffer.alloc(size);
  readSync(fd, heap, 0, size, at);
  const objHdr = 8 + lengthSize; // index u16, refcount u16, reserved u32, size
  let p = hdr;
  while (p < size) {
    if (p + objHdr > size) return; // a tail too small for a header is free space
    const idx = heap.readUInt16LE(p);
    const objSize = readLength(heap, p + 8, lengthSize);
    const need = idx > 0 ? objHdr + Math.ceil(objSize / 8) * 8 : objSize;
    if (!(need > 0) || p + need > size)
      throw bad(`object ${idx} at byte ${at + p}: expected a size within the collection (${size - p} bytes left), received ${objSize}`);
    p += need;
  }
}

function readLength(b: Buffer, o: number, n: number): number {
  if (n === 8) return Number(b.readBigUInt64LE(o));
  return n === 4 ? b.readUInt32LE(o) : b.readUInt16LE(o);
}

interface TypeMeta {
  type: number; // 0 integer, 1 float, 9 vlen (h5wasm's H5T classes)
  size: number;
  signed: boolean;
  littleEndian: boolean;
  vlen_type?: TypeMeta;
  shape?: number[];
}

/** An open SHD/SSC file: labels up front, events read by chunks of rows. Close it when done. */
export class AudioH5File {
  readonly count: number;
  readonly labels: Int32Array;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly file: { file_id: bigint; close(): unknown },
    private readonly Module: H5Module,
    private readonly unitsMeta: TypeMeta,
    private readonly timesMeta: TypeMeta,
    labels: Int32Array,
  ) {
    this.count = labels.length;
    this.labels = labels;
  }

  static async open(path: string): Promise<AudioH5File> {
    checkGlobalHeaps(path, checkSignature(path));
    const { h5, Module } = await loadH5();
    if (aborted)
      throw new ExodusError(
        `${path}: cannot read HDF5 files in this process any more: the HDF5 library aborted on the corrupt file ${aborted}; re-download that file and restart`,
      );
    let file: InstanceType<H5Lib["File"]>;
    try {
      file = new h5.File(path, "r");
    } catch (e) {
      throw new ExodusError(`${path}: HDF5 library could not open the file (truncated or corrupt?): ${h5Message(e, path)}`);
    }
    try {
      const meta = (p: string): TypeMeta => {
        try {
          return Module.get_dataset_metadata(file.file_id, p) as TypeMeta;
        } catch (e) {
          throw new ExodusError(`${path}: expected a dataset ${p} (SHD/SSC layout), received a file without it (${h5Message(e, path)})`);
        }
      };
      const tm = meta("/spikes/times");
      const um = meta("/spikes/units");
      const lm = meta("/labels");
      // A vlen sequence is an hvl_t in memory: 8 bytes in wasm32; any other size is another kind of vlen.
      if (tm.type !== 9 || tm.size !== 8 || tm.vlen_type?.type !== 1 || ![2, 4, 8].includes(tm.vlen_type.size))
        throw new ExodusError(`${path}: /spikes/times: expected ragged (vlen) float16/32/64 rows, received ${describeType(tm)}`);
      if (um.type !== 9 || um.size !== 8 || um.vlen_type?.type !== 0 || ![1, 2, 4].includes(um.vlen_type.size))
        throw new ExodusError(`${path}: /spikes/units: expected ragged (vlen) integer rows, received ${describeType(um)}`);
      if (lm.type !== 0) throw new ExodusError(`${path}: /labels: expected integers, received ${describeType(lm)}`);
      const n = lm.shape?.[0] ?? 0;
      if ((tm.shape?.[0] ?? -1) !== n || (um.shape?.[0] ?? -1) !== n)
        throw new ExodusError(
          `${path}: expected as many rows in /spikes/times and /spikes/units as labels (${n}), received ${tm.shape?.[0]} and ${um.shape?.[0]}`,
        );
      let raw: unknown;
      try {
        raw = (file.get("labels") as { value?: unknown } | null)?.value;
      } catch (e) {
        throw new ExodusError(`${path}: /labels could not be read (truncated or corrupt?): ${h5Message(e, path)}`);
      }
      const values = Array.from((raw ?? []) as ArrayLike<number | bigint>, Number);
      if (values.length !== n) throw new ExodusError(`${path}: /labels: expected ${n} values, received ${values.length} (corrupt file?)`);
      values.forEach((v, i) => {
        if (!Number.isInteger(v) || v < 0 || v >= 2 ** 31)
          throw new ExodusError(`${path}: /labels: expected class indices >= 0, received ${v} at row ${i}`);
      });
      const labels = Int32Array.from(values);
      return new AudioH5File(path, file, Module, um, tm, labels);
    } catch (e) {
      quietly(() => file.close());
      throw e;
    }
  }

  /** Events of rows [start, start + n): t = trunc(float32(time)·1e6) µs as tonic computes it, x = unit. */
  readRows(start: number, n: number): Events[] {
    if (this.closed) throw new ExodusError(`${this.path}: read after close()`);
    if (start < 0 || n < 0 || start + n > this.count)
      throw new ExodusError(`${this.path}: expected rows within [0, ${this.count}), received [${start}, ${start + n})`);
    if (n === 0) return [];
    const times = this.readVlen("/spikes/times", start, n, this.timesMeta.vlen_type!);
    const units = this.readVlen("/spikes/units", start, n, this.unitsMeta.vlen_type!);
    const out: Events[] = [];
    for (let r = 0; r < n; r++) {
      const tv = times[r];
      const uv = units[r];
      if (tv.length !== uv.length)
        throw new ExodusError(`${this.path}: row ${start + r}: expected as many units as times, received ${uv.length} units and ${tv.length} times`);
      const e = allocEvents(tv.length);
      for (let i = 0; i < tv.length; i++) {
        const t = Math.trunc(Math.fround(tv[i] * 1e6));
        if (!(t >= 0 && t <= MAX_T_US)) throw new ExodusError(`${this.path}: row ${start + r}: expected spike times in [0 s, 1 day], received ${tv[i]} at spike ${i}`);
        if (uv[i] >= AUDIO_SENSOR.width || uv[i] < 0)
          throw new ExodusError(`${this.path}: row ${start + r}: expected units in [0, 700), received ${uv[i]} at spike ${i}`);
        e.t[i] = t;
        e.x[i] = uv[i];
      }
      out.push(e);
    }
    return out;
  }

  /** Rows of a vlen dataset as numbers (float32 values for floats, decoded from their stored type). */
  private readVlen(path: string, start: number, n: number, base: TypeMeta): Float64Array[] {
    const M = this.Module;
    const ptr: number = M._malloc(8 * n);
    if (!ptr) throw new ExodusError(`${this.path}: out of wasm memory reading ${n} rows of ${path}`);
    try {
      try {
        M.get_dataset_data(this.file.file_id, path, [BigInt(n)], [BigInt(start)], [1n], BigInt(ptr));
      } catch (e) {
        throw new ExodusError(`${this.path}: ${path} rows ${start}..${start + n - 1} could not be read (truncated or corrupt?): ${h5Message(e, this.path)}`);
      }
      try {
        const heap: Uint8Array = M.HEAPU8; // fetched after the call: the heap may have grown
        const view = new DataView(heap.buffer, heap.byteOffset, heap.byteLength);
        const rows: Float64Array[] = [];
        for (let r = 0; r < n; r++) {
          const len = view.getUint32(ptr + 8 * r, true);
          const p = view.getUint32(ptr + 8 * r + 4, true);
          if (len > 0 && p + len * base.size > heap.byteLength)
            throw new ExodusError(`${this.path}: ${path} row ${start + r}: vlen pointer outside the wasm heap`);
          rows.push(decodeRow(view, p, len, base));
        }
        return rows;
      } finally {
        quietly(() => M.reclaim_vlen_memory_count(this.file.file_id, path, "", BigInt(ptr), [BigInt(n)]));
      }
    } finally {
      quietly(() => M._free(ptr));
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    quietly(() => this.file.close());
  }
}

function decodeRow(v: DataView, p: number, len: number, t: TypeMeta): Float64Array {
  const out = new Float64Array(len);
  const le = t.littleEndian;
  const s = t.size;
  if (t.type === 1) {
    if (s === 2) for (let i = 0; i < len; i++) out[i] = halfToFloat(v.getUint16(p + 2 * i, le));
    else if (s === 4) for (let i = 0; i < len; i++) out[i] = v.getFloat32(p + 4 * i, le);
    else for (let i = 0; i < len; i++) out[i] = Math.fround(v.getFloat64(p + 8 * i, le));
  } else if (s === 1) for (let i = 0; i < len; i++) out[i] = t.signed ? v.getInt8(p + i) : v.getUint8(p + i);
  else if (s === 2) for (let i = 0; i < len; i++) out[i] = t.signed ? v.getInt16(p + 2 * i, le) : v.getUint16(p + 2 * i, le);
  else for (let i = 0; i < len; i++) out[i] = t.signed ? v.getInt32(p + 4 * i, le) : v.getUint32(p + 4 * i, le);
  return out;
}

function describeType(m: TypeMeta): string {
  const names: Record<number, string> = { 0: "integer", 1: "float", 3: "string", 6: "compound", 9: "vlen" };
  const base = m.vlen_type ? ` of ${names[m.vlen_type.type] ?? `class ${m.vlen_type.type}`}${m.vlen_type.size * 8}` : "";
  const notSeq = m.type === 9 && m.size !== 8 ? ` (${m.size}-byte elements: not a vlen sequence)` : "";
  return `${names[m.type] ?? `class ${m.type}`}${m.type === 9 ? "" : m.size * 8}${base}${notSeq}`;
}
