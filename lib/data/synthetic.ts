// The built-in data set `synthetic`: a spiking classification task generated in-process from a
// seed, so `exodus train` works on a fresh machine without a download.
//
// Timing carries the class, spike counts do not. The input channels form G groups; in every
// sample each group bursts exactly once (each of its channels fires `spikesPerBurst` spikes at
// distinct steps of a short window) on top of a fixed number of background spikes per channel.
// The class is the pair of groups that burst *together*; every other group bursts alone, at its
// own time. Every channel therefore fires the same number of spikes in every sample of every
// class: a spike count, a rate or any other time-free statistic of the input is constant, and only
// a network that sees coincidences in time can classify (test/data/synthetic.test.ts shuffles
// each channel's spikes in time and the same network stays at chance).
import { shardOf } from "../dist/shard.js";
import { type DeviceLike, parseDevice } from "../device.js";
import { ExodusError, describe, expectInt } from "../errors.js";
import { Rng } from "../random.js";
import { Tensor, keep } from "../tensor.js";
import type { Events } from "./events.js";
import type { Batch, BatchOptions, Dataset } from "./types.js";
import type { TransformSpec } from "./transforms.js";
import { checkLayout } from "../layout.js";

export interface SyntheticSpec {
  /** Time steps per sample (1 ms each). */
  steps: number;
  /** Channel groups; classes are the G·(G−1)/2 pairs of groups. */
  groups: number;
  channelsPerGroup: number;
  /** Length of a burst window, steps. */
  burstSteps: number;
  /** Spikes each channel of a bursting group fires inside its window (distinct steps). */
  spikesPerBurst: number;
  /** Spikes each channel fires at uniformly random steps outside any rule (equal in every sample). */
  backgroundSpikes: number;
  /** Samples per split. */
  sizes: Record<SyntheticSplit, number>;
  /** Every sample derives from (seed, split, index). */
  seed: number;
}

export type SyntheticSplit = "train" | "valid" | "test";
export const SYNTHETIC_SPLITS: SyntheticSplit[] = ["train", "valid", "test"];

export const SYNTHETIC_DEFAULTS: SyntheticSpec = {
  steps: 60,
  groups: 5,
  channelsPerGroup: 8,
  burstSteps: 5,
  spikesPerBurst: 3,
  backgroundSpikes: 2,
  sizes: { train: 1536, valid: 512, test: 512 },
  seed: 2023,
};

/** Class names: "g0+g1" = groups 0 and 1 burst together. */
export function syntheticClasses(groups = SYNTHETIC_DEFAULTS.groups): string[] {
  const out: string[] = [];
  for (let i = 0; i < groups; i++) for (let j = i + 1; j < groups; j++) out.push(`g${i}+g${j}`);
  return out;
}

/** Step of 1 ms: the raster's time unit and the events' timestamps (µs). */
export const SYNTHETIC_STEP_US = 1000;

/** Spikes of one sample as (step, channel) pairs, sorted by step. */
export interface SyntheticSample {
  label: number;
  steps: Int32Array;
  channels: Int32Array;
}

function splitIndex(split: string): number {
  const k = SYNTHETIC_SPLITS.indexOf(split as SyntheticSplit);
  if (k < 0) throw new ExodusError(`synthetic: expected split ${SYNTHETIC_SPLITS.map((s) => JSON.stringify(s)).join(" or ")}, received ${describe(split)}`);
  return k;
}

/** k distinct integers from [0, n), in random order. */
function distinct(rng: Rng, n: number, k: number): number[] {
  const pool = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, k);
}

