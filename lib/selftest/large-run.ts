// Runs the large-size checks (large-checks.ts): on CUDA at full size against the CPU backend, on
// the CPU at the reduced size against the float64 reference. A check that needs more memory than
// the host or the GPU has is reported as skipped (with the figures), never as passed silently.
import { totalmem } from "node:os";
import { Device } from "../device.js";
import { runtimeInfo } from "../runtime.js";
import { scope } from "../tensor.js";
import { type LargeScale, largeChecks } from "./large-checks.js";
import { relativeError } from "./registry.js";
import type { CheckResult } from "./run.js";

export interface LargeOptions {
  filter?: RegExp;
  /** Default: full on CUDA, reduced on the CPU. */
  scale?: LargeScale;
  /** Called as each check finishes (a run cut short by a timeout still shows what it did). */
  onResult?: (r: CheckResult) => void;
}

const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;

export function runLargeChecks(device: Device, opts: LargeOptions = {}): CheckResult[] {
  const scale = opts.scale ?? (device.isCuda ? "full" : "reduced");
  const against = device.isCuda ? "cpu" : "float64";
  const deviceMem = device.isCuda ? runtimeInfo().cuda.devices.find((d) => d.index === device.index)?.totalMemory ?? 0 : Infinity;
  const results: CheckResult[] = [];
  const push = (r: CheckResult) => {
    results.push(r);
    opts.onResult?.(r);
  };
  for (const c of largeChecks) {
    const name = `${c.name} (${scale})`;
    if (opts.filter && !opts.filter.test(`large ${name}`)) continue;
    const base = { name, group: "large", against, tolerance: c.tolerance } as const;
    const p = c.params[scale];
    const bytes = c.bytes(p);
    // The CPU side of a CUDA check holds the same tensors in host memory.
    const hostNeed = device.isCuda || scale === "full" ? bytes : 0;
    if (hostNeed > 0.75 * totalmem() || bytes > 0.85 * deviceMem) {
      push({ ...base, relError: NaN, pass: true, ms: 0,
        error: `skipped: needs ${gib(bytes)} at once; the host has ${gib(totalmem())}${device.isCuda ? `, the GPU ${gib(deviceMem)}` : ""}` });
      continue;
    }
    const t0 = performance.now();
    try {
      const got = scope(() => c.run(device, p));
      const want = device.isCuda ? scope(() => c.run(Device.cpu, p)) : c.reference(p);
      let err = got.length === want.length ? 0 : Infinity;
      for (let i = 0; i < got.length && err < Infinity; i++) err = Math.max(err, relativeError(got[i], want[i]));
      push({ ...base, relError: err, pass: err <= c.tolerance, ms: performance.now() - t0 });
    } catch (e) {
      push({ ...base, relError: Infinity, pass: false, ms: performance.now() - t0, error: (e as Error).message });
    }
  }
  return results;
}
