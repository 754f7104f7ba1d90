// The types the data modules share (a data set, its batches and their options), in a module of
// their own so that the loader, the registry and the synthetic task import them without importing
// each other in a cycle.
import type { DeviceLike } from "../device.js";
import type { SpikeIndex } from "../sparse.js";
import type { Tensor } from "../tensor.js";
import type { AugmentSpec } from "./augment.js";
import type { TransformSpec } from "./transforms.js";
import type { Layout } from "../layout.js";
import type { Shard } from "../dist/shard.js";

export interface OpenDatasetOptions {
  /** "shd", "ssc", "dvs-gesture" or "cifar10-dvs". */
  name: string;
  /** Folder holding the downloaded (extracted) files. */
  root: string;
  /** "train" or "test" ("valid" too for SSC). */
  split: string;
  /** Overrides the data set's default (the paper's pipeline). */
  transform?: TransformSpec;
  /** Where caches live; default $EXODUS_DATA_CACHE, else $XDG_CACHE_HOME/exodus/data, else ~/.cache/exodus/data (cache-dir.ts). */
  cacheDir?: string;
  /** Progress of a cache build (samples done of total). */
  onProgress?: (done: number, total: number) => void;
  /** Notes such as skipped empty samples; default: console.warn. */
  onWarning?: (message: string) => void;
}

export interface BatchOptions {
  batchSize: number;
  /** Shuffle the order (seeded; pass a different seed per epoch for a different order). */
  shuffle?: boolean;
  seed?: number;
  device?: DeviceLike;
  /** Drop a last batch smaller than batchSize. */
  dropLast?: boolean;
  /** Batches prepared ahead of the one being consumed (default 2). */
  prefetch?: number;
  /**
   * 0 (default): batches are built natively from the sparse cache on a libuv thread (and on the
   * device for CUDA). N > 0: N worker threads assemble dense host batches, uploaded on the main
   * thread. The pool is created by the first batches() call of a data set and lives until close().
   */
  workers?: number;
  /**
   * Also give each batch its spike index (`Batch.index`), built from the sparse frames without a
   * pass over the dense batch, for a first Linear layer on the CPU to read (lib/sparse.ts). CPU
   * batches without `workers` only (workers hand over dense batches).
   */
  spikeIndex?: boolean;
  /**
   * Keep each batch's tensor alive after the loop moves on (the caller then disposes it). By
   * default a batch's x is disposed when the next batch is requested or the loop ends.
   */
  retain?: boolean;
  /** Data-parallel training (lib/dist/): this rank's share of every batch, in the same global order. */
  shard?: Shard;
  /**
   * "TBN" (default): x is time-major [T, B, …features], as exodus's layers take it; "BTN": x is
   * batch-first [B, T, …] (for a net built with { layout: "BTN" }, or other tools). A batch-first
   * batch has no spike index (the index describes the time-major batch).
   */
  layout?: Layout;
  /**
   * Augment every sample (augment.ts), seeded from `seed` and the sample's index (training only).
   * Augmented batches take the sparse path; the augmentation runs in `workers` threads (default:
   * half the cores, 1 to 4), created by the first augmented batches() call, until close().
   */
  augment?: AugmentSpec;
}

export interface Batch {
  /** Counts, [T, B, …sampleShape without T], float32. */
  x: Tensor;
  /** Class of each batch row, 0-based. */
  labels: Float32Array;
  /** Data-set index of each batch row. */
  indices: Int32Array;
  /** x as a spike index [T·B rows, features], when BatchOptions.spikeIndex asked for it. */
  index?: SpikeIndex;
}

/** An opened data set. Indices run over the samples kept (empty samples are skipped). */
export interface Dataset {
  name: string;
  split: string;
  size: number;
  numClasses: number;
  classes: string[];
  /** [T, …features]: audio [T, channels], DVS [T, polarities, height, width]. */
  sampleShape: number[];
  /** Labels of all samples, in index order. */
  labels: Int32Array;
  /** Source samples skipped because they hold no events (see docs/data.md). */
  skipped: number;
  cachePath: string;
  transform: TransformSpec;
  /** One sample as dense [T, …features] counts. */
  sample(i: number): Promise<{ x: Float32Array; label: number }>;
  batches(opts: BatchOptions): AsyncIterable<Batch>;
  close(): Promise<void>;
}
