// Event transforms and binning, compatible with tonic (Downsample, ToFrame and its slicers) so
// users can compare frames with tonic's, plus the fixed "bins from t = 0, exactly T steps" mode the
// paper's pipelines use. Frames come out sparse (flat index + count) because spike frames are
// mostly empty; the loader scatters them into dense time-major batches.
import { ExodusError, describe } from "../errors.js";
import { type Events, type SensorSize, allocEvents, sliceEvents } from "./events.js";

/** How events become frames. Times are in µs. Windows are half-open [start, end). */
export type FrameSpec =
  /** Bins of binUs from t = 0; exactly `steps` frames (later events dropped, missing bins empty). */
  | { mode: "fixed"; binUs: number; steps: number }
  /** tonic ToFrame(time_window=…): windows from the first event, stride timeWindow - overlap. */
  | { mode: "timeWindow"; timeWindow: number; overlap?: number; includeIncomplete?: boolean; steps?: number }
  /** tonic ToFrame(n_time_bins=…): window floor((t_last - t0) / n)·(1 + overlap); overlap in [0, 1). */
  | { mode: "timeBins"; nTimeBins: number; overlap?: number; steps?: number }
  /** tonic ToFrame(event_count=…): windows of eventCount events, stride eventCount - overlap. */
  | { mode: "eventCount"; eventCount: number; overlap?: number; includeIncomplete?: boolean; steps?: number };

/** The whole pipeline, applied in this order: crop in time, downsample, merge polarities, frame. */
export interface TransformSpec {
  /** Keep events with start ≤ t < end (µs, sample time). */
  cropTime?: { start?: number; end?: number };
  /** tonic Downsample: x, y ← trunc(· × spatial) (channels for audio), t ← trunc(t × time). */
  downsample?: { spatial?: number; time?: number };
  /** Sum both polarities into one channel. */
  mergePolarity?: boolean;
  frame: FrameSpec;
}

/** A sample's frames, sparse: counts at flat indices t·F + f, f = (p·H + y)·W + x, sorted. */
export interface SparseFrames {
  steps: number;
  index: Uint32Array;
  count: Uint32Array;
}

// ---- validation ------------------------------------------------------------------------------------
function positive(name: string, v: unknown, integer = false): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v)))
    throw new ExodusError(`${name}: expected a positive ${integer ? "integer" : "number"}, received ${describe(v)}`);
  return v;
}

/** Checks a spec and returns it with defaults filled in (the cache key hashes this form). */
export function normalizeTransform(spec: TransformSpec): TransformSpec {
  if (!spec || typeof spec !== "object") throw new ExodusError(`transform: expected an object, received ${describe(spec)}`);
  const out: TransformSpec = { frame: normalizeFrame(spec.frame) };
  if (spec.cropTime) {
    const start = spec.cropTime.start ?? 0;
    const end = spec.cropTime.end ?? Infinity;
    if (typeof start !== "number" || start < 0 || !(typeof end === "number" && end > start))
      throw new ExodusError(`transform.cropTime: expected 0 <= start < end, received start ${describe(start)}, end ${describe(end)}`);
    out.cropTime = Number.isFinite(end) ? { start, end } : { start };
  }
  if (spec.downsample) {
    const spatial = spec.downsample.spatial ?? 1;
    const time = spec.downsample.time ?? 1;
    positive("transform.downsample.spatial", spatial);
    positive("transform.downsample.time", time);
    if (spatial > 1) throw new ExodusError(`transform.downsample.spatial: expected a factor in (0, 1], received ${spatial}`);
    if (spatial !== 1 || time !== 1) out.downsample = { spatial, time };
  }
  if (spec.mergePolarity) out.mergePolarity = true;
  return out;
}

/** Frames per sample: the paper's pipelines use 250–300; beyond 2^20 a window size is surely wrong (and would be allocated before binning). */
const MAX_STEPS = 2 ** 20;
function frameSteps(s: unknown, name = "transform.frame.steps"): number {
  const n = positive(name, s, true);
  if (n > MAX_STEPS) throw new ExodusError(`${name}: expected at most ${MAX_STEPS} frames per sample, received ${n}; use longer bins (binUs) for long recordings`);
  return n;
}

