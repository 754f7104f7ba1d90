// The model of a checkpoint, rebuilt from its stored config and filled with its weights, without
// the data set (for `exodus export`, `exodus eval` and scripts). The sample shape comes from the
// checkpoint (exodus ≥ 0.2 stores it), else from the weights for an MLP, else from the caller.
import { ExodusError } from "../errors.js";
import { type Checkpoint, moduleState, restoreWeights } from "./checkpoint.js";
import { loadForInference } from "./model-file.js";
import type { TrainConfig } from "./config.js";
import { revalidateStored } from "./resume.js";
import { type BuiltModel, type ModelShape, buildModel } from "./model.js";

export interface CheckpointModel {
  checkpoint: Checkpoint;
  config: TrainConfig;
  model: BuiltModel;
  shape: ModelShape;
}

/** shape: [T, …features] and classes, needed only for conv checkpoints written before 0.2. */
export function modelFromCheckpoint(pathOrRunDir: string, opts: { which?: "last" | "best"; device?: string; shape?: ModelShape } = {}): CheckpointModel {
  const checkpoint = loadForInference(pathOrRunDir, opts.which); // a model.safetensors alone too
  let config: TrainConfig;
  try {
    config = revalidateStored(checkpoint.config, { device: opts.device ?? "cpu" });
  } catch (e) {
    throw new ExodusError(`${checkpoint.path}: the stored config is not valid: ${(e as Error).message}`);
  }
  let shape = opts.shape ?? checkpoint.state.data;
  if (!shape && config.model.kind === "mlp") {
    const w = [...checkpoint.weights.values()];
    if (w.length) shape = { sampleShape: [1, w[0].shape[1]], numClasses: w[w.length - 1].shape[0] };
  }
  if (!shape)
    throw new ExodusError(`${checkpoint.path}: the checkpoint does not record the input's shape (written before exodus 0.2); give it, e.g. --input-shape 2,32,32 --classes 11`);
  const model = buildModel(config, shape);
  try {
    restoreWeights(moduleState(model.net), checkpoint);
  } catch (e) {
    model.net.dispose();
    throw e;
  }
  return { checkpoint, config, model, shape };
}
