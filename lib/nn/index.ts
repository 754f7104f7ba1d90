// Neural-network layers: spiking neurons (LIF, IAF, ExpLeak, SRM) with EXODUS, SLAYER or BPTT
// gradients, Linear, and a feedforward Sequential container.
export { Module, type Parameter } from "./module.js";
export { LIF, IAF, type LIFOptions, type PerNeuron } from "./lif.js";
export { ExpLeak, type ExpLeakOptions } from "./expleak.js";
export { SRM, type SRMOptions, alphaKernel, refractoryKernel } from "./srm.js";
export { Linear, type LinearOptions } from "./linear.js";
export { Sequential } from "./sequential.js";
export { Conv2d, type Conv2dLayerOptions } from "./conv2d.js";
export { AvgPool2d } from "./pool.js";
export { SumPool2d } from "./sum-pool.js";
export { Dropout } from "./dropout.js";
export { Flatten } from "./flatten.js";
export { Tape, Var } from "./tape.js";
export type { BackwardMethod, SurrogateName, SurrogateOptions } from "./options.js";
