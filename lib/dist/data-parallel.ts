// Data-parallel training as the trainer sees it (docs/distributed.md). Every rank builds the same
// model from the same seed, reads its share of each global batch (shard.ts), and per step:
//   1. exchange(): every rank's sample count, loss sum, correct count, spike counts and stop
//      flag, gathered and summed in rank order (float64), so metrics are the global batch's and
//      every rank sees the same numbers — and a Ctrl-C/SIGTERM on any rank stops all of them
//      after the same step;
//   2. reduceGradients(): the flat gradient ← Σ_r (B_r / B)·g_r, where g_r is the mean-loss
//      gradient of rank r's B_r samples, i.e. the gradient of the global batch's mean loss.
// Every rank then takes the same optimizer step on the same bits; only rank 0 writes files.
import { cudaStatus } from "../device.js";
import { ExodusError } from "../errors.js";
import { native, shifted } from "../native.js";
import type { Buffer, Parameter } from "../nn/module.js";
import { mixSeed } from "../train/trainer.js"; // a function: the import cycle with trainer.ts is harmless
import { Tensor, keep } from "../tensor.js";
import type { TrainConfig } from "../train/config.js";
import { MpiGroup, SingleProcess, type Group } from "./group.js";
import { detectLaunch, type Launch } from "./launch.js";
import type { Shard } from "./shard.js";

/** One rank's (or, summed, the global batch's) share of a step. */
export interface StepStats {
  samples: number;
  lossSum: number;
  correct: number;
  spikes: number[];
  possible: number[];
  /** This rank was asked to stop (Ctrl-C, SIGTERM); summed: any rank was. */
  stop: boolean;
}

export interface GlobalStats extends StepStats {
  /** Samples of each rank, in rank order. */
  perRank: Float64Array;
}

/** Communication of an epoch, in metrics.jsonl (`dist`). */
export interface DistMetrics {
  ranks: number;
  /** Bytes one rank received per step for the gradients, and seconds per step in both collectives. */
  bytesPerStep: number;
  commSecondsPerStep: number;
}

function env(name: string, fallback: number, min: number): number {
  const v = process.env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new ExodusError(`${name}: expected an integer >= ${min}, received ${JSON.stringify(v)}`);
  return n;
}

export class DataParallel {
  private flat: Tensor | undefined;
  private steps = 0;
  private bytes = 0;
  private seconds = 0;

  private constructor(readonly group: Group, readonly config: TrainConfig, readonly notes: string[]) {}

  /**
   * The job this process is part of (mpirun/srun variables, launch.ts), or a group of one. With
   * several ranks on CUDA, rank r of a node trains on cuda:localRank.
   */
  static open(config: TrainConfig, launch: Launch | undefined = detectLaunch()): DataParallel {
    if (!launch) return new DataParallel(new SingleProcess(), config, []);
    const ordered = (process.env.EXODUS_DIST_REDUCE ?? "ordered") !== "allreduce";
    if (!["ordered", "allreduce", undefined, ""].includes(process.env.EXODUS_DIST_REDUCE))
      throw new ExodusError(`EXODUS_DIST_REDUCE: expected "ordered" or "allreduce", received ${JSON.stringify(process.env.EXODUS_DIST_REDUCE)}`);
    const group = new MpiGroup(launch, { ordered, bucket: env("EXODUS_DIST_BUCKET", Math.max(1 << 16, Math.floor((1 << 22) / launch.size)), 1) });
    const notes = [`data-parallel: rank ${group.rank} of ${group.size} (${launch.launcher}), ${group.description}`];
    let cfg = config;
    if (/^cuda(:\d+)?$/.test(config.device)) {
      // "cuda", and "cuda:0" (what device "auto" becomes), mean one GPU per rank of a node: the
      // local rank's, modulo the GPUs this process sees (srun --gpus-per-task shows each one GPU).
      const index = /^cuda(:0)?$/.test(config.device) ? launch.localRank % Math.max(1, cudaStatus().deviceCount) : Number(config.device.slice(5));
      cfg = { ...config, device: `cuda:${index}` };
      notes.push(group.useNccl(index));
    }
    return new DataParallel(group, cfg, notes);
  }

  get rank(): number {
    return this.group.rank;
  }
  get size(): number {
    return this.group.size;
  }
  /** Only rank 0 writes the run folder (checkpoints, metrics, report). */
  get writer(): boolean {
    return this.group.rank === 0;
  }
  /** For BatchOptions.shard: undefined when training alone. */
  get shard(): Shard | undefined {
    return this.size > 1 ? { rank: this.rank, size: this.size } : undefined;
  }

  /** Returns once every rank got here (one small collective); at once alone. */
  barrier(): void {
    if (this.size > 1) this.group.gather(new Float64Array(1));
  }

