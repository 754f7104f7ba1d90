// Writers of the real file formats for tests (AEDAT 3.1, AEDAT 2.0, zip, npy), and seeded events.
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateRawSync, crc32 } from "node:zlib";
import { Rng } from "../../lib/random.js";

export const FIXTURES = join(import.meta.dirname, "..", "fixtures", "data");

export function tmp(prefix = "exodus-data-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A CLI training set-up on the tiny SHD fixture (7 samples, as train and test files): the data
 * root, a config `tiny.yaml` with the given train settings (evaluated on test: the fixture is too
 * small to hold out a validation split) and the run folder's path.
 */
export function tinyShdRun(prefix: string, train: string, extra = ""): { root: string; dir: string; cfg: string; out: string } {
  const root = tmp(`${prefix}data-`);
  copyFileSync(join(FIXTURES, "shd_tiny.h5"), join(root, "shd_train.h5"));
  copyFileSync(join(FIXTURES, "shd_tiny.h5"), join(root, "shd_test.h5"));
  const dir = tmp(`${prefix}run-`);
  const cfg = join(dir, "tiny.yaml");
  writeFileSync(cfg, `dataset: {name: shd}\nmodel: {hidden: [16, 16]}\ntrain: {${train}, evalSplit: test}\n${extra}`);
  return { root, dir, cfg, out: join(dir, "run") };
}

export interface RawEvent {
  t: number;
  x: number;
  y: number;
  p: number;
}

/** Random DVS events sorted by time in [0, duration) µs; never empty. */
export function randomEvents(rng: Rng, n: number, duration: number, size = 128): RawEvent[] {
  const out: RawEvent[] = [];
  for (let i = 0; i < n; i++) out.push({ t: rng.int(duration), x: rng.int(size), y: rng.int(size), p: rng.int(2) });
  return out.sort((a, b) => a.t - b.t);
}

/** AEDAT 3.1 packet of polarity events; `invalid` indices get valid bit 0. */
export function aedat3Packet(events: RawEvent[], overflow = 0, invalid: number[] = [], type = 1): Buffer {
  const h = Buffer.alloc(28);
  h.writeInt16LE(type, 0);
  h.writeInt16LE(1, 2);
  h.writeInt32LE(8, 4);
  h.writeInt32LE(4, 8);
  h.writeInt32LE(overflow, 12);
  h.writeInt32LE(events.length, 16);
  h.writeInt32LE(events.length - invalid.length, 20);
  h.writeInt32LE(events.length - invalid.length, 24);
  const body = Buffer.alloc(8 * events.length);
  events.forEach((e, i) => {
    const data = ((e.x << 17) | (e.y << 2) | (e.p << 1) | (invalid.includes(i) ? 0 : 1)) >>> 0;
    body.writeUInt32LE(data, 8 * i);
    body.writeInt32LE(e.t - overflow * 2 ** 31, 8 * i + 4);
  });
  return Buffer.concat([h, body]);
}

export function aedat3File(packets: Buffer[]): Buffer {
  const header = "#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n#Start-Time: 2017-01-01 00:00:00 (TZ+0000)\r\n#!END-HEADER\r\n";
  return Buffer.concat([Buffer.from(header, "latin1"), ...packets]);
}

/** AEDAT 2.0 (jAER DVS128): inverse of the documented decoding, x = 127 - rawX, p = 1 - bit0. */
export function aedat2File(events: RawEvent[], t0 = 1_000_000, special: number[] = []): Buffer {
  const header = "#!AER-DAT2.0\r\n# This is a raw AE data file - do not edit\r\n# Data format is int32 address, int32 timestamp (8 bytes total)\r\n";
  const body = Buffer.alloc(8 * events.length);
  events.forEach((e, i) => {
    const addr = special.includes(i) ? 0x8000 : ((e.y << 8) | ((127 - e.x) << 1) | (1 - e.p)) >>> 0;
    body.writeUInt32BE(addr, 8 * i);
    body.writeUInt32BE((t0 + e.t) >>> 0, 8 * i + 4);
  });
  return Buffer.concat([Buffer.from(header, "latin1"), body]);
}

/** A zip archive (deflated entries, or stored ones). */
export function zipFile(entries: { name: string; data: Buffer }[], deflate = true): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let off = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const comp = deflate ? deflateRawSync(e.data) : e.data;
    const crc = crc32(e.data) >>> 0;
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(deflate ? 8 : 0, 8);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(comp.length, 18);
    lh.writeUInt32LE(e.data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(deflate ? 8 : 0, 10);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(comp.length, 20);
    ch.writeUInt32LE(e.data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(off, 42);
    locals.push(lh, name, comp);
    centrals.push(ch, name);
    off += 30 + name.length + comp.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(off, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** A version-1 .npy of float64 rows. */
export function npyFile(rows: number[][], descr = "<f8"): Buffer {
  const cols = rows[0]?.length ?? 0;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${rows.length}, ${cols}), }`;
  while ((10 + header.length + 1) % 64 !== 0) header += " ";
  header += "\n";
  const pre = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(pre);
  pre.writeUInt16LE(header.length, 8);
  const size = Number(descr.slice(2));
  const body = Buffer.alloc(rows.length * cols * size);
  rows.flat().forEach((v, i) => {
    if (descr === "<f8") body.writeDoubleLE(v, 8 * i);
    else if (descr === "<i8") body.writeBigInt64LE(BigInt(v), 8 * i);
    else if (descr === "<f4") body.writeFloatLE(v, 4 * i);
    else throw new Error(`npyFile: ${descr} not written by this helper`);
  });
  return Buffer.concat([pre, Buffer.from(header, "latin1"), body]);
}
