// The layer-list model config: `model: {layers: [...]}`, one single-key mapping per layer:
//
//   {conv: {out: 64, kernel: 3, padding?, stride?, weightNorm?}}   Conv2d without bias
//   {linear: {out?: 10, bias?: false, weightNorm?}}                 out defaults to the class count
//   {delay: {out, maxDelay: 25, sigma?, sigmaEnd?, sigmaDecay?, perNeuron?, bias?}}
//                                                                   Linear with learnable delays (steps; lib/nn/delay.ts)
//   {batchnorm: {eps?, momentum?, affine?}}                         2-D after convs, 1-D after linears
//   {neuron: {}} | {lif: {tauMem: 3}} | {iaf: {}} | {alif: {}} …    the config's neuron, overridden (any model's name)
//   {maxpool: 2} | {avgpool: 2} | {sumpool: 2}                      window = stride
//   {dropout: 0.2}   {flatten: {}}
//   {sew: [ ...layers ]}                                            out = a + block(a), same shape
//
// Validation (field types) happens with the rest of the config; shapes are inferred and checked
// when the model is built for a data set's sample shape. Every error names the layer's index path
// ("model.layers[3].sew[1].conv.out") and what was expected.
import { ConfigError } from "../errors.js";
import { type Obj, bool, fail, int, mapping, number as real } from "../validate.js";

/** A mapping of known fields, described as such when it is not one ("a mapping ({})" when none are known). */
const fields = (field: string, v: unknown, known: string[]): Obj => mapping(field, v, known, `a mapping${known.length ? ` of ${known.join(", ")}` : " ({})"}`);
import { BatchNorm1d, BatchNorm2d } from "../nn/batchnorm.js";
import { Conv2d } from "../nn/conv2d.js";
import { DelayLinear } from "../nn/delay.js";
import { Dropout } from "../nn/dropout.js";
import { Flatten } from "../nn/flatten.js";
import { Linear } from "../nn/linear.js";
import type { Module } from "../nn/module.js";
import { AvgPool2d, MaxPool2d, SumPool2d } from "../nn/pool.js";
import { SEW } from "../nn/sew.js";
import { MODEL_FIELDS, NEURON_TYPES, neuronModel } from "../nn/neuron-models.js";
import { outputShape } from "../nn/summary.js";
import { WeightNorm } from "../nn/weightnorm.js";
import type { Rng } from "../random.js";
import { didYouMean } from "../suggest.js";

export type LayerSpec =
  | { type: "conv"; out: number; kernel: number; padding: number; stride: number; weightNorm: boolean }
  | { type: "linear"; out: number | null; bias: boolean; weightNorm: boolean }
  | { type: "delay"; out: number | null; maxDelay: number; sigma: number; sigmaEnd: number; sigmaDecay: number; perNeuron: boolean; bias: boolean }
  | { type: "batchnorm"; eps: number; momentum: number; affine: boolean }
  /** neuron: the config's neuron section with this layer's overrides, validated and with defaults. */
  | { type: "neuron"; neuron: Record<string, unknown> }
  | { type: "maxpool" | "avgpool" | "sumpool"; kernel: number }
  | { type: "dropout"; p: number }
  | { type: "flatten" }
  | { type: "sew"; layers: LayerSpec[] };

/** Layer kinds; a neuron model's name (lif, alif, …) is the neuron section with that type. */
const KINDS = ["conv", "linear", "delay", "batchnorm", "neuron", ...NEURON_TYPES, "maxpool", "avgpool", "sumpool", "dropout", "flatten", "sew"];


/** Validates a neuron section as the config's `neuron` (errors named after `field`); returns it with defaults. */
export type NeuronCheck = (raw: Obj, field: string) => Record<string, unknown>;

