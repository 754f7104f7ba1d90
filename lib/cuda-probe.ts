// The CUDA probe, run by device.ts in a child process (node dist/lib/cuda-probe.js <addon>): load
// the addon, ask the driver, and allocate, fill and read back a few floats on cuda:0; print
// { info, usable, reason } as JSON. A driver that hangs or kills its process takes the child with
// it, not the process that asked.
import { createRequire } from "node:module";
import type { NativeAddon } from "./native.js";

const a = createRequire(import.meta.url)(process.argv[2]) as NativeAddon;
const info = a.info();
let usable = false;
let reason = info.cudaReason;
if (info.cudaCompiled && info.cudaDeviceCount > 0) {
  try {
    const b = new a.NativeBuffer({ device: 1, index: 0, size: 4 });
    a.fill({ y: { handle: b, offset: 0 }, n: 4, value: 2 });
    const back = a.read({ src: { handle: b, offset: 0 }, n: 4 });
    b.dispose();
    if (back[3] !== 2) throw new Error(`probe kernel returned ${back[3]} instead of 2`);
    usable = true;
    reason = "";
  } catch (e) {
    reason = `a GPU was found but a probe kernel failed: ${(e as Error).message}`;
  }
}
process.stdout.write(JSON.stringify({ info, usable, reason }));
