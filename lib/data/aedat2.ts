// CIFAR10-DVS: jAER AEDAT 2.0 files (`#` header lines, then big-endian uint32 address + uint32
// timestamp µs per event), extracted or read straight out of the class zips.
//
// Orientation: readers disagree; we follow jAER's own DVS128 decoding, x = 127 - rawX, y = rawY,
// p = 1 - (addr & 1) (1 = ON). Times are made relative to the first event, with uint32 wrap-around
// undone, so fixed bins from t = 0 start at the recording's first event.
import { readFileSync } from "node:fs";
import { ExodusError } from "../errors.js";
import { type Events, allocEvents, sortByTime, truncateEvents } from "./events.js";

export type Warn = (message: string) => void;
const consoleWarn: Warn = (m) => console.warn(`exodus: ${m}`);

/**
 * Offset of the first event: after the '#' lines. A DVS128 event's first byte is the top byte of a
 * big-endian address below 2^16, i.e. 0, so a line starting with '#' is header whatever bytes it
 * holds (jAER writes paths and dates there, not always ASCII).
 */
function bodyStart(buf: Buffer, path: string): number {
  const first = buf.subarray(0, 12).toString("latin1");
  if (!first.startsWith("#!AER-DAT2"))
    throw new ExodusError(`${path}: expected an AEDAT 2.0 file starting "#!AER-DAT2.0", received ${JSON.stringify(first.split(/\r?\n/)[0].slice(0, 12))}`);
  let off = 0;
  while (off < buf.length && buf[off] === 0x23 /* # */) {
    const nl = buf.indexOf(0x0a, off);
    if (nl < 0) throw new ExodusError(`${path}: expected header lines ending in a newline, received an unterminated header (truncated?)`);
    const line = buf.toString("latin1", off, nl);
    off = nl + 1;
    if (/^#End Of ASCII Header/i.test(line)) break;
  }
  return off;
}

/**
 * Byte-order and plausibility checks of the raw words before decoding: DVS128 addresses fit in 16
 * bits and timestamps rise (but for the ~71.6-minute wrap). Little-endian data read as big-endian
 * breaks both, and would otherwise decode into events on one pixel over millions of seconds.
 */
function checkWords(buf: Buffer, start: number, n: number, path: string, warn: Warn): void {
  if (n === 0) return;
  let wide = 0;
  let back = 0;
  for (let i = 0, o = start; i < n; i++, o += 8) {
    if (buf.readUInt32BE(o) > 0xffff) wide++;
    if (i > 0) {
      const d = buf.readUInt32BE(o + 4) - buf.readUInt32BE(o - 4);
      if (d < 0 && d > -(2 ** 31)) back++; // a larger backward jump is the counter wrapping
    }
  }
  const pct = (k: number) => `${k} of ${n} (${((100 * k) / n).toFixed(1)} %)`;
  const what = [wide ? `${pct(wide)} addresses above 16 bits (DVS128 addresses fit in 16)` : "", back ? `${pct(back)} timestamps going backwards` : ""].filter(Boolean).join(" and ");
  if (!what) return;
  if (wide > n * 0.01 || back > n * 0.01)
    throw new ExodusError(`${path}: expected big-endian DVS128 events (AEDAT 2.0), received ${what}: wrong byte order? (or not a DVS128 recording, or corrupt)`);
  warn(`${path}: ${what}; wrong byte order or a damaged file? The events were read as stored.`);
}

/** Longest plausible recording: CIFAR10-DVS samples last ~1.3 s; beyond a day the times are wrong. */
const MAX_SPAN_US = 24 * 3600 * 1e6;

export function readAedat2(path: string, buf: Buffer = readFileSync(path), warn: Warn = consoleWarn): Events {
  const start = bodyStart(buf, path);
  const bytes = buf.length - start;
  if (bytes % 8 !== 0)
    throw new ExodusError(`${path}: expected 8-byte events after the header, received ${bytes} bytes (${bytes % 8} left over: truncated file)`);
  const n = bytes / 8;
  checkWords(buf, start, n, path, warn);
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
  const span = out.t.length ? out.t[out.t.length - 1] : 0;
  if (span > MAX_SPAN_US)
    throw new ExodusError(`${path}: expected a recording of at most a day, received events over ${(span / 1e6).toFixed(0)} s (${wraps} timestamp wraps): wrong byte order or a damaged file?`);
  return out;
}

export const CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"] as const;
