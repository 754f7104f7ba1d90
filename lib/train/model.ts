// Builds the paper's networks from a validated config (docs/training.md, docs/vision.md):
//   mlp   [Linear(no bias) + LIF] × hidden, Linear readout (SHD, SSC), input [T, B, channels];
//         with model.recurrent the LIF layers are recurrent (RLIF, V drawn after each Linear);
//   conv  [Conv3×3(no bias) + IAF/LIF (+ AvgPool 2 while larger than 4) + Dropout] per width,
//         Flatten, Dropout, Linear(C·H·W → classes) (DVS Gesture), input [T, B, 2, H, W];
//   layers a layer list (lib/train/layers.ts), e.g. the SEW-ResNet of CIFAR10-DVS.
// model.weightNorm wraps every Linear and conv of the shorthands in WeightNorm.
// All weights come from one Rng seeded by train.seed, so two runs with one seed start equal
// whatever the backward method.
import { ConfigError } from "../errors.js";
import type { Module, Parameter } from "../nn/module.js";
import { Conv2d } from "../nn/conv2d.js";
import { Dropout, isDropout } from "../nn/dropout.js";
import { Flatten } from "../nn/flatten.js";
import { Linear } from "../nn/linear.js";
import { AvgPool2d } from "../nn/pool.js";
import { Sequential } from "../nn/sequential.js";
import { formatSummary, summaryRows } from "../nn/summary.js";
import { WeightNorm, type Weighted } from "../nn/weightnorm.js";
import { Rng } from "../random.js";
import type { NeuronConfig, TrainConfig } from "./config.js";
import { buildLayers } from "./layers.js";
import { neuronLayers } from "./neurons.js";
import { nirModelLayers } from "../nir/model.js";

export interface BuiltModel {
  net: Sequential;
  /** Dropout layers, whose seeds the trainer sets per step. */
  dropouts: Dropout[];
  /** Weight parameters by layer ("0.Linear", "2.Linear", "3.block.0.Conv2d", …), for the per-layer
   *  gradient norms; a weight-normalised layer reports its effective weight W = g·V/‖V‖. */
  weights: { layer: string; param: Parameter }[];
  /** The network table (layer, output shape, parameters), one line each, for the log. */
  summary: string[];
}

export interface ModelShape {
  /** [T, …features] of one sample. */
  sampleShape: readonly number[];
  numClasses: number;
}

/** One module for a layer list's neuron entry: the neuron, or [synapse, neuron] as a Sequential. */
function neuron(cfg: TrainConfig): Module {
  const l = neuronLayers(cfg);
  return l.length === 1 ? l[0] : new Sequential(...l);
}

export function buildModel(cfg: TrainConfig, shape: ModelShape): BuiltModel {
  const rng = new Rng(cfg.train.seed);
  const device = cfg.device;
  let layers: Module[] = [];
  const features = shape.sampleShape.slice(1);
  const wn = (l: Weighted): Module => ((cfg.model.kind === "mlp" || cfg.model.kind === "conv") && cfg.model.weightNorm ? new WeightNorm(l) : l);
  if (cfg.model.kind === "nir") layers = nirModelLayers(cfg.model, cfg.output, features, shape.numClasses, { device, backward: cfg.method });
  else if (cfg.model.kind === "layers") {
    const built = buildLayers(cfg.model.layers, features, {
      rng, device, initScale: cfg.model.initScale, numClasses: shape.numClasses,
      neuron: (n) => neuron({ ...cfg, neuron: n as unknown as NeuronConfig }),
    });
    if (built.output.length !== 1 || built.output[0] !== shape.numClasses)
      throw new ConfigError(`model.layers: expected the last layer to give the ${shape.numClasses} class scores, received [${built.output.join(", ")}] features; end with {flatten: {}} and {linear: {}}`);
    layers = built.layers;
  } else if (cfg.model.kind === "mlp") {
    if (features.length !== 1)
      throw new ConfigError(`model.kind: expected "conv" for samples of shape [${shape.sampleShape.join(", ")}] (mlp takes [T, channels]), received "mlp"`);
    let width = features[0];
    for (const h of cfg.model.hidden) {
      // V uniform in ±1/√h (PyTorch's RNN default), not scaled by initScale: a larger V makes the
      // gradient through the recurrent spikes grow geometrically over the sequence.
      const recurrent = cfg.model.recurrent ? { size: h, rng, initScale: 1 } : undefined;
      layers.push(wn(new Linear(width, h, { bias: false, rng, device, initScale: cfg.model.initScale })), ...neuronLayers(cfg, recurrent));
      width = h;
    }
    layers.push(wn(new Linear(width, shape.numClasses, { bias: false, rng, device, initScale: cfg.model.initScale })));
  } else {
    if (features.length !== 3)
      throw new ConfigError(`model.kind: expected "mlp" for samples of shape [${shape.sampleShape.join(", ")}] (conv takes [T, C, H, W]), received "conv"`);
    const m = cfg.model;
    let [c, h, w] = features;
    const widths = [...m.channels, ...Array<number>(m.extraConvs).fill(m.channels[m.channels.length - 1])];
    for (const out of widths) {
      layers.push(wn(new Conv2d(c, out, { kernel: m.kernel, rng, device, initScale: m.initScale })), ...neuronLayers(cfg));
      c = out;
      if (Math.min(h, w) > m.poolUntil && Math.min(h, w) >= m.pool) {
        layers.push(new AvgPool2d(m.pool));
        h = Math.floor(h / m.pool);
        w = Math.floor(w / m.pool);
      }
      if (m.dropout > 0) layers.push(new Dropout(m.dropout));
    }
    layers.push(new Flatten());
    if (m.readoutDropout > 0) layers.push(new Dropout(m.readoutDropout));
    layers.push(wn(new Linear(c * h * w, shape.numClasses, { bias: false, rng, device, initScale: cfg.model.initScale })));
  }
  // Nothing needs the gradient of the data: the first layer skips it (through weight norm too:
  // its wrapped layer is the one that computes ∂x).
  layers[0]?.skipInputGrad();
  const net = new Sequential(...layers);
  const weights: BuiltModel["weights"] = [];
  const dropouts: Dropout[] = [];
  // Conv and Linear weights (not batch norm's γ), through SEW blocks and weight norm.
  const walk = (ls: readonly (readonly [string, Module])[], prefix: string) => {
    for (const [name, l] of ls) {
      const w = l.reportedWeight();
      if (w) weights.push({ layer: `${prefix}${name}.${w.kind}`, param: w.param });
      if (isDropout(l)) dropouts.push(l);
      walk(l.namedLayers(), `${prefix}${name}.`);
    }
  };
  walk(net.namedLayers(), "");
  const summary = formatSummary(summaryRows(layers, features), features);
  return { net, dropouts, weights, summary };
}
