// A weights-only model file (model.safetensors, model-best.safetensors, or Module.save with a
// config) read as a checkpoint for inference: `exodus eval` and `exodus export` take one alone,
// without its run folder. It stores the config; files written by `exodus train` also record the
// data's shape and the position (epoch, step) they were saved at. Training state (Adam, the epoch
// in progress) is not in it, so --resume still needs checkpoint.safetensors.
import { dirname } from "node:path";
import { ExodusError, describe } from "../errors.js";
import { readSafetensors } from "../io/safetensors.js";
import { type Checkpoint, MODEL_FORMAT, loadCheckpoint, loadModelFile, resolveCheckpoint } from "./checkpoint.js";

/** A checkpoint file, a run folder (its last / best checkpoint) or a model file, for inference. */
export function loadForInference(pathOrRunDir: string, which: "last" | "best" = "last"): Checkpoint {
  const file = resolveCheckpoint(pathOrRunDir, which);
  if (!file.endsWith(".safetensors")) return loadCheckpoint(file); // an old checkpoint.json
  const { metadata } = readSafetensors(file);
  if (metadata["exodus.format"] !== MODEL_FORMAT) return loadCheckpoint(file);
  const { config, weights } = loadModelFile(file);
  if (config === null || typeof config !== "object")
    throw new ExodusError(`${file}: expected a model file with its config (written by exodus train or Module.save(path, { config })), received config ${describe(config)}; load it into a module with net.load(path) instead`);
  const pos = position(file, metadata["exodus.position"]);
  const seed = Number((config as { train?: { seed?: unknown } }).train?.seed ?? 0);
  return {
    path: file,
    runDir: dirname(file),
    config,
    weights,
    legacy: false,
    state: {
      epoch: pos.epoch,
      batch: 0,
      phase: "eval",
      step: pos.step,
      seed: Number.isInteger(seed) ? seed : 0,
      partial: { lossSum: 0, correct: 0, seen: 0, seconds: 0, gradNormSums: [], gradSteps: 0 },
      best: null,
      ...(pos.data ? { data: pos.data } : {}),
      config,
    },
  };
}

interface Position {
  epoch: number;
  step: number;
  data?: { sampleShape: number[]; numClasses: number };
}

function position(file: string, text: string | undefined): Position {
  if (text === undefined) return { epoch: 0, step: 0 };
  let p: Partial<Position>;
  try {
    p = JSON.parse(text) as Partial<Position>;
  } catch (e) {
    throw new ExodusError(`${file}: __metadata__["exodus.position"]: expected JSON, received ${(e as Error).message}; the file is damaged`);
  }
  const int = (v: unknown) => (typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : 0);
  const d = p.data;
  const data =
    d && Array.isArray(d.sampleShape) && d.sampleShape.length >= 2 && d.sampleShape.every((x) => Number.isInteger(x) && x > 0) && Number.isInteger(d.numClasses) && d.numClasses > 0
      ? { sampleShape: d.sampleShape, numClasses: d.numClasses }
      : undefined;
  return { epoch: int(p.epoch), step: int(p.step), ...(data ? { data } : {}) };
}
