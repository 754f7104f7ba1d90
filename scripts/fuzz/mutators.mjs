// Mutators: generic byte-level damage (flips, zeroed runs, truncation, extension, huge integer
// fields, splices of another format) plus format-aware ones that hit the fields a reader trusts
// (HDF5 heap objects, AEDAT packet headers and byte order, npy shapes, zip directory fields,
// cache index fields with CRCs recomputed, checkpoint JSON fields, YAML values and aliases).
import { crc32 } from "node:zlib";
import { parse, stringify } from "yaml";

const INTS = [0, 1, 2, 7, 8, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 2 ** 30, 2 ** 20, 65536, 4096];

function writeInt(b, o, width, v, le = true) {
  if (o < 0 || o + width > b.length) return;
  if (width === 1) b[o] = v & 0xff;
  else if (width === 2) le ? b.writeUInt16LE(v & 0xffff, o) : b.writeUInt16BE(v & 0xffff, o);
  else if (width === 4) le ? b.writeUInt32LE(v >>> 0, o) : b.writeUInt32BE(v >>> 0, o);
  else le ? b.writeBigUInt64LE(BigInt(v), o) : b.writeBigUInt64BE(BigInt(v), o);
}

const byteOps = {
  flip: (r, b) => {
    if (!b.length) return b;
    const n = 1 + r.int(8);
    for (let k = 0; k < n; k++) b[r.int(b.length)] ^= 1 << r.int(8);
    return b;
  },
  setByte: (r, b) => {
    if (b.length) b[r.int(b.length)] = r.pick([0, 0xff, 0x7f, 0x80, 0x23, 0x0a, 0xe9]);
    return b;
  },
  zeroRun: (r, b) => {
    if (!b.length) return b;
    const o = r.int(b.length);
    b.fill(0, o, Math.min(b.length, o + r.pick([4, 8, 16, 32, 64, 256])));
    return b;
  },
  truncate: (r, b) => b.subarray(0, r.int(b.length)),
  extend: (r, b) => {
    const x = Buffer.alloc(r.pick([1, 3, 7, 8, 28, 100, 1000]));
    for (let i = 0; i < x.length; i++) x[i] = r.int(256);
    return Buffer.concat([b, x]);
  },
  duplicate: (r, b) => {
    if (b.length < 2) return b;
    const o = r.int(b.length);
    const len = 1 + r.int(Math.min(512, b.length - o));
    const at = r.int(b.length);
    return Buffer.concat([b.subarray(0, at), b.subarray(o, o + len), b.subarray(at)]);
  },
  cut: (r, b) => {
    if (b.length < 2) return b;
    const o = r.int(b.length);
    return Buffer.concat([b.subarray(0, o), b.subarray(Math.min(b.length, o + 1 + r.int(64)))]);
  },
  intField: (r, b) => {
    if (b.length < 8) return b;
    const w = r.pick([2, 4, 4, 8]);
    const o = r.int(Math.floor((b.length - w) / w) + 1) * w;
    let v = r.pick(INTS);
    if (r.chance(0.2)) v = b.length + r.int(64) - 32;
    writeInt(b, o, w, Math.max(0, v), r.chance(0.85));
    return b;
  },
  empty: () => Buffer.alloc(0),
};

/** Replace the file by another format's seed (a "swapped format"). */
function swap(r, b, ctx) {
  const others = ctx?.otherSeeds ?? [];
  return others.length ? Buffer.from(r.pick(others)) : b;
}

function generic(r, b, ctx) {
  if (r.chance(0.03)) return swap(r, b, ctx);
  const names = Object.keys(byteOps).filter((n) => n !== "empty" || r.chance(0.1));
  return byteOps[r.pick(names)](r, Buffer.from(b));
}

