// Seed inputs of every fuzzed format, written in the real file formats (deterministic, small).
// HDF5 and .npy seeds are the committed test fixtures; caches and checkpoints are produced by the
// library's own writers, so the seeds follow the current format of those files.
import { copyFileSync, cpSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateRawSync, crc32 } from "node:zlib";
import { Rng } from "./rng.mjs";

export const ROOT = join(import.meta.dirname, "..", "..");
const FIX = join(ROOT, "test", "fixtures", "data");

function events(rng, n, duration) {
  const out = [];
  for (let i = 0; i < n; i++) out.push({ t: rng.int(duration), x: rng.int(128), y: rng.int(128), p: rng.int(2) });
  return out.sort((a, b) => a.t - b.t);
}

function aedat3(packets) {
  const header = "#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n#Start-Time: 2017-01-01 00:00:00 (TZ+0000)\r\n#!END-HEADER\r\n";
  const bufs = [Buffer.from(header, "latin1")];
  for (const { ev, type = 1, overflow = 0 } of packets) {
    const h = Buffer.alloc(28);
    h.writeInt16LE(type, 0);
    h.writeInt16LE(1, 2);
    h.writeInt32LE(8, 4);
    h.writeInt32LE(4, 8);
    h.writeInt32LE(overflow, 12);
    h.writeInt32LE(ev.length, 16);
    h.writeInt32LE(ev.length, 20);
    h.writeInt32LE(ev.length, 24);
    const body = Buffer.alloc(8 * ev.length);
    ev.forEach((e, i) => {
      body.writeUInt32LE(((e.x << 17) | (e.y << 2) | (e.p << 1) | 1) >>> 0, 8 * i);
      body.writeInt32LE(e.t - overflow * 2 ** 31, 8 * i + 4);
    });
    bufs.push(h, body);
  }
  return Buffer.concat(bufs);
}

export function aedat2(ev, t0 = 1_000_000) {
  const header = "#!AER-DAT2.0\r\n# This is a raw AE data file - do not edit\r\n# Data format is int32 address, int32 timestamp (8 bytes total)\r\n";
  const body = Buffer.alloc(8 * ev.length);
  ev.forEach((e, i) => {
    body.writeUInt32BE(((e.y << 8) | ((127 - e.x) << 1) | (1 - e.p)) >>> 0, 8 * i);
    body.writeUInt32BE((t0 + e.t) >>> 0, 8 * i + 4);
  });
  return Buffer.concat([Buffer.from(header, "latin1"), body]);
}

