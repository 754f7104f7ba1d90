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
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
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
    removeStaleTemps(path);
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

/** What the opener knows the cache must hold (so a cache whose CRCs were recomputed over wrong data still fails). */
export interface CacheExpect {
  count: number;
  numClasses: number;
  featureShape: number[];
}

const MAX_JSON = 1 << 24;
/** Frames per sample are bounded by the binning scratch (see transforms.ts). */
const MAX_COUNTS = 2 ** 28;

/** Why an index is inconsistent (labels, steps, sizes and offsets against each other), or undefined. */
function checkIndex(meta: CacheMeta, labels: Int32Array, steps: Uint32Array, nnz: Uint32Array, countBytes: Uint32Array, offsets: Float64Array, expect?: CacheExpect): string | undefined {
  const n = meta.count;
  if (!Array.isArray(meta.featureShape) || !meta.featureShape.every((d) => Number.isInteger(d) && d >= 1)) return "corrupt header JSON (featureShape)";
  const features = meta.featureShape.reduce((a, b) => a * b, 1);
  if (expect) {
    if (n !== expect.count) return `${n} samples, expected ${expect.count} (stale)`;
    if (JSON.stringify(meta.featureShape) !== JSON.stringify(expect.featureShape)) return `feature shape [${meta.featureShape}], expected [${expect.featureShape}] (stale)`;
  }
  if (offsets[0] !== 0) return "corrupt index (first offset)";
  for (let i = 0; i < n; i++) {
    const len = offsets[i + 1] - offsets[i];
    if (labels[i] < -1 || (expect && labels[i] >= expect.numClasses))
      return `sample ${i}: label ${labels[i]}, expected -1 (skipped) or a class below ${expect?.numClasses ?? "the class count"} (corrupt)`;
    if (labels[i] === -1) {
      if (len !== 0) return `sample ${i}: a skipped sample with data (corrupt index)`;
      continue;
    }
    const cb = countBytes[i];
    if ((cb !== 2 && cb !== 4) || steps[i] * features > MAX_COUNTS || nnz[i] > steps[i] * features || len !== Math.ceil((nnz[i] * (4 + cb)) / 8) * 8)
      return `sample ${i}: ${nnz[i]} non-zeros of ${cb} bytes in ${len} bytes over ${steps[i]} steps (corrupt index)`;
  }
  return undefined;
}

/**
 * Removes temporary files of cache builds whose process is gone (kill -9, power loss), of any
 * cache in the folder: they are named <cache>.exocache.tmp-<pid>-<time>. A live process's build
 * is left alone.
 */
