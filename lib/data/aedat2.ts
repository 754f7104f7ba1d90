// CIFAR10-DVS: jAER AEDAT 2.0 files (`#` header lines, then big-endian uint32 address + uint32
// timestamp µs per event), extracted or read straight out of the class zips.
//
// Orientation: readers disagree; we follow jAER's own DVS128 decoding, x = 127 - rawX, y = rawY,
// p = 1 - (addr & 1) (1 = ON). Times are made relative to the first event, with uint32 wrap-around
// undone, so fixed bins from t = 0 start at the recording's first event.
import { readFileSync } from "node:fs";
import { ExodusError } from "../errors.js";
import { type Events, allocEvents, sortByTime, truncateEvents } from "./events.js";

/** Offset of the first event: after the '#' lines (printable text ending in a newline). */
function bodyStart(buf: Buffer, path: string): number {
  const first = buf.subarray(0, 12).toString("latin1");
  if (!first.startsWith("#!AER-DAT2"))
    throw new ExodusError(`${path}: expected an AEDAT 2.0 file starting "#!AER-DAT2.0", received ${JSON.stringify(first.split(/\r?\n/)[0].slice(0, 12))}`);
  let off = 0;
  while (off < buf.length && buf[off] === 0x23 /* # */) {
    const nl = buf.indexOf(0x0a, off);
    if (nl < 0) throw new ExodusError(`${path}: expected header lines ending in a newline, received an unterminated header (truncated?)`);
    // A binary event can start with 0x23 too: a header line is printable text.
    let text = true;
    for (let i = off; i < nl; i++) if (buf[i] < 0x09 || buf[i] > 0x7e) text = false;
    if (!text) break;
    off = nl + 1;
  }
  return off;
}

export function readAedat2(path: string, buf: Buffer = readFileSync(path)): Events {
  const start = bodyStart(buf, path);
  const bytes = buf.length - start;
  if (bytes % 8 !== 0)
    throw new ExodusError(`${path}: expected 8-byte events after the header, received ${bytes} bytes (${bytes % 8} left over: truncated file)`);
  const n = bytes / 8;
  const e = allocEvents(n);
  let k = 0;
  let wraps = 0;
  let prev = -1;
  let t0 = -1;
  for (let i = 0, o = start; i < n; i++, o += 8) {
    const addr = buf.readUInt32BE(o);
    const ts = buf.readUInt32BE(o + 4);
    // A large backwards jump is the 32-bit µs counter wrapping (every ~71.6 minutes).
    if (prev >= 0 && ts < prev && prev - ts > 2 ** 31) wraps++;
    prev = ts;
    if (addr & 0x8000) continue; // external / special event
    const t = wraps * 2 ** 32 + ts;
    if (t0 < 0) t0 = t;
    e.x[k] = 127 - ((addr >>> 1) & 0x7f);
    e.y[k] = (addr >>> 8) & 0x7f;
    e.p[k] = 1 - (addr & 1);
    e.t[k] = t - t0;
    k++;
  }
  const out = sortByTime(truncateEvents(e, k));
  // Sorting may move an earlier timestamp first: re-base so t starts at 0.
  if (out.t.length && out.t[0] !== 0) {
    const base = out.t[0];
    for (let i = 0; i < out.t.length; i++) out.t[i] -= base;
  }
  return out;
}

export const CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"] as const;
