// The batch worker thread's entry (batch-worker.ts starts it from the compiled file): reads the
// requested samples of one cache file, checks their CRCs and scatters them into the dense buffer
// it was handed, which goes back by transfer. The frame scatter is the addon's
// (kernels/scatter.cuh), so its index math exists once.
import { openSync, readSync } from "node:fs";
import { createRequire } from "node:module";
import { parentPort, workerData } from "node:worker_threads";
import { crc32 } from "node:zlib";
import type { NativeAddon } from "../native.js";

/** What the pool passes every worker: the cache layout (cache.ts), the batch geometry and the addon's path. */
export interface BatchThreadData {
  path: string;
  dataStart: number;
  offsets: ArrayLike<number>;
  nnz: ArrayLike<number>;
  countBytes: ArrayLike<number>;
  crcs: ArrayLike<number>;
  F: number;
  T: number;
  addon: string;
}

const { path, dataStart, offsets, nnz, countBytes, crcs, F, T, addon } = workerData as BatchThreadData;
const native = createRequire(import.meta.url)(addon) as NativeAddon;
const fd = openSync(path, "r");
const port = parentPort!;

/** A sample whose bytes do not match their CRC, or whose indices do not rise. */
class Corrupt {
  constructor(readonly corrupt: number) {}
}

port.on("message", (m: { id: number; slots: ArrayLike<number>; B: number; buffer: ArrayBuffer }) => {
  const { id, slots, B, buffer } = m;
  const out = new Float32Array(buffer);
  try {
    out.fill(0);
    for (let b = 0; b < slots.length; b++) {
      const i = slots[b];
      const start = offsets[i], len = offsets[i + 1] - start;
      const buf = Buffer.allocUnsafeSlow(len);
      const got = len ? readSync(fd, buf, 0, len, dataStart + start) : 0;
      if (got !== len || (crc32(buf) >>> 0) !== crcs[i]) throw new Corrupt(i);
      const n = nnz[i];
      const index = new Uint32Array(buf.buffer, buf.byteOffset, n);
      const count = countBytes[i] === 4 ? new Uint32Array(buf.buffer, buf.byteOffset + 4 * n, n) : new Uint16Array(buf.buffer, buf.byteOffset + 4 * n, n);
      // Indices rise in a sound cache (the CRC matched, so anything else was written damaged).
      for (let j = 1; j < n; j++) if (index[j] <= index[j - 1]) throw new Corrupt(i);
      // 16-bit counts are read as such by the binding (the typed face names only the 32-bit form).
      native.scatterFramesHost({ out, T, B, F, b, index, count: count as Uint32Array });
    }
    port.postMessage({ id, buffer }, [buffer]);
  } catch (e) {
    const error = e instanceof Corrupt ? { corrupt: e.corrupt } : { message: String((e as Error)?.message ?? e) };
    port.postMessage({ id, buffer, error }, [buffer]);
  }
});
