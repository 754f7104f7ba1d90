// Training: configs, the paper's networks, readouts over time, and the trainer behind `exodus train`.
export { loadConfig, validateConfig, type TrainConfig, type ConfigOverrides, type MlpModelConfig, type ConvModelConfig, type LayersModelConfig, type NeuronConfig, type TrainSettings } from "./config.js";
export { buildModel, type BuiltModel, type ModelShape } from "./model.js";
export { readout, readoutCrossEntropy, READOUTS, type ReadoutName, type Readout, type LossResult } from "./loss.js";
export { train, mixSeed, type TrainData, type TrainOptions, type TrainResult, type EpochMetrics } from "./trainer.js";
export { Progress, type ProgressState } from "./progress.js";
export {
  loadCheckpoint, saveCheckpoint, resolveCheckpoint, hasCheckpoint, restoreWeights, adamState, stateTensors, moduleState, loadModelFile, saveModel,
  type Checkpoint, type CheckpointState, type StateTensor,
} from "./checkpoint.js";
export { modelFromCheckpoint, type CheckpointModel } from "./from-checkpoint.js";
export { resumeSource, resumedRunConfig } from "./resume.js";
export { validateLayers, buildLayers, sewResNetLayers, type LayerSpec } from "./layers.js";
export { buildOptimizer, describeOptimizer, AdamOptimizer, SgdOptimizer, Optimizer, clipGradNorm, globalGradNorm, resolveGroups, type OptimizerState, type ParamGroupSpec } from "./optimizers/index.js";
export { Schedule, SCHEDULES, type ScheduleSpec } from "./schedules.js";
export { Selection, type SelectionSettings } from "./selection.js";
export { EventWriter } from "./tensorboard.js";
