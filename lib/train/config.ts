// Training configuration: a YAML file validated field by field. Every error names the field, what
// was expected and what was received ("train.lr: expected a finite number > 0, received -1
// (number)"). Defaults reproduce the paper's set-up for the chosen data set
// (docs/training.md), so `dataset: {name: shd}` alone is a complete config.
import { readFileSync } from "node:fs";
import { YAMLParseError, parse } from "yaml";
import { defaultDevice } from "../device.js";
import { ConfigError } from "../errors.js";
import { type Obj, bounded as num, fail, mapping, str } from "../validate.js";
import { DATASETS, type DatasetName } from "../data/registry.js";
import { type TransformSpec, normalizeTransform } from "../data/transforms.js";
import type { BackwardMethod, SurrogateName } from "../nn/options.js";
import { SURROGATES } from "../native.js";
import { MODEL_FIELDS, NEURON_MODELS, NEURON_TYPES, RECURRENT_TYPES, type NeuronModel, type NeuronSettings } from "../nn/neuron-models.js";
import { READOUTS, type ReadoutName } from "./loss.js";
import { checkModelFits } from "./memory.js";
import { parseMemoryBudget, parseTimeChunk } from "./memory-budget.js";
import { applySets, blameSet, parseSet } from "./overrides.js";
import { type LayerSpec, sewResNetLayers, validateLayers } from "./layers.js";
import { type AugmentSpec, validateAugment } from "../data/augment.js";
import { type NirModelConfig, validateNirModel } from "../nir/model.js";
import { LOOP_FIELDS, validateLoop } from "./optim-config.js";

import type { ConvModelConfig, LayersModelConfig, MlpModelConfig, NeuronConfig, TrainConfig, TrainSettings } from "./types.js";
export type { ConvModelConfig, LayersModelConfig, MlpModelConfig, NeuronConfig, TrainConfig, TrainSettings } from "./types.js";
export { NEURON_TYPES } from "../nn/neuron-models.js";


/** Widest layer a config may ask for; whether a model fits memory is estimated before building it (memory.ts). */
const MAX_WIDTH = 2 ** 24;

/** A config section: a mapping of known fields. */
const object = (field: string, v: unknown, known: string[]): Obj => mapping(field, v, known, "a mapping");

function intList(field: string, v: unknown, dflt: number[]): number[] {
  if (v === undefined || v === null) return dflt;
  if (!Array.isArray(v) || v.length === 0) fail(field, "a non-empty list of integers >= 1", v);
  return v.map((x, i) => num(`${field}[${i}]`, x, 0, { min: 1, integer: true, max: MAX_WIDTH }));
}

/** The paper's set-up per data set (docs/training.md, docs/vision.md). */
function defaultsFor(name: DatasetName) {
  if (name === "synthetic") return SYNTHETIC_TRAIN_DEFAULTS;
  const audio = name === "shd" || name === "ssc";
  // CIFAR10-DVS: the SEW-ResNet (a layer list: configs/cifar10-dvs.yaml), LIF τ 3, θ 1, batch 16.
  const cifar = name === "cifar10-dvs";
  return {
    model: audio ? { kind: "mlp" as const } : cifar ? { kind: "layers" as const } : { kind: "conv" as const },
    neuron: audio || cifar
      ? { type: "lif" as const, tauMem: cifar ? 3 : 30, threshold: 1, reset: "subtract" as const, surrogate: { name: "exponential" as const, scale: 1, width: 1 } }
      : { type: "iaf" as const, tauMem: 30, threshold: 0.25, reset: "subtract" as const, surrogate: { name: "exponential" as const, scale: 1, width: 1 } },
    readout: audio ? ("max" as const) : ("sum" as const),
    train: audio
      ? { epochs: 200, batchSize: 128, lr: 1e-3, weightDecay: 0 }
      : cifar ? { epochs: 100, batchSize: 16, lr: 1e-3, weightDecay: 0 }
      : { epochs: 100, batchSize: 20, lr: 1e-3, weightDecay: 1e-2 },
  };
}

