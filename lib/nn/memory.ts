// What a Sequential's training forward keeps, estimated from its layers before anything runs
// (Module.keptPerStep: a Linear or Conv2d keeps its input, BatchNorm x̂, a neuron its scan's saved
// state, MaxPool its indices; docs/memory.md), and where to cut it into checkpointed segments
// (checkpoint.ts) so that the step fits a memory budget.
import type { Sequential } from "./sequential.js";

const FLOAT = 4;

/** One step of the fusion plan: the bytes its layers keep, and its input's and output's bytes. */
export interface StepMemory {
  /** Its first layer and the layers it covers. */
  start: number;
  span: number;
  kept: number;
  input: number;
  output: number;
}

export interface ForwardMemory {
  steps: StepMemory[];
  /** Bytes every layer keeps after a training forward (the input batch and the output not counted). */
  kept: number;
  /** Bytes of the largest tensor between steps: a backward holds about two (the gradient in and out). */
  largest: number;
}

/** shape: the network's input [T, B, …features]. */
export function forwardMemory(net: Sequential, shape: readonly number[]): ForwardMemory {
  const rows = shape[0] * shape[1];
  let s = shape.slice(2);
  const size = (f: readonly number[]) => FLOAT * rows * f.reduce((a, b) => a * b, 1);
  let largest = size(s);
  const steps = net.plan.map((p) => {
    const input = size(s);
    let kept = 0;
    for (let i = p.start; i < p.start + p.span; i++) {
      kept += FLOAT * rows * net.layers[i].keptPerStep(s);
      s = net.layers[i].outputShape(s);
    }
    const output = size(s);
    largest = Math.max(largest, output);
    return { start: p.start, span: p.span, kept, input, output };
  });
  return { steps, kept: steps.reduce((n, st) => n + st.kept, 0), largest };
}

export interface CheckpointPlan {
  /** The first layer of each segment (one segment starting at 0: no checkpointing). */
  starts: number[];
  /** The estimated peak of the step's activations with these segments, and without any. */
  peak: number;
  plain: number;
}

/** Peak bytes of a step cut at the given step indices (segment starts): kept inputs + the largest segment + the gradients in flight. */
function peakOf(m: ForwardMemory, cuts: number[]): number {
  let inputs = 0;
  let worst = 0;
  cuts.forEach((c, k) => {
    if (k > 0) inputs += m.steps[c].input;
    const end = cuts[k + 1] ?? m.steps.length;
    let kept = 0;
    for (let i = c; i < end; i++) kept += m.steps[i].kept;
    worst = Math.max(worst, kept);
  });
  return inputs + worst + 2 * m.largest;
}

/**
 * The fewest segments whose estimated peak fits `budget` bytes, or, when none does, the cut with
 * the lowest peak. Greedy per cap: a segment grows while its kept bytes stay within the cap; every
 * cap from the steps' own sizes up to the whole is tried.
 */
export function planCheckpoints(net: Sequential, shape: readonly number[], budget: number): CheckpointPlan {
  const m = forwardMemory(net, shape);
  const plain = peakOf(m, [0]);
  if (plain <= budget || m.steps.length < 2) return { starts: [0], peak: plain, plain };
  const caps = new Set<number>();
  for (let i = 0; i < m.steps.length; i++) {
    let sum = 0;
    for (let j = i; j < m.steps.length; j++) caps.add((sum += m.steps[j].kept));
  }
  let best: { cuts: number[]; peak: number } | undefined;
  for (const cap of [...caps].sort((a, b) => b - a)) {
    const cuts = [0];
    let acc = 0;
    m.steps.forEach((st, i) => {
      if (i > 0 && acc + st.kept > cap) {
        cuts.push(i);
        acc = 0;
      }
      acc += st.kept;
    });
    const peak = peakOf(m, cuts);
    const fits = peak <= budget;
    const better = !best || (fits && (best.peak > budget || cuts.length < best.cuts.length)) || (!fits && best.peak > budget && peak < best.peak);
    if (better) best = { cuts, peak };
  }
  return { starts: best!.cuts.map((c) => m.steps[c].start), peak: best!.peak, plain };
}
