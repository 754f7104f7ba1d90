// Data sets for spiking networks: SHD, SSC, DVS Gesture and CIFAR10-DVS readers, tonic-compatible
// binning, a preprocessed cache and a prefetching batch loader. See docs/data.md.
//
//   const ds = await openDataset({ name: "shd", root: "data/shd", split: "train" });
//   for await (const { x, labels } of ds.batches({ batchSize: 128, shuffle: true, seed: epoch })) {
//     // x: [250, B, 100] counts on the default device; disposed when the loop moves on
//   }
export { openDataset, type Dataset, type Batch, type BatchOptions, type OpenDatasetOptions } from "./loader.js";
export { DATASETS, datasetInfo, type DatasetInfo, type DatasetName, type RemoteFile } from "./registry.js";
export {
  type TransformSpec,
  type FrameSpec,
  type SparseFrames,
  normalizeTransform,
  toSparseFrames,
  denseFrames,
  windowsOf,
  applyEventTransforms,
  transformedSensor,
} from "./transforms.js";
export { type Events, type SensorSize } from "./events.js";
export { AudioH5File } from "./h5.js";
export { readAedat3, readGestureLabels } from "./aedat3.js";
export { readAedat2 } from "./aedat2.js";
export { readNpy, readGestureNpy } from "./npy.js";
export { downloadDataset, downloadFile, verifyMd5, extractArchive, type DownloadProgress } from "./download.js";
export { inspectPath, renderSample, type InspectReport } from "./inspect.js";
export { validateAugment, augmentFrames, type AugmentSpec, type FrameGeometry } from "./augment.js";
