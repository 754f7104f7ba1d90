// Live diagnostics of a training run: the firing rate of every spiking layer (the fraction of
// possible spikes, neurons × steps × samples), measured on the forward pass the step does anyway,
// and one warning per layer that stays silent or saturated for a whole epoch — a dead network
// sits at loss ln(classes) with zero gradients, which nothing else would point out.
import { type DeviceLike, parseDevice, synchronize } from "../device.js";
import { LIF } from "../nn/lif.js";
import { SRM } from "../nn/srm.js";
import { NeuronLayer } from "../nn/neuron.js";
import type { Module } from "../nn/module.js";
import type { Sequential } from "../nn/sequential.js";
import { Dag } from "../nir/dag.js";
import * as ops from "../ops.js";
import type { SpikeHint } from "../sparse.js";
import type { Tensor } from "../tensor.js";
import type { TrainConfig } from "./config.js";

/** Below this fraction of possible spikes a layer is silent, above SATURATED saturated. */
export const SILENT = 1e-3;
export const SATURATED = 0.9;

export interface SpikingLayer {
  /** "1.LIF", like the gradient-norm keys ("0.<node>.<k>.LIF" inside an imported graph's Dag). */
  name: string;
  index: number;
  /** The neuron layer inside the Dag at `index` (an imported NIR graph, lib/nir/dag.ts). */
  inner?: Module;
}

const spiking = (l: Module) => l instanceof LIF || l instanceof SRM;

export function spikingLayers(net: Sequential): SpikingLayer[] {
  return net.layers.flatMap((l, i) => {
    if (l instanceof Dag)
      return l.nodes.flatMap((n) => n.layers.layers.flatMap((m, k) => (spiking(m) ? [{ name: `${i}.${n.name}.${k}.${m.constructor.name}`, index: i, inner: m }] : [])));
    return spiking(l) ? [{ name: `${i}.${l.constructor.name}`, index: i }] : [];
  });
}

/**
 * Sequential.forward, also returning each spiking layer's spike count (summed over the batch).
 * Call inside scope(). `sizes` receives the number of possible spikes of each layer.
 */
export function forwardCounting(net: Sequential, x: Tensor, layers: SpikingLayer[], hint?: SpikeHint): { y: Tensor; spikes: number[]; possible: number[] } {
  const spikes = layers.map(() => 0);
  const possible = layers.map(() => 0);
  const top = new Map(layers.flatMap((l, k) => (l.inner ? [] : [[l.index, k] as const])));
  // neuron layers inside a Dag are counted as the Dag runs them (its observer)
  const inner = new Map(layers.flatMap((l, k) => (l.inner ? [[l.inner, k] as const] : [])));
  const dags = inner.size ? (net.layers.filter((l) => l instanceof Dag) as Dag[]) : [];
  for (const d of dags)
    d.observer = (_node, layer, h) => {
      const k = inner.get(layer);
      if (k === undefined) return;
      spikes[k] = ops.sumAll(h);
      possible[k] = h.size;
    };
  try {
    // As Sequential.forward (spike masks, fused pooling); a neuron layer that ran fused with its
    // pooling reports its own spike count, its output being the pooled map.
    const y = net.forwardSteps(x, hint, (i, h) => {
      const k = top.get(i);
      if (k === undefined) return;
      const layer = net.layers[i];
      const fused = layer instanceof NeuronLayer ? layer.lastSpikeCount : undefined;
      spikes[k] = fused ?? ops.sumAll(h);
      possible[k] = fused === undefined ? h.size : h.size * 4;
    });
    return { y, spikes, possible };
  } finally {
    for (const d of dags) d.observer = undefined;
  }
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