function normalizeFrame(f: FrameSpec): FrameSpec {
  if (!f || typeof f !== "object") throw new ExodusError(`transform.frame: expected an object with a mode, received ${describe(f)}`);
  const steps = (s: unknown) => (s === undefined ? {} : { steps: frameSteps(s) });
  switch (f.mode) {
    case "fixed":
      return { mode: "fixed", binUs: positive("transform.frame.binUs", f.binUs), steps: frameSteps(f.steps) };
    case "timeWindow": {
      const w = positive("transform.frame.timeWindow", f.timeWindow);
      const o = f.overlap ?? 0;
      if (typeof o !== "number" || o < 0 || o >= w)
        throw new ExodusError(`transform.frame.overlap: expected 0 <= overlap < timeWindow (${w}), received ${describe(o)}`);
      return { mode: "timeWindow", timeWindow: w, overlap: o, includeIncomplete: !!f.includeIncomplete, ...steps(f.steps) };
    }
    case "timeBins": {
      const n = frameSteps(f.nTimeBins, "transform.frame.nTimeBins");
      const o = f.overlap ?? 0;
      if (typeof o !== "number" || o < 0 || o >= 1)
        throw new ExodusError(`transform.frame.overlap: expected a fraction in [0, 1) for timeBins, received ${describe(o)}`);
      return { mode: "timeBins", nTimeBins: n, overlap: o, ...steps(f.steps) };
    }
    case "eventCount": {
      const c = positive("transform.frame.eventCount", f.eventCount, true);
      const o = f.overlap ?? 0;
      if (!Number.isInteger(o) || o < 0 || o >= c)
        throw new ExodusError(`transform.frame.overlap: expected an integer 0 <= overlap < eventCount (${c}), received ${describe(o)}`);
      return { mode: "eventCount", eventCount: c, overlap: o, includeIncomplete: !!f.includeIncomplete, ...steps(f.steps) };
    }
    default:
      throw new ExodusError(
        `transform.frame.mode: expected "fixed", "timeWindow", "timeBins" or "eventCount", received ${describe((f as { mode?: unknown }).mode)}`,
      );
  }
}

// ---- event transforms --------------------------------------------------------------------------------
/** First index i with t[i] >= v (numpy searchsorted, side="left"); t sorted. */
export function lowerBound(t: Float64Array, v: number, lo = 0, hi = t.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function cropTime(e: Events, start: number, end = Infinity): Events {
  return sliceEvents(e, lowerBound(e.t, start), lowerBound(e.t, end));
}

/** The sensor after downsampling: the largest index trunc((size - 1)·f) plus one. */
export function downsampledSensor(s: SensorSize, spatial: number): SensorSize {
  const d = (n: number) => (n <= 1 ? n : Math.trunc((n - 1) * spatial) + 1);
  return { width: d(s.width), height: d(s.height), polarities: s.polarities };
}

/** tonic Downsample: float64 products truncated, exactly as numpy's astype(int) does. */
export function downsample(e: Events, spatial: number, time: number): Events {
  const n = e.t.length;
  const out = allocEvents(n);
  for (let i = 0; i < n; i++) {
    out.x[i] = Math.trunc(e.x[i] * spatial);
    out.y[i] = Math.trunc(e.y[i] * spatial);
    out.t[i] = time === 1 ? e.t[i] : Math.trunc(e.t[i] * time);
  }
  out.p.set(e.p);
  return out;
}

/** The sensor seen by the framer after the event transforms of spec. */
export function transformedSensor(s: SensorSize, spec: TransformSpec): SensorSize {
  let out = s;
  if (spec.downsample) out = downsampledSensor(out, spec.downsample.spatial ?? 1);
  if (spec.mergePolarity) out = { ...out, polarities: 1 };
  return out;
}

/** Crop, downsample and merge polarities (no framing). */
export function applyEventTransforms(e: Events, spec: TransformSpec): Events {
  let out = e;
  if (spec.cropTime) out = cropTime(out, spec.cropTime.start ?? 0, spec.cropTime.end ?? Infinity);
  if (spec.downsample) out = downsample(out, spec.downsample.spatial ?? 1, spec.downsample.time ?? 1);
  if (spec.mergePolarity) out = { ...out, p: new Uint8Array(out.t.length) };
  return out;
}

// ---- slicing (tonic slicers) -------------------------------------------------------------------------
/** Event index ranges [start[k], end[k]) of each window. */
export interface Windows {
  start: Float64Array;
  end: Float64Array;
}

/**
 * The event windows of a frame spec, as tonic's slicers define them. Returns null when the mode
 * needs events to place its windows (timeWindow, timeBins, eventCount) and there are none.
 */
export function windowsOf(e: Events, f: FrameSpec): Windows | null {
  const t = e.t;
  const n = t.length;
  if (f.mode === "fixed") {
    const start = new Float64Array(f.steps);
    const end = new Float64Array(f.steps);
    let i = 0;
    for (let k = 0; k < f.steps; k++) {
      start[k] = i = lowerBound(t, k * f.binUs, i);
      end[k] = i = lowerBound(t, (k + 1) * f.binUs, i);
    }
    return { start, end };
  }
  if (n === 0) return null;
  if (f.mode === "eventCount") {
    const c = Math.min(f.eventCount, n);
    const stride = c - (f.overlap ?? 0);
    if (stride <= 0) throw new ExodusError(`eventCount ${c} (clipped to the ${n} events) minus overlap ${f.overlap} leaves no stride`);
    const q = (n - c) / stride;
    const count = (f.includeIncomplete ? Math.ceil(q) : Math.floor(q)) + 1;
    const start = new Float64Array(count);
    const end = new Float64Array(count);
    for (let k = 0; k < count; k++) {
      start[k] = k * stride;
      end[k] = Math.min(k * stride + c, n);
    }
    return { start, end };
  }
  let w: number;
  let stride: number;
  let count: number;
  const t0 = t[0];
  if (f.mode === "timeWindow") {
    w = f.timeWindow;
    stride = w - (f.overlap ?? 0);
    const q = (t[n - 1] - t0 - w) / stride + 1;
    count = Math.max(f.includeIncomplete ? Math.ceil(q) : Math.floor(q), 1);
  } else {
    // tonic: time_window = (t[-1] - t[0]) // n_bins * (1 + overlap); stride = window * (1 - overlap)
    const o = f.overlap ?? 0;
    w = Math.floor((t[n - 1] - t0) / f.nTimeBins) * (1 + o);
    stride = w * (1 - o);
    count = f.nTimeBins;
  }
  if (count > MAX_STEPS)
    throw new ExodusError(
      `transform.frame: expected at most ${MAX_STEPS} windows per sample, received ${count} (${w} µs windows over ${t[n - 1] - t0} µs of events); use longer windows`,
    );
  const start = new Float64Array(count);
  const end = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const s = k * stride + t0;
    start[k] = lowerBound(t, s);
    end[k] = lowerBound(t, s + w);
  }
  return { start, end };
}

