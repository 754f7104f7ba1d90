// A small ZIP reader: the central directory, then one entry at a time (stored or deflated), so a
// multi-GB class archive never has to sit in memory. ZIP64 sizes and offsets are supported.
import { createReadStream, createWriteStream, closeSync, fstatSync, openSync, readSync } from "node:fs";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import { createInflateRaw, inflateRawSync, crc32 as zlibCrc32 } from "node:zlib";
import { ExodusError } from "../errors.js";

export interface ZipEntry {
  name: string;
  method: number; // 0 stored, 8 deflate
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
}

const MAX_ENTRY = 2 ** 31 - 1;

function readAt(fd: number, pos: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  const got = readSync(fd, b, 0, len, pos);
  return b.subarray(0, got);
}

/** A 64-bit zip field as a number, bounded by the file it must fit in. */
function u64(b: Buffer, o: number, path: string, what: string, max: number): number {
  const v = b.readBigUInt64LE(o);
  if (v > BigInt(max)) throw new ExodusError(`${path}: ${what}: expected at most ${max}, received ${v} (corrupt zip)`);
  return Number(v);
}

/** The entries of a zip file, from its central directory. Every offset and length is checked against the file. */
export function listZip(path: string): ZipEntry[] {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const corrupt = (what: string) => new ExodusError(`${path}: ${what} (corrupt or truncated zip; re-download it)`);
    const tailLen = Math.min(size, 65557);
    const tail = readAt(fd, size - tailLen, tailLen);
    const eocd = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    if (eocd < 0 || eocd + 22 > tail.length)
      throw new ExodusError(`${path}: expected a zip file (end of central directory record), received none (truncated or not a zip)`);
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOff = tail.readUInt32LE(eocd + 16);
    if (cdOff === 0xffffffff || cdSize === 0xffffffff || count === 0xffff) {
      // ZIP64: the locator sits right before the end record and points at the ZIP64 end record.
      const loc = eocd - 20;
      if (loc < 0 || tail.readUInt32LE(loc) !== 0x07064b50) throw corrupt("expected a ZIP64 end-of-directory locator before the end record, received none");
      const z64Off = u64(tail, loc + 8, path, "ZIP64 end record offset", size - 56);
      const z64 = readAt(fd, z64Off, 56);
      if (z64.length < 56 || z64.readUInt32LE(0) !== 0x06064b50) throw corrupt(`expected a ZIP64 end record at byte ${z64Off}, received other data`);
      count = u64(z64, 32, path, "ZIP64 entry count", size);
      cdSize = u64(z64, 40, path, "ZIP64 central directory size", size);
      cdOff = u64(z64, 48, path, "ZIP64 central directory offset", size);
    }
    if (cdOff + cdSize > size)
      throw new ExodusError(`${path}: expected the central directory within the file, received offset ${cdOff} + ${cdSize} > ${size} (truncated zip)`);
    if (count * 46 > cdSize) throw corrupt(`expected ${count} entries of at least 46 bytes in a ${cdSize}-byte central directory`);
    const cd = readAt(fd, cdOff, cdSize);
    const out: ZipEntry[] = [];
    let o = 0;
    for (let i = 0; i < count; i++) {
      if (o + 46 > cd.length || cd.readUInt32LE(o) !== 0x02014b50) throw corrupt(`central directory entry ${i}: expected its signature at byte ${cdOff + o}, received other data`);
      const method = cd.readUInt16LE(o + 10);
      const crc32 = cd.readUInt32LE(o + 16);
      let compressedSize = cd.readUInt32LE(o + 20);
      let usize = cd.readUInt32LE(o + 24);
      const nameLen = cd.readUInt16LE(o + 28);
      const extraLen = cd.readUInt16LE(o + 30);
      const commentLen = cd.readUInt16LE(o + 32);
      let localHeaderOffset = cd.readUInt32LE(o + 42);
      const e0 = o + 46 + nameLen;
      const eEnd = e0 + extraLen;
      if (eEnd + commentLen > cd.length)
        throw corrupt(`central directory entry ${i}: expected name, extra field and comment (${nameLen} + ${extraLen} + ${commentLen} bytes) within the directory, received ${cd.length - o - 46} bytes left`);
      const name = cd.subarray(o + 46, e0).toString("utf8");
      // ZIP64 extra field (id 1): the 0xffffffff fields, in order usize, csize, offset.
      for (let e = e0; e + 4 <= eEnd; ) {
        const id = cd.readUInt16LE(e);
        const len = cd.readUInt16LE(e + 2);
        if (e + 4 + len > eEnd) throw corrupt(`${name}: extra field at byte ${cdOff + e}: expected ${len} bytes within the entry, received ${eEnd - e - 4}`);
        if (id === 1) {
          let p = e + 4;
          const take = (what: string) => {
            if (p + 8 > e + 4 + len) throw corrupt(`${name}: ZIP64 extra field: expected the 64-bit ${what}, received a ${len}-byte field`);
            const v = u64(cd, p, path, `${name}: ZIP64 ${what}`, Number.MAX_SAFE_INTEGER);
            p += 8;
            return v;
          };
          if (usize === 0xffffffff) usize = take("size");
          if (compressedSize === 0xffffffff) compressedSize = take("compressed size");
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = take("local header offset");
        }
        e += 4 + len;
      }
      if (localHeaderOffset + 30 + compressedSize > size)
        throw corrupt(`${name}: expected its data within the file, received local header at ${localHeaderOffset} + ${compressedSize} compressed bytes > ${size}`);
      out.push({ name, method, compressedSize, size: usize, crc32, localHeaderOffset });
      o = eEnd + commentLen;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

function dataOffset(fd: number, path: string, entry: ZipEntry): number {
  const h = readAt(fd, entry.localHeaderOffset, 30);
  if (h.length < 30 || h.readUInt32LE(0) !== 0x04034b50) throw new ExodusError(`${path}: ${entry.name}: bad local header (corrupt zip)`);
  const start = entry.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
  const size = fstatSync(fd).size;
  if (start + entry.compressedSize > size)
    throw new ExodusError(`${path}: ${entry.name}: expected ${entry.compressedSize} bytes of data from byte ${start}, received a ${size}-byte file (truncated zip)`);
  if (entry.method !== 0 && entry.method !== 8)
    throw new ExodusError(`${path}: ${entry.name}: expected stored or deflated data, received compression method ${entry.method}`);
  return start;
}

/** One entry's bytes, checked against its CRC-32. */
export function readZipEntry(path: string, entry: ZipEntry): Buffer {
  const fd = openSync(path, "r");
  try {
    const start = dataOffset(fd, path, entry);
    const raw = readAt(fd, start, entry.compressedSize);
    if (raw.length !== entry.compressedSize) throw new ExodusError(`${path}: ${entry.name}: expected ${entry.compressedSize} bytes, received ${raw.length} (truncated zip)`);
    // One entry is read into memory: a Buffer holds at most 2^31 bytes here, and the declared
    // size bounds the inflater (a deflate bomb cannot grow past it).
    if (entry.size > MAX_ENTRY)
      throw new ExodusError(`${path}: ${entry.name}: expected an entry of at most ${MAX_ENTRY} bytes to read into memory, received ${entry.size}; extract the archive first`);
    let data: Buffer;
    try {
      data = entry.method === 0 ? raw : inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) });
    } catch (e) {
      throw new ExodusError(`${path}: ${entry.name}: deflate data corrupt: ${(e as Error).message}`);
    }
    if (data.length !== entry.size)
      throw new ExodusError(`${path}: ${entry.name}: expected ${entry.size} bytes after inflating, received ${data.length} (corrupt zip)`);
    if (crc32(data) !== entry.crc32) throw new ExodusError(`${path}: ${entry.name}: CRC-32 mismatch (corrupt zip)`);
    return data;
  } finally {
    closeSync(fd);
  }
}

