// Training: configs, the paper's networks, readouts over time, and the trainer behind `exodus train`.
export { loadConfig, validateConfig, type TrainConfig, type ConfigOverrides, type MlpModelConfig, type ConvModelConfig, type LayersModelConfig, type NeuronConfig, type TrainSettings } from "./config.js";
export { buildModel, type BuiltModel, type ModelShape } from "./model.js";
export { readout, readoutCrossEntropy, READOUTS, type ReadoutName, type Readout, type LossResult } from "./loss.js";
export { train, mixSeed, type TrainData, type TrainOptions, type TrainResult, type EpochMetrics } from "./trainer.js";
export { Progress, type ProgressState } from "./progress.js";
export { loadCheckpoint, saveCheckpoint, type CheckpointState } from "./checkpoint.js";
export { validateLayers, buildLayers, sewResNetLayers, type LayerSpec } from "./layers.js";