/** Validates model.layers (raw YAML) into specs. */
export function validateLayers(raw: unknown, field: string, topNeuron: unknown, checkNeuron: NeuronCheck): LayerSpec[] {
  if (!Array.isArray(raw) || raw.length === 0)
    fail(field, `a non-empty list of layers, each a mapping with one of ${KINDS.join(", ")}`, raw);
  return raw.map((entry, i) => {
    const at = `${field}[${i}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry) || Object.keys(entry).length !== 1)
      fail(at, `a mapping with exactly one key, one of ${KINDS.join(", ")} (e.g. {conv: {out: 64}})`, entry);
    const [kind, v] = Object.entries(entry as Obj)[0];
    const f = `${at}.${kind}`;
    const k = (NEURON_TYPES as readonly string[]).includes(kind) ? "neuron" : kind;
    switch (k) {
      case "conv": {
        const o = fields(f, v, ["out", "kernel", "padding", "stride", "weightNorm"]);
        const kernel = int(`${f}.kernel`, o.kernel, 3, 1);
        return { type: "conv", out: int(`${f}.out`, o.out, undefined, 1), kernel, padding: int(`${f}.padding`, o.padding, Math.floor(kernel / 2), 0),
          stride: int(`${f}.stride`, o.stride, 1, 1), weightNorm: bool(`${f}.weightNorm`, o.weightNorm, false) };
      }
      case "linear": {
        const o = fields(f, v, ["out", "bias", "weightNorm"]);
        return { type: "linear", out: o.out === undefined || o.out === null ? null : int(`${f}.out`, o.out, undefined, 1),
          bias: bool(`${f}.bias`, o.bias, false), weightNorm: bool(`${f}.weightNorm`, o.weightNorm, false) };
      }
      case "delay": {
        const o = fields(f, v, ["out", "maxDelay", "sigma", "sigmaEnd", "sigmaDecay", "perNeuron", "bias"]);
        const maxDelay = int(`${f}.maxDelay`, o.maxDelay, undefined, 0);
        return { type: "delay", out: o.out === undefined || o.out === null ? null : int(`${f}.out`, o.out, undefined, 1), maxDelay,
          sigma: real(`${f}.sigma`, o.sigma, maxDelay / 2, (x) => x >= 0, "a width in steps >= 0"),
          sigmaEnd: real(`${f}.sigmaEnd`, o.sigmaEnd, 0.5, (x) => x >= 0, "a width in steps >= 0"),
          sigmaDecay: real(`${f}.sigmaDecay`, o.sigmaDecay, 0.25, (x) => x > 0 && x <= 1, "a fraction of the epochs in (0, 1]"),
          perNeuron: bool(`${f}.perNeuron`, o.perNeuron, false), bias: bool(`${f}.bias`, o.bias, false) };
      }
      case "batchnorm": {
        const o = fields(f, v, ["eps", "momentum", "affine"]);
        return { type: "batchnorm", eps: real(`${f}.eps`, o.eps, 1e-5, (x) => x > 0, "a number > 0"),
          momentum: real(`${f}.momentum`, o.momentum, 0.1, (x) => x >= 0 && x <= 1, "a number in [0, 1]"), affine: bool(`${f}.affine`, o.affine, true) };
      }
      case "neuron": {
        if (v !== undefined && v !== null && (typeof v !== "object" || Array.isArray(v))) fail(f, "a mapping of neuron fields to override ({} for none)", v);
        const base: Obj = { ...((topNeuron && typeof topNeuron === "object" ? topNeuron : {}) as Obj) };
        const over = (v ?? {}) as Obj;
        if (kind !== "neuron" && base.type !== kind) {
          // switching the type: fields of the other type do not carry over
          for (const k of MODEL_FIELDS) if (!neuronModel(kind).fields.includes(k)) delete base[k];
          base.type = kind;
        }
        if (over.type !== undefined && kind !== "neuron") fail(`${f}.type`, `no value (the key ${kind} sets the type; use {neuron: {type: …}})`, over.type);
        return { type: "neuron", neuron: checkNeuron({ ...base, ...over }, f) };
      }
      case "maxpool":
      case "avgpool":
      case "sumpool":
        return { type: k, kernel: int(f, v, undefined, 1) };
      case "dropout":
        return { type: "dropout", p: real(f, v, 0, (x) => x >= 0 && x < 1, "a probability in [0, 1)") };
      case "flatten":
        fields(f, v, []);
        return { type: "flatten" };
      case "sew":
        return { type: "sew", layers: validateLayers(v, f, topNeuron, checkNeuron) };
      default:
        return fail(`${at}.${kind}`, `a layer kind, one of ${KINDS.join(", ")}`, kind);
    }
  });
}

export interface LayerBuildContext {
  rng: Rng;
  device: string;
  initScale: number;
  numClasses: number;
  /** Builds a neuron layer from a (validated) neuron section. */
  neuron(raw: Record<string, unknown>): Module;
}

const shapeText = (s: readonly number[]) => `[${s.join(", ")}]`;

/** Builds the layers for per-step input features `input`; returns them and the output features. */
export function buildLayers(specs: LayerSpec[], input: readonly number[], ctx: LayerBuildContext, field = "model.layers"): { layers: Module[]; output: number[] } {
  const layers: Module[] = [];
  let s = [...input];
  specs.forEach((spec, i) => {
    const f = `${field}[${i}].${spec.type === "neuron" ? "neuron" : spec.type}`;
    const needSpatial = () => {
      if (s.length !== 3)
        throw new ConfigError(`${f}: expected an input of [channels, height, width] features, received ${shapeText(s)}${s.length === 1 ? " (flattened already)" : ""}`);
    };
    let m: Module;
    switch (spec.type) {
      case "conv": {
        needSpatial();
        const o = (n: number) => Math.floor((n + 2 * spec.padding - spec.kernel) / spec.stride) + 1;
        if (o(s[1]) < 1 || o(s[2]) < 1) throw new ConfigError(`${f}.kernel: expected a kernel that fits the input ${shapeText(s)} (with padding ${spec.padding}), received ${spec.kernel}`);
        const conv = new Conv2d(s[0], spec.out, { kernel: spec.kernel, padding: spec.padding, stride: spec.stride, rng: ctx.rng, device: ctx.device, initScale: ctx.initScale });
        m = spec.weightNorm ? new WeightNorm(conv) : conv;
        break;
      }
      case "linear": {
        if (s.length !== 1) throw new ConfigError(`${f}: expected flat features, received ${shapeText(s)}; put {flatten: {}} before it`);
        const lin = new Linear(s[0], spec.out ?? ctx.numClasses, { bias: spec.bias, rng: ctx.rng, device: ctx.device, initScale: ctx.initScale });
        m = spec.weightNorm ? new WeightNorm(lin) : lin;
        break;
      }
      case "delay": {
        if (s.length !== 1) throw new ConfigError(`${f}: expected flat features, received ${shapeText(s)}; put {flatten: {}} before it`);
        m = new DelayLinear(s[0], spec.out ?? ctx.numClasses, { maxDelay: spec.maxDelay, sigma: spec.sigma, sigmaDecay: { end: spec.sigmaEnd, fraction: spec.sigmaDecay },
          perNeuron: spec.perNeuron, bias: spec.bias, rng: ctx.rng, device: ctx.device, initScale: ctx.initScale });
        break;
      }
      case "batchnorm": {
        if (s.length !== 1 && s.length !== 3) throw new ConfigError(`${f}: expected features [C] or [C, H, W], received ${shapeText(s)}`);
        const opts = { eps: spec.eps, momentum: spec.momentum, affine: spec.affine, device: ctx.device };
        m = s.length === 3 ? new BatchNorm2d(s[0], opts) : new BatchNorm1d(s[0], opts);
        break;
      }
      case "neuron":
        m = ctx.neuron(spec.neuron);
        break;
      case "maxpool":
      case "avgpool":
      case "sumpool": {
        needSpatial();
        if (spec.kernel > s[1] || spec.kernel > s[2])
          throw new ConfigError(`${f}: expected a window of at most ${Math.min(s[1], s[2])} for the input ${shapeText(s)}, received ${spec.kernel}`);
        m = new ({ maxpool: MaxPool2d, avgpool: AvgPool2d, sumpool: SumPool2d }[spec.type])(spec.kernel);
        break;
      }
      case "dropout":
        m = new Dropout(spec.p);
        break;
      case "flatten":
        m = new Flatten();
        break;
      case "sew": {
        const inner = buildLayers(spec.layers, s, ctx, f);
        if (inner.output.length !== s.length || inner.output.some((d, k) => d !== s[k]))
          throw new ConfigError(`${f}: expected the block to keep its input shape ${shapeText(s)} (out = a + block(a)), received ${shapeText(inner.output)}`);
        m = new SEW(...inner.layers);
        break;
      }
    }
    layers.push(m);
    s = outputShape(m, s);
  });
  return { layers, output: s };
}

/**
 * The paper's CIFAR10-DVS network (synsense/slayer-comparison, cifar10-dvs/resnet_exodus.py), the
 * default model of that data set: 7 stages of [1×1 conv + BN + LIF when the width changes], one SEW
 * block of 2 × [3×3 conv + BN + LIF] with the residual add, and MaxPool 2; widths 64 × 4 then
 * 128 × 3; 128×128 → 1×1; Linear(128 → 10) with bias.
 */
export function sewResNetLayers(): unknown[] {
  const layers: unknown[] = [];
  let width = 2;
  for (const c of [64, 64, 64, 64, 128, 128, 128]) {
    if (c !== width) layers.push({ conv: { out: c, kernel: 1 } }, { batchnorm: {} }, { neuron: {} });
    width = c;
    const unit = [{ conv: { out: c, kernel: 3 } }, { batchnorm: {} }, { neuron: {} }];
    layers.push({ sew: [...unit, ...unit] }, { maxpool: 2 });
  }
  layers.push({ flatten: {} }, { linear: { out: 10, bias: true } });
  return layers;
}
