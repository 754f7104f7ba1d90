// Augmentation in worker threads: the loader hands a batch's sparse frames to a small pool, each
// worker (augment-thread.ts) augments its share with the kernel of augment-kernel.ts and hands the new frames back, so
// the training thread only reads files (libuv) and scatters (native, async). Buffers move by
// transfer; the pool (worker-pool.ts) unrefs idle workers.
import type { Worker } from "node:worker_threads";
import { ExodusError } from "../errors.js";
import type { AugmentSpec, FrameGeometry } from "./augment.js";
import type { SparseFrames } from "./transforms.js";
import { WorkerPool } from "./worker-pool.js";


interface Reply {
  id: number;
  frames?: { index: Uint32Array; count: Uint32Array }[];
  error?: string;
}

export class AugmentWorkers {
  private pool: WorkerPool<Reply>;

  constructor(count: number) {
    this.pool = new WorkerPool<Reply>("data/augment-thread.js", count, "augmentation worker");
  }

  private send(w: Worker, frames: SparseFrames[], seeds: number[], geometry: FrameGeometry, spec: AugmentSpec): Promise<SparseFrames[]> {
    // copies, so the transfer never detaches a caller's arrays
    const msg = frames.map((f) => ({ index: f.index.slice(), count: f.count.slice() }));
    return this.pool.request(w, { frames: msg, seeds, geometry, spec }, msg.flatMap((f) => [f.index.buffer, f.count.buffer])).then((r) => {
      if (r.error !== undefined) throw new ExodusError(`augmentation worker: ${r.error}`);
      return r.frames!.map((f, k) => ({ steps: frames[k].steps, index: f.index, count: f.count }));
    });
  }

  /** The augmented frames of a batch, sample k drawn from seeds[k]; the batch is split over the workers. */
  async augment(frames: SparseFrames[], seeds: number[], geometry: FrameGeometry, spec: AugmentSpec): Promise<SparseFrames[]> {
    const pool = this.pool;
    if (pool.failed) throw pool.failed;
    const parts = Math.min(pool.workers.length, frames.length);
    const size = Math.ceil(frames.length / parts);
    const jobs: Promise<SparseFrames[]>[] = [];
    for (let k = 0; k < parts; k++) {
      // the least busy worker takes each share (batches are prepared concurrently)
      const w = pool.workers.reduce((a, b) => (pool.load(b) < pool.load(a) ? b : a));
      jobs.push(this.send(w, frames.slice(k * size, (k + 1) * size), seeds.slice(k * size, (k + 1) * size), geometry, spec));
    }
    return (await Promise.all(jobs)).flat();
  }

  close(): Promise<void> {
    return this.pool.close("augmentation workers closed");
  }
}
