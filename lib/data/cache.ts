// The preprocessed cache: a data set's frames, computed once, in one binary file per (source files,
// transform). Layout (little-endian):
//
//   0   "EXOCACH1"
//   8   u32 JSON length L       12  u32 CRC-32 of JSON + index
//   16  JSON (meta), zero-padded to a multiple of 8
//       index: labels i32[N], steps u32[N], nnz u32[N], countBytes u32[N], crc u32[N] (of each
//       sample's bytes), pad to 8, offsets f64[N + 1] (from the data start)
//       data: per sample index u32[nnz], then counts u16 or u32[nnz] (whichever holds the maximum)
//
// The file is written under a temporary name and renamed, so a half-written cache never looks
// valid; a truncated or altered one fails the size or CRC checks and is rebuilt. Skipped samples
// (no events) keep their slot with label -1.
import { createHash } from "node:crypto";
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { ExodusError } from "../errors.js";
import type { SparseFrames } from "./transforms.js";
import { crc32 } from "./zip.js";

const MAGIC = "EXOCACH1";
export const CACHE_VERSION = 1;

export interface CacheMeta {
  version: number;
  key: string;
  dataset: string;
  split: string;
  count: number;
  featureShape: number[];
  /** Everything the key was computed from, for humans reading a cache. */
  keyParts: unknown;
}

/** Identity of the source files: path, size and modification time (re-hashing GBs per run would not pay). */
export function fileIdentity(files: string[]): { path: string; size: number; mtimeMs: number }[] {
  return files.map((f) => {
    const s = statSync(f);
    return { path: resolve(f), size: s.size, mtimeMs: Math.floor(s.mtimeMs) };
  });
}

export function cacheKey(parts: unknown): string {
  return createHash("sha256").update(JSON.stringify({ cacheVersion: CACHE_VERSION, parts })).digest("hex");
}

export function cachePath(dir: string, dataset: string, split: string, key: string): string {
  return join(dir, `${dataset}-${split}-${key.slice(0, 16)}.exocache`);
}

const pad8 = (n: number) => (n + 7) & ~7;

function layout(jsonLen: number, n: number) {
  const jsonStart = 16;
  const indexStart = pad8(jsonStart + jsonLen);
  const offsetsStart = pad8(indexStart + 20 * n);
  const dataStart = offsetsStart + 8 * (n + 1);
  return { jsonStart, indexStart, offsetsStart, dataStart };
}

/** Writes a cache sample by sample; commit() renames it into place. */
export class CacheWriter {
  private fd: number;
  private tmp: string;
  private pos: number;
  private i = 0;
  private readonly labels: Int32Array;
  private readonly steps: Uint32Array;
  private readonly nnz: Uint32Array;
  private readonly countBytes: Uint32Array;
  private readonly crcs: Uint32Array;
  private readonly offsets: Float64Array;
  private readonly json: Buffer;
  private readonly lay: ReturnType<typeof layout>;

  constructor(
    readonly path: string,
    readonly meta: CacheMeta,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
    this.fd = openSync(this.tmp, "w");
    const n = meta.count;
    this.json = Buffer.from(JSON.stringify(meta));
    this.lay = layout(this.json.length, n);
    this.pos = this.lay.dataStart;
    this.labels = new Int32Array(n);
    this.steps = new Uint32Array(n);
    this.nnz = new Uint32Array(n);
    this.countBytes = new Uint32Array(n);
    this.crcs = new Uint32Array(n);
    this.offsets = new Float64Array(n + 1);
  }

  /** Appends the next sample; frames null marks a skipped sample. */
  add(label: number, frames: SparseFrames | null): void {
    const i = this.i++;
    if (i >= this.meta.count) throw new ExodusError(`${this.path}: expected ${this.meta.count} samples, received more`);
    this.offsets[i] = this.pos - this.lay.dataStart;
    if (!frames) {
      this.labels[i] = -1;
      this.offsets[i + 1] = this.offsets[i];
      return;
    }
    const nz = frames.index.length;
    let max = 0;
    for (let j = 0; j < nz; j++) if (frames.count[j] > max) max = frames.count[j];
    const cb = max > 0xffff ? 4 : 2;
    const buf = Buffer.alloc(pad8(nz * (4 + cb)));
    Buffer.from(frames.index.buffer, frames.index.byteOffset, nz * 4).copy(buf, 0);
    const counts = cb === 4 ? frames.count : Uint16Array.from(frames.count);
    Buffer.from(counts.buffer, counts.byteOffset, nz * cb).copy(buf, nz * 4);
    writeSync(this.fd, buf, 0, buf.length, this.pos);
    this.pos += buf.length;
    this.labels[i] = label;
    this.steps[i] = frames.steps;
    this.nnz[i] = nz;
    this.countBytes[i] = cb;
    this.crcs[i] = crc32(buf);
    this.offsets[i + 1] = this.pos - this.lay.dataStart;
  }

  commit(): void {
    const n = this.meta.count;
    if (this.i !== n) throw new ExodusError(`${this.path}: expected ${n} samples, received ${this.i}`);
    const { jsonStart, indexStart, offsetsStart, dataStart } = this.lay;
    const head = Buffer.alloc(dataStart);
    head.write(MAGIC, 0, "latin1");
    head.writeUInt32LE(this.json.length, 8);
    this.json.copy(head, jsonStart);
    const arrays = [this.labels, this.steps, this.nnz, this.countBytes, this.crcs];
    arrays.forEach((a, k) => Buffer.from(a.buffer).copy(head, indexStart + 4 * n * k));
    Buffer.from(this.offsets.buffer).copy(head, offsetsStart);
    head.writeUInt32LE(crc32(head.subarray(jsonStart)), 12);
    writeSync(this.fd, head, 0, head.length, 0);
    closeSync(this.fd);
    renameSync(this.tmp, this.path);
  }