/**
 * The built-in task (lib/data/synthetic.ts, configs/synthetic.yaml): the SHD network shape at a
 * size that trains in seconds on a CPU; τ, θ and the surrogate are the paper's. initScale 2: with
 * PyTorch's bound (1) the second layer fires at 0.05 % of possible spikes in the first epoch on
 * this sparse input (the silent-layer warning fires); twice the bound starts it near 1 %.
 */
const SYNTHETIC_TRAIN_DEFAULTS = {
  model: { kind: "mlp" as const, hidden: [64, 64], initScale: 2 },
  neuron: { type: "lif" as const, tauMem: 30, threshold: 1, reset: "subtract" as const, surrogate: { name: "exponential" as const, scale: 1, width: 1 } },
  readout: "sum" as const,
  train: { epochs: 12, batchSize: 32, lr: 5e-3, weightDecay: 0 },
};

/** Validates a parsed config object; fills in defaults. */
export function validateConfig(raw: unknown): TrainConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail("config", "a mapping of dataset, model, neuron, method, loss, train, output", raw);
  const top = object("config", raw, ["dataset", "model", "neuron", "method", "loss", "train", "output", "device"]);

  if (top.dataset === undefined) fail("dataset", "a mapping with at least a name", undefined);
  const ds = object("dataset", top.dataset, ["name", "root", "transform", "augment"]);
  const name = str("dataset.name", ds.name, undefined as unknown as DatasetName, Object.keys(DATASETS) as DatasetName[]);
  if (name === undefined) fail("dataset.name", `one of ${Object.keys(DATASETS).join(", ")}`, undefined);
  const root = str("dataset.root", ds.root, `data/${name}`);
  let transform: TransformSpec | undefined;
  if (ds.transform !== undefined && ds.transform !== null) {
    try {
      transform = normalizeTransform(ds.transform as TransformSpec);
    } catch (e) {
      throw new ConfigError(`dataset.transform: ${(e as Error).message}`);
    }
  }
  if (name === "synthetic" && transform) fail("dataset.transform", "no transform for the built-in synthetic task (it is generated as frames)", ds.transform);
  const augment = ds.augment === undefined || ds.augment === null ? undefined : validateAugment(ds.augment, "dataset.augment");
  const d = defaultsFor(name);

  const m = object("model", top.model, ["kind", "initScale", "hidden", "channels", "extraConvs", "kernel", "pool", "poolUntil", "dropout", "readoutDropout", "layers", "weightNorm", "graph", "dt", "recurrent"]);
  const kind = str("model.kind", m.kind, m.layers !== undefined ? "layers" : d.model.kind, ["mlp", "conv", "layers", "nir"] as const);
  const initScale = num("model.initScale", m.initScale, "initScale" in d.model ? d.model.initScale : 1, { min: 0, exclusiveMin: true, max: 100 });
  if (m.weightNorm !== undefined && m.weightNorm !== null && typeof m.weightNorm !== "boolean") fail("model.weightNorm", "true or false", m.weightNorm);
  const weightNorm = m.weightNorm === true ? { weightNorm: true as const } : {};
  let model: MlpModelConfig | ConvModelConfig | LayersModelConfig | NirModelConfig;
  if (kind !== "mlp" && m.recurrent !== undefined) fail("model.recurrent", 'no value unless model.kind is "mlp" (recurrent hidden layers)', m.recurrent);
  for (const k of ["graph", "dt"]) if (kind !== "nir" && m[k] !== undefined) fail(`model.${k}`, 'no value unless model.kind is "nir" (an imported graph)', m[k]);
  if (kind === "nir") model = validateNirModel(m, initScale);
  else if (kind === "layers") {
    for (const k of ["hidden", "channels", "extraConvs", "kernel", "pool", "poolUntil", "dropout", "readoutDropout", "weightNorm"])
      if (m[k] !== undefined) fail(`model.${k}`, 'no value for a layer list (set it per layer in model.layers)', m[k]);
    if (m.layers === undefined && name !== "cifar10-dvs")
      fail("model.layers", `a list of layers (see configs/cifar10-dvs.yaml), or model.kind "mlp" or "conv"`, undefined);
    // A layer's neuron is validated as the config's neuron section would be, with the same defaults.
    const checkNeuron = (raw: Record<string, unknown>, field: string) => {
      try {
        return validateConfig({ dataset: { name }, model: { layers: [{ flatten: {} }] }, neuron: raw, device: "cpu" }).neuron as unknown as Record<string, unknown>;
      } catch (e) {
        if (e instanceof ConfigError) throw new ConfigError(e.message.replace(/^neuron/, field));
        throw e;
      }
    };
    model = { kind, initScale, layers: validateLayers(m.layers ?? sewResNetLayers(), "model.layers", top.neuron, checkNeuron) };
  } else if (kind === "mlp") {
    for (const k of ["channels", "extraConvs", "kernel", "pool", "poolUntil", "dropout", "readoutDropout"])
      if (m[k] !== undefined) fail(`model.${k}`, 'no value for kind "mlp" (conv models only)', m[k]);
    if (m.layers !== undefined) fail("model.layers", 'no value for kind "mlp" (omit kind for a layer list)', m.layers);
    model = { kind, initScale, hidden: intList("model.hidden", m.hidden, "hidden" in d.model ? d.model.hidden : [128, 128, 128]), ...weightNorm, ...(m.recurrent === undefined || m.recurrent === null || m.recurrent === false ? {} : { recurrent: recurrentFlag(m.recurrent) }) };
  } else {
    if (m.hidden !== undefined) fail("model.hidden", 'no value for kind "conv" (use channels)', m.hidden);
    if (m.layers !== undefined) fail("model.layers", 'no value for kind "conv" (omit kind for a layer list)', m.layers);
    model = {
      kind,
      initScale,
      channels: intList("model.channels", m.channels, [8, 16, 32, 64]),
      extraConvs: num("model.extraConvs", m.extraConvs, 2, { min: 0, integer: true, max: 1000 }),
      kernel: num("model.kernel", m.kernel, 3, { min: 1, integer: true, max: 64 }),
      pool: num("model.pool", m.pool, 2, { min: 1, integer: true, max: 1024 }),
      poolUntil: num("model.poolUntil", m.poolUntil, 4, { min: 1, integer: true, max: 65536 }),
      dropout: num("model.dropout", m.dropout, 0.2, { min: 0, max: 1 }),
      readoutDropout: num("model.readoutDropout", m.readoutDropout, 0.7, { min: 0, max: 1 }),
      ...weightNorm,
    };
    if (model.kernel % 2 === 0) fail("model.kernel", "an odd integer (same padding)", model.kernel);
  }

  const neuron = validateNeuron(top.neuron, d.neuron);
  if (model.kind === "mlp" && model.recurrent && !(NEURON_MODELS[neuron.type] as NeuronModel).recurrent)
    fail("neuron.type", `a model with a recurrent form for model.recurrent (${RECURRENT_TYPES.join(", ")})`, neuron.type);

  const method = str("method", top.method, "exodus", ["exodus", "slayer", "bptt"] as const);
  const l = object("loss", top.loss, ["readout"]);
  const loss = { readout: str("loss.readout", l.readout, d.readout, READOUTS) };

  const t = object("train", top.train, ["epochs", "batchSize", "lr", "weightDecay", "seed", "evalEvery", "limitBatches", "evalSplit", "checkpointMinutes", "memoryBudget", "timeChunk", ...LOOP_FIELDS]);
  const lr = num("train.lr", t.lr, d.train.lr, { min: 0, exclusiveMin: true, max: 1 });
  const train: TrainSettings = {
    epochs: num("train.epochs", t.epochs, d.train.epochs, { min: 1, integer: true, max: 1e6 }),
    batchSize: num("train.batchSize", t.batchSize, d.train.batchSize, { min: 1, integer: true, max: 65536 }),
    lr,
    weightDecay: num("train.weightDecay", t.weightDecay, d.train.weightDecay, { min: 0, max: 1 }),
    seed: num("train.seed", t.seed, 1234, { min: 0, max: 2 ** 31, integer: true }),
    evalEvery: num("train.evalEvery", t.evalEvery, 1, { min: 1, integer: true, max: 1e6 }),
    limitBatches: t.limitBatches === undefined || t.limitBatches === null ? null : num("train.limitBatches", t.limitBatches, 0, { min: 1, integer: true, max: 2 ** 31 }),
    // Validation by default: selecting on test inflates results (lib/data/holdout.ts).
    evalSplit: str("train.evalSplit", t.evalSplit, "valid", DATASETS[name].splits.filter((x) => x !== "train" && x !== "trainval")),
    checkpointMinutes: num("train.checkpointMinutes", t.checkpointMinutes, 5, { min: 0, max: 1e6 }),
    memoryBudget: parseMemoryBudget("train.memoryBudget", t.memoryBudget),
    timeChunk: parseTimeChunk("train.timeChunk", t.timeChunk),
    ...validateLoop(t, lr),
  };
  const output = str("output", top.output, `runs/${name}-${method}`);
  // "auto" (the default): the GPU when one works, else the CPU (see lib/device.ts).
  let device: string = str("device", top.device, "auto");
  if (!/^(auto|cpu|cuda(:\d+)?)$/.test(device)) fail("device", '"auto", "cpu", "cuda" or "cuda:N"', device);
  if (device === "auto") device = String(defaultDevice());
  return { dataset: { name, root, ...(transform ? { transform } : {}), ...(augment ? { augment } : {}) }, model, neuron, method, loss, train, output, device };
}