// ---- format-aware ----------------------------------------------------------------------------------
function h5(r, b) {
  b = Buffer.from(b);
  const gcol = [];
  for (let i = b.indexOf("GCOL"); i >= 0; i = b.indexOf("GCOL", i + 1)) gcol.push(i);
  if (gcol.length && r.chance(0.6)) {
    // Walk to a random object header of a global heap collection, then damage it.
    const g = r.pick(gcol);
    const objs = [];
    for (let p = g + 16, k = 0; p + 16 <= b.length && k < 64; k++) {
      objs.push(p);
      const idx = b.readUInt16LE(p);
      const size = Number(b.readBigUInt64LE(p + 8));
      if (idx === 0 || size > b.length) break;
      p += 16 + Math.ceil(size / 8) * 8;
    }
    const o = r.pick(objs);
    const what = r.int(5);
    if (what === 0) b.fill(0, o, o + 16);
    else if (what === 1) b.writeBigUInt64LE(BigInt(r.pick([0, 1, 7, 0xffffffff, 2 ** 40])), o + 8);
    else if (what === 2) b.writeUInt16LE(r.pick([0, 1, 0xffff, 500]), o);
    else if (what === 3) b.writeBigUInt64LE(BigInt(r.pick([0, 16, 15, 2 ** 33])), g + 8);
    else b.fill(0, o + 16, o + 16 + r.pick([2, 8, 64]));
    return b;
  }
  return generic(r, b, {});
}

function aedat2(r, b) {
  b = Buffer.from(b);
  let hdr = 0;
  while (b[hdr] === 0x23) {
    const nl = b.indexOf(0x0a, hdr);
    if (nl < 0) break;
    hdr = nl + 1;
  }
  const n = Math.floor((b.length - hdr) / 8);
  switch (r.int(6)) {
    case 0: // a non-ASCII byte in a header line
      b[1 + r.int(Math.max(1, hdr - 2))] = r.pick([0xe9, 0x00, 0xff, 0x80]);
      return b;
    case 1: // little-endian data
      for (let i = 0; i < n; i++) {
        const o = hdr + 8 * i;
        b.writeUInt32LE(b.readUInt32BE(o), o);
        b.writeUInt32LE(b.readUInt32BE(o + 4), o + 4);
      }
      return b;
    case 2: // timestamps going backwards
      for (let i = 0; i < n; i++) if (r.chance(0.3)) b.writeUInt32BE(r.u32(), hdr + 8 * i + 4);
      return b;
    case 3: // addresses beyond DVS128
      for (let i = 0; i < n; i++) if (r.chance(0.3)) b.writeUInt32BE(r.u32(), hdr + 8 * i);
      return b;
    case 4: // header removed
      return b.subarray(hdr);
    default:
      return generic(r, b, {});
  }
}

function aedat3(r, b) {
  b = Buffer.from(b);
  const end = b.indexOf("#!END-HEADER\r\n");
  if (end < 0 || r.chance(0.3)) return generic(r, b, {});
  const packets = [];
  for (let o = end + 14; o + 28 <= b.length; ) {
    packets.push(o);
    const size = b.readInt32LE(o + 4);
    const cap = b.readInt32LE(o + 16);
    if (size <= 0 || cap < 0) break;
    o += 28 + size * cap;
  }
  if (!packets.length) return generic(r, b, {});
  const p = r.pick(packets);
  const field = r.pick([0, 4, 8, 12, 16, 20, 24]);
  switch (r.int(4)) {
    case 0:
      if (field === 0) b.writeInt16LE(r.pick([2, 7, -1, 100, 0]), p);
      else b.writeInt32LE(r.pick([-1, 0, 1, 3, 9, 0x7fffffff, -2147483648, 1 << 28]), p + field);
      return b;
    case 1: { // a negative (or huge) timestamp
      const cap = Math.max(0, b.readInt32LE(p + 16));
      if (cap) b.writeInt32LE(r.pick([-1, -1000000, 2147483647]), p + 28 + 8 * r.int(cap) + 4);
      return b;
    }
    case 2: // an extra unknown packet type
      return Buffer.concat([b, Buffer.from(b.subarray(p, p + 28)).fill(0, 0, 1).fill(r.pick([2, 9, 50]), 0, 1)]);
    default:
      return generic(r, b, {});
  }
}

