// train.memoryBudget (--memory-budget): the memory a training step's activations may take. When
// the estimate of what the network keeps (nn/memory.ts) would not fit, the step runs checkpointed
// (nn/checkpoint.ts): same results bit for bit, one more forward of most layers (docs/memory.md).
import { freemem } from "node:os";
import type { Module } from "../nn/module.js";
import type { Sequential } from "../nn/sequential.js";
import { autoCheckpoint } from "../nn/memory.js";
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
  if (cfg.train.memoryBudget === "off") return { run: net };
  const budget = budgetBytes(cfg);
  const shape = [sampleShape[0], cfg.train.batchSize, ...sampleShape.slice(1)];
  const { run, plan, inner } = autoCheckpoint(net, shape, budget);
  if (run === net && inner === 0) return { run };
  const gib = (b: number) => (b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(2)} GiB` : `${(b / MiB).toPrecision(3)} MiB`);
  const segs = plan.starts.length;
  return {
    run,
    note:
      `memory: a step's activations are estimated at ${gib(plan.plain)}, over train.memoryBudget ${gib(budget)}: checkpointing ` +
      `(${segs} segment${segs === 1 ? "" : "s"}${inner ? `, ${inner} block${inner === 1 ? "" : "s"} inside` : ""}), estimated peak ${gib(plan.peak)}` +
      (plan.peak > budget ? ` (still over: use a smaller train.batchSize or fewer frame steps)` : ""),
  };
}
