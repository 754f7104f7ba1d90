// openDataset(): a data set by name, split and transform, backed by the preprocessed cache (built
// on first use), delivering seeded, prefetched, time-major batches [T, B, …] on a device.
import { defaultCacheDir } from "./cache-dir.js";
import { shardOf, type Shard } from "../dist/shard.js";
import { SpikeIndex } from "../sparse.js";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { type DeviceLike, parseDevice } from "../device.js";
import { ExodusError, describe, expectInt } from "../errors.js";
import { Rng } from "../random.js";
import { native, supports } from "../native.js";
import { Tensor, keep } from "../tensor.js";
import { type FrameGeometry, augments, sampleSeed } from "./augment.js";
import type { Batch, BatchOptions, Dataset, OpenDatasetOptions } from "./types.js";
import { AugmentWorkers } from "./augment-worker.js";
import { BatchWorkers } from "./batch-worker.js";
import { CacheReader, CacheWriter, cacheKey, cachePath, fileIdentity, withBuildLock } from "./cache.js";
import { checkInSensor } from "./events.js";
import { type DatasetInfo, datasetInfo, infoFor } from "./registry.js";
import { FrameScratch, type SparseFrames, type TransformSpec, normalizeTransform, toSparseFrames, transformedSensor } from "./transforms.js";
import { type Layout, checkLayout, swapLeadingAxes } from "../layout.js";

export type { Batch, BatchOptions, Dataset, OpenDatasetOptions } from "./types.js";

/** Opens a data set, building its cache first when it is missing, stale or corrupt. */
export async function openDataset(opts: OpenDatasetOptions): Promise<Dataset> {
  if (!opts || typeof opts.root !== "string") throw new ExodusError(`openDataset: expected { name, root, split }, received ${describe(opts)}`);
  const info = infoFor(datasetInfo(opts.name), opts.root); // a folder-described data set: its classes and sensor
  if (info.open) return info.open(opts); // generated in-process (synthetic): no files, no cache
  const transform = normalizeTransform(opts.transform ?? info.defaultTransform);
  const source = await info.source(opts.root, opts.split);
  const sensor = transformedSensor(source.sensor, transform);
  const featureShape = info.layout === "audio" ? [sensor.width] : [sensor.polarities, sensor.height, sensor.width];
  // A held-out part of a file set names its rule: a "train" cache built before the split existed (all samples) is not reused.
  const keyParts = { dataset: info.name, split: opts.split, files: fileIdentity(source.files), transform, ...(source.selection ? { selection: source.selection } : {}) };
  const key = cacheKey(keyParts);
  const dir = opts.cacheDir ?? defaultCacheDir();
  const path = cachePath(dir, info.name, opts.split, key);
  const warn = opts.onWarning ?? ((m: string) => console.warn(`exodus: ${m}`));

  const expect = { count: source.count, numClasses: info.classes.length, featureShape };
  let cache = CacheReader.open(path, key, expect);
  if (typeof cache === "string") {
    // One build per cache at a time; a process that waited finds the other's cache valid.
    cache = await withBuildLock(path, async () => {
      const again = CacheReader.open(path, key, expect);
      if (typeof again !== "string") return again;
      if (again !== "missing") warn(`${path}: rebuilding the cache (${again})`);
      await buildCache(info, opts, path, { version: 1, key, dataset: info.name, split: opts.split, count: source.count, featureShape, keyParts }, warn);
      const built = CacheReader.open(path, key, expect);
      if (typeof built === "string") throw new ExodusError(`${path}: the cache just built does not validate (${built}); is the disk full?`);
      return built;
    }, warn);
  }
  const ds = new CachedDataset(info, opts.split, cache, featureShape, transform);
  if (ds.size === 0) {
    await ds.close();
    throw new ExodusError(
      `${info.name} ${opts.split} split in ${opts.root}: expected samples to train or evaluate on, received ${source.count === 0 ? "none" : `${source.count}, all without events`}; ${source.selection && source.count === 0 ? `this split is held out of the training files (${source.selection}) and a set this small leaves none: use more data, or evaluate on test (train.evalSplit: test)` : "check the data files (the labels, trial lists or recordings may be empty)"}`,
    );
  }
  return ds;
}

