// Batch assembly in worker threads: a worker reads samples from the cache, checks their CRCs and
// scatters them into a dense [T, B, F] buffer, so the main thread (which drives the trainer, and
// may block in a device sync) only uploads the finished batch. Buffers move by transfer, not copy.
//
// The worker's code is batch-thread.ts, started from its compiled file (lib/compiled.ts).
import { ExodusError } from "../errors.js";
import { addonPath } from "../native.js";
import type { CacheLayout } from "./cache.js";
import type { BatchThreadData } from "./batch-thread.js";
import { WorkerPool } from "./worker-pool.js";


interface Reply {
  id: number;
  buffer: ArrayBuffer;
  error?: { corrupt?: number; message?: string };
}

/** A pool of batch workers over one cache file. */
export class BatchWorkers {
  private pool: WorkerPool<Reply>;
  private next = 0;

  constructor(layout: CacheLayout, F: number, T: number, count: number) {
    const data: BatchThreadData = { ...layout, F, T, addon: addonPath() };
    this.pool = new WorkerPool<Reply>("data/batch-thread.js", count, `${layout.path}: batch worker`, data);
  }

  /**
   * Fills `buffer` (T·B·F float32) with the samples at cache slots `slots`. Resolves with the
   * buffer back, or { corrupt: slot } when a sample fails its CRC.
   */
  assemble(slots: Int32Array, B: number, buffer: ArrayBuffer): Promise<{ buffer: ArrayBuffer; corrupt?: number }> {
    const pool = this.pool;
    if (pool.failed) return Promise.reject(pool.failed);
    const w = pool.workers[this.next++ % pool.workers.length];
    return pool.request(w, { slots, B, buffer }, [buffer]).then((r) => {
      if (r.error?.message) throw new ExodusError(`batch worker: ${r.error.message}`);
      return { buffer: r.buffer, corrupt: r.error?.corrupt };
    });
  }

  close(): Promise<void> {
    return this.pool.close("batch workers closed");
  }
}