/** A zip of the given entries; zip64 writes the ZIP64 end record, locator and extra fields. */
export function zip(entries, { deflate = true, zip64 = false } = {}) {
  const locals = [];
  const centrals = [];
  let off = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const comp = deflate ? deflateRawSync(e.data) : e.data;
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(zip64 ? 45 : 20, 4);
    lh.writeUInt16LE(deflate ? 8 : 0, 8);
    lh.writeUInt32LE(crc32(e.data) >>> 0, 14);
    lh.writeUInt32LE(comp.length, 18);
    lh.writeUInt32LE(e.data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    const extra = zip64 ? Buffer.alloc(28) : Buffer.alloc(0);
    if (zip64) {
      extra.writeUInt16LE(1, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(e.data.length), 4);
      extra.writeBigUInt64LE(BigInt(comp.length), 12);
      extra.writeBigUInt64LE(BigInt(off), 20);
    }
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(zip64 ? 45 : 20, 4);
    ch.writeUInt16LE(zip64 ? 45 : 20, 6);
    ch.writeUInt16LE(deflate ? 8 : 0, 10);
    ch.writeUInt32LE(crc32(e.data) >>> 0, 16);
    ch.writeUInt32LE(zip64 ? 0xffffffff : comp.length, 20);
    ch.writeUInt32LE(zip64 ? 0xffffffff : e.data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt16LE(extra.length, 30);
    ch.writeUInt32LE(zip64 ? 0xffffffff : off, 42);
    locals.push(lh, name, comp);
    centrals.push(ch, name, extra);
    off += 30 + name.length + comp.length;
  }
  const cd = Buffer.concat(centrals);
  const tail = [];
  if (zip64) {
    const z = Buffer.alloc(56);
    z.writeUInt32LE(0x06064b50, 0);
    z.writeBigUInt64LE(44n, 4);
    z.writeUInt16LE(45, 12);
    z.writeUInt16LE(45, 14);
    z.writeBigUInt64LE(BigInt(entries.length), 24);
    z.writeBigUInt64LE(BigInt(entries.length), 32);
    z.writeBigUInt64LE(BigInt(cd.length), 40);
    z.writeBigUInt64LE(BigInt(off), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(off + cd.length), 8);
    loc.writeUInt32LE(1, 16);
    tail.push(z, loc);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(zip64 ? 0xffff : entries.length, 8);
  end.writeUInt16LE(zip64 ? 0xffff : entries.length, 10);
  end.writeUInt32LE(zip64 ? 0xffffffff : cd.length, 12);
  end.writeUInt32LE(zip64 ? 0xffffffff : off, 16);
  return Buffer.concat([...locals, cd, ...tail, end]);
}

/** Writes the seed folders under dir; returns { format: [seed paths] } (a seed is a file or a folder). */
export function writeSeeds(dir) {
  const rng = new Rng(20231);
  mkdirSync(dir, { recursive: true });
  const seeds = {};
  // HDF5: the SHD/SSC-format fixtures.
  seeds.h5 = ["shd_tiny.h5", "ssc_tiny.h5"].map((f) => {
    copyFileSync(join(FIX, f), join(dir, f));
    return join(dir, f);
  });
  // AEDAT 2.0: two short CIFAR10-DVS-like recordings.
  seeds.aedat2 = [0, 1].map((k) => {
    const p = join(dir, `cifar10_cat_${k}.aedat`);
    writeFileSync(p, aedat2(events(rng, 60 + 40 * k, 1_300_000)));
    return p;
  });
  // AEDAT 3.1 + labels + trial list: a DvsGesture folder of one recording.
  const g = join(dir, "DvsGesture");
  mkdirSync(g, { recursive: true });
  const ev = events(rng, 300, 3_000_000);
  writeFileSync(join(g, "user01_lab.aedat"), aedat3([{ ev: ev.slice(0, 120) }, { ev: [], type: 0 }, { ev: ev.slice(120) }]));
  writeFileSync(join(g, "user01_lab_labels.csv"), "class,startTime_usec,endTime_usec\r\n1,0,900000\r\n4,1000000,1900000\r\n11,2000000,2900000\r\n");
  writeFileSync(join(g, "trials_to_train.txt"), "user01_lab.aedat\n");
  writeFileSync(join(g, "trials_to_test.txt"), "user01_lab.aedat\n");
  seeds.aedat3 = [join(g, "user01_lab.aedat")];
  seeds.labels = [join(g, "user01_lab_labels.csv"), join(g, "trials_to_train.txt")];
  // .npy: tonic's DVS Gesture files (fixtures).
  const npyDir = join(FIX, "gesture_npy", "ibmGestureTrain", "user01_fluorescent");
  seeds.npy = readdirSync(npyDir).map((f) => {
    copyFileSync(join(npyDir, f), join(dir, `npy_${f}`));
    return join(dir, `npy_${f}`);
  });
  // zip: a CIFAR10-DVS class archive, deflated and stored, plain and ZIP64.
  const entries = [0, 1, 100].map((k) => ({ name: `cat/cifar10_cat_${k}.aedat`, data: aedat2(events(rng, 40, 1_000_000)) }));
  seeds.zip = [
    ["cat.zip", {}],
    ["cat_stored.zip", { deflate: false }],
    ["cat_zip64.zip", { zip64: true }],
  ].map(([name, o]) => {
    writeFileSync(join(dir, name), zip(entries, o));
    return join(dir, name);
  });
  // YAML configs: the committed ones.
  seeds.yaml = readdirSync(join(ROOT, "configs")).filter((f) => f.endsWith(".yaml")).map((f) => {
    cpSync(join(ROOT, "configs", f), join(dir, f));
    return join(dir, f);
  });
  return seeds;
}
