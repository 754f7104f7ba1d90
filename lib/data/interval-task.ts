// A task that needs memory: two bursts, one in each of two channel groups, and the class is the
// interval between them. Every sample has the same number of spikes (one per channel of each
// group), and the first burst's time is random, so neither the spike count nor the absolute time
// of a burst tells the class: a network must remember the first burst until the second. With
// intervals several membrane time constants long, a feedforward LIF net under a sum-over-time
// readout sees two isolated bursts whatever the class, and stays at chance; a recurrent net can
// keep the first burst alive in its activity (docs/neurons.md, Recurrent LIF).

import type { Rng } from "../random.js";

export interface IntervalTaskOptions {
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
export function intervalBatch(o: IntervalTaskOptions, B: number, rng: Rng): IntervalBatch {
  const F = 2 * o.channels;
  const longest = Math.max(...o.intervals), tail = o.tail ?? 25;
  const onsets = o.T - longest - tail - 1;  // t1 in [1, 1 + onsets)
  if (!Number.isInteger(o.T) || onsets < 1)
    throw new Error(`intervalBatch: T must be an integer > the longest interval + tail + 1 (${longest + tail + 1}), received ${o.T}`);
  const x = new Float32Array(o.T * B * F);
  const labels = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const label = b % o.intervals.length;
    labels[b] = label;
    const t1 = 1 + rng.int(onsets);
    const t2 = t1 + o.intervals[label];
    for (let c = 0; c < o.channels; c++) {
      x[(t1 * B + b) * F + c] = 1;
      x[(t2 * B + b) * F + o.channels + c] = 1;
    }
  }
  return { x, labels };
}
