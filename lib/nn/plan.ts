// Sequential's fusion plan: built once from what its layers declare (Module.fusion()), never by
// testing layer kinds on every forward. A step is one layer, or a neuron layer with the
// AvgPool2d(2) after it (and a Dropout after that) run as one scan: the spikes are pooled (and
// dropped out) while they are in cache and never stored. A step also knows whether the layer after
// it reads a spike bitmask, so that its own scan packs one. A Linear over a spike index and the LIF
// after it are a step too: the neuron scan computes the product row block by row block and the
// Linear's output is never stored (lif_linear.cc); the neuron layer's reverse scan then takes the
// Linear's backward as well (backwardLinear, lif_linear_grad.h).
import type { IndexFeedSource, LinearTail, Pool2Head, PoolDropout } from "./activation.js";
import type { Module } from "./module.js";

export interface PlanStep {
  /** Index of the step's first layer. */
  start: number;
  /** Layers the step covers when it runs fused: 1, 2 (neuron + pooling, or Linear + neuron) or 3 (+ dropout). */
  span: number;
  /** Whether the next step's layer reads a spike bitmask (so this step packs one when it can). */
  packMask: boolean;
  /** The fused scan, when the step covers a pooling. */
  pool2?: { head: Pool2Head; dropout?: () => PoolDropout | undefined };
  /** The Linear (the step's first layer) and the neuron layer after it, when the step covers both. */
  linear?: { feed: IndexFeedSource; tail: LinearTail };
}

export function buildPlan(layers: readonly Module[]): PlanStep[] {
  const fusions = layers.map((l) => l.fusion());
  const steps: PlanStep[] = [];
  for (let i = 0; i < layers.length; ) {
    const head = fusions[i].pool2Head;
    const feed = fusions[i].indexFeed, tail = fusions[i + 1]?.linearTail;
    // A neuron layer with a pooling after it keeps its pooled scan: the Linear before it runs alone.
    if (feed && tail && !(fusions[i + 1].pool2Head && fusions[i + 2]?.avgPool2)) {
      steps.push({ start: i, span: 2, packMask: fusions[i + 2]?.readsSpikes ?? false, linear: { feed, tail } });
      i += 2;
    } else if (head && fusions[i + 1]?.avgPool2) {
      const dropout = fusions[i + 2]?.dropout;
      const span = dropout ? 3 : 2;
      steps.push({ start: i, span, packMask: false, pool2: { head, ...(dropout ? { dropout } : {}) } });
      i += span;
    } else {
      steps.push({ start: i, span: 1, packMask: fusions[i + 1]?.readsSpikes ?? false });
      i += 1;
    }
  }
  return steps;
}