function text(r, b) {
  let lines = b.toString("latin1").split("\n");
  const i = r.int(lines.length);
  switch (r.int(9)) {
    case 0: lines.splice(i, 0, lines[i] ?? ""); break; // duplicate a line (a trial listed twice)
    case 1: lines.splice(i, 1); break;
    case 2: lines = lines.slice(0, 1); break; // header only
    case 3: lines[i] = (lines[i] ?? "").replace(/\d+/, () => r.pick(["-5", "0", "99", "1e30", "9999999999999", "abc", "", "3.5", "NaN"])); break;
    case 4: lines[i] = (lines[i] ?? "").split(",").reverse().join(","); break;
    case 5: lines[i] = (lines[i] ?? "") + r.pick([",", ",,5", "\u0000", " ", ";"]); break;
    case 6: lines.splice(i, 0, r.pick(["../outside.aedat", "missing_user.aedat", "user01_lab.aedat", "/etc/hostname.aedat", ""])); break;
    case 7: return Buffer.alloc(0);
    default: return generic(r, b, {});
  }
  return Buffer.from(lines.join("\n"), "latin1");
}

function npy(r, b) {
  b = Buffer.from(b);
  if (b.length < 10 || r.chance(0.4)) return generic(r, b, {});
  const hlen = b.readUInt16LE(8);
  const header = b.subarray(10, 10 + hlen).toString("latin1");
  const shapes = ["(-3, 4)", "(38, 4)", "(#9, 4)", "(4,)", "(10000000000, 4)", "(1e3, 4)", "(0, 4)", "(2, 4, 4)", "()", "(3, 5)", "(NaN, 4)", "(9007199254740993, 4)"];
  const descrs = ["'<f8'", "'>f8'", "'<f4'", "'<i8'", "'|u1'", "'<c16'", "'<U4'", "'|O'", "'<f16'", "'<f0'"];
  let h = header;
  const what = r.int(4);
  if (what === 0) h = header.replace(/\([^)]*\)/, r.pick(shapes));
  else if (what === 1) h = header.replace(/'[<>|=][a-zA-Z]\d+'/, r.pick(descrs));
  else if (what === 2) h = header.replace("False", r.pick(["True", "1", "Fals"]));
  else {
    b.writeUInt16LE(r.pick([0, 1, hlen + 8, 0xffff, hlen - 8]), 8);
    return b;
  }
  h = h.length <= hlen ? h.padEnd(hlen - 1, " ") + "\n" : h;
  const hb = Buffer.from(h, "latin1");
  const head = Buffer.from(b.subarray(0, 10));
  head.writeUInt16LE(hb.length, 8);
  return Buffer.concat([head, hb, b.subarray(10 + hlen)]);
}

function zip(r, b) {
  b = Buffer.from(b);
  const sigs = { cd: 0x02014b50, eocd: 0x06054b50, loc64: 0x07064b50, eocd64: 0x06064b50, local: 0x04034b50 };
  const at = (sig) => {
    const s = Buffer.alloc(4);
    s.writeUInt32LE(sig);
    const out = [];
    for (let i = b.indexOf(s); i >= 0; i = b.indexOf(s, i + 1)) out.push(i);
    return out;
  };
  const fields = {
    cd: [[10, 2], [16, 4], [20, 4], [24, 4], [28, 2], [30, 2], [32, 2], [42, 4]],
    eocd: [[8, 2], [10, 2], [12, 4], [16, 4], [20, 2]],
    loc64: [[8, 8], [16, 4]],
    eocd64: [[4, 8], [24, 8], [32, 8], [40, 8], [48, 8]],
    local: [[8, 2], [18, 4], [22, 4], [26, 2], [28, 2]],
  };
  const kinds = Object.keys(fields).filter((k) => at(sigs[k]).length);
  if (!kinds.length || r.chance(0.25)) return generic(r, b, {});
  const k = r.pick(kinds);
  const o = r.pick(at(sigs[k]));
  const [f, w] = r.pick(fields[k]);
  const v = r.pick([0, 1, 0xffff, 0xfffe, 0xffffffff, 0x7fffffff, b.length, b.length + 1, 2 ** 31, 30, 46]);
  if (w === 8) {
    if (o + f + 8 <= b.length) b.writeBigUInt64LE(BigInt(r.pick([0, 1, b.length, 2 ** 40, 2 ** 53 + 1, 2 ** 63])), o + f);
  } else writeInt(b, o + f, w, v);
  return b;
}

