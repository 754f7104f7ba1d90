// The one event representation every reader produces and every transform consumes: parallel typed
// arrays sorted by time. Audio data sets (SHD/SSC) use x for the channel, y = 0 and p = 0.
import { ExodusError } from "../errors.js";

/** Sensor extent: x in [0, width), y in [0, height), p in [0, polarities). */
export interface SensorSize {
  width: number;
  height: number;
  polarities: number;
}

/**
 * Events of one sample. t is in microseconds (Float64Array: integers beyond 2^32 stay exact, which
 * AEDAT 3.1 overflow timestamps need).
 */
export interface Events {
  t: Float64Array;
  x: Uint16Array;
  y: Uint16Array;
  p: Uint8Array;
}

export function eventCount(e: Events): number {
  return e.t.length;
}

export function allocEvents(n: number): Events {
  return { t: new Float64Array(n), x: new Uint16Array(n), y: new Uint16Array(n), p: new Uint8Array(n) };
}

/** The first n events (views, no copy). */
export function truncateEvents(e: Events, n: number): Events {
  return { t: e.t.subarray(0, n), x: e.x.subarray(0, n), y: e.y.subarray(0, n), p: e.p.subarray(0, n) };
}

/** Events [start, end) as views. */
export function sliceEvents(e: Events, start: number, end: number): Events {
  return { t: e.t.subarray(start, end), x: e.x.subarray(start, end), y: e.y.subarray(start, end), p: e.p.subarray(start, end) };
}

export function isSorted(t: Float64Array): boolean {
  for (let i = 1; i < t.length; i++) if (t[i] < t[i - 1]) return false;
  return true;
}

/** Sorts by time, stably (events with equal times keep their file order), when not sorted yet. */
export function sortByTime(e: Events): Events {
  if (isSorted(e.t)) return e;
  const n = e.t.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => e.t[a] - e.t[b] || a - b);
  const out = allocEvents(n);
  for (let i = 0; i < n; i++) {
    const j = order[i];
    out.t[i] = e.t[j];
    out.x[i] = e.x[j];
    out.y[i] = e.y[j];
    out.p[i] = e.p[j];
  }
  return out;
}

/** Throws when an event lies outside the sensor: a reader must never hand out-of-range indices on. */
export function checkInSensor(e: Events, s: SensorSize, where: string): void {
  for (let i = 0; i < e.t.length; i++) {
    if (e.x[i] >= s.width || e.y[i] >= s.height || e.p[i] >= s.polarities)
      throw new ExodusError(
        `${where}: expected events inside the ${s.width}×${s.height}×${s.polarities} sensor, received event ${i} at ` +
          `x=${e.x[i]}, y=${e.y[i]}, p=${e.p[i]}`,
      );
    if (!Number.isFinite(e.t[i]) || e.t[i] < 0)
      throw new ExodusError(`${where}: expected finite non-negative timestamps, received ${e.t[i]} at event ${i}`);
  }
}