/** Command-line overrides, merged into the file's fields before validation. */
export interface ConfigOverrides {
  method?: string;
  device?: string;
  output?: string;
  dataRoot?: string;
  epochs?: number;
  limitBatches?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  /** train.memoryBudget: MiB, "auto" or "off" (checked with the rest of the config) */
  memoryBudget?: number | string;
  /** train.timeChunk: steps, "auto" or "off" (checked with the rest of the config) */
  timeChunk?: number | string;
  /** neuron.surrogate.scale */
  scale?: number;
  /** neuron.surrogate.name (checked with the rest of the config) */
  surrogate?: string;
  /** `--set key.path=value` arguments, applied last (lib/train/overrides.ts). */
  set?: string[];
}

export function applyOverrides(raw: unknown, o: ConfigOverrides): unknown {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return raw;
  const r = { ...(raw as Obj) };
  const sub = (k: string): Obj => {
    const v = r[k];
    return (r[k] = typeof v === "object" && v !== null && !Array.isArray(v) ? { ...(v as Obj) } : v === undefined || v === null ? {} : v) as Obj;
  };
  if (o.method !== undefined) r.method = o.method;
  if (o.device !== undefined) r.device = o.device;
  if (o.output !== undefined) r.output = o.output;
  if (o.dataRoot !== undefined) sub("dataset").root = o.dataRoot;
  if (o.epochs !== undefined) sub("train").epochs = o.epochs;
  if (o.limitBatches !== undefined) sub("train").limitBatches = o.limitBatches;
  if (o.batchSize !== undefined) sub("train").batchSize = o.batchSize;
  if (o.lr !== undefined) sub("train").lr = o.lr;
  if (o.seed !== undefined) sub("train").seed = o.seed;
  if (o.memoryBudget !== undefined) sub("train").memoryBudget = o.memoryBudget;
  if (o.timeChunk !== undefined) sub("train").timeChunk = o.timeChunk;
  if (o.scale !== undefined || o.surrogate !== undefined) {
    const n = sub("neuron");
    const sur = n.surrogate;
    // A surrogate given by name only ("exponential") becomes a mapping with the new scale / name.
    n.surrogate = {
      ...(typeof sur === "string" ? { name: sur } : typeof sur === "object" && sur !== null ? (sur as Obj) : {}),
      ...(o.scale !== undefined ? { scale: o.scale } : {}),
      ...(o.surrogate !== undefined ? { name: o.surrogate } : {}),
    };
  }
  return applySets(r, (o.set ?? []).map(parseSet));
}

