// Live diagnostics of a training run: the firing rate of every spiking layer (the fraction of
// possible spikes, neurons × steps × samples), measured on the forward pass the step does anyway,
// and one warning per layer that stays silent or saturated for a whole epoch — a dead network
// sits at loss ln(classes) with zero gradients, which nothing else would point out.
import { type DeviceLike, parseDevice, synchronize } from "../device.js";
import type { Activation } from "../nn/activation.js";
import type { Module } from "../nn/module.js";
import type { Sequential } from "../nn/sequential.js";
import * as ops from "../ops.js";
import { Tensor } from "../tensor.js";
import type { TrainConfig } from "./config.js";

/** Below this fraction of possible spikes a layer is silent, above SATURATED saturated. */
export const SILENT = 1e-3;
export const SATURATED = 0.9;

export interface SpikingLayer {
  /** "1.LIF", "3.block.1.IAF": the layer's path, like the gradient-norm keys. */
  name: string;
  layer: Module;
}

/** Every layer whose output is spikes (Module.spiking), nested ones too (SEW blocks, nested Sequentials), in forward order. */
export function spikingLayers(net: Sequential): SpikingLayer[] {
  const out: SpikingLayer[] = [];
  const walk = (m: Module, prefix: string) => {
    for (const [name, l] of m.namedLayers()) {
      if (l.spiking) out.push({ name: `${prefix}${name}.${l.constructor.name}`, layer: l });
      walk(l, `${prefix}${name}.`);
    }
  };
  walk(net, "");
  return out;
}

/**
 * The network's forward on `input` (the tensor, or a batch with its spike index), also returning
 * each spiking layer's spike count (summed over the batch) and its number of possible spikes.
 * Call inside scope().
 */
export function forwardCounting(net: Pick<Module, "forwardActivation">, input: Tensor | Activation, layers: SpikingLayer[]): { y: Tensor; spikes: number[]; possible: number[] } {
  const spikes = layers.map(() => 0);
  const possible = layers.map(() => 0);
  const slot = new Map<object, number>(layers.map((l, k) => [l.layer, k]));
  const a: Activation = input instanceof Tensor ? { x: input } : input;
  // As Sequential.forward (spike masks, fused pooling); a neuron layer that ran fused with its
  // pooling reports its own spike count, its output being the pooled map.
  const y = net.forwardActivation(a, {
    observe: (layer, out) => {
      const k = slot.get(layer);
      if (k === undefined) return;
      spikes[k] += out.spikeCount ?? ops.sumAll(out.x);
      possible[k] += out.spikeCount === undefined ? out.x.size : out.x.size * 4;
    },
  }).x;
  return { y, spikes, possible };
}

/** Waits for a GPU's queued work, so a phase's time is its own (a no-op on the CPU). */
export function syncDevice(device: DeviceLike): void {
  const d = parseDevice(device);
  if (d.isCuda) synchronize(d);
}

/** The warning for a layer's epoch rate, if it is silent or saturated. */
export function firingWarning(layer: string, rate: number, epoch: number, cfg: TrainConfig): string | undefined {
  const pct = (v: number) => `${(100 * v).toPrecision(2)} %`;
  const { initScale } = cfg.model;
  const { threshold } = cfg.neuron;
  if (rate < SILENT)
    return (
      `layer ${layer} is silent in epoch ${epoch}: ${pct(rate)} of possible spikes (< ${pct(SILENT)}), so the layers after it get no input and ` +
      `every gradient before it vanishes. Raise model.initScale (now ${initScale}; e.g. --set model.initScale=${initScale * 2}), lower ` +
      `neuron.threshold (now ${threshold}), or bin the input more coarsely (dataset.transform.frame.binUs) so each step carries more spikes`
    );
  if (rate > SATURATED)
    return (
      `layer ${layer} is saturated in epoch ${epoch}: it fires at ${pct(rate)} of possible steps (> ${pct(SATURATED)}), so its surrogate ` +
      `gradients carry little information. Lower model.initScale (now ${initScale}) or raise neuron.threshold (now ${threshold}; e.g. ` +
      `--set neuron.threshold=${threshold * 2})`
    );
  return undefined;
}

/** Warns once per layer and condition over a run (not once per epoch). */
export class FiringMonitor {
  private readonly warned = new Set<string>();
  constructor(private readonly cfg: TrainConfig) {}

  check(rates: Record<string, number>, epoch: number): string[] {
    const out: string[] = [];
    for (const [layer, rate] of Object.entries(rates)) {
      const w = firingWarning(layer, rate, epoch, this.cfg);
      const key = `${layer}:${rate < SILENT ? "silent" : "saturated"}`;
      if (w && !this.warned.has(key)) {
        this.warned.add(key);
        out.push(w);
      }
    }
    return out;
  }
}
