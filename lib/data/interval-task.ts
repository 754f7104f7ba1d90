// A generated task that needs memory across time: each sample is two identical bursts (every input
// channel spikes once within `burstWidth` steps) separated by an interval that is the class. Every
// sample has the same number of spikes and the first burst's onset is drawn from the same range
// for every class, so nothing but the interval tells classes apart. With intervals longer than the
// membrane time constant, a feedforward net without delays sees two unrelated bursts; one with
// learnable delays can bring them into coincidence (docs/delays.md, test/delay/interval.test.ts).
// (The recurrent-net task generator is a different file, written for recurrent layers.)
import { ExodusError } from "../errors.js";
import { Rng } from "../random.js";

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
  const rng = new Rng(opts.seed ?? 0);
  const x = new Float32Array(T * N * C);
  const labels = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    const c = n % intervals.length; // balanced classes
    labels[n] = c;
    const t1 = rng.int(T - longest - width + 1);
    for (const onset of [t1, t1 + intervals[c]])
      for (let ch = 0; ch < C; ch++) x[((onset + rng.int(width)) * N + n) * C + ch] = 1;
  }
  return { x, labels, T, channels: C, classes: intervals.length };
}
