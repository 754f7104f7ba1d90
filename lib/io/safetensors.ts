// safetensors (https://github.com/huggingface/safetensors, "Format"): an unsigned 64-bit
// little-endian header length N, N bytes of UTF-8 JSON {name: {dtype, shape, data_offsets:
// [begin, end]}, "__metadata__": {string: string}}, then the tensors' raw little-endian bytes.
// Offsets count from the first byte after the header. The spec requires the header to start with
// "{" (it may be padded with spaces), the tensors to be C-ordered, not to overlap, and to cover
// the byte buffer without holes; the reader checks all of that before touching the data, so a
// damaged or hostile file is an error naming the file, never a wrong tensor or a huge allocation.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { ExodusError } from "../errors.js";

export interface NamedTensor {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
  metadata: Record<string, string>;
}

/** The reference implementation's limit on the header; real headers are a few MB at most. */
const MAX_HEADER = 100 * 2 ** 20;

/** The file's bytes: 8-byte length, the JSON header padded with spaces to 8 bytes, the F32 data. */
export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    if (t.name === "__metadata__" || t.name in header) throw new ExodusError(`safetensors: tensor name ${JSON.stringify(t.name)} is used twice or reserved`);
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new ExodusError(`safetensors: tensor ${t.name} has shape [${t.shape.join(", ")}] but ${t.data.length} values`);
    header[t.name] = { dtype: "F32", shape: [...t.shape], data_offsets: [offset, offset + 4 * n] };
    offset += 4 * n;
  }
  let json = JSON.stringify(header);
  // Pad so the data starts 8-byte aligned (the reference writer does the same).
  const len = Buffer.byteLength(json, "utf8");
  json += " ".repeat((8 - ((8 + len) % 8)) % 8);
  const head = Buffer.from(json, "utf8");
  const out = Buffer.alloc(8 + head.length + offset);
  out.writeBigUInt64LE(BigInt(head.length), 0);
  head.copy(out, 8);
  let at = 8 + head.length;
  for (const t of tensors) {
    const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    bytes.copy(out, at); // Float32Array is little-endian on every platform Node supports
    at += bytes.length;
  }
  return out;
}

/** Writes a file so that a crash leaves the old file or the new one, never a partial one. */
export function writeFileAtomic(path: string, bytes: Buffer | string): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  try {
    const fd = openSync(tmp, "w");
    try {
      const buf = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes;
      let done = 0;
      while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new ExodusError(`${path}: could not write the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function writeSafetensors(path: string, tensors: readonly NamedTensor[], metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

function bad(path: string, what: string): never {
  throw new ExodusError(`${path}: not a valid safetensors file: ${what}`);
}

/** Parses and checks a safetensors file held in memory (F32 tensors only: what exodus writes). */
export function decodeSafetensors(bytes: Uint8Array, path = "safetensors"): SafetensorsFile {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 8) bad(path, `expected at least 8 bytes (the header length), received ${buf.length}`);
  const n = buf.readBigUInt64LE(0);
  if (n < 2n || n > BigInt(Math.min(MAX_HEADER, buf.length - 8)))
    bad(path, `the header length field says ${n} bytes but the file has ${buf.length - 8} bytes after it${n > BigInt(MAX_HEADER) ? ` (limit ${MAX_HEADER})` : ""}`);
  const headLen = Number(n);
  const text = buf.subarray(8, 8 + headLen).toString("utf8");
  if (!text.startsWith("{")) bad(path, `expected the JSON header to start with "{", received ${JSON.stringify(text.slice(0, 16))}`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    bad(path, `the JSON header does not parse (${(e as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) bad(path, "expected the header to be a JSON object");
  const dataStart = 8 + headLen;
  const dataLen = buf.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof v !== "object" || v === null || Array.isArray(v)) bad(path, "expected __metadata__ to be an object of strings");
      for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
        if (typeof s !== "string") bad(path, `expected __metadata__.${k} to be a string, received ${typeof s}`);
        metadata[k] = s;
      }
      continue;
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== "object" || e === null) bad(path, `tensor ${name}: expected {dtype, shape, data_offsets}`);
    if (e.dtype !== "F32") bad(path, `tensor ${name}: expected dtype "F32" (exodus stores float32), received ${JSON.stringify(e.dtype)}`);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      bad(path, `tensor ${name}: expected shape to be a list of integers >= 0, received ${JSON.stringify(shape)}`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[1] < off[0])
      bad(path, `tensor ${name}: expected data_offsets [begin, end] with 0 <= begin <= end, received ${JSON.stringify(off)}`);
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (off[1] - off[0] !== 4 * count)
      bad(path, `tensor ${name}: shape [${shape.join(", ")}] needs ${4 * count} bytes, data_offsets span ${off[1] - off[0]}`);
    if (off[1] > dataLen) bad(path, `tensor ${name}: data_offsets end at ${off[1]} but the data has ${dataLen} bytes (file cut short?)`);
    entries.push({ name, shape: shape as number[], begin: off[0], end: off[1] });
  }
  // The spec: no overlaps and no holes; the buffer is exactly the tensors.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of sorted) {
    if (e.begin !== at) bad(path, `tensor ${e.name} starts at byte ${e.begin}, expected ${at} (tensors must not overlap or leave holes)`);
    at = e.end;
  }
  if (at !== dataLen) bad(path, `the tensors cover ${at} bytes of data but the file holds ${dataLen} (trailing bytes)`);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const e of entries) {
    const data = new Float32Array((e.end - e.begin) / 4);
    Buffer.from(data.buffer).set(buf.subarray(dataStart + e.begin, dataStart + e.end));
    tensors.set(e.name, { shape: e.shape, data });
  }
  return { tensors, metadata };
}

export function readSafetensors(path: string): SafetensorsFile {
  let bytes: Buffer;
  try {
    if (statSync(path).isDirectory()) throw Object.assign(new Error(), { code: "EISDIR" });
    bytes = readFileSync(path);
  } catch (e) {
    throw new ExodusError(`${path}: expected a readable safetensors file, received ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return decodeSafetensors(bytes, path);
}
