// Runs the registered checks on one device and collects a table of relative errors, and which
// backend-table entries each check reached on that device (coverage.ts).
import { Device } from "../device.js";
import { supports, traceNative } from "../native.js";
import { Rng } from "../random.js";
import { scope } from "../tensor.js";
import { entryOf } from "./coverage.js";
import { type SelfCheck, allChecks, relativeError } from "./registry.js";
import "./checks.js";

export interface CheckResult {
  name: string;
  group: string;
  against: "float64" | "cpu";
  relError: number;
  tolerance: number;
  pass: boolean;
  ms: number;
  error?: string;
  /** The backend-table entries the check's device run called (not its CPU reference run). */
  entries?: string[];
}

export function runChecks(device: Device, opts: { seed?: number; filter?: RegExp } = {}): CheckResult[] {
  const results: CheckResult[] = [];
  for (const c of allChecks()) {
    if (opts.filter && !opts.filter.test(`${c.group} ${c.name}`)) continue;
    results.push(runOne(c, device, opts.seed ?? 1234));
  }
  return results;
}

/** Runs fn, returning what it returns and the backend-table entries it called. */
export function traced<T>(fn: () => T): { value: T; entries: string[] } {
  const seen = new Set<string>();
  traceNative((name, o) => {
    const e = entryOf(name, o);
    if (e) seen.add(e);
  });
  try {
    return { value: fn(), entries: [...seen] };
  } finally {
    traceNative(undefined);
  }
}

function runOne(c: SelfCheck<any>, device: Device, seed: number): CheckResult {
  const against = device.isCuda ? "cpu" : "float64";
  const base = { name: c.name, group: c.group, against, tolerance: c.tolerance } as const;
  const missing = c.entries?.find((e) => !supports(e, device));
  if (missing) return { ...base, relError: NaN, pass: true, ms: 0, error: `skipped: the ${device.type} backend has no ${missing}` };
  if (!device.isCuda && !c.reference) return { ...base, relError: 0, pass: true, ms: 0, error: "no float64 reference" };
  const t0 = performance.now();
  try {
    const inputs = c.inputs(new Rng(seed));
    const { value: got, entries } = traced(() => scope(() => c.run(device, inputs)));
    const want = device.isCuda ? scope(() => c.run(Device.cpu, inputs)) : c.reference!(inputs);
    let err = 0;
    if (got.length !== want.length) err = Infinity;
    else for (let i = 0; i < got.length; i++) err = Math.max(err, relativeError(got[i], want[i]));
    return { ...base, relError: err, pass: err <= c.tolerance, ms: performance.now() - t0, entries };
  } catch (e) {
    return { ...base, relError: Infinity, pass: false, ms: performance.now() - t0, error: (e as Error).message };
  }
}
