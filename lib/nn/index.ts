// Neural-network layers: spiking neurons (LIF, IAF, ALIF, CubaLIF, AdLIF, ExpLeak, SRM) with EXODUS, SLAYER or BPTT
// gradients, Linear, and a feedforward Sequential container.
export { Module, type Parameter, type Buffer } from "./module.js";
export type { Activation, ForwardRequest, Fusion, InputReads } from "./activation.js";
export { NEURON_MODELS, NEURON_TYPES, neuronModel, type NeuronModel, type NeuronType } from "./neuron-models.js";
export { LIF, IAF, type LIFOptions, type PerNeuron } from "./lif.js";
export { ALIF, type ALIFOptions, type AlifParam } from "./alif.js";
export { RLIF, type RLIFOptions } from "./rlif.js";
export { RCubaLIF, type RCubaLIFOptions } from "./rcuba.js";
export { RALIF, type RALIFOptions } from "./ralif.js";
export { RAdLIF, type RAdLIFOptions } from "./radlif.js";
export { CubaLIF, type CubaLIFOptions, type CubaParam } from "./cuba.js";
export { AdLIF, type AdLIFOptions, type AdlifParam } from "./adlif.js";
export { ExpLeak, type ExpLeakOptions } from "./expleak.js";
export { NeuronLayer } from "./neuron.js";
export { SRM, type SRMOptions, alphaKernel, refractoryKernel } from "./srm.js";
export { Linear, type LinearOptions } from "./linear.js";
export { Sequential, type SequentialOptions } from "./sequential.js";
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