  /** The global batch's statistics: every rank's, summed in rank order. */
  exchange(s: StepStats, timed = true): GlobalStats {
    const k = s.spikes.length;
    const mine = new Float64Array([s.samples, s.lossSum, s.correct, s.stop ? 1 : 0, ...s.spikes, ...s.possible]);
    const t = performance.now();
    const rows = this.group.gather(mine);
    if (timed) this.seconds += (performance.now() - t) / 1000;
    const sum = new Float64Array(mine.length);
    for (const row of rows) for (let j = 0; j < sum.length; j++) sum[j] += row[j];
    return {
      samples: sum[0], lossSum: sum[1], correct: sum[2], stop: sum[3] > 0,
      spikes: Array.from(sum.subarray(4, 4 + k)), possible: Array.from(sum.subarray(4 + k, 4 + 2 * k)),
      perRank: Float64Array.from(rows, (r) => r[0]),
    };
  }

  /** Each parameter's gradient ← the global batch's (see the file's comment); a no-op alone. */
  reduceGradients(params: readonly Parameter[], g: GlobalStats): void {
    if (this.size === 1) return;
    const t = performance.now();
    this.bytes += this.weightedSum(params.map((p) => p.grad), Float64Array.from(g.perRank, (b) => b / g.samples));
    this.seconds += (performance.now() - t) / 1000;
    this.steps++;
  }

  /**
   * Batch norm's running statistics ← their mean over the ranks (each rank normalises its own
   * share and so updates its own), so that every rank evaluates, and rank 0 saves, the same.
   */
  averageBuffers(buffers: readonly Buffer[]): void {
    if (this.size === 1 || buffers.length === 0) return;
    this.weightedSum(buffers.map((b) => b.value), new Float64Array(this.size).fill(1 / this.size));
  }

  /** Dropout's seed for a step and layer: distinct per rank, or the ranks' masks would repeat each other's. */
  dropoutSeed(seed: number): number {
    return this.size === 1 ? seed : mixSeed(seed, this.rank);
  }

  /** tensors ← Σ_r weights[r]·tensors_r, through one flat buffer (one exchange, bucketed inside). */
  private weightedSum(tensors: readonly Tensor[], weights: Float64Array): number {
    const n = tensors.reduce((a, x) => a + x.size, 0);
    if (!this.flat || this.flat.size < n) {
      this.flat?.dispose();
      this.flat = keep(Tensor.empty([n], tensors[0].device));
    }
    const flat = this.flat;
    let off = 0;
    for (const x of tensors) {
      native().copy({ src: x, dst: shifted(flat, off), n: x.size });
      off += x.size;
    }
    const bytes = this.group.weightedSum(flat, n, weights);
    off = 0;
    for (const x of tensors) {
      native().copy({ src: shifted(flat, off), dst: x, n: x.size });
      off += x.size;
    }
    return bytes;
  }

  /**
   * Throws unless the ranks together read the whole global batch of `expected` samples: a
   * TrainData that ignores BatchOptions.shard would hand every rank all of it (and train on each
   * sample N times).
   */
  checkShare(total: number, expected: number): void {
    if (this.size > 1 && total !== expected)
      throw new ExodusError(`data-parallel: the ${this.size} ranks read ${total} samples of a batch of ${expected}; ` +
        `the training data must give each rank its share (BatchOptions.shard, lib/dist/shard.ts)`);
  }

  /**
   * A hash of every rank's weights (and batch norm's averaged statistics), compared: they must be
   * bit-identical after every step (same start, same summed gradient, same update). Returns a
   * note for the log; throws if they differ.
   */
  checkSameWeights(tensors: readonly Tensor[]): string | undefined {
    if (this.size === 1) return undefined;
    let h = 0x811c9dc5;
    for (const t of tensors) {
      const bits = new Uint32Array(t.toArray().buffer);
      for (let i = 0; i < bits.length; i++) h = Math.imul(h ^ bits[i], 0x01000193) >>> 0;
    }
    const all = this.group.gather(new Float64Array([h])).map((r) => r[0]);
    const hex = (x: number) => `0x${x.toString(16).padStart(8, "0")}`;
    if (all.some((x) => x !== all[0]))
      throw new ExodusError(`data-parallel: the ranks' weights differ (hashes ${all.map(hex).join(", ")}); the ranks ran different code or data — check that every rank uses the same exodus build and files`);
    return `weights bit-identical on ${this.size} ranks (hash ${hex(all[0])})`;
  }

  /** The epoch's communication figures (undefined alone), and a fresh count for the next one. */
  takeMetrics(): DistMetrics | undefined {
    if (this.size === 1) return undefined;
    const m = { ranks: this.size, bytesPerStep: this.bytes / Math.max(1, this.steps), commSecondsPerStep: this.seconds / Math.max(1, this.steps) };
    this.steps = this.bytes = this.seconds = 0;
    return m;
  }

  /** Leaves the job: MPI_Finalize after a clean end; after an error the process exits without it (mpirun then stops the others). */
  close(clean: boolean): void {
    this.flat?.dispose();
    this.flat = undefined;
    if (clean) this.group.close();
  }
}
