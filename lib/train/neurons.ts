// The neuron layers of a model from the config's `neuron` section: an optional synaptic filter
// (ExpLeak) followed by the neuron, built by its model's entry (lib/nn/neuron-models.ts).
import { ExpLeak } from "../nn/expleak.js";
import type { Module } from "../nn/module.js";
import { NEURON_MODELS, type NeuronModel } from "../nn/neuron-models.js";
import type { Rng } from "../random.js";
import type { TrainConfig } from "./config.js";

/** With `recurrent`, the model's recurrent form of that many neurons (model.recurrent; validated). */
export function neuronLayers(cfg: TrainConfig, recurrent?: { size: number; rng: Rng; initScale: number }): Module[] {
  const n = cfg.neuron;
  const device = cfg.device;
  const backward = cfg.method;
  const layers: Module[] = [];
  if (n.synapse) layers.push(new ExpLeak({ tauSyn: n.synapse.tauSyn, learnBeta: n.synapse.learn, backward, device }));
  const model: NeuronModel = NEURON_MODELS[n.type];
  const common = { threshold: n.threshold, surrogate: n.surrogate, backward, device };
  layers.push(recurrent ? model.recurrent!(n, common, recurrent) : model.fromConfig(n, common));
  return layers;
}
