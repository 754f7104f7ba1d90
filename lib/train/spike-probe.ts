// Spike counts of every spiking layer of a network, those inside residual (SEW) blocks included:
// the firing rates in metrics.jsonl and the report. Sequential's forwardSteps reports each layer's
// output to a callback; a block runs its own inner Sequential through forward(), so the probe
// gives each inner Sequential that holds neurons a forwardSteps that also counts (an instance
// property: the class and other networks are untouched). Until the layers describe themselves
// (arch-ts), this walk is the one place that knows where neurons can nest.
import { ALIF } from "../nn/alif.js";
import { LIF } from "../nn/lif.js";
import type { Module } from "../nn/module.js";
import { NeuronLayer } from "../nn/neuron.js";
import { SEW } from "../nn/sew.js";
import { Sequential } from "../nn/sequential.js";
import { SRM } from "../nn/srm.js";
import { Dag } from "../nir/dag.js";
import * as ops from "../ops.js";
import type { SpikeHint } from "../sparse.js";
import type { Tensor } from "../tensor.js";

/** Layers that emit spikes (ExpLeak, the synaptic filter, does not). */
export function isSpiking(l: Module): boolean {
  return l instanceof LIF || l instanceof ALIF || l instanceof SRM;
}

interface Slot {
  name: string;
  seq: Sequential;
  index: number;
}

/** Every spiking layer, depth first, named like the parameters: "2.LIF", "5.block.2.LIF". */
function walk(seq: Sequential, prefix: string, out: Slot[]): void {
  seq.layers.forEach((l, i) => {
    if (isSpiking(l)) out.push({ name: `${prefix}${i}.${l.constructor.name}`, seq, index: i });
    if (l instanceof SEW) walk(l.block, `${prefix}${i}.block.`, out);
    else if (l instanceof Sequential) walk(l, `${prefix}${i}.`, out);
    // an imported NIR graph: each node's layers, named as its parameters are ("3.<node>.0.LIF")
    else if (l instanceof Dag) for (const n of l.nodes) walk(n.layers, `${prefix}${i}.${n.name}.`, out);
  });
}

export class SpikeProbe {
  readonly names: string[];
  private readonly slots: Slot[] = [];
  private spikes: number[] = [];
  private possible: number[] = [];

  constructor(private readonly net: Sequential) {
    walk(net, "", this.slots);
    this.names = this.slots.map((s) => s.name);
    for (const seq of new Set(this.slots.map((s) => s.seq))) {
      if (seq === net) continue;
      const own = seq.forwardSteps.bind(seq);
      seq.forwardSteps = (x, hint, after) => own(x, hint, (i, h) => (after(i, h), this.count(seq, i, h)));
    }
  }

  private count(seq: Sequential, i: number, h: Tensor): void {
    const k = this.slots.findIndex((s) => s.seq === seq && s.index === i);
    if (k < 0) return;
    const layer = seq.layers[i];
    // A neuron layer that ran fused with its 2×2 pooling reports its own count; h is the pooled map.
    const fused = layer instanceof NeuronLayer ? layer.lastSpikeCount : undefined;
    this.spikes[k] += fused ?? ops.sumAll(h);
    this.possible[k] += fused === undefined ? h.size : h.size * 4;
  }

  /** The network's forward, also returning each spiking layer's spikes and possible spikes. Call inside scope(). */
  forward(x: Tensor, hint?: SpikeHint): { y: Tensor; spikes: number[]; possible: number[] } {
    this.spikes = this.slots.map(() => 0);
    this.possible = this.slots.map(() => 0);
    const y = this.net.forwardSteps(x, hint, (i, h) => this.count(this.net, i, h));
    return { y, spikes: this.spikes, possible: this.possible };
  }
}
