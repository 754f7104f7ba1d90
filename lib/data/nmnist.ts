// N-MNIST (Orchard et al. 2015: MNIST digits recorded by an ATIS sensor on a pan-tilt mount, three
// saccades per sample), the data set of the NIR paper's CNN, in tonic's layout:
//   <root>/NMNIST/{Train,Test}/<digit>/<n>.bin   (tonic's save_to/NMNIST/…; <root>/{Train,Test}/… too)
// Each event is 5 bytes: x, y, then bit 7 the polarity and 23 bits of timestamp (µs) big-endian.
// An event with y = 240 is no event but a timestamp overflow: 2^13 µs are added to every later
// timestamp (as the data set's MATLAB reader and tonic do). Sensor 34 × 34 × 2.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { ExodusError, MissingDataError } from "../errors.js";
import { allocEvents, checkInSensor, sortByTime, truncateEvents, type Events, type SensorSize } from "./events.js";
import { FRACTION_RULE, type TrainPart, inPart, partKey, stratifiedHoldout } from "./holdout.js";
import type { SampleSource } from "./sources.js";

export const NMNIST_SENSOR: SensorSize = { width: 34, height: 34, polarities: 2 };
const OVERFLOW_Y = 240;
const OVERFLOW_US = 2 ** 13;

export function readNmnistBin(path: string, buf: Buffer = readFileSync(path)): Events {
  if (buf.length % 5 !== 0)
    throw new ExodusError(`${path}: expected 5-byte N-MNIST events, received ${buf.length} bytes (${buf.length % 5} left over: a truncated or foreign file)`);
  const n = buf.length / 5;
  const e = allocEvents(n);
  let k = 0;
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const o = 5 * i;
    if (buf[o + 1] === OVERFLOW_Y) {
      offset += OVERFLOW_US;
      continue;
    }
    e.x[k] = buf[o];
    e.y[k] = buf[o + 1];
    e.p[k] = buf[o + 2] >> 7;
    e.t[k] = ((buf[o + 2] & 0x7f) << 16) + (buf[o + 3] << 8) + buf[o + 4] + offset;
    k++;
  }
  const out = sortByTime(truncateEvents(e, k));
  checkInSensor(out, NMNIST_SENSOR, path);
  return out;
}

/** The folder of a split: Train or Test under root/NMNIST or root. */
export function nmnistDir(root: string, files: "train" | "test"): string {
  const name = files === "train" ? "Train" : "Test";
  for (const d of [join(root, "NMNIST", name), join(root, name)]) if (existsSync(d) && statSync(d).isDirectory()) return d;
  throw new MissingDataError(`${root}: expected N-MNIST's ${name}/<digit>/<n>.bin (tonic's NMNIST/${name}/, from ${name.toLowerCase()}.zip), received no such folder`);
}

export function nmnistSource(root: string, files: "train" | "test", part?: TrainPart): SampleSource {
  const dir = nmnistDir(root, files);
  const items: { path: string; label: number }[] = [];
  for (let d = 0; d < 10; d++) {
    const cd = join(dir, String(d));
    if (!existsSync(cd)) continue;
    const bins = readdirSync(cd).filter((f) => f.endsWith(".bin")).sort((a, b) => parseInt(a) - parseInt(b) || (a < b ? -1 : 1));
    items.push(...bins.map((f) => ({ path: join(cd, f), label: d })));
  }
  if (items.length === 0) throw new MissingDataError(`${dir}: expected digit folders 0/ … 9/ of .bin recordings, received none`);
  const held = part && part !== "trainval" ? stratifiedHoldout(items.map((it) => it.label)) : undefined;
  const kept = held ? items.filter((_, i) => inPart(part!, held[i] === 1)) : items;
  return {
    sensor: NMNIST_SENSOR,
    count: kept.length,
    files: kept.map((it) => it.path),
    ...(part ? { selection: partKey(part, FRACTION_RULE) } : {}),
    async *samples() {
      for (const it of kept) yield { label: it.label, events: readNmnistBin(it.path), id: it.path };
    },
  };
}
