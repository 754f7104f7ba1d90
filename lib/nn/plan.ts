// Sequential's fusion plan: built once from what its layers declare (Module.fusion()), never by
// testing layer kinds on every forward. A step is one layer, or a neuron layer with the
// AvgPool2d(2) after it (and a Dropout after that) run as one scan: the spikes are pooled (and
// dropped out) while they are in cache and never stored. A step also knows whether the layer after
// it reads a spike bitmask, so that its own scan packs one.
import type { Pool2Head, PoolDropout } from "./activation.js";
import type { Module } from "./module.js";

export interface PlanStep {
  /** Index of the step's first layer. */
  start: number;
  /** Layers the step covers when it runs fused: 1, 2 (neuron + pooling) or 3 (+ dropout). */
  span: number;
  /** Whether the next step's layer reads a spike bitmask (so this step packs one when it can). */
  packMask: boolean;
  /** The fused scan, when the step covers a pooling. */
  pool2?: { head: Pool2Head; dropout?: () => PoolDropout | undefined };
}

export function buildPlan(layers: readonly Module[]): PlanStep[] {
  const fusions = layers.map((l) => l.fusion());
  const steps: PlanStep[] = [];
  for (let i = 0; i < layers.length; ) {
    const head = fusions[i].pool2Head;
    if (head && fusions[i + 1]?.avgPool2) {
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

