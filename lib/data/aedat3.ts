// DVS Gesture, IBM's original release: AEDAT 3.1 recordings (userNN_<light>.aedat), one labels CSV
// per recording (class,startTime_usec,endTime_usec) and trials_to_{train,test}.txt. One sample per
// labelled interval, its events start ≤ t < end, with times made relative to the interval start.
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { ExodusError, MissingDataError } from "../errors.js";
import { type Events, type SensorSize, allocEvents, sortByTime, truncateEvents } from "./events.js";
import { lowerBound } from "./transforms.js";

export const DVS128_SENSOR: SensorSize = { width: 128, height: 128, polarities: 2 };
const POLARITY_EVENT = 1;
/** cAER's event types: 0 special, 1 polarity, 2 frame, 3 IMU6, 4 IMU9, 5 sample, 6 ear, 7 config, 8–11 point1D–4D, 12 spike. */
const LAST_EVENT_TYPE = 12;
const PACKET_HEADER = 28;

/** The end of the ASCII header: the byte after "#!END-HEADER\r\n". */
function headerEnd(buf: Buffer, path: string): number {
  const first = buf.subarray(0, 64).toString("latin1");
  if (!first.startsWith("#!AER-DAT3"))
    throw new ExodusError(
      `${path}: expected an AEDAT 3.1 file starting "#!AER-DAT3.1", received ${JSON.stringify(first.split(/\r?\n/)[0].slice(0, 20))}`,
    );
  const marker = buf.indexOf("#!END-HEADER\r\n", 0, "latin1");
  if (marker < 0) throw new ExodusError(`${path}: expected the AEDAT 3.1 header to end with "#!END-HEADER", received none (truncated?)`);
  return marker + "#!END-HEADER\r\n".length;
}

/** All polarity events of an AEDAT 3.1 file, sorted by time (µs, with the overflow counter). */
export function readAedat3(path: string, buf: Buffer = readFileSync(path)): Events {
  let off = headerEnd(buf, path);
  // Count first, then fill: files run to hundreds of MB, so no growing arrays.
  let total = 0;
  const packets: { off: number; size: number; capacity: number; overflow: number }[] = [];
  while (off < buf.length) {
    if (off + PACKET_HEADER > buf.length)
      throw new ExodusError(`${path}: expected a 28-byte packet header at byte ${off}, received ${buf.length - off} bytes (truncated file)`);
    const type = buf.readInt16LE(off);
    const size = buf.readInt32LE(off + 4);
    const tsOffset = buf.readInt32LE(off + 8);
    const overflow = buf.readInt32LE(off + 12);
    const capacity = buf.readInt32LE(off + 16);
    const number = buf.readInt32LE(off + 20);
    if (type < 0 || type > LAST_EVENT_TYPE)
      throw new ExodusError(
        `${path}: packet at byte ${off}: expected an eventType 0..${LAST_EVENT_TYPE} (AEDAT 3.1; 1 = polarity), received ${type} (corrupt file?)`,
      );
    if (overflow < 0)
      throw new ExodusError(`${path}: packet at byte ${off}: expected eventTSOverflow >= 0, received ${overflow} (corrupt file)`);
    if (size <= 0 || capacity < 0 || number < 0 || number > capacity || tsOffset < 0 || tsOffset + 4 > size)
      throw new ExodusError(
        `${path}: packet at byte ${off}: expected eventSize > 0 and 0 <= eventNumber <= eventCapacity, received size ${size}, ` +
          `number ${number}, capacity ${capacity}, tsOffset ${tsOffset} (corrupt file)`,
      );
    const payload = off + PACKET_HEADER;
    const end = payload + capacity * size;
    if (end > buf.length)
      throw new ExodusError(
        `${path}: packet at byte ${off}: expected ${capacity * size} payload bytes, received ${buf.length - payload} (truncated file)`,
      );
    if (type === POLARITY_EVENT) {
      if (size !== 8) throw new ExodusError(`${path}: packet at byte ${off}: expected polarity events of 8 bytes, received ${size}`);
      packets.push({ off: payload, size, capacity, overflow });
      total += capacity;
    }
    off = end;
  }
  const e = allocEvents(total);
  let n = 0;
  for (const pk of packets) {
    const high = pk.overflow * 2 ** 31;
    for (let i = 0, o = pk.off; i < pk.capacity; i++, o += 8) {
      const data = buf.readUInt32LE(o);
      if ((data & 1) === 0) continue; // invalid (padding, or filtered out by the recorder)
      const x = (data >>> 17) & 0x7fff;
      const y = (data >>> 2) & 0x7fff;
      if (x >= 128 || y >= 128)
        throw new ExodusError(`${path}: event at byte ${o}: expected x, y < 128 (DVS128), received x=${x}, y=${y} (corrupt file)`);
      const ts = buf.readInt32LE(o + 4);
      if (ts < 0)
        throw new ExodusError(`${path}: event at byte ${o}: expected a timestamp >= 0 µs, received ${ts} (corrupt file)`);
      e.t[n] = high + ts;
      e.x[n] = x;
      e.y[n] = y;
      e.p[n] = (data >>> 1) & 1;
      n++;
    }
  }
  return sortByTime(truncateEvents(e, n));
}

