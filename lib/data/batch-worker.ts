// Batch assembly in worker threads: a worker reads samples from the cache, checks their CRCs and
// scatters them into a dense [T, B, F] buffer, so the main thread (which drives the trainer, and
// may block in a device sync) only uploads the finished batch. Buffers move by transfer, not copy.
//
// The worker's code is an inline CommonJS string: it then runs the same from TypeScript sources
// (tests) and from dist/, and it needs nothing but node built-ins.
import { Worker } from "node:worker_threads";
import { ExodusError } from "../errors.js";
import { addonPath } from "../native.js";
import type { CacheLayout } from "./cache.js";

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
  private workers: Worker[];
  private next = 0;
  private seq = 0;
  private waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void; worker: Worker }>();
  private inflight = new Map<Worker, number>();
  private failure: Error | undefined;

  constructor(layout: CacheLayout, F: number, T: number, count: number) {
    const data = { ...layout, F, T, addon: addonPath() };
    this.workers = Array.from({ length: count }, () => {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: data });
      w.unref(); // referenced only while a request is outstanding: a forgotten close() must not hang the process
      w.on("message", (r: Reply) => this.settle(w, r));
      w.on("error", (e) => this.fail(new ExodusError(`${layout.path}: batch worker failed: ${e.message}`)));
      w.on("exit", (code) => {
        if (code !== 0) this.fail(new ExodusError(`${layout.path}: batch worker exited with code ${code}`));
      });
      this.inflight.set(w, 0);
      return w;
    });
  }

  private settle(w: Worker, r: Reply): void {
    const p = this.waiting.get(r.id);
    if (!p) return;
    this.waiting.delete(r.id);
    const n = this.inflight.get(w)! - 1;
    this.inflight.set(w, n);
    if (n === 0) w.unref();
    p.resolve(r);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const [id, p] of this.waiting) {
      this.waiting.delete(id);
      p.reject(e);
    }
  }

  /**
   * Fills `buffer` (T·B·F float32) with the samples at cache slots `slots`. Resolves with the
   * buffer back, or { corrupt: slot } when a sample fails its CRC.
   */
  assemble(slots: Int32Array, B: number, buffer: ArrayBuffer): Promise<{ buffer: ArrayBuffer; corrupt?: number }> {
    if (this.failure) return Promise.reject(this.failure);
    const w = this.workers[this.next++ % this.workers.length];
    const id = this.seq++;
    const n = this.inflight.get(w)!;
    if (n === 0) w.ref();
    this.inflight.set(w, n + 1);
    return new Promise((resolve, reject) => {
      this.waiting.set(id, {
        worker: w,
        reject,
        resolve: (r) => {
          if (r.error?.message) reject(new ExodusError(`batch worker: ${r.error.message}`));
          else resolve({ buffer: r.buffer, corrupt: r.error?.corrupt });
        },
      });
      w.postMessage({ id, slots, B, buffer }, [buffer]);
    });
  }

  async close(): Promise<void> {
    this.fail(new ExodusError("batch workers closed"));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