/** Streams one entry to a file (large entries, e.g. the 1 GB SSC .h5). */
export async function extractZipEntry(path: string, entry: ZipEntry, dest: string): Promise<void> {
  const fd = openSync(path, "r");
  let start: number;
  try {
    start = dataOffset(fd, path, entry);
  } finally {
    closeSync(fd);
  }
  const src = createReadStream(path, { start, end: start + entry.compressedSize - 1 });
  let crc = 0;
  let bytes = 0;
  const check = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      crc = crc32(chunk, crc);
      bytes += chunk.length;
      // More bytes than the directory declares: stop before a corrupt entry fills the disk.
      if (bytes > entry.size) cb(new Error(`more than the declared ${entry.size} bytes`));
      else cb(null, chunk);
    },
  });
  const stages = entry.method === 8 ? [src, createInflateRaw(), check, createWriteStream(dest)] : [src, check, createWriteStream(dest)];
  try {
    await (pipeline as (...s: unknown[]) => Promise<void>)(...stages);
  } catch (e) {
    throw new ExodusError(`${path}: ${entry.name}: extraction failed (corrupt or truncated zip): ${(e as Error).message}`);
  }
  if (bytes !== entry.size || crc !== entry.crc32)
    throw new ExodusError(`${path}: ${entry.name}: expected ${entry.size} bytes with CRC-32 ${entry.crc32}, received ${bytes} bytes with CRC-32 ${crc}`);
}

export function crc32(data: Uint8Array, prev = 0): number {
  return zlibCrc32(data, prev) >>> 0;
}