export interface LabelledInterval {
  label: number; // 0-based (the CSV's classes 1..11 minus one)
  start: number;
  end: number;
}

/** userNN_<light>_labels.csv: header class,startTime_usec,endTime_usec; classes 1..11. */
export function readGestureLabels(path: string): LabelledInterval[] {
  if (!existsSync(path)) throw new MissingDataError(`${path}: expected the labels CSV of the recording, received no such file`);
  const lines = readFileSync(path, "utf8").split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length === 0 || !/^class\s*,\s*startTime_usec\s*,\s*endTime_usec/.test(lines[0]))
    throw new ExodusError(`${path}: expected the header "class,startTime_usec,endTime_usec", received ${JSON.stringify(lines[0] ?? "")}`);
  const out: LabelledInterval[] = [];
  const seen = new Map<string, number>();
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i].split(",").map((s) => s.trim());
    const [c, s, e] = f.map((x) => (/^\d+$/.test(x) ? Number(x) : NaN));
    if (f.length !== 3 || ![c, s, e].every(Number.isSafeInteger) || c < 1 || c > 11 || e <= s)
      throw new ExodusError(
        `${path}: line ${i + 1}: expected class 1..11 and integers 0 <= start < end ("class,startTime_usec,endTime_usec"), received ${JSON.stringify(lines[i].slice(0, 200))}; fix or re-extract the file`,
      );
    const key = `${c},${s},${e}`;
    if (seen.has(key)) throw new ExodusError(`${path}: line ${i + 1}: expected each labelled interval once, received a repeat of line ${seen.get(key)} (${key}); remove the duplicate line`);
    seen.set(key, i + 1);
    out.push({ label: c - 1, start: s, end: e });
  }
  if (out.length === 0) throw new ExodusError(`${path}: expected labelled intervals after the header, received none; re-extract the file`);
  return out;
}

/** The recordings of a split: trials_to_train.txt / trials_to_test.txt list one .aedat name per line. */
export function readTrialList(root: string, split: "train" | "test"): string[] {
  const path = join(root, `trials_to_${split}.txt`);
  if (!existsSync(path)) throw new MissingDataError(`${path}: expected the DVS Gesture trial list, received no such file`);
  const out: string[] = [];
  const seen = new Map<string, number>();
  readFileSync(path, "latin1")
    .split(/\r?\n/)
    .forEach((raw, i) => {
      const l = raw.trim();
      if (l === "") return;
      if (!/^[\w.-]+\.aedat$/.test(basename(l)))
        throw new ExodusError(`${path}: line ${i + 1}: expected a recording name such as user01_lab.aedat, received ${JSON.stringify(l.slice(0, 200))}; fix or re-extract the file`);
      const name = basename(l);
      if (seen.has(name))
        throw new ExodusError(`${path}: line ${i + 1}: expected each recording once, received ${name} again (first on line ${seen.get(name)}); it would give duplicate samples — remove the repeat`);
      seen.set(name, i + 1);
      out.push(join(root, name));
    });
  return out;
}

export function labelsPathOf(aedat: string): string {
  return join(dirname(aedat), basename(aedat, ".aedat") + "_labels.csv");
}

/** The samples of one recording: events of each labelled interval, times from the interval start. */
export function gestureSamples(aedatPath: string): { label: number; events: Events; start: number }[] {
  const labels = readGestureLabels(labelsPathOf(aedatPath));
  if (!existsSync(aedatPath)) throw new MissingDataError(`${aedatPath}: expected the recording named in the trial list, received no such file`);
  const all = readAedat3(aedatPath);
  return labels.map(({ label, start, end }) => {
    const a = lowerBound(all.t, start);
    const b = lowerBound(all.t, end);
    const ev = allocEvents(b - a);
    for (let i = 0; i < b - a; i++) ev.t[i] = all.t[a + i] - start;
    ev.x.set(all.x.subarray(a, b));
    ev.y.set(all.y.subarray(a, b));
    ev.p.set(all.p.subarray(a, b));
    return { label, events: ev, start };
  });
}