  abort(): void {
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
    if (existsSync(this.tmp)) unlinkSync(this.tmp);
  }
}

export interface CacheLayout {
  path: string;
  dataStart: number;
  offsets: Float64Array;
  nnz: Uint32Array;
  countBytes: Uint32Array;
  crcs: Uint32Array;
  steps: Uint32Array;
}

/** An open cache: the index in memory, samples read on demand (asynchronously, for prefetching). */
export class CacheReader {
  private handle: Promise<FileHandle> | undefined;

  private constructor(
    readonly path: string,
    readonly meta: CacheMeta,
    readonly labels: Int32Array,
    readonly steps: Uint32Array,
    private readonly nnz: Uint32Array,
    private readonly countBytes: Uint32Array,
    private readonly crcs: Uint32Array,
    private readonly offsets: Float64Array,
    private readonly dataStart: number,
  ) {}

  /**
   * Opens and validates a cache (magic, CRC of the header and index, file size, key). Returns the
   * reason instead when it is unusable, so the caller can rebuild it.
   */
  static open(path: string, key: string): CacheReader | string {
    if (!existsSync(path)) return "missing";
    const fd = openSync(path, "r");
    try {
      const size = fstatSync(fd).size;
      const h = Buffer.alloc(16);
      if (readSync(fd, h, 0, 16, 0) < 16 || h.toString("latin1", 0, 8) !== MAGIC) return "bad magic (not an exodus cache, or corrupt)";
      const jsonLen = h.readUInt32LE(8);
      if (16 + jsonLen > size) return "truncated header";
      const jb = Buffer.alloc(jsonLen);
      readSync(fd, jb, 0, jsonLen, 16);
      let meta: CacheMeta;
      try {
        meta = JSON.parse(jb.toString("utf8")) as CacheMeta;
      } catch {
        return "corrupt header JSON";
      }
      const n = meta.count;
      if (!Number.isInteger(n) || n < 0) return "corrupt header JSON";
      const lay = layout(jsonLen, n);
      if (lay.dataStart > size) return "truncated index";
      const head = Buffer.alloc(lay.dataStart - 16);
      readSync(fd, head, 0, head.length, 16);
      if (crc32(head) !== h.readUInt32LE(12)) return "header/index CRC mismatch";
      if (meta.version !== CACHE_VERSION || meta.key !== key) return "key mismatch (stale)";
      const arr = (k: number) => new Uint32Array(head.buffer.slice(head.byteOffset + lay.indexStart - 16 + 4 * n * k, head.byteOffset + lay.indexStart - 16 + 4 * n * (k + 1)));
      const offsets = new Float64Array(head.buffer.slice(head.byteOffset + lay.offsetsStart - 16, head.byteOffset + lay.dataStart - 16));
      if (lay.dataStart + offsets[n] !== size) return `size ${size} bytes, expected ${lay.dataStart + offsets[n]} (truncated or appended to)`;
      return new CacheReader(path, meta, new Int32Array(arr(0).buffer), arr(1), arr(2), arr(3), arr(4), offsets, lay.dataStart);
    } finally {
      closeSync(fd);
    }
  }

  get count(): number {
    return this.meta.count;
  }

  /** Sample i's frames, after checking its CRC. A mismatch deletes the file (the next open rebuilds it). */
  async read(i: number): Promise<SparseFrames> {
    // One handle shared by concurrent reads (a batch reads its samples in parallel).
    this.handle ??= open(this.path, "r");
    const fh = await this.handle;
    const start = this.offsets[i];
    const len = this.offsets[i + 1] - start;
    const buf = Buffer.alloc(len);
    const { bytesRead } = await fh.read(buf, 0, len, this.dataStart + start);
    if (bytesRead !== len || crc32(buf) !== this.crcs[i]) throw await this.corrupt(i);
    const nz = this.nnz[i];
    const index = new Uint32Array(buf.buffer, buf.byteOffset, nz);
    const count =
      this.countBytes[i] === 4 ? new Uint32Array(buf.buffer, buf.byteOffset + 4 * nz, nz) : Uint32Array.from(new Uint16Array(buf.buffer, buf.byteOffset + 4 * nz, nz));
    return { steps: this.steps[i], index, count };
  }

  /** Removes a cache found corrupt at sample i (the next open rebuilds it); returns the error to throw. */
  async corrupt(i: number): Promise<ExodusError> {
    await this.close();
    try {
      unlinkSync(this.path);
    } catch {
      /* someone else removed it */
    }
    return new ExodusError(
      `${this.path}: sample ${i}: cache data CRC mismatch (corrupt cache); the file was removed and will be rebuilt when the data set is opened again`,
    );
  }

  /** What a reader in another thread needs (copies of the index). */
  get layout(): CacheLayout {
    return { path: this.path, dataStart: this.dataStart, offsets: this.offsets.slice(), nnz: this.nnz.slice(), countBytes: this.countBytes.slice(), crcs: this.crcs.slice(), steps: this.steps.slice() };
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    await (await h?.catch(() => undefined))?.close();
  }
}