/** Reads and validates a YAML config; YAML syntax errors name the file and line. */
export function loadConfig(path: string, overrides: ConfigOverrides = {}): TrainConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const found = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a directory" : code === "EACCES" ? "a file you may not read" : (e as Error).message;
    throw new ConfigError(`${path}: expected a readable YAML config file, received ${found}; pass the path of a config such as configs/shd.yaml`);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    if (e instanceof YAMLParseError) throw new ConfigError(`${path}: invalid YAML: ${e.message.split("\n")[0]}`);
    // The yaml package refuses alias bombs ("Excessive alias count …") with a ReferenceError.
    throw new ConfigError(`${path}: expected a plain YAML config, received YAML the parser refused: ${(e as Error).message.split("\n")[0]}`);
  }
  const sets = (overrides.set ?? []).map(parseSet);
  try {
    const cfg = validateConfig(applyOverrides(raw, overrides));
    checkModelFits(cfg); // absurd sizes fail here, naming the file, before any data is opened
    return cfg;
  } catch (e) {
    if (e instanceof ConfigError) {
      if (e.message.startsWith("--set")) throw e; // about an argument, not the file
      const blamed = blameSet(e, sets);
      throw blamed === e ? new ConfigError(`${path}: ${e.message}`) : blamed;
    }
    throw e;
  }
}

