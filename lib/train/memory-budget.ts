// train.memoryBudget (--memory-budget): the memory a training step's activations may take. When
// the estimate of what the network keeps (nn/memory.ts) would not fit, the step runs checkpointed
// (nn/checkpoint.ts): same results bit for bit, one more forward of most layers (docs/memory.md);
// when even that would not fit, a Linear/LIF network runs in chunks of time (nn/time-chunks.ts).
import { freemem } from "node:os";
import type { Module } from "../nn/module.js";
import type { Sequential } from "../nn/sequential.js";
import { autoCheckpoint } from "../nn/memory.js";
import { TimeChunked, chunkable } from "../nn/time-chunks.js";
import { planTimeChunks, timeChunkPeak } from "../nn/time-chunk-plan.js";
import { ExodusError } from "../errors.js";
import { fail } from "../validate.js";
import { availableMemory } from "./memory.js";
import type { TrainConfig } from "./types.js";

const MiB = 2 ** 20;
/** The share of the free memory an "auto" budget takes: the rest is for the data loader, the optimiser, other processes. */
const AUTO_SHARE = 0.5;

/** "auto" (the default), "off" or a number of MiB > 0. */
export function parseMemoryBudget(field: string, v: unknown): number | "auto" | "off" {
  if (v === undefined || v === null || v === "auto") return "auto";
  if (v === "off") return "off";
  if (typeof v === "number" && Number.isFinite(v) && v > 0) return v;
  fail(field, '"auto", "off" or a number of MiB > 0 (memory for a training step\'s activations)', v);
}

/** train.timeChunk: "auto" (the default), "off" or a number of time steps per chunk (an integer >= 1). */
export function parseTimeChunk(field: string, v: unknown): number | "auto" | "off" {
  if (v === undefined || v === null || v === "auto") return "auto";
  if (v === "off") return "off";
  if (typeof v === "number" && Number.isInteger(v) && v >= 1) return v;
  fail(field, '"auto", "off" or a number of time steps per chunk (an integer >= 1)', v);
}

/** The budget in bytes: the number given, or for "auto" half of what is free now (the GPU's total on CUDA). */
export function budgetBytes(cfg: TrainConfig): number {
  const b = cfg.train.memoryBudget;
  if (typeof b === "number") return b * MiB;
  const { bytes } = availableMemory(cfg.device);
  return AUTO_SHARE * (cfg.device.startsWith("cuda") ? bytes : Math.min(bytes, freemem()));
}

/**
 * What runs the training step: the network itself, or its checkpointed form when its estimated
 * activations for a batch [T, batchSize, …] exceed the budget; with the line to log.
 */
export function stepNetwork(net: Sequential, cfg: TrainConfig, sampleShape: readonly number[]): { run: Module; note?: string } {
  const shape = [sampleShape[0], cfg.train.batchSize, ...sampleShape.slice(1)];
  const tc = cfg.train.timeChunk;
  if (typeof tc === "number") return { run: chunkedBy(net, cfg, tc), note: `memory: chunks of time of ${tc} steps (train.timeChunk), estimated peak ${gib(timeChunkPeak(net, shape, tc))}` };
  if (cfg.train.memoryBudget === "off") return { run: net };
  const budget = budgetBytes(cfg);
  const { run, plan, inner } = autoCheckpoint(net, shape, budget);
  if (run === net && inner === 0) return { run };
  if (plan.peak > budget && tc === "auto" && !cfg.device.startsWith("cuda") && chunkable(net)) {
    // layer segments do not fit: chunks of time bound the step by one chunk, whatever T is
    const t = planTimeChunks(net, shape, budget);
    if (t.peak < plan.peak)
      return {
        run: new TimeChunked(net, t.chunk),
        note: `memory: a step's activations are estimated at ${gib(plan.plain)}, over train.memoryBudget ${gib(budget)}, and ${gib(plan.peak)} with layer checkpointing: ` +
          `chunks of time of ${t.chunk} steps, estimated peak ${gib(t.peak)}` + (t.peak > budget ? ` (still over: use a smaller train.batchSize)` : ""),
      };
  }
  const segs = plan.starts.length;
  return {
    run,
    note:
      `memory: a step's activations are estimated at ${gib(plan.plain)}, over train.memoryBudget ${gib(budget)}: checkpointing ` +
      `(${segs} segment${segs === 1 ? "" : "s"}${inner ? `, ${inner} block${inner === 1 ? "" : "s"} inside` : ""}), estimated peak ${gib(plan.peak)}` +
      (plan.peak > budget ? ` (still over: use a smaller train.batchSize or fewer frame steps)` : ""),
  };
}

const gib = (b: number) => (b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(2)} GiB` : `${(b / MiB).toPrecision(3)} MiB`);

/** The step in chunks of `steps` (train.timeChunk), or why this network or device cannot run it so. */
function chunkedBy(net: Sequential, cfg: TrainConfig, steps: number): TimeChunked {
  if (cfg.device.startsWith("cuda")) fail("train.timeChunk", `"auto" or "off" on CUDA (chunks of time run on the CPU only)`, steps);
  try {
    return new TimeChunked(net, steps);
  } catch (e) {
    throw new ExodusError(`train.timeChunk ${steps}: ${(e as Error).message}; or set train.timeChunk to "auto" or "off"`);
  }
}