/** Cache files: damage an index field, then recompute the CRCs so only the reader's own checks remain. */
function cache(r, b) {
  b = Buffer.from(b);
  if (b.length < 16 || b.toString("latin1", 0, 8) !== "EXOCACH1" || r.chance(0.35)) return generic(r, b, {});
  const jsonLen = b.readUInt32LE(8);
  let meta;
  try {
    meta = JSON.parse(b.toString("utf8", 16, 16 + jsonLen));
  } catch {
    return generic(r, b, {});
  }
  const n = meta.count;
  const pad8 = (x) => (x + 7) & ~7;
  const indexStart = pad8(16 + jsonLen);
  const offsetsStart = pad8(indexStart + 20 * n);
  const dataStart = offsetsStart + 8 * (n + 1);
  const i = r.int(Math.max(1, n));
  const arr = r.int(6); // labels, steps, nnz, countBytes, crc, offsets
  const vals = [-1, 0, 1, 2, 3, 99, 2 ** 30, 2 ** 31 - 1, 0xffffffff, 65536];
  if (arr < 5) writeInt(b, indexStart + 4 * n * arr + 4 * i, 4, r.pick(vals) >>> 0);
  else b.writeDoubleLE(r.pick([-8, 0, 8, 1e15, 2 ** 53, NaN, 3.5, b.length]), offsetsStart + 8 * r.int(n + 1));
  if (r.chance(0.8)) {
    // Recompute every sample CRC and the header CRC, so the damage is not caught by a checksum.
    const nnz = (j) => b.readUInt32LE(indexStart + 8 * n + 4 * j);
    for (let j = 0; j < n; j++) {
      const s = b.readDoubleLE(offsetsStart + 8 * j);
      const e = b.readDoubleLE(offsetsStart + 8 * (j + 1));
      if (Number.isInteger(s) && Number.isInteger(e) && s >= 0 && e >= s && dataStart + e <= b.length && nnz(j) >= 0)
        b.writeUInt32LE(crc32(b.subarray(dataStart + s, dataStart + e)) >>> 0, indexStart + 16 * n + 4 * j);
    }
    if (dataStart <= b.length) b.writeUInt32LE(crc32(b.subarray(16, dataStart)) >>> 0, 12);
  }
  return b;
}

/** A safetensors file: its JSON header mutated like a JSON file, the length prefix kept consistent (mostly). */
function safetensors(r, b) {
  const n = Number(b.readBigUInt64LE(0));
  const head = json(r, b.subarray(8, 8 + n));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(r.chance(0.9) ? head.length : r.pick([0, n + 1, 2 ** 40])));
  return Buffer.concat([len, head, b.subarray(8 + n)]);
}