/** The `neuron` section: type, its own fields (others rejected by name), synapse, learn. */
function validateNeuron(raw: unknown, d: NeuronConfig): NeuronConfig {
  // The models' own fields come from their entries (lib/nn/neuron-models.ts).
  const n = object("neuron", raw, ["type", "tauMem", "threshold", "reset", "surrogate", ...MODEL_FIELDS.filter((f) => f !== "tauMem"), "synapse", "learn"]);
  const type = str("neuron.type", n.type, d.type, NEURON_TYPES);
  const model: NeuronModel = NEURON_MODELS[type];
  for (const k of MODEL_FIELDS)
    if (n[k] !== undefined && !model.fields.includes(k)) fail(`neuron.${k}`, `no value for type "${type}"${model.refuse?.[k] ? ` (${model.refuse[k]})` : ""}`, n[k]);
  const s = object("neuron.surrogate", n.surrogate, ["name", "scale", "width"]);
  const pos = { min: 0, exclusiveMin: true };
  const neuron: NeuronConfig = {
    type,
    tauMem: num("neuron.tauMem", n.tauMem, d.tauMem, { ...pos, max: 1e6 }),
    threshold: num("neuron.threshold", n.threshold, d.threshold, { min: 1e-4, max: 1e4 }),
    reset: str("neuron.reset", n.reset, "subtract", ["subtract", "zero"] as const),
    surrogate: {
      name: str("neuron.surrogate.name", s.name, d.surrogate.name, SURROGATES),
      scale: num("neuron.surrogate.scale", s.scale, d.surrogate.scale, { min: 0, max: 1000 }),
      width: num("neuron.surrogate.width", s.width, d.surrogate.width, { min: 1e-3, max: 1e3 }),
    },
  };
  if (neuron.reset === "zero" && !model.zeroReset)
    fail("neuron.reset", `"subtract" for type "${type}" (reset to zero exists for ${NEURON_TYPES.filter((t) => NEURON_MODELS[t].zeroReset).join(" and ")})`, n.reset);
  Object.assign(neuron, model.readConfig(n));
  if (n.synapse !== undefined && n.synapse !== null) {
    const syn = object("neuron.synapse", n.synapse, ["tauSyn", "learn"]);
    if (syn.tauSyn === undefined) fail("neuron.synapse.tauSyn", "a time constant in steps > 0", undefined);
    if (syn.learn !== undefined && typeof syn.learn !== "boolean") fail("neuron.synapse.learn", "true or false", syn.learn);
    neuron.synapse = { tauSyn: num("neuron.synapse.tauSyn", syn.tauSyn, 0, pos), learn: syn.learn === true };
  }
  if (n.learn !== undefined && n.learn !== null) {
    const allowed = model.learnable;
    if (!Array.isArray(n.learn)) fail("neuron.learn", `a list of parameter names (for type "${type}": ${allowed.join(", ") || "none"})`, n.learn);
    n.learn.forEach((p, i) => {
      if (typeof p !== "string" || !allowed.includes(p))
        fail(`neuron.learn[${i}]`, allowed.length ? `one of ${allowed.map((a) => JSON.stringify(a)).join(", ")} for type "${type}"` : `nothing: type "${type}" has no learnable parameters`, p);
    });
    neuron.learn = [...new Set(n.learn as string[])];
  }
  return neuron;
}

/** model.recurrent: true (false and absent mean feedforward). */
function recurrentFlag(v: unknown): true {
  if (v !== true) fail("model.recurrent", "true or false (recurrent hidden layers)", v);
  return true;
}
