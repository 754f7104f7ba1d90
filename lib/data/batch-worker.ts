// Batch assembly in worker threads: a worker reads samples from the cache, checks their CRCs and
// scatters them into a dense [T, B, F] buffer, so the main thread (which drives the trainer, and
// may block in a device sync) only uploads the finished batch. Buffers move by transfer, not copy.
//
// The worker's code is an inline CommonJS string: it then runs the same from TypeScript sources
// (tests) and from dist/, and it needs nothing but node built-ins.
import { ExodusError } from "../errors.js";
import { addonPath } from "../native.js";
import type { CacheLayout } from "./cache.js";
import { WorkerPool } from "./worker-pool.js";

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const fs = require("node:fs");
const zlib = require("node:zlib");
const { path, dataStart, offsets, nnz, countBytes, crcs, F, T, addon } = workerData;
// The frame scatter is the addon's (kernels/scatter.cuh), so its index math exists once.
const native = require(addon);
const fd = fs.openSync(path, "r");
parentPort.on("message", (m) => {
  const { id, slots, B, buffer } = m;
  const out = new Float32Array(buffer);
  try {
    out.fill(0);
    for (let b = 0; b < slots.length; b++) {
      const i = slots[b];
      const start = offsets[i], len = offsets[i + 1] - start;
      const buf = Buffer.allocUnsafeSlow(len);
      const got = len ? fs.readSync(fd, buf, 0, len, dataStart + start) : 0;
      if (got !== len || (zlib.crc32(buf) >>> 0) !== crcs[i]) throw { corrupt: i };
      const n = nnz[i];
      const index = new Uint32Array(buf.buffer, buf.byteOffset, n);
      const count = countBytes[i] === 4 ? new Uint32Array(buf.buffer, buf.byteOffset + 4 * n, n) : new Uint16Array(buf.buffer, buf.byteOffset + 4 * n, n);
      // Indices rise in a sound cache (the CRC matched, so anything else was written damaged).
      for (let j = 1; j < n; j++) if (index[j] <= index[j - 1]) throw { corrupt: i };
      native.scatterFramesHost({ out, T, B, F, b, index, count });
    }
    parentPort.postMessage({ id, buffer }, [buffer]);
  } catch (e) {
    const error = e && e.corrupt !== undefined ? { corrupt: e.corrupt } : { message: String((e && e.message) || e) };
    parentPort.postMessage({ id, buffer, error }, [buffer]);
  }
});
`;

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
    const data = { ...layout, F, T, addon: addonPath() };
    this.pool = new WorkerPool<Reply>(WORKER_SOURCE, count, `${layout.path}: batch worker`, data);
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