// ---- framing -----------------------------------------------------------------------------------------
/** Reusable scratch space for toSparseFrames (one per thread of work). */
export class FrameScratch {
  private dense = new Uint32Array(0);
  private touched = new Uint32Array(1024);

  /** Counts events into frames; windows from windowsOf; F = features per step (P·H·W). */
  frames(e: Events, win: Windows, sensor: SensorSize, targetSteps?: number): SparseFrames {
    const W = sensor.width;
    const HW = sensor.height * W;
    const F = sensor.polarities * HW;
    const nWin = win.start.length;
    const steps = targetSteps ?? nWin;
    const used = Math.min(nWin, steps);
    // The dense scratch is steps·F uint32: beyond 1 GiB the windows are surely not what was meant.
    if (steps * F > 2 ** 28)
      throw new ExodusError(
        `frames: expected at most 2^28 counts per sample (steps × features), received ${steps} steps × ${F} features; use longer windows or set frame.steps`,
      );
    if (this.dense.length < steps * F) this.dense = new Uint32Array(steps * F);
    const dense = this.dense;
    let nt = 0;
    for (let k = 0; k < used; k++) {
      const base = k * F;
      for (let i = win.start[k], end = win.end[k]; i < end; i++) {
        const idx = base + e.p[i] * HW + e.y[i] * W + e.x[i];
        if (dense[idx]++ === 0) {
          if (nt === this.touched.length) {
            const grown = new Uint32Array(nt * 2);
            grown.set(this.touched);
            this.touched = grown;
          }
          this.touched[nt++] = idx;
        }
      }
    }
    const index = this.touched.slice(0, nt).sort();
    const count = new Uint32Array(nt);
    for (let j = 0; j < nt; j++) {
      count[j] = dense[index[j]];
      dense[index[j]] = 0;
    }
    return { steps, index, count };
  }
}

/**
 * The whole pipeline for one sample: event transforms then framing. `sensor` is the reader's
 * sensor; returns null for a sample the frame mode cannot place (no events left: tonic would fail).
 */
export function toSparseFrames(e: Events, sensor: SensorSize, spec: TransformSpec, scratch = new FrameScratch()): SparseFrames | null {
  const ev = applyEventTransforms(e, spec);
  const win = windowsOf(ev, spec.frame);
  if (!win) return null;
  const target = spec.frame.steps;
  return scratch.frames(ev, win, transformedSensor(sensor, spec), target);
}

/** Dense [steps, F] counts of sparse frames (tests, inspection). */
export function denseFrames(s: SparseFrames, features: number): Float32Array {
  const out = new Float32Array(s.steps * features);
  for (let j = 0; j < s.index.length; j++) out[s.index[j]] = s.count[j];
  return out;
}
