// The types of a training run that several modules share: the validated config and a finished
// epoch's metrics. A module of their own, so that config.ts, memory.ts and overrides.ts, and the
// trainer, run-files.ts and report.ts, import them without importing each other in a cycle.
import type { AugmentSpec } from "../data/augment.js";
import type { DatasetName } from "../data/registry.js";
import type { TransformSpec } from "../data/transforms.js";
import type { NeuronSettings } from "../nn/neuron-models.js";
import type { BackwardMethod } from "../nn/options.js";
import type { LayerSpec } from "./layers.js";
import type { LoopSettings } from "./optim-config.js";
import type { DistMetrics } from "../dist/data-parallel.js";
import type { NirModelConfig } from "../nir/model.js";
import type { ReadoutName } from "./loss.js";

export interface MlpModelConfig {
  kind: "mlp";
  /** Multiplies the default uniform init bound 1/√fan_in (PyTorch's, which the paper used). */
  initScale: number;
  /** Widths of the spiking hidden layers (each Linear without bias + neuron). */
  hidden: number[];
  /** Weight normalisation of every Linear (W = g·V/‖V‖); absent: none. */
  weightNorm?: true;
  /** Every hidden layer recurrent (the neuron model's recurrent form, e.g. RLIF); absent: feedforward. */
  recurrent?: true;
}

/** A list of layers (lib/train/layers.ts), e.g. the SEW-ResNet of CIFAR10-DVS. */
export interface LayersModelConfig {
  kind: "layers";
  initScale: number;
  layers: LayerSpec[];
}

export interface ConvModelConfig {
  kind: "conv";
  initScale: number;
  /** Output channels of the spiking conv layers, in order (the paper: base·2^i, i = 0..3). */
  channels: number[];
  /** Further conv layers at the last width. */
  extraConvs: number;
  kernel: number;
  /** Average pooling window after each spiking layer while the image is larger than poolUntil. */
  pool: number;
  poolUntil: number;
  /** Dropout after each pooled spiking layer, and before the readout. */
  dropout: number;
  readoutDropout: number;
  /** Weight normalisation of every conv and the readout (the paper's DVS Gesture code); absent: none. */
  weightNorm?: true;
}

/** The `neuron` section, validated (its fields per model: lib/nn/neuron-models.ts). */
export type NeuronConfig = NeuronSettings;

/** LoopSettings: optimizer, paramGroups, schedule, clipGradNorm, selectMetric, keepTop, earlyStopping (optim-config.ts). */
export interface TrainSettings extends LoopSettings {
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  seed: number;
  /** Evaluate on the test split every this many epochs (and after the last). */
  evalEvery: number;
  /** Stop each epoch after this many batches (train and eval); null: the whole split. */
  limitBatches: number | null;
  /** Split evaluated every evalEvery epochs, which selects "best" ("valid"; "test" only to reproduce a paper's protocol). */
  evalSplit: string;
  /** Also save a checkpoint within an epoch once this many minutes passed since the last one (0: only at epoch ends). */
  checkpointMinutes: number;
  /** MiB a step's activations may take before the step runs checkpointed; "auto": half the free memory (train/memory-budget.ts). */
  memoryBudget: number | "auto" | "off";
  /** Steps per chunk of time (nn/time-chunks.ts): "auto" chooses them when nothing else fits the budget; "off" never. */
  timeChunk: number | "auto" | "off";
}

export interface TrainConfig {
  dataset: { name: DatasetName; root: string; transform?: TransformSpec; augment?: AugmentSpec };
  model: MlpModelConfig | ConvModelConfig | LayersModelConfig | NirModelConfig;
  neuron: NeuronConfig;
  method: BackwardMethod;
  loss: { readout: ReadoutName };
  train: TrainSettings;
  /** Folder for metrics.jsonl and the checkpoint. */
  output: string;
  /** "cpu", "cuda" or "cuda:N". */
  device: string;
}

export interface EpochMetrics {
  /** 1-based, as printed. */
  epoch: number;
  step: number;
  method: string;
  train: { loss: number; acc: number; samples: number; seconds: number; samplesPerSec: number };
  eval?: { loss: number; acc: number; samples: number };
  /** Mean 2-norm of each layer's weight gradient over the epoch's steps. */
  gradNorm: Record<string, number>;
  /** Spikes of each spiking layer over the epoch's training steps / possible spikes (neurons × steps × samples). */
  firingRate: Record<string, number>;
  /** Seconds of the epoch: waiting for batches, forward (with the loss), backward, optimizer step, evaluation. */
  time: { data: number; forward: number; backward: number; optimizer: number; eval: number };
  /** Diagnostics printed during this epoch (a silent or saturated layer). */
  warnings?: string[];
  /** Learning rate of the epoch's last step (train.lr × the schedule's factor). */
  lr?: number;
  /** Data-parallel runs: ranks and communication per step (lib/dist/). */
  dist?: DistMetrics;
}
