// The self-test registry: every op, neuron kernel and layer registers one check here. A check
// draws random inputs, runs on a device, and is compared against a reference:
//   - on the CPU, against its float64 JavaScript reference (when it has one);
//   - on CUDA, against the CPU backend (the reference the GPU is tested against).
import type { Device } from "../device.js";
import type { BackendOp } from "../native.js";
import type { Rng } from "../random.js";

export interface SelfCheck<I = unknown> {
  /** Unique name, e.g. "gemm [300x128]ᵀ·[300x64]". */
  name: string;
  /** Group shown in the table: "ops", "gemm", "neurons", "layers", … */
  group: string;
  /** Largest acceptable relative error (max |a-b| / max |b|). */
  tolerance: number;
  /** Random inputs (never all zeros) from a seeded generator. */
  inputs(rng: Rng): I;
  /** Runs on a device and returns every output as host arrays (in a fixed order). */
  run(device: Device, inputs: I): Float32Array[];
  /** float64 reference of the same outputs, if the check has one. */
  reference?(inputs: I): ArrayLike<number>[];
  /**
   * Backend-table entries the check calls by name (a speed path, not a layer that picks one):
   * where the device's backend lacks one (native.supports), the check is skipped, not failed.
   */
  entries?: readonly BackendOp[];
}

const checks: SelfCheck<any>[] = [];

export function registerCheck<I>(c: SelfCheck<I>): void {
  if (checks.some((x) => x.name === c.name)) throw new Error(`self-check ${c.name} registered twice`);
  checks.push(c);
}

export function allChecks(): readonly SelfCheck<any>[] {
  return checks;
}

/** max |a - b| / max(max |b|, 1e-30), and NaN-aware: any NaN mismatch is Infinity. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (Number.isNaN(x) !== Number.isNaN(y)) return Infinity;
    if (Number.isNaN(x)) continue;
    if (x === y) {
      den = Math.max(den, Math.abs(y));
      continue;
    }
    num = Math.max(num, Math.abs(x - y));
    den = Math.max(den, Math.abs(y));
  }
  return num / Math.max(den, 1e-30);
}