export function removeStaleTemps(path: string): void {
  const dir = dirname(path);
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) {
    const m = /\.exocache\.tmp-(\d+)-\d+$/.exec(f);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid > 0 && alive(pid)) continue;
    try {
      unlinkSync(join(dir, f));
    } catch {
      /* removed by someone else meanwhile */
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Runs build() holding <cache>.lock, so two processes opening one data set do not build the same
 * cache at once: the second waits for the first (then finds its cache valid). A lock whose process
 * is gone is taken over; a build that holds the lock longer than waitMs raises a clear error.
 */
export async function withBuildLock<T>(path: string, build: () => Promise<T>, onWait?: (m: string) => void, waitMs = 6 * 3600e3): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  const lock = `${path}.lock`;
  const started = Date.now();
  let told = false;
  for (;;) {
    try {
      writeFileSync(lock, `${process.pid}\n`, { flag: "wx" });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    let holder = NaN;
    let age = 0;
    try {
      holder = Number(readFileSync(lock, "utf8").trim());
      age = Date.now() - statSync(lock).mtimeMs;
    } catch {
      continue; // released meanwhile
    }
    // An empty lock is being written by its creator right now; unreadable for long, it is debris.
    const stale = Number.isInteger(holder) && holder > 0 ? !alive(holder) : age > 10_000;
    if (stale) {
      try {
        unlinkSync(lock); // stale: its process died mid-build
      } catch {
        /* someone else took it over first */
      }
      continue;
    }
    if (!told && holder > 0) onWait?.(`${path}: another process (pid ${holder}) is building this cache; waiting for it`);
    told ||= holder > 0;
    if (Date.now() - started > waitMs)
      throw new ExodusError(`${lock}: expected the cache build of process ${holder} to finish, received no progress for ${(waitMs / 60e3).toFixed(0)} min; stop that process or delete the lock file`);
    await new Promise((r) => setTimeout(r, 200));
  }
  try {
    return await build();
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      /* already gone */
    }
  }
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
  static open(path: string, key: string, expect?: CacheExpect): CacheReader | string {
    if (!existsSync(path)) return "missing";
    const fd = openSync(path, "r");
    try {
      const size = fstatSync(fd).size;
      const h = Buffer.alloc(16);
      if (readSync(fd, h, 0, 16, 0) < 16 || h.toString("latin1", 0, 8) !== MAGIC) return "bad magic (not an exodus cache, or corrupt)";
      const jsonLen = h.readUInt32LE(8);
      if (16 + jsonLen > size || jsonLen > MAX_JSON) return "truncated header";
      const jb = Buffer.alloc(jsonLen);
      readSync(fd, jb, 0, jsonLen, 16);
      let meta: CacheMeta;
      try {
        meta = JSON.parse(jb.toString("utf8")) as CacheMeta;
      } catch {
        return "corrupt header JSON";
      }
      const n = meta?.count;
      // Each sample takes 28 index bytes: a count the file cannot hold is corrupt, not allocated.
      if (!Number.isInteger(n) || n < 0 || 28 * n > size) return "corrupt header JSON";
      const lay = layout(jsonLen, n);
      if (lay.dataStart > size) return "truncated index";
      const head = Buffer.alloc(lay.dataStart - 16);
      readSync(fd, head, 0, head.length, 16);
      if (crc32(head) !== h.readUInt32LE(12)) return "header/index CRC mismatch";
      if (meta.version !== CACHE_VERSION || meta.key !== key) return "key mismatch (stale)";
      const arr = (k: number) => new Uint32Array(head.buffer.slice(head.byteOffset + lay.indexStart - 16 + 4 * n * k, head.byteOffset + lay.indexStart - 16 + 4 * n * (k + 1)));
      const offsets = new Float64Array(head.buffer.slice(head.byteOffset + lay.offsetsStart - 16, head.byteOffset + lay.dataStart - 16));
      if (lay.dataStart + offsets[n] !== size) return `size ${size} bytes, expected ${lay.dataStart + offsets[n]} (truncated or appended to)`;
      const labels = new Int32Array(arr(0).buffer);
      const bad = checkIndex(meta, labels, arr(1), arr(2), arr(3), offsets, expect);
      if (bad) return bad;
      return new CacheReader(path, meta, labels, arr(1), arr(2), arr(3), arr(4), offsets, lay.dataStart);
    } finally {
      closeSync(fd);
    }
  }

  get count(): number {
    return this.meta.count;
  }

  private get features(): number {
    return this.meta.featureShape.reduce((a, b) => a * b, 1);
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
    // Indices rise strictly inside [0, steps · features): the scatter into a batch relies on it.
    const limit = this.steps[i] * this.features;
    for (let j = 0; j < nz; j++) if (index[j] >= limit || (j > 0 && index[j] <= index[j - 1])) throw await this.corrupt(i, "frame index out of order or range");
    const count =
      this.countBytes[i] === 4 ? new Uint32Array(buf.buffer, buf.byteOffset + 4 * nz, nz) : Uint32Array.from(new Uint16Array(buf.buffer, buf.byteOffset + 4 * nz, nz));
    return { steps: this.steps[i], index, count };
  }

  /** Removes a cache found corrupt at sample i (the next open rebuilds it); returns the error to throw. */
  async corrupt(i: number, what = "cache data CRC mismatch"): Promise<ExodusError> {
    await this.close();
    try {
      unlinkSync(this.path);
    } catch {
      /* someone else removed it */
    }
    return new ExodusError(
      `${this.path}: sample ${i}: ${what} (corrupt cache); the file was removed and will be rebuilt when the data set is opened again`,
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

