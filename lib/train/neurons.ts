// The neuron layers of a model from the config's `neuron` section: an optional synaptic filter
// (ExpLeak) followed by the neuron (LIF, IAF, ALIF or SRM).
import { ALIF, type AlifParam } from "../nn/alif.js";
import { ExpLeak } from "../nn/expleak.js";
import { IAF, LIF } from "../nn/lif.js";
import type { Module } from "../nn/module.js";
import { SRM } from "../nn/srm.js";
import type { TrainConfig } from "./config.js";

export function neuronLayers(cfg: TrainConfig): Module[] {
  const n = cfg.neuron;
  const device = cfg.device;
  const backward = cfg.method;
  const common = { threshold: n.threshold, surrogate: n.surrogate, backward, device };
  const learn = n.learn ?? [];
  const layers: Module[] = [];
  if (n.synapse) layers.push(new ExpLeak({ tauSyn: n.synapse.tauSyn, learnBeta: n.synapse.learn, backward, device }));
  switch (n.type) {
    case "lif":
      layers.push(new LIF({ ...common, reset: n.reset, tauMem: n.tauMem, learnAlpha: learn.includes("alpha") }));
      break;
    case "iaf":
      layers.push(new IAF({ ...common, reset: n.reset }));
      break;
    case "alif":
      layers.push(new ALIF({ ...common, tauMem: n.tauMem, tauAdapt: n.tauAdapt, beta: n.beta, learn: learn as AlifParam[] }));
      break;
    case "srm":
      layers.push(new SRM({ ...common, ...(n.epsilon ? { epsilon: n.epsilon, nu: n.nu } : { tauSr: n.tauSr, tauRef: n.tauRef, scaleRef: n.scaleRef }) }));
      break;
  }
  return layers;
}
