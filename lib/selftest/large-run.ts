// Runs the large-size checks (large-checks.ts): on CUDA at full size against the CPU backend, on
// the CPU at the reduced size against the float64 reference. A check that needs more memory than
// the host or the GPU has is reported as skipped (with the figures), never as passed silently.
import { totalmem } from "node:os";
import { Device, cudaStatus } from "../device.js";
import { ConfigError } from "../errors.js";
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

/**
 * The host memory the checks may plan with: EXODUS_HOST_MEMORY_GB when set (a container or a
 * shared machine may report more than it lets one process use), else what the OS reports.
 */
export function hostMemory(): number {
  const v = process.env.EXODUS_HOST_MEMORY_GB;
  if (v === undefined || v === "") return totalmem();
  const gb = Number(v);
  if (!Number.isFinite(gb) || gb <= 0) throw new ConfigError(`EXODUS_HOST_MEMORY_GB: expected a number of GiB > 0, received ${JSON.stringify(v)}`);
  return gb * 2 ** 30;
}

export function runLargeChecks(device: Device, opts: LargeOptions = {}): CheckResult[] {
  // Full size on a GPU; reduced on the CPU and on the emulated device (whose shrunk limits,
  // cuda/gpu/limits.cuh, make the reduced sizes take the paths a GPU takes at full size).
  const scale = opts.scale ?? (device.isCuda && !cudaStatus().emulated ? "full" : "reduced");
  const host = hostMemory();
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
    if (hostNeed > 0.75 * host || bytes > 0.85 * deviceMem) {
      push({ ...base, relError: NaN, pass: true, ms: 0,
        error: `skipped: needs ${gib(bytes)} at once; the host has ${gib(host)}${process.env.EXODUS_HOST_MEMORY_GB ? " (EXODUS_HOST_MEMORY_GB)" : ""}${device.isCuda ? `, the GPU ${gib(deviceMem)}` : ""}` });
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
