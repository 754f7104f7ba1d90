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

function readAt(fd: number, pos: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  const got = readSync(fd, b, 0, len, pos);
  return b.subarray(0, got);
}

/** The entries of a zip file, from its central directory. */
export function listZip(path: string): ZipEntry[] {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const tailLen = Math.min(size, 65557);
    const tail = readAt(fd, size - tailLen, tailLen);
    const eocd = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    if (eocd < 0) throw new ExodusError(`${path}: expected a zip file (end of central directory record), received none (truncated or not a zip)`);
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOff = tail.readUInt32LE(eocd + 16);
    if (cdOff === 0xffffffff || count === 0xffff) {
      const loc = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x06, 0x07]));
      if (loc < 0) throw new ExodusError(`${path}: expected a ZIP64 locator, received none (corrupt zip)`);
      const z64 = readAt(fd, Number(tail.readBigUInt64LE(loc + 8)), 56);
      if (z64.readUInt32LE(0) !== 0x06064b50) throw new ExodusError(`${path}: expected a ZIP64 end record, received garbage (corrupt zip)`);
      count = Number(z64.readBigUInt64LE(32));
      cdSize = Number(z64.readBigUInt64LE(40));
      cdOff = Number(z64.readBigUInt64LE(48));
    }
    if (cdOff + cdSize > size) throw new ExodusError(`${path}: expected the central directory within the file, received offset ${cdOff} + ${cdSize} > ${size} (truncated zip)`);
    const cd = readAt(fd, cdOff, cdSize);
    const out: ZipEntry[] = [];
    let o = 0;
    for (let i = 0; i < count; i++) {
      if (o + 46 > cd.length || cd.readUInt32LE(o) !== 0x02014b50) throw new ExodusError(`${path}: central directory entry ${i}: bad signature (corrupt zip)`);
      const method = cd.readUInt16LE(o + 10);
      const crc32 = cd.readUInt32LE(o + 16);
      let compressedSize = cd.readUInt32LE(o + 20);
      let usize = cd.readUInt32LE(o + 24);
      const nameLen = cd.readUInt16LE(o + 28);
      const extraLen = cd.readUInt16LE(o + 30);
      const commentLen = cd.readUInt16LE(o + 32);
      let localHeaderOffset = cd.readUInt32LE(o + 42);
      const name = cd.subarray(o + 46, o + 46 + nameLen).toString("utf8");
      // ZIP64 extra field (id 1): the 0xffffffff fields, in order usize, csize, offset.
      let e = o + 46 + nameLen;
      const eEnd = e + extraLen;
      while (e + 4 <= eEnd) {
        const id = cd.readUInt16LE(e);
        const len = cd.readUInt16LE(e + 2);
        if (id === 1) {
          let p = e + 4;
          if (usize === 0xffffffff) (usize = Number(cd.readBigUInt64LE(p))), (p += 8);
          if (compressedSize === 0xffffffff) (compressedSize = Number(cd.readBigUInt64LE(p))), (p += 8);
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = Number(cd.readBigUInt64LE(p));
        }
        e += 4 + len;
      }
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
    let data: Buffer;
    try {
      data = entry.method === 0 ? raw : inflateRawSync(raw);
    } catch (e) {
      throw new ExodusError(`${path}: ${entry.name}: deflate data corrupt: ${(e as Error).message}`);
    }
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
      cb(null, chunk);
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
