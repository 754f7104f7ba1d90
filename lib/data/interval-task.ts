// Generated tasks whose class is the interval between two bursts: every sample has the same number
// of spikes and the first burst's onset is random, so nothing but the interval tells the classes
// apart, and with intervals several membrane time constants long a feedforward LIF net sees two
// unrelated bursts and stays at chance. Two layouts, for the two ways a network can bridge the gap:
// - intervalBatch: one burst in each of two channel groups; a recurrent net keeps the first burst
//   alive in its activity (docs/neurons.md, Recurrent LIF; test/neurons/rlif-memory.test.ts).
// - intervalTask: two identical bursts on the same channels; learnable delays bring them into
//   coincidence (docs/delays.md; test/delay/interval.test.ts).
import { ExodusError } from "../errors.js";
import { Rng } from "../random.js";

/** intervalBatch: the two-group layout. */
export interface IntervalBatchOptions {
  /** Channels per group (the input has 2·channels). */
  channels: number;
  /** The intervals, one per class, in steps. */
  intervals: number[];
  /** Steps per sample: the onset range, the longest interval and the tail. */
  T: number;
  /**
   * Steps after the latest possible second burst (default 25): long enough for a neuron's response
   * to the burst to end inside the sample, so that a late burst is not told by a truncated response.
   */
  tail?: number;
}

export interface IntervalBatch {
  /** [T, B, 2·channels], time-major, 0/1. */
  x: Float32Array;
  labels: Int32Array;
}

/** B samples with the classes in turn (balanced), onsets drawn from rng. */
export function intervalBatch(o: IntervalBatchOptions, B: number, rng: Rng): IntervalBatch {
  const F = 2 * o.channels;
  const longest = Math.max(...o.intervals), tail = o.tail ?? 25;
  const onsets = o.T - longest - tail - 1;  // t1 in [1, 1 + onsets)
  if (!Number.isInteger(o.T) || onsets < 1)
    throw new ExodusError(`intervalBatch T: expected an integer > the longest interval + tail + 1 (${longest + tail + 1}), received ${o.T}`);
  return placeBursts({ T: o.T, samples: B, channels: o.channels, intervals: o.intervals, firstOnset: 1, onsets, secondGroup: true }, rng);
}

/** Where two bursts go: the one generator behind intervalBatch and intervalTask. */
interface Bursts {
  T: number;
  samples: number;
  channels: number;
  intervals: readonly number[];
  /** The first burst starts at firstOnset + rng.int(onsets). */
  firstOnset: number;
  onsets: number;
  /** The second burst on a second group of channels (the input then has 2·channels), or on the same ones. */
  secondGroup: boolean;
  /** Each channel's spike of a burst at a random step of `spread` (none: all at the onset, no draw). */
  spread?: number;
}

/** Time-major [T, samples, F] 0/1 spikes and balanced labels (the classes in turn). */
function placeBursts(o: Bursts, rng: Rng): { x: Float32Array; labels: Int32Array } {
  const C = o.channels, F = o.secondGroup ? 2 * C : C, N = o.samples;
  const x = new Float32Array(o.T * N * F);
  const labels = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    const label = n % o.intervals.length;
    labels[n] = label;
    const t1 = o.firstOnset + rng.int(o.onsets);
    [t1, t1 + o.intervals[label]].forEach((onset, k) => {
      const group = o.secondGroup && k === 1 ? C : 0;
      for (let ch = 0; ch < C; ch++) x[((onset + (o.spread === undefined ? 0 : rng.int(o.spread))) * N + n) * F + group + ch] = 1;
    });
  }
  return { x, labels };
}

export interface IntervalTaskOptions {
  samples: number;
  /** Input channels (default 8). */
  channels?: number;
  /** Steps per sample (default 48). */
  T?: number;
  /** Interval (steps from burst onset to burst onset) of each class (default [6, 12, 18, 24]). */
  intervals?: number[];
  /** Steps over which a burst's spikes are spread (default 2). */
  burstWidth?: number;
  seed?: number;
}

export interface IntervalTask {
  /** Time-major spikes [T, samples, channels]. */
  x: Float32Array;
  labels: Int32Array;
  T: number;
  channels: number;
  classes: number;
}

export function intervalTask(opts: IntervalTaskOptions): IntervalTask {
  const C = opts.channels ?? 8, T = opts.T ?? 48, width = opts.burstWidth ?? 2, intervals = opts.intervals ?? [6, 12, 18, 24];
  const N = opts.samples;
  const bad = (field: string, want: string, got: unknown) => new ExodusError(`intervalTask ${field}: expected ${want}, received ${JSON.stringify(got)}`);
  if (!Number.isInteger(N) || N < 1) throw bad("samples", "an integer >= 1", N);
  if (!Number.isInteger(C) || C < 1) throw bad("channels", "an integer >= 1", C);
  if (!Number.isInteger(width) || width < 1) throw bad("burstWidth", "an integer >= 1", width);
  if (!Array.isArray(intervals) || intervals.length < 2 || intervals.some((v) => !Number.isInteger(v) || v < width))
    throw bad("intervals", `at least two integers >= burstWidth (${width})`, intervals);
  const longest = Math.max(...intervals);
  if (!Number.isInteger(T) || T < longest + 2 * width) throw bad("T", `an integer >= the longest interval + 2·burstWidth (${longest + 2 * width})`, T);
  const bursts = { T, samples: N, channels: C, intervals, firstOnset: 0, onsets: T - longest - width + 1, secondGroup: false, spread: width };
  const { x, labels } = placeBursts(bursts, new Rng(opts.seed ?? 0));
  return { x, labels, T, channels: C, classes: intervals.length };
}
