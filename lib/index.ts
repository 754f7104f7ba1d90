// Public API of exodus-snn.
export { Tensor, scope, keep, disposeAll, sizeOf, type Shape } from "./tensor.js";
export { finalizerStats } from "./finalizer.js";
export { Device, parseDevice, defaultDevice, cudaAvailable, cudaStatus, synchronize, type DeviceLike } from "./device.js";
export * as ops from "./ops.js";
export { Rng } from "./random.js";
export { ExodusError, ShapeError, DeviceError, ConfigError } from "./errors.js";
export { native, packageRoot } from "./native.js";
export { runtimeInfo, setCpuThreads } from "./runtime.js";
export { conv2d, conv2dBackward, conv2dGeometry, type Conv2dOptions } from "./conv.js";
export { pool2d, avgPool2d, maxPool2d, pool2dBackward } from "./pool.js";
export { Adam, SGD, type Param, type AdamOptions } from "./optim.js";
export { dropoutMask } from "./dropout.js";
export * as data from "./data/index.js";
export * from "./nn/index.js";
export * as training from "./train/index.js";
export * as nir from "./nir/index.js";
export { readSafetensors, writeSafetensors, encodeSafetensors, decodeSafetensors } from "./io/safetensors.js";
export * as losses from "./loss/index.js";
