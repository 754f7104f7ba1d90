// Memory a training run needs, estimated from the config before anything is allocated, so an
// absurd model (hidden: [10000000], kernel 63 on 128 × 128, frame.steps 1e6) fails at once with
// what fits, instead of after minutes of allocation or with "Invalid typed array length".
import { readFileSync } from "node:fs";
import { totalmem } from "node:os";
import { ConfigError } from "../errors.js";
import { AUDIO_SENSOR } from "../data/h5.js";
import { DVS128_SENSOR } from "../data/aedat3.js";
import { DATASETS, infoFor } from "../data/registry.js";
import { transformedSensor } from "../data/transforms.js";
import { native } from "../native.js";
import type { TrainConfig } from "./types.js";

/** Values in one tensor: kernels index with 32-bit signed integers. */
const MAX_TENSOR = 2 ** 31 - 1;
/**
 * Floats kept per neuron, sample and step at the least: its output and one state saved for the
 * backward pass (real use is a few times more). The estimate is a lower bound, so a run it rejects
 * cannot fit; it exists to catch sizes off by orders of magnitude, not to budget tightly.
 */
const PER_NEURON = 2;
/** Parameters live four times over: value, gradient and Adam's two moments. */
const PER_PARAM = 4;

export interface MemoryEstimate {
  /** Bytes of parameters, gradients and optimiser state. */
  params: number;
  /** Bytes of activations for one batch (scales with batchSize and the steps T). */
  activations: number;
  perSample: number;
  total: number;
  /** Largest single tensor, values, and what it is. */
  largest: { values: number; what: string };
}

/** [T, …features] and the class count a config's data set yields, without opening the files. */
export function configSampleShape(cfg: TrainConfig): { sampleShape: number[]; numClasses: number } {
  let info = DATASETS[cfg.dataset.name];
  try {
    info = infoFor(info, cfg.dataset.root); // a folder-described data set: its sensor and classes
  } catch {
    // its folder is not there (yet): DVS128's size here; the trainer checks again with the data's real shape
  }
  const t = cfg.dataset.transform ?? info.defaultTransform;
  const s = transformedSensor(info.sensor ?? (info.layout === "audio" ? AUDIO_SENSOR : DVS128_SENSOR), t);
  const features = info.layout === "audio" ? [s.width] : [s.polarities, s.height, s.width];
  // Variable-length frame modes without steps are as long as the longest sample: unknown here.
  const steps = t.frame.steps ?? (t.frame.mode === "timeBins" ? t.frame.nTimeBins : 1);
  return { sampleShape: [steps, ...features], numClasses: info.classes.length };
}

export function estimateMemory(cfg: TrainConfig, sampleShape: readonly number[], numClasses: number): MemoryEstimate {
  const T = sampleShape[0];
  const B = cfg.train.batchSize;
  const features = sampleShape.slice(1);
  let params = 0;
  let neurons = 0; // spiking neurons per sample and step
  let largest = { values: T * B * features.reduce((a, b) => a * b, 1), what: `the input batch [${T}, ${B}, ${features.join(", ")}]` };
  const weight = (values: number, what: string) => {
    params += values;
    if (values > largest.values) largest = { values, what };
  };
  const layer = (size: number, what: string) => {
    neurons += size;
    if (T * B * size > largest.values) largest = { values: T * B * size, what: `the activations of ${what} [${T}, ${B}, ${size}]` };
  };
  const m = cfg.model;
  // Layer lists (SEW-ResNet, …) are not walked here: only their input batch is counted.
  if (m.kind !== "mlp" && m.kind !== "conv") return finish();
  if (m.kind === "mlp") {
    let width = features[0] ?? 1;
    m.hidden.forEach((h, i) => {
      weight(width * h, `the weight of model.hidden[${i}] (${width} × ${h})`);
      layer(h, `model.hidden[${i}]`);
      width = h;
    });
    weight(width * numClasses, `the readout weight (${width} × ${numClasses})`);
  } else {
    let [c, h, w] = features.length === 3 ? features : [1, 1, 1];
    const widths = [...m.channels, ...Array<number>(m.extraConvs).fill(m.channels[m.channels.length - 1])];
    widths.forEach((out, i) => {
      weight(c * out * m.kernel * m.kernel, `the weight of conv layer ${i} (${out} × ${c} × ${m.kernel} × ${m.kernel})`);
      layer(out * h * w, `conv layer ${i}`);
      c = out;
      if (Math.min(h, w) > m.poolUntil && Math.min(h, w) >= m.pool) {
        h = Math.floor(h / m.pool);
        w = Math.floor(w / m.pool);
      }
    });
    weight(c * h * w * numClasses, `the readout weight (${c * h * w} × ${numClasses})`);
  }
  return finish();

  function finish(): MemoryEstimate {
    const inputPerSample = T * features.reduce((a, b) => a * b, 1);
    const perSample = 4 * (inputPerSample + PER_NEURON * T * neurons);
    const activations = B * perSample;
    const p = 4 * PER_PARAM * params;
    return { params: p, activations, perSample, total: p + activations, largest };
  }
}

/** Memory the run may use: the GPU's for CUDA, else the host's (or the cgroup's limit, when lower). */
export function availableMemory(device: string): { bytes: number; where: string } {
  if (device.startsWith("cuda")) {
    try {
      const info = native().cudaDeviceInfo({ index: Number(device.split(":")[1] ?? 0) });
      if (info.totalMemory > 0) return { bytes: info.totalMemory, where: `${info.name} (${device})` };
    } catch {
      /* no device info: fall back to the host figure */
    }
  }
  let bytes = totalmem();
  for (const f of ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]) {
    try {
      const v = Number(readFileSync(f, "utf8").trim());
      if (Number.isFinite(v) && v > 0) bytes = Math.min(bytes, v);
    } catch {
      /* not limited */
    }
  }
  return { bytes, where: "this machine" };
}

const gib = (b: number) => `${(b / 2 ** 30).toFixed(b < 2 ** 30 ? 3 : 1)} GiB`;

/** Throws a ConfigError saying what fits when the run cannot fit (or one tensor exceeds 2^31 values). */
export function checkModelFits(cfg: TrainConfig, shape = configSampleShape(cfg)): MemoryEstimate {
  const e = estimateMemory(cfg, shape.sampleShape, shape.numClasses);
  const T = shape.sampleShape[0];
  const { bytes, where } = availableMemory(cfg.device);
  const budget = bytes;
  if (e.total > budget) {
    const fitB = Math.floor((budget - e.params) / e.perSample);
    const advice =
      e.params > budget
        ? `the parameters alone need ${gib(e.params)} (weights, gradients, Adam state): use narrower or fewer layers`
        : fitB >= 1
          ? `train.batchSize <= ${fitB} fits (at ${T} steps), or use narrower layers`
          : `not even one sample of ${T} steps fits: use fewer frame steps or narrower layers`;
    throw new ConfigError(
      `model: expected a run that fits the ${gib(bytes)} of ${where}, received one that needs at least ${gib(e.total)} ` +
        `(parameters ${gib(e.params)}, activations of a batch of ${cfg.train.batchSize} × ${T} steps ${gib(e.activations)}); ${advice}`,
    );
  }
  // On a machine large enough for it, one tensor can still be too long for 32-bit kernel indices.
  if (e.largest.values > MAX_TENSOR)
    throw new ConfigError(
      `model: expected every tensor to hold at most 2^31 - 1 values, received ${e.largest.what} = ${e.largest.values.toExponential(2)} values; ` +
        `use narrower layers, a smaller train.batchSize or fewer frame steps`,
    );
  return e;
}
