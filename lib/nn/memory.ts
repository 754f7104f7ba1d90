// What a Sequential's training forward keeps, estimated from its layers before anything runs
// (Module.keptPerStep: a Linear or Conv2d keeps its input, BatchNorm x̂, a neuron its scan's saved
// state, MaxPool its indices; docs/memory.md), and where to cut it into checkpointed segments
// (checkpoint.ts) so that the step fits a memory budget.
import type { Sequential } from "./sequential.js";
import { Checkpointed } from "./checkpoint.js";

const FLOAT = 4;

/** One step of the fusion plan: the bytes its layers keep, and its input's and output's bytes. */
export interface StepMemory {
  /** Its first layer and the layers it covers. */
  start: number;
  span: number;
  kept: number;
  input: number;
  /** Bytes its input costs when a checkpoint keeps it: a spiking layer's output packs to bits (packed.ts). */
  boundary: number;
  output: number;
}

export interface ForwardMemory {
  steps: StepMemory[];
  /** Bytes every layer keeps after a training forward (the input batch and the output not counted). */
  kept: number;
  /** Bytes of the largest tensor between steps: a backward holds a few (IN_FLIGHT) beside the caches. */
  largest: number;
}

/** shape: the network's input [T, B, …features]. */
export function forwardMemory(net: Sequential, shape: readonly number[]): ForwardMemory {
  const rows = shape[0] * shape[1];
  let s = shape.slice(2);
  const size = (f: readonly number[]) => FLOAT * rows * f.reduce((a, b) => a * b, 1);
  let largest = size(s);
  let spikes = false;
  const steps = net.plan.map((p) => {
    const input = size(s);
    const boundary = spikes ? input / 32 : input;
    let kept = 0;
    for (let i = p.start; i < p.start + p.span; i++) {
      kept += FLOAT * rows * net.layers[i].keptPerStep(s);
      s = net.layers[i].outputShape(s);
    }
    const output = size(s);
    largest = Math.max(largest, output);
    spikes = p.span === 1 && net.layers[p.start].spiking;
    return { start: p.start, span: p.span, kept, input, boundary, output };
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

/** Bytes a checkpointed forward keeps, cut at the given layers: the kept segment inputs and the last segment's caches. */
export function checkpointedKept(m: ForwardMemory, starts: readonly number[]): number {
  const cuts = starts.map((s) => m.steps.findIndex((st) => st.start === s));
  let n = 0;
  for (let k = 1; k < cuts.length; k++) n += m.steps[cuts[k]].boundary;
  for (let i = cuts[cuts.length - 1]; i < m.steps.length; i++) n += m.steps[i].kept;
  return n;
}

/**
 * Full-size tensors a backward holds beside the caches, as multiples of the largest activation:
 * the gradient in and out, a block's gradient kept for its skip sum, batch norm's temporaries,
 * the recomputed segment's own output. Measured on the CIFAR10-DVS SEW-ResNet (a checkpointed
 * step's live peak over its estimate without them: 4 of its 64 MiB first-stage tensors at B 2).
 */
const IN_FLIGHT = 4;

/** Peak bytes of the plain step (no checkpoints): every layer's caches and the tensors in flight. */
export function stepPeak(m: ForwardMemory): number {
  return peakOf(m, [0]);
}

/** Peak bytes of a step cut at the given step indices (segment starts): kept inputs + the largest segment + the tensors in flight. */
function peakOf(m: ForwardMemory, cuts: number[]): number {
  let inputs = 0;
  let worst = 0;
  cuts.forEach((c, k) => {
    if (k > 0) inputs += m.steps[c].boundary;
    const end = cuts[k + 1] ?? m.steps.length;
    let kept = 0;
    for (let i = c; i < end; i++) kept += m.steps[i].kept;
    worst = Math.max(worst, kept);
  });
  return inputs + worst + IN_FLIGHT * m.largest;
}

/**
 * Checkpointing for a budget: the plan over the network's steps; when that does not fit, the
 * layers keep compact caches (compactCaches), then blocks that can (SEW) are checkpointed inside
 * too, largest first, and the steps planned again after each. Returns
 * what runs the step (the network itself when it fits whole) and the plan.
 */
export function autoCheckpoint(net: Sequential, shape: readonly number[], budget: number): { run: Sequential | Checkpointed; plan: CheckpointPlan; inner: number } {
  let plan = planCheckpoints(net, shape, budget);
  const plain = plan.plain; // before any cache is made compact or block checkpointed inside
  let inner = 0;
  if (plan.peak > budget) {
    net.compactCaches();
    plan = planCheckpoints(net, shape, budget);
  }
  if (plan.peak > budget) {
    const rows = shape[0] * shape[1];
    const m = forwardMemory(net, shape);
    let s = shape.slice(2);
    const inputs = net.layers.map((l) => {
      const here = s;
      s = l.outputShape(s);
      return here;
    });
    const order = m.steps.filter((st) => st.span === 1).sort((a, b) => b.kept - a.kept);
    for (const st of order) {
      if (net.layers[st.start].checkpointInside(inputs[st.start], rows, 0)) inner++;
      plan = planCheckpoints(net, shape, budget);
      if (plan.peak <= budget) break;
    }
  }
  return { run: plan.starts.length > 1 ? new Checkpointed(net, plan.starts) : net, plan: { ...plan, plain }, inner };
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
