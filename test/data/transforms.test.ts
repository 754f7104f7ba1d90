// Binning against results computed by hand from tonic's slicers (docs/data.md).
import { describe, expect, it } from "vitest";
import { type Events, allocEvents } from "../../lib/data/events.js";
import {
  type FrameSpec,
  FrameScratch,
  denseFrames,
  downsample,
  downsampledSensor,
  normalizeTransform,
  toSparseFrames,
  windowsOf,
} from "../../lib/data/transforms.js";

function ev(t: number[], x?: number[], y?: number[], p?: number[]): Events {
  const e = allocEvents(t.length);
  t.forEach((v, i) => {
    e.t[i] = v;
    e.x[i] = x?.[i] ?? i;
    e.y[i] = y?.[i] ?? 0;
    e.p[i] = p?.[i] ?? 0;
  });
  return e;
}

/** Each window's event indices as lists, the way one writes tonic's result down by hand. */
function windows(e: Events, f: FrameSpec): number[][] {
  const w = windowsOf(e, f)!;
  return Array.from(w.start, (s, k) => Array.from({ length: w.end[k] - s }, (_, j) => s + j));
}

// t:          0  10  20  35  50  99   (µs), duration 99
const T6 = [0, 10, 20, 35, 50, 99];

describe("tonic ToFrame slicing", () => {
  it("time_window: floor((dur - w)/stride) + 1 windows, half-open", () => {
    // floor((99 - 25)/25) + 1 = 3: [0,25) [25,50) [50,75); 99 is in no window
    expect(windows(ev(T6), { mode: "timeWindow", timeWindow: 25 })).toEqual([[0, 1, 2], [3], [4]]);
  });
  it("time_window include_incomplete: ceil, so the tail window is kept", () => {
    expect(windows(ev(T6), { mode: "timeWindow", timeWindow: 25, includeIncomplete: true })).toEqual([[0, 1, 2], [3], [4], [5]]);
  });
  it("time_window with overlap: stride w - o", () => {
    // w 30, o 10, stride 20: floor(69/20) + 1 = 4 windows [0,30) [20,50) [40,70) [60,90)
    expect(windows(ev(T6), { mode: "timeWindow", timeWindow: 30, overlap: 10 })).toEqual([[0, 1, 2], [2, 3], [4], []]);
  });
  it("time_window longer than the sample: at least one window", () => {
    expect(windows(ev(T6), { mode: "timeWindow", timeWindow: 1000 })).toEqual([[0, 1, 2, 3, 4, 5]]);
  });
  it("n_time_bins: w = floor(dur / n), the last event is dropped", () => {
    // w = floor(99/4) = 24: [0,24) [24,48) [48,72) [72,96)
    expect(windows(ev(T6), { mode: "timeBins", nTimeBins: 4 })).toEqual([[0, 1, 2], [3], [4], []]);
    // exact division still drops the last event: t = [0, 40], n = 2, w = 20: [0,20) [20,40)
    expect(windows(ev([0, 40]), { mode: "timeBins", nTimeBins: 2 })).toEqual([[0], []]);
  });
  it("n_time_bins with overlap: w·(1 + o), stride w·(1 + o)·(1 - o)", () => {
    // w = 24·1.5 = 36, stride 18: [0,36) [18,54) [36,72) [54,90)
    expect(windows(ev(T6), { mode: "timeBins", nTimeBins: 4, overlap: 0.5 })).toEqual([[0, 1, 2, 3], [2, 3, 4], [4], []]);
  });
  it("event_count: floor((N - c)/stride) + 1 windows", () => {
    expect(windows(ev(T6), { mode: "eventCount", eventCount: 2 })).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(windows(ev(T6), { mode: "eventCount", eventCount: 4 })).toEqual([[0, 1, 2, 3]]);
    expect(windows(ev(T6), { mode: "eventCount", eventCount: 4, includeIncomplete: true })).toEqual([[0, 1, 2, 3], [4, 5]]);
  });
  it("event_count with overlap, and a count above N clipped to N", () => {
    // c 3, o 2, stride 1: floor(3/1) + 1 = 4
    expect(windows(ev(T6), { mode: "eventCount", eventCount: 3, overlap: 2 })).toEqual([[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]]);
    expect(windows(ev(T6), { mode: "eventCount", eventCount: 50 })).toEqual([[0, 1, 2, 3, 4, 5]]);
  });
  it("windows start at the first event, not at t = 0", () => {
    expect(windows(ev([100, 110, 130, 160]), { mode: "timeWindow", timeWindow: 30 })).toEqual([[0, 1], [2]]);
  });
  it("fixed bins start at t = 0 and give exactly `steps` frames", () => {
    expect(windows(ev([100, 110, 130, 160]), { mode: "fixed", binUs: 50, steps: 2 })).toEqual([[], []]);
    expect(windows(ev(T6), { mode: "fixed", binUs: 25, steps: 3 })).toEqual([[0, 1, 2], [3], [4]]);
    expect(windows(ev(T6), { mode: "fixed", binUs: 25, steps: 6 })).toEqual([[0, 1, 2], [3], [4], [5], [], []]);
  });
  it("no events: variable modes give null, fixed gives empty frames", () => {
    expect(windowsOf(ev([]), { mode: "timeBins", nTimeBins: 3 })).toBeNull();
    expect(windows(ev([]), { mode: "fixed", binUs: 10, steps: 2 })).toEqual([[], []]);
  });
});

