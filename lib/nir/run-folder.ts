// `exodus import g.nir --out runs/x`: an imported graph as a run folder that train --resume, eval,
// export, run and modelFromCheckpoint accept, as if exodus had trained it for 0 steps:
//   graph.nir.json          the graph (nodes, edges, metadata; lib/nir/model.ts)
//   config.yaml             model {kind: nir, graph, dt}, the data set given (default synthetic)
//   checkpoint.safetensors  the imported weights, at epoch 0 step 0 (model.safetensors beside it)
// The data set may still be changed when the run is first trained (train --resume --set
// dataset.name=…): a checkpoint of 0 steps has seen no data.
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { ExodusError } from "../errors.js";
import { Conv2d } from "../nn/conv2d.js";
import { Linear } from "../nn/linear.js";
import { hasCheckpoint, moduleState, saveCheckpoint, stateTensors } from "../train/checkpoint.js";
import { type TrainConfig, validateConfig } from "../train/config.js";
import { writeRunConfig } from "../train/run-files.js";
import type { ImportOptions, ImportedNetwork } from "./import.js";
import { GRAPH_FILE, writeGraphJson } from "./model.js";
import { importNir } from "./import.js";
import { readNir } from "./index.js";

export interface RunFolderOptions extends Pick<ImportOptions, "dt"> {
  /** Data set the run trains and evaluates on (default: synthetic); more fields via overrides. */
  dataset?: string;
  dataRoot?: string;
}

/** Imports a NIR file into a new run folder; returns the config and the imported network (the caller disposes it). */
export async function importToRunFolder(file: string, out: string, opts: RunFolderOptions = {}): Promise<{ config: TrainConfig; imported: ImportedNetwork & { version: string } }> {
  if (hasCheckpoint(out)) throw new ExodusError(`--out: ${out} already holds a run (a checkpoint); choose a new folder`);
  const g = await readNir(file);
  const imported = { ...importNir(g, { dt: opts.dt }, file), version: g.version };
  try {
    const graph = resolve(out, GRAPH_FILE);
    // the config is checked before anything is written: a bad --dataset leaves no half-made run
    const config = validateConfig({
      dataset: { name: opts.dataset ?? "synthetic", ...(opts.dataRoot ? { root: opts.dataRoot } : {}) },
      model: { kind: "nir", graph, dt: opts.dt ?? null }, output: out,
    });
    mkdirSync(out, { recursive: true });
    writeGraphJson(graph, g);
    const flat = imported.outputShape.length === 1;
    const weights = imported.net.layers.filter((l) => l instanceof Linear || l instanceof Conv2d).length;
    writeRunConfig(out, config);
    saveCheckpoint(out, {
      epoch: 0, batch: 0, phase: "train", step: 0, seed: config.train.seed, best: null,
      partial: { lossSum: 0, correct: 0, seen: 0, seconds: 0, gradNormSums: new Array(weights).fill(0), gradSteps: 0 },
      data: { sampleShape: [1, ...imported.inputShape], numClasses: flat ? imported.outputShape[0] : imported.outputShape.reduce((a, b) => a * b, 1) },
      config,
    }, stateTensors(moduleState(imported.net)), undefined);
    return { config, imported };
  } catch (e) {
    imported.net.dispose();
    throw e;
  }
}
