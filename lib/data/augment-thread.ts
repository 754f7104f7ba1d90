// The augmentation worker thread's entry (augment-worker.ts starts it from the compiled file):
// augments the frames of each request with the kernel and transfers the new arrays back.
import { parentPort } from "node:worker_threads";
import { type AugmentSpec, type FrameGeometry, type KernelScratch, augmentFrames } from "./augment-kernel.js";

interface Request {
  id: number;
  frames: { index: Uint32Array; count: Uint32Array }[];
  seeds: number[];
  geometry: FrameGeometry;
  spec: AugmentSpec;
}

const port = parentPort!;
const scratch: KernelScratch = {};
port.on("message", (m: Request) => {
  try {
    const out = m.frames.map((f, k) => augmentFrames(f.index, f.count, m.geometry, m.spec, m.seeds[k], scratch));
    port.postMessage({ id: m.id, frames: out }, out.flatMap((f) => [f.index.buffer as ArrayBuffer, f.count.buffer as ArrayBuffer]));
  } catch (e) {
    port.postMessage({ id: m.id, error: String((e as Error)?.message ?? e) });
  }
});
