// The processes of a data-parallel job and the two collectives training needs: every rank's
// small float64 statistics (gathered, summed by the caller in rank order) and the weighted sum of
// the gradient over the ranks. One process is a group of one whose collectives copy.
//
// Communication is MPI (cuda/comm/mpi.cc, dlopen'ed) for host memory and NCCL (cuda/comm/nccl.cc)
// for GPU memory when libnccl.so.2 loads; without NCCL, GPU gradients cross through the host.
import { ExodusError } from "../errors.js";
import { native } from "../native.js";
import type { Tensor } from "../tensor.js";
import * as ops from "../ops.js";
import type { Launch } from "./launch.js";

/** Seconds a rank waits for the others in one collective before it gives up (EXODUS_DIST_TIMEOUT). */
export function collectiveTimeout(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.EXODUS_DIST_TIMEOUT;
  if (v === undefined || v === "") return 600;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new ExodusError(`EXODUS_DIST_TIMEOUT: expected a number of seconds > 0, received ${JSON.stringify(v)}`);
  return n;
}

export interface Group {
  readonly rank: number;
  readonly size: number;
  /** What carries the gradients, for the log ("one process", "Open MPI 4.1.4 (libmpi.so.40)", …). */
  readonly description: string;
  /** rows[r] = rank r's values. */
  gather(values: Float64Array): Float64Array[];
  /** x (n floats) ← Σ_r weights[r]·x_r; returns the bytes this rank received. */
  weightedSum(x: Tensor, n: number, weights: Float64Array): number;
  close(): void;
}

export class SingleProcess implements Group {
  readonly rank = 0;
  readonly size = 1;
  readonly description = "one process";
  gather(values: Float64Array): Float64Array[] {
    return [values.slice()];
  }
  weightedSum(): number {
    return 0; // the one rank's gradient is already the batch's
  }
  close(): void {}
}

export interface MpiOptions {
  /** Sum in rank order on every rank (bit-identical, reproducible) or with MPI_Allreduce. */
  ordered: boolean;
  /** Floats per message: bounds the gather buffer and pipelines copy, transfer and sum. */
  bucket: number;
}

export class MpiGroup implements Group {
  readonly rank: number;
  readonly size: number;
  readonly description: string;
  private readonly timeoutS = collectiveTimeout();
  private ncclUsed = false;
  private closed = false;

  constructor(launch: Launch, private readonly opts: MpiOptions) {
    let info;
    try {
      info = native().mpiInit({});
    } catch (e) {
      throw new ExodusError(`${launch.launcher} started ${launch.size} processes, but: ${(e as Error).message}`);
    }
    if (info.size !== launch.size || info.rank !== launch.rank)
      throw new ExodusError(`${info.library}: MPI reports rank ${info.rank} of ${info.size}, but ${launch.launcher} set rank ${launch.rank} of ${launch.size}; ` +
        `the library does not belong to the launcher (set EXODUS_MPI_LIB to the libmpi.so of the MPI whose mpirun you use)`);
    this.rank = info.rank;
    this.size = info.size;
    this.description = `${info.implementation} (${info.version || info.library}), ${opts.ordered ? "gather + sum in rank order" : "MPI_Allreduce"}`;
  }

  /** Switches CUDA gradients to NCCL on this rank's GPU; returns a note for the log, or why not. */
  useNccl(deviceIndex: number): string {
    try {
      const n = native().ncclInit({ index: deviceIndex, timeoutS: this.timeoutS });
      this.ncclUsed = true;
      return `NCCL ${n.version} (${n.library}) for GPU gradients`;
    } catch (e) {
      return `NCCL not used (${(e as Error).message}); GPU gradients cross through host memory and MPI`;
    }
  }

  gather(values: Float64Array): Float64Array[] {
    const all = native().mpiAllgather({ data: values, timeoutS: this.timeoutS });
    return Array.from({ length: this.size }, (_, r) => all.subarray(r * values.length, (r + 1) * values.length));
  }

  weightedSum(x: Tensor, n: number, weights: Float64Array): number {
    if (this.ncclUsed && x.device.type === "cuda") {
      // NCCL's sum order is its own: within float32 rounding of the ordered MPI sum.
      ops.axpby(0, x, weights[this.rank], x);
      native().ncclAllreduce({ x, n, timeoutS: this.timeoutS });
      return (2 * (this.size - 1) * n * 4) / this.size;
    }
    return native().mpiWeightedSum({ x, n, weights, ordered: this.opts.ordered, bucket: this.opts.bucket, timeoutS: this.timeoutS });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    native().mpiFinalize({});
  }
}
