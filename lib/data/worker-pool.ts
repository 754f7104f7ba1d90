// The request/reply machinery shared by the loader's worker pools (batch-worker.ts,
// augment-worker.ts): workers started from compiled modules, replies matched to requests by id, a per-worker count of
// outstanding requests, and the first failure (a crash, a non-zero exit, close()) rejecting every
// waiting request and every later one. A worker is unref'd while it has nothing outstanding: a
// forgotten close() must not hang the process.
import { Worker } from "node:worker_threads";
import { compiledModule } from "../compiled.js";
import { ExodusError } from "../errors.js";

export class WorkerPool<Reply extends { id: number }> {
  readonly workers: Worker[];
  private seq = 0;
  private waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private busy = new Map<Worker, number>();
  private failure: Error | undefined;

  /**
   * `entry`: the worker's module under lib/ ("data/batch-thread.js"), started from its compiled
   * file. `name` opens the pool's error messages ("<name> failed: …", "<name> exited with code …").
   */
  constructor(entry: string, count: number, name: string, workerData?: unknown) {
    const file = compiledModule(entry);
    this.workers = Array.from({ length: count }, () => {
      const w = new Worker(file, { workerData });
      w.unref();
      w.on("message", (r: Reply) => this.settle(w, r));
      w.on("error", (e) => this.fail(new ExodusError(`${name} failed: ${e.message}`)));
      w.on("exit", (code) => {
        if (code !== 0) this.fail(new ExodusError(`${name} exited with code ${code}`));
      });
      this.busy.set(w, 0);
      return w;
    });
  }

  /** The error that ended the pool, if one did. */
  get failed(): Error | undefined {
    return this.failure;
  }

  /** Requests outstanding at worker w. */
  load(w: Worker): number {
    return this.busy.get(w)!;
  }

  /** Posts `{ id, ...message }` to w; resolves with the worker's reply to that id. */
  request(w: Worker, message: object, transfer: ArrayBuffer[]): Promise<Reply> {
    const id = this.seq++;
    const n = this.busy.get(w)!;
    if (n === 0) w.ref();
    this.busy.set(w, n + 1);
    return new Promise<Reply>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      w.postMessage({ id, ...message }, transfer);
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

  /** Rejects what is outstanding with ExodusError(message) and ends the workers. */
  async close(message: string): Promise<void> {
    this.fail(new ExodusError(message));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