async function buildCache(
  info: DatasetInfo,
  opts: OpenDatasetOptions,
  path: string,
  meta: ConstructorParameters<typeof CacheWriter>[1],
  warn: (m: string) => void,
): Promise<void> {
  const transform = normalizeTransform(opts.transform ?? info.defaultTransform);
  const source = await info.source(opts.root, opts.split);
  const writer = new CacheWriter(path, meta);
  const scratch = new FrameScratch();
  const skipped: string[] = [];
  let done = 0;
  try {
    for await (const s of source.samples()) {
      if (s.label >= info.classes.length)
        throw new ExodusError(`${s.id}: expected a label below ${info.classes.length} (${info.name} classes), received ${s.label}`);
      checkInSensor(s.events, source.sensor, s.id);
      const frames = s.events.t.length === 0 ? null : toSparseFrames(s.events, source.sensor, transform, scratch);
      if (!frames) skipped.push(s.id);
      writer.add(s.label, frames);
      opts.onProgress?.(++done, meta.count);
    }
    writer.commit();
  } catch (e) {
    writer.abort();
    throw e;
  }
  if (skipped.length)
    warn(`${info.name} ${opts.split}: skipped ${skipped.length} sample(s) without events to bin: ${skipped.slice(0, 5).join("; ")}${skipped.length > 5 ? "; …" : ""}`);
}

/** A batch on the host: dense data assembled by a worker, or the sparse frames of each sample. */
interface HostBatch {
  data: Float32Array | null;
  frames: SparseFrames[] | null;
  labels: Float32Array;
}

class CachedDataset implements Dataset {
  readonly size: number;
  readonly numClasses: number;
  readonly classes: string[];
  readonly sampleShape: number[];
  readonly labels: Int32Array;
  readonly skipped: number;
  private readonly slots: Int32Array; // dataset index → cache slot
  private readonly features: number;
  private workers: BatchWorkers | undefined;
  private readonly geometry: FrameGeometry;
  private augmenters: AugmentWorkers | undefined;

  constructor(
    info: DatasetInfo,
    readonly split: string,
    private readonly cache: CacheReader,
    featureShape: number[],
    readonly transform: TransformSpec,
  ) {
    const slots: number[] = [];
    let maxSteps = 0;
    for (let i = 0; i < cache.count; i++)
      if (cache.labels[i] >= 0) {
        slots.push(i);
        maxSteps = Math.max(maxSteps, cache.steps[i]);
      }
    this.slots = Int32Array.from(slots);
    this.size = slots.length;
    this.skipped = cache.count - slots.length;
    this.labels = Int32Array.from(slots, (s) => cache.labels[s]);
    this.classes = info.classes;
    this.numClasses = info.classes.length;
    // Variable-length frame modes without `steps` pad every batch to the longest sample.
    const T = transform.frame.steps ?? maxSteps;
    this.sampleShape = [T, ...featureShape];
    this.features = featureShape.reduce((a, b) => a * b, 1);
    const [polarities, height, width] = featureShape.length === 3 ? featureShape : [1, 1, featureShape[0]];
    this.geometry = { steps: T, polarities, height, width };
  }

  get name(): string {
    return this.cache.meta.dataset;
  }
  get cachePath(): string {
    return this.cache.path;
  }

