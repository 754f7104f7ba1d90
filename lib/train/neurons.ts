// The neuron layers of a model from the config's `neuron` section: an optional synaptic filter
// (ExpLeak) followed by the neuron, built by its model's entry (lib/nn/neuron-models.ts).
import { ExpLeak } from "../nn/expleak.js";
import type { Module } from "../nn/module.js";
import { NEURON_MODELS } from "../nn/neuron-models.js";
import type { TrainConfig } from "./config.js";

export function neuronLayers(cfg: TrainConfig): Module[] {
  const n = cfg.neuron;
  const device = cfg.device;
  const backward = cfg.method;
  const layers: Module[] = [];
  if (n.synapse) layers.push(new ExpLeak({ tauSyn: n.synapse.tauSyn, learnBeta: n.synapse.learn, backward, device }));
  layers.push(NEURON_MODELS[n.type].fromConfig(n, { threshold: n.threshold, surrogate: n.surrogate, backward, device }));
  return layers;
}
