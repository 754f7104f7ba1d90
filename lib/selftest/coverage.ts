// Which backend-table entries (cuda/include/exodus/backend.h) the self-checks reach: every addon
// call a check makes is traced (native.traceNative) and named by the entry it runs, so the table
// printed by `exodus selftest` lists each entry with the checks that ran it on the device, and
// names the entries no check reached.
import type { Device } from "../device.js";
import { native, supports } from "../native.js";

let ops: readonly string[] | undefined;
const tableOps = (): readonly string[] => (ops ??= native().backendOps());

/** The table entry an addon call runs, or undefined for calls outside the table (memory, info). */
export function entryOf(fn: string, o: unknown): string | undefined {
  const has = (k: string) => typeof o === "object" && o !== null && (o as Record<string, unknown>)[k] != null;
  let name: string;
  if (fn === "lifForward") name = has("poolWidth") ? "lif_forward_pool2" : has("mask") ? "lif_forward_masked" : "lif_forward";
  else if (fn === "lifBackward") name = has("poolWidth") ? "lif_backward_pool2" : has("lamIn") || has("lamOut") ? "lif_backward_carry" : "lif_backward";
  else if (fn === "alifForward") name = has("mask") ? "alif_forward_masked" : "alif_forward";
  else if (fn === "convInputGradDirect") name = "conv_direct_input_grad";
  else if (fn === "convWeightGradDirect") name = "conv_direct_weight_grad";
  else if (fn === "scatterFramesHost") name = "scatter_frames";
  else if (fn === "scatterBatchAsync") name = "scatter_batch";
  else name = fn.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return tableOps().includes(name) ? name : undefined;
}

/** Entries checked outside the default group, and by which command. */
const ELSEWHERE: Record<string, string> = {
  scatter_batch: "selftest --training (the data loader's batch scatter; asynchronous, so not in this group)",
};

export interface EntryCoverage {
  entry: string;
  /** Whether the device's backend has the entry (native.supports). */
  supported: boolean;
  /** Checks that ran it on the device and passed, and that failed. */
  passed: number;
  failed: number;
  /** Where it is checked when not here. */
  elsewhere?: string;
}

/** Every table entry with the checks of `results` that reached it. */
export function tableCoverage(device: Device, results: readonly { pass: boolean; entries?: string[] }[]): EntryCoverage[] {
  return tableOps().map((entry) => {
    const ran = results.filter((r) => r.entries?.includes(entry));
    const cov: EntryCoverage = {
      entry, supported: supports(entry as never, device), passed: ran.filter((r) => r.pass).length, failed: ran.filter((r) => !r.pass).length,
    };
    if (!ran.length && ELSEWHERE[entry]) cov.elsewhere = ELSEWHERE[entry];
    return cov;
  });
}

/** The entries the device has that no check reached (and none is checked elsewhere). */
export function unchecked(cov: readonly EntryCoverage[]): string[] {
  return cov.filter((c) => c.supported && c.passed + c.failed === 0 && !c.elsewhere).map((c) => c.entry);
}
