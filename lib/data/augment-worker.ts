// Augmentation in worker threads: the loader hands a batch's sparse frames to a small pool, each
// worker augments its share with the kernel of augment-kernel.ts and hands the new frames back, so
// the training thread only reads files (libuv) and scatters (native, async). Buffers move by
// transfer. Workers are unref'd while idle: a forgotten close() must not hang the process.
import { Worker } from "node:worker_threads";
import { ExodusError } from "../errors.js";
import type { AugmentSpec, FrameGeometry } from "./augment.js";
import { AUGMENT_KERNEL_SOURCE } from "./augment-kernel.js";
import type { SparseFrames } from "./transforms.js";

const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
${AUGMENT_KERNEL_SOURCE}
const scratch = {};
parentPort.on("message", (m) => {
  try {
    const out = m.frames.map((f, k) => augmentFrames(f.index, f.count, m.geometry, m.spec, m.seeds[k], scratch));
    parentPort.postMessage({ id: m.id, frames: out }, out.flatMap((f) => [f.index.buffer, f.count.buffer]));
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String((e && e.message) || e) });
  }
});
`;

interface Reply {
  id: number;
  frames?: { index: Uint32Array; count: Uint32Array }[];
  error?: string;
}

export class AugmentWorkers {
  private workers: Worker[];
  private seq = 0;
  private waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void; worker: Worker }>();
  private busy = new Map<Worker, number>();
  private failure: Error | undefined;

  constructor(count: number) {
    this.workers = Array.from({ length: count }, () => {
      const w = new Worker(WORKER_SOURCE, { eval: true });
      w.unref();
      w.on("message", (r: Reply) => this.settle(w, r));
      w.on("error", (e) => this.fail(new ExodusError(`augmentation worker failed: ${e.message}`)));
      w.on("exit", (code) => {
        if (code !== 0) this.fail(new ExodusError(`augmentation worker exited with code ${code}`));
      });
      this.busy.set(w, 0);
      return w;
    });
  }

  private settle(w: Worker, r: Reply): void {
    const p = this.waiting.get(r.id);
    if (!p) return;
    this.waiting.delete(r.id);
    const n = this.busy.get(w)! - 1;
    this.busy.set(w, n);
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

  private send(w: Worker, frames: SparseFrames[], seeds: number[], geometry: FrameGeometry, spec: AugmentSpec): Promise<SparseFrames[]> {
    const id = this.seq++;
    const n = this.busy.get(w)!;
    if (n === 0) w.ref();
    this.busy.set(w, n + 1);
    // copies, so the transfer never detaches a caller's arrays
    const msg = frames.map((f) => ({ index: f.index.slice(), count: f.count.slice() }));
    return new Promise<Reply>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, worker: w });
      w.postMessage({ id, frames: msg, seeds, geometry, spec }, msg.flatMap((f) => [f.index.buffer, f.count.buffer]));
    }).then((r) => {
      if (r.error !== undefined) throw new ExodusError(`augmentation worker: ${r.error}`);
      return r.frames!.map((f, k) => ({ steps: frames[k].steps, index: f.index, count: f.count }));
    });
  }

  /** The augmented frames of a batch, sample k drawn from seeds[k]; the batch is split over the workers. */
  async augment(frames: SparseFrames[], seeds: number[], geometry: FrameGeometry, spec: AugmentSpec): Promise<SparseFrames[]> {
    if (this.failure) throw this.failure;
    const parts = Math.min(this.workers.length, frames.length);
    const size = Math.ceil(frames.length / parts);
    const jobs: Promise<SparseFrames[]>[] = [];
    for (let k = 0; k < parts; k++) {
      // the least busy worker takes each share (batches are prepared concurrently)
      const w = this.workers.reduce((a, b) => (this.busy.get(b)! < this.busy.get(a)! ? b : a));
      jobs.push(this.send(w, frames.slice(k * size, (k + 1) * size), seeds.slice(k * size, (k + 1) * size), geometry, spec));
    }
    return (await Promise.all(jobs)).flat();
  }

  async close(): Promise<void> {
    this.fail(new ExodusError("augmentation workers closed"));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
