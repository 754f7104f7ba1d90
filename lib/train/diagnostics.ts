// Live diagnostics of a training run: the firing rate of every spiking layer (the fraction of
// possible spikes, neurons × steps × samples), measured on the forward pass the step does anyway
// (spike-probe.ts),
// and one warning per layer that stays silent or saturated for a whole epoch — a dead network
// sits at loss ln(classes) with zero gradients, which nothing else would point out.
import { type DeviceLike, parseDevice, synchronize } from "../device.js";
import type { TrainConfig } from "./config.js";

/** Below this fraction of possible spikes a layer is silent, above SATURATED saturated. */
export const SILENT = 1e-3;
export const SATURATED = 0.9;

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