  private checkIndex(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) throw new ExodusError(`sample: expected an index in [0, ${this.size}), received ${describe(i)}`);
  }

  async sample(i: number): Promise<{ x: Float32Array; label: number }> {
    this.checkIndex(i);
    const f = await this.cache.read(this.slots[i]);
    const x = new Float32Array(this.sampleShape[0] * this.features);
    native().scatterFramesHost({ out: x, T: this.sampleShape[0], B: 1, F: this.features, b: 0, index: f.index, count: f.count });
    return { x, label: this.labels[i] };
  }

  /** The sparse frames of the given indices, read (and CRC-checked) from the cache. */
  private async readFrames(indices: Int32Array): Promise<HostBatch> {
    const frames = await Promise.all(Array.from(indices, (i) => this.cache.read(this.slots[i])));
    return { data: null, frames, labels: Float32Array.from(indices, (i) => this.labels[i]) };
  }

  /** The same, done by a worker thread. */
  private async assembleInWorker(indices: Int32Array, pool: Float32Array[], workers: BatchWorkers): Promise<HostBatch> {
    const size = this.sampleShape[0] * indices.length * this.features;
    const k = pool.findIndex((p) => p.length === size);
    const buffer = k >= 0 ? (pool.splice(k, 1)[0].buffer as ArrayBuffer) : new ArrayBuffer(size * 4);
    const r = await workers.assemble(Int32Array.from(indices, (i) => this.slots[i]), indices.length, buffer);
    if (r.corrupt !== undefined) throw await this.cache.corrupt(r.corrupt);
    return { data: new Float32Array(r.buffer), frames: null, labels: Float32Array.from(indices, (i) => this.labels[i]) };
  }

  async *batches(opts: BatchOptions): AsyncGenerator<Batch> {
    const bs = expectInt("batches: batchSize", opts?.batchSize, 1);
    const prefetch = expectInt("batches: prefetch", opts.prefetch ?? 2, 0);
    const aug = augments(opts.augment) ? opts.augment : undefined;
    const threads = expectInt("batches: workers", opts.workers ?? 0, 0);
    const nWorkers = aug ? 0 : threads;
    if (aug) this.augmenters ??= new AugmentWorkers(threads || Math.max(1, Math.min(4, availableParallelism() >> 1)));
    const augmenters = aug ? this.augmenters : undefined;
    if (nWorkers > 0) this.workers ??= new BatchWorkers(this.cache.layout, this.features, this.sampleShape[0], nWorkers);
    const workers = nWorkers > 0 ? this.workers : undefined;
    const device = parseDevice(opts.device);
    const order = new Int32Array(this.size);
    for (let i = 0; i < this.size; i++) order[i] = i;
    if (opts.shuffle) new Rng(opts.seed ?? 0).shuffle(order);
    const nBatches = opts.dropLast ? Math.floor(this.size / bs) : Math.ceil(this.size / bs);
    const T = this.sampleShape[0];
    const rest = this.sampleShape.slice(1);
    const pending: Promise<Batch>[] = [];
    const pool: Float32Array[] = [];
    const indicesOf = (k: number) => shardOf(order.slice(k * bs, Math.min((k + 1) * bs, this.size)), opts.shard);
    // Batches k+1..k+prefetch are prepared while the trainer works on batch k: cache reads are
    // libuv file I/O, and the dense batch is zeroed and filled from the sparse frames by a native
    // task on a libuv thread (only the non-zero counts cross to a GPU), so none of it runs on the
    // main thread. With workers, batches are assembled densely in worker threads and uploaded here.
    const prepare = async (k: number): Promise<Batch> => {
      const indices = indicesOf(k);
      const shape = [T, indices.length, ...rest];
      if (indices.length === 0) return { x: keep(Tensor.empty(shape, device)), labels: new Float32Array(0), indices }; // an empty shard (lib/dist/)
      if (workers) {
        const host = await this.assembleInWorker(indices, pool, workers);
        const x = keep(Tensor.from(host.data!, shape, device));
        pool.push(host.data!); // a worker zeroes its buffer itself, off this thread
        return { x, labels: host.labels, indices };
      }
      const host = await this.readFrames(indices);
      const frames = aug
        ? await augmenters!.augment(host.frames!, Array.from(indices, (i) => sampleSeed(opts.seed ?? 0, i)), this.geometry, aug)
        : host.frames!;
      const x = keep(Tensor.empty(shape, device));
      try {
        await native().scatterBatchAsync({ dst: x, T, B: indices.length, F: this.features, index: frames.map((f) => f.index), count: frames.map((f) => f.count) });
      } catch (e) {
        x.dispose();
        throw e;
      }
      const index = opts.spikeIndex && supports("spike_index_linear_forward", device) ? SpikeIndex.fromFrames(T, indices.length, this.features, frames) : undefined;
      return { x, labels: host.labels, indices, ...(index ? { index } : {}) };
    };
    const layout = checkLayout("batches() layout", opts.layout);
    const inLayout = async (k: number): Promise<Batch> => {
      const b = await prepare(k);
      if (layout === "TBN") return b;
      const x = keep(swapLeadingAxes(b.x));
      b.x.dispose();
      return { x, labels: b.labels, indices: b.indices };
    };
    const request = (k: number) => {
      if (k < nBatches) {
        const p = inLayout(k);
        p.catch(() => undefined); // surfaced when awaited; avoids an unhandled rejection meanwhile
        pending.push(p);
      }
    };
    for (let k = 0; k <= prefetch && k < nBatches; k++) request(k);
    let last: Tensor | undefined;
    try {
      for (let k = 0; k < nBatches; k++) {
        const batch = await pending.shift()!;
        if (!opts.retain) last?.dispose();
        request(k + prefetch + 1);
        last = batch.x;
        yield batch;
      }
    } finally {
      if (!opts.retain) last?.dispose();
      // Batches prepared ahead but never handed out are freed here.
      for (const r of await Promise.allSettled(pending)) if (r.status === "fulfilled") r.value.x.dispose();
    }
  }

  async close(): Promise<void> {
    await this.workers?.close();
    this.workers = undefined;
    await this.augmenters?.close();
    this.augmenters = undefined;
    await this.cache.close();
  }
}