/** A JSON file (checkpoints): remove, retype or redirect a field; byte damage otherwise. */
function json(r, b) {
  if (b.length > 8 && b.readBigUInt64LE(0) < BigInt(b.length) && b[8] === 0x7b /* { */ && r.chance(0.8)) return safetensors(r, b);
  let j;
  try {
    j = JSON.parse(b.toString("utf8"));
  } catch {
    return generic(r, b, {});
  }
  if (typeof j !== "object" || j === null || r.chance(0.25)) return generic(r, b, {});
  const paths = [];
  const walk = (o, p, d) => {
    if (d > 3 || typeof o !== "object" || o === null) return;
    for (const k of Object.keys(o).slice(0, 40)) {
      paths.push([...p, k]);
      walk(o[k], [...p, k], d + 1);
    }
  };
  walk(j, [], 0);
  if (!paths.length) return generic(r, b, {});
  const path = r.pick(paths);
  let o = j;
  for (const k of path.slice(0, -1)) o = o[k];
  const last = path[path.length - 1];
  const values = [undefined, null, "1", -1, 0, 1e308, 2 ** 53, 3.5, [], {}, "../../../../etc/hostname", "/etc/hostname", "checkpoint-0.bin", true, [1, 2], "x".repeat(5000)];
  const v = r.pick(values);
  if (v === undefined) delete o[last];
  else o[last] = v;
  return Buffer.from(JSON.stringify(j));
}

function yaml(r, b) {
  if (r.chance(0.25)) return generic(r, b, {});
  if (r.chance(0.08)) {
    // A billion-laughs alias bomb.
    let s = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n';
    for (let k = 1; k < 9; k++) s += `${String.fromCharCode(97 + k)}: &${String.fromCharCode(97 + k)} [${Array(9).fill(`*${String.fromCharCode(96 + k)}`).join(",")}]\n`;
    return Buffer.from(s + b.toString("utf8"));
  }
  let doc;
  try {
    doc = parse(b.toString("utf8"), { logLevel: "error" });
  } catch {
    return generic(r, b, {});
  }
  if (typeof doc !== "object" || doc === null) return generic(r, b, {});
  const leaves = [];
  const walk = (o, p) => {
    if (typeof o !== "object" || o === null) return;
    for (const k of Object.keys(o)) {
      leaves.push([...p, k]);
      walk(o[k], [...p, k]);
    }
  };
  walk(doc, []);
  const extra = [["model", "hidden"], ["model", "kernel"], ["model", "channels"], ["train", "lr"], ["train", "weightDecay"], ["neuron", "surrogate", "scale"],
    ["neuron", "surrogate", "width"], ["neuron", "threshold"], ["dataset", "transform"], ["train", "batchSize"], ["train", "epochs"], ["model", "initScale"]];
  const path = r.chance(0.5) ? r.pick(extra) : r.pick(leaves);
  let o = doc;
  for (const k of path.slice(0, -1)) {
    if (typeof o[k] !== "object" || o[k] === null) o[k] = {};
    o = o[k];
  }
  const values = [1e38, -1, 0, 1e-38, 1e30, 1e9, 10000001, 2 ** 31, 3.5, Infinity, -Infinity, NaN, "1", "", null, true, [], [10000000], [100000, 100000], [0], [1e9],
    { mode: "fixed", binUs: 1, steps: 1e9 }, { frame: { mode: "fixed", binUs: 1000, steps: 1e9 } }, { downsample: { spatial: 1e-9 } }, { cropTime: { start: 5, end: 1 } }, 10001, "x".repeat(300), { a: 1 }];
  o[path[path.length - 1]] = r.pick(values);
  return Buffer.from(stringify(doc));
}

/** Format → mutator of one file's bytes. */
export const MUTATORS = {
  h5,
  aedat2,
  aedat3,
  labels: text,
  npy,
  zip,
  cache,
  checkpoint: json,
  yaml,
};

/** 1–3 stacked mutations; ctx.otherSeeds are other formats' seeds (for swaps). */
export function mutate(format, r, seed, ctx) {
  let b = seed;
  const n = 1 + (r.chance(0.3) ? r.int(3) : 0);
  for (let k = 0; k < n; k++) {
    try {
      b = r.chance(0.7) ? MUTATORS[format](r, b) : generic(r, b, ctx);
    } catch {
      b = generic(r, b, ctx); // a format mutator tripped over an earlier mutation's damage
    }
  }
  return b;
}