describe("frames", () => {
  it("counts events at (p, y, x) of a [T, P, H, W] layout", () => {
    const e = ev([0, 1, 2, 30, 31], [1, 1, 2, 0, 3], [0, 0, 1, 1, 0], [1, 1, 0, 1, 0]);
    const sensor = { width: 4, height: 2, polarities: 2 };
    const f = toSparseFrames(e, sensor, normalizeTransform({ frame: { mode: "fixed", binUs: 20, steps: 2 } }))!;
    const d = denseFrames(f, 16);
    const at = (t: number, p: number, y: number, x: number) => d[t * 16 + p * 8 + y * 4 + x];
    expect(at(0, 1, 0, 1)).toBe(2);
    expect(at(0, 0, 1, 2)).toBe(1);
    expect(at(1, 1, 1, 0)).toBe(1);
    expect(at(1, 0, 0, 3)).toBe(1);
    expect(d.reduce((a, b) => a + b, 0)).toBe(5);
  });
  it("pads variable modes to `steps` with empty frames and crops beyond it", () => {
    const sensor = { width: 8, height: 1, polarities: 1 };
    const padded = toSparseFrames(ev(T6), sensor, normalizeTransform({ frame: { mode: "eventCount", eventCount: 2, steps: 5 } }))!;
    expect(padded.steps).toBe(5);
    expect(Array.from(denseFrames(padded, 8).subarray(3 * 8))).toEqual(new Array(16).fill(0));
    const cropped = toSparseFrames(ev(T6), sensor, normalizeTransform({ frame: { mode: "eventCount", eventCount: 2, steps: 2 } }))!;
    expect(cropped.steps).toBe(2);
    expect(Array.from(denseFrames(cropped, 8))).toEqual([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0]);
  });
  it("merges polarities and crops time before binning", () => {
    const sensor = { width: 2, height: 1, polarities: 2 };
    const e = ev([5, 15, 25, 35], [0, 1, 1, 0], [0, 0, 0, 0], [0, 1, 1, 0]);
    const spec = normalizeTransform({ cropTime: { start: 10, end: 30 }, mergePolarity: true, frame: { mode: "fixed", binUs: 20, steps: 2 } });
    expect(Array.from(denseFrames(toSparseFrames(e, sensor, spec)!, 2))).toEqual([0, 1, 0, 1]);
  });
  it("reuses scratch space without leaking counts between samples", () => {
    const s = new FrameScratch();
    const sensor = { width: 4, height: 1, polarities: 1 };
    const spec = normalizeTransform({ frame: { mode: "fixed", binUs: 10, steps: 1 } });
    toSparseFrames(ev([0, 1, 2], [3, 3, 3]), sensor, spec, s);
    const f = toSparseFrames(ev([0], [1]), sensor, spec, s)!;
    expect(Array.from(f.index)).toEqual([1]);
    expect(Array.from(f.count)).toEqual([1]);
  });
});

describe("tonic Downsample", () => {
  it("truncates float64 products like numpy astype(int)", () => {
    const e = downsample(ev([0, 1, 2, 3, 4], [0, 6, 7, 49, 699], [0, 1, 2, 3, 127]), 1 / 7, 0.5);
    expect(Array.from(e.x)).toEqual([0, 0, 1, Math.trunc(49 * (1 / 7)), 99]);
    expect(Array.from(e.y)).toEqual([0, 0, 0, 0, 18]);
    expect(Array.from(e.t)).toEqual([0, 0, 1, 1, 2]);
  });
  it("gives the paper's sensor sizes: 700 → 100 channels, 128 → 64 pixels", () => {
    expect(downsampledSensor({ width: 700, height: 1, polarities: 1 }, 1 / 7)).toEqual({ width: 100, height: 1, polarities: 1 });
    expect(downsampledSensor({ width: 128, height: 128, polarities: 2 }, 0.5)).toEqual({ width: 64, height: 64, polarities: 2 });
  });
});

describe("transform validation", () => {
  it.each([
    [{ frame: { mode: "fixed", binUs: 0, steps: 3 } }, /binUs: expected a positive number, received 0/],
    [{ frame: { mode: "fixed", binUs: 5, steps: 2.5 } }, /steps: expected a positive integer/],
    [{ frame: { mode: "timeWindow", timeWindow: 10, overlap: 10 } }, /overlap: expected 0 <= overlap < timeWindow/],
    [{ frame: { mode: "timeBins", nTimeBins: 4, overlap: 1 } }, /expected a fraction in \[0, 1\)/],
    [{ frame: { mode: "eventCount", eventCount: 4, overlap: 1.5 } }, /expected an integer 0 <= overlap/],
    [{ frame: { mode: "bins" } }, /mode: expected "fixed", "timeWindow", "timeBins" or "eventCount", received "bins"/],
    [{ downsample: { spatial: 2 }, frame: { mode: "fixed", binUs: 1, steps: 1 } }, /spatial: expected a factor in \(0, 1\]/],
    [{ cropTime: { start: 5, end: 5 }, frame: { mode: "fixed", binUs: 1, steps: 1 } }, /cropTime: expected 0 <= start < end/],
  ])("rejects %j", (spec, msg) => {
    expect(() => normalizeTransform(spec as never)).toThrow(msg);
  });
});

describe("frame limits", () => {
  it("refuses absurd window counts with a clear message instead of an allocation failure", () => {
    const e = allocEvents(2);
    e.t.set([0, 10_000_000]);
    const spec = normalizeTransform({ frame: { mode: "timeWindow", timeWindow: 1 } });
    expect(() => toSparseFrames(e, { width: 128, height: 128, polarities: 2 }, spec)).toThrow(
      /transform\.frame: expected at most 1048576 windows per sample, received 10000000 \(1 µs windows over 10000000 µs of events\)/,
    );
  });
});
