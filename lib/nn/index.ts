// Neural-network layers: spiking neurons (LIF, IAF, ALIF, CubaLIF, AdLIF, ExpLeak, SRM) with EXODUS, SLAYER or BPTT
// gradients, Linear, and a feedforward Sequential container.
export { Module, type Parameter, type Buffer } from "./module.js";
export type { Activation, ForwardRequest, Fusion, InputReads } from "./activation.js";
// The neuron-model table and every model's layer (neuron-models.ts exports them with their entries).
export * from "./neuron-models.js";
export { ExpLeak, type ExpLeakOptions } from "./expleak.js";
export { NeuronLayer } from "./neuron.js";
export { alphaKernel, refractoryKernel } from "./srm.js";
export { Linear, type LinearOptions } from "./linear.js";
export { Sequential, type SequentialOptions } from "./sequential.js";
export type { LayoutOption } from "./layer-layout.js";
export { Conv2d, type Conv2dLayerOptions } from "./conv2d.js";
export { AvgPool2d, MaxPool2d, SumPool2d } from "./pool.js";
export { BatchNorm1d, BatchNorm2d, type BatchNormOptions } from "./batchnorm.js";
export { WeightNorm } from "./weightnorm.js";
export { SEW } from "./sew.js";
export { Dropout } from "./dropout.js";
export { Flatten } from "./flatten.js";
export { Tape, Var } from "./tape.js";
export type { BackwardMethod, SurrogateName, SurrogateOptions } from "./options.js";
export { summaryRows, formatSummary, outputShape, type SummaryRow } from "./summary.js";
export { type StateDict, type StateValue, type LoadStateDictOptions, type LoadStateDictResult } from "./state-dict.js";
export { Checkpointed } from "./checkpoint.js";
export { TimeChunked } from "./time-chunks.js";
export { forwardMemory, planCheckpoints, type ForwardMemory, type StepMemory, type CheckpointPlan } from "./memory.js";