/** One sample, a pure function of (spec, split, index). */
export function syntheticSample(spec: SyntheticSpec, split: string, index: number): SyntheticSample {
  const { steps: T, groups: G, channelsPerGroup: K, burstSteps: L, spikesPerBurst: S, backgroundSpikes: Bg } = spec;
  const rng = new Rng((Math.imul(spec.seed, 0x9e3779b1) ^ Math.imul(splitIndex(split) + 1, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) >>> 0);
  const pairs: [number, number][] = [];
  for (let i = 0; i < G; i++) for (let j = i + 1; j < G; j++) pairs.push([i, j]);
  const label = rng.int(pairs.length);
  // G − 1 burst windows (the pair shares one) at non-overlapping random starts, ≥ L apart.
  const windows = G - 1;
  const slack = T - windows * 2 * L; // each window takes L steps plus a gap of at least L
  const cuts = Array.from({ length: windows }, () => rng.int(slack + 1)).sort((a, b) => a - b);
  const starts = cuts.map((c, w) => c + w * 2 * L);
  // Which window each group uses: the pair shares a random one, the others get the rest.
  const order = distinct(rng, windows, windows);
  const [a, b] = pairs[label];
  const windowOf = new Int32Array(G);
  let next = 1;
  for (let g = 0; g < G; g++) windowOf[g] = g === a || g === b ? order[0] : order[next++];
  const spikes: [number, number][] = [];
  for (let g = 0; g < G; g++)
    for (let c = 0; c < K; c++) {
      const ch = g * K + c;
      for (const s of distinct(rng, L, S)) spikes.push([starts[windowOf[g]] + s, ch]);
    }
  for (let ch = 0; ch < G * K; ch++) for (let i = 0; i < Bg; i++) spikes.push([rng.int(T), ch]);
  spikes.sort((p, q) => p[0] - q[0] || p[1] - q[1]);
  return { label, steps: Int32Array.from(spikes, (p) => p[0]), channels: Int32Array.from(spikes, (p) => p[1]) };
}

/** A sample as events (t in µs, x the channel), for the inspect raster and event pipelines. */
export function syntheticEvents(s: SyntheticSample): Events {
  const n = s.steps.length;
  return { t: Float64Array.from(s.steps, (k) => k * SYNTHETIC_STEP_US), x: Uint16Array.from(s.channels), y: new Uint16Array(n), p: new Uint8Array(n) };
}

export interface SyntheticOptions {
  split: string;
  /** Overrides of the task's parameters (default SYNTHETIC_DEFAULTS). */
  spec?: Partial<SyntheticSpec>;
}

export function syntheticSpec(over: Partial<SyntheticSpec> = {}): SyntheticSpec {
  const spec = { ...SYNTHETIC_DEFAULTS, ...over, sizes: { ...SYNTHETIC_DEFAULTS.sizes, ...over.sizes } };
  for (const k of ["steps", "groups", "channelsPerGroup", "burstSteps", "spikesPerBurst"] as const) expectInt(`synthetic ${k}`, spec[k], 1);
  expectInt("synthetic backgroundSpikes", spec.backgroundSpikes, 0);
  expectInt("synthetic seed", spec.seed, 0);
  if (spec.groups < 3) throw new ExodusError(`synthetic groups: expected an integer >= 3 (one pair bursting together and another group alone), received ${spec.groups}`);
  if (spec.spikesPerBurst > spec.burstSteps)
    throw new ExodusError(`synthetic spikesPerBurst: expected at most burstSteps (${spec.burstSteps}) spikes at distinct steps, received ${spec.spikesPerBurst}`);
  const need = (spec.groups - 1) * 2 * spec.burstSteps;
  if (spec.steps < need)
    throw new ExodusError(`synthetic steps: expected at least ${need} (${spec.groups - 1} burst windows of ${spec.burstSteps} steps with gaps), received ${spec.steps}`);
  return spec;
}

/** The synthetic task as a Dataset (in memory; the cache is not involved). */
export function openSynthetic(opts: SyntheticOptions): Dataset {
  const spec = syntheticSpec(opts.spec);
  const split = opts.split;
  const size = expectInt("synthetic size", spec.sizes[SYNTHETIC_SPLITS[splitIndex(split)]], 1);
  const T = spec.steps;
  const F = spec.groups * spec.channelsPerGroup;
  const samples = Array.from({ length: size }, (_, i) => syntheticSample(spec, split, i));
  const labels = Int32Array.from(samples, (s) => s.label);
  const classes = syntheticClasses(spec.groups);
  const transform: TransformSpec = { frame: { mode: "fixed", binUs: SYNTHETIC_STEP_US, steps: T } };
  const check = (i: number) => {
    if (!Number.isInteger(i) || i < 0 || i >= size) throw new ExodusError(`sample: expected an index in [0, ${size}), received ${describe(i)}`);
  };
  return {
    name: "synthetic",
    split,
    size,
    numClasses: classes.length,
    classes,
    sampleShape: [T, F],
    labels,
    skipped: 0,
    cachePath: "",
    transform,
    async sample(i: number) {
      check(i);
      const s = samples[i];
      const x = new Float32Array(T * F);
      for (let k = 0; k < s.steps.length; k++) x[s.steps[k] * F + s.channels[k]] += 1;
      return { x, label: s.label };
    },
    async *batches(o: BatchOptions): AsyncGenerator<Batch> {
      const bs = expectInt("batches: batchSize", o?.batchSize, 1);
      const device: DeviceLike = parseDevice(o.device);
      const btn = checkLayout("batches() layout", o.layout) === "BTN"; // batch-first, built so on the host
      const order = Int32Array.from({ length: size }, (_, i) => i);
      if (o.shuffle) new Rng(o.seed ?? 0).shuffle(order);
      const n = o.dropLast ? Math.floor(size / bs) : Math.ceil(size / bs);
      let last: Tensor | undefined;
      try {
        for (let k = 0; k < n; k++) {
          const indices = shardOf(order.slice(k * bs, Math.min((k + 1) * bs, size)), o.shard);
          const B = indices.length;
          const x = new Float32Array(T * B * F);
          indices.forEach((idx, b) => {
            const s = samples[idx];
            for (let j = 0; j < s.steps.length; j++) x[(btn ? b * T + s.steps[j] : s.steps[j] * B + b) * F + s.channels[j]] += 1;
          });
          if (!o.retain) last?.dispose();
          last = keep(Tensor.from(x, btn ? [B, T, F] : [T, B, F], device));
          yield { x: last, labels: Float32Array.from(indices, (i) => labels[i]), indices };
        }
      } finally {
        if (!o.retain) last?.dispose();
      }
    },
    async close() {},
  };
}
