// NIR (neuromorphic intermediate representation, neuroir.org) export and import.
//   exportNetwork(net, {inputShape, dt, approximateReset}) → NirGraph (exportNir for plain chains,
//   exportGraph for graphs, SEW, BatchNorm, imported layers); writeNir(path, graph)
//   readNir(path) → NirGraph; importNir(graph) → {net: Sequential, inputShape, …}
//   exportRunNir(run or checkpoint, path, opts) — a trained run's network, as `exodus export`;
//   importToRunFolder(file, dir) — a graph as a run folder, as `exodus import --out`;
//   loadRunnable / readInput / simulate — `exodus run`.
import { ExodusError } from "../errors.js";
import { modelFromCheckpoint } from "../train/from-checkpoint.js";
import type { ModelShape } from "../train/model.js";
import { type ExportOptions, type NirGraph, NIR_VERSION, exportNir } from "./export.js";
import { type NirDict, isArray, readNirFile, writeNirFile } from "./hdf5.js";
import { exportGraph, needsGraphExport } from "./export-graph.js";
import type { Sequential } from "../nn/sequential.js";
import { type ImportOptions, type ImportedNetwork, importNir } from "./import.js";

export { exportNir, importNir, NIR_VERSION, type NirGraph, type ExportOptions, type ImportOptions, type ImportedNetwork };
export { CONVENTION } from "./convention.js";
export { exportGraph, needsGraphExport } from "./export-graph.js";
export { foldBatchNorm } from "./fold.js";
export { Dag } from "./dag.js";
export { Bias, Scale, Threshold } from "./layers.js";
export { importToRunFolder, type RunFolderOptions } from "./run-folder.js";
export { GRAPH_FILE, readGraphJson, writeGraphJson, type NirModelConfig } from "./model.js";
export { loadRunnable, readInput, simulate, traceCsv, type Runnable, type Trace } from "./simulate.js";

/** The NIR graph of an exodus network: exportNir, or exportGraph for what exportNir does not cover (graphs, SEW, BatchNorm, imported layers). */
export function exportNetwork(net: Sequential, opts: ExportOptions): NirGraph {
  return needsGraphExport(net.layers) ? exportGraph(net, opts) : exportNir(net, opts);
}

export async function writeNir(path: string, g: NirGraph): Promise<void> {
  await writeNirFile(path, NIR_VERSION, { type: "NIRGraph", nodes: g.nodes, metadata: g.metadata }, g.edges);
}

const isDict = (v: unknown): v is NirDict => typeof v === "object" && v !== null && !Array.isArray(v) && !isArray(v as never);

export async function readNir(path: string): Promise<NirGraph & { version: string }> {
  const f = await readNirFile(path);
  if (f.graph.type !== "NIRGraph") throw new ExodusError(`${path}: node/type: expected "NIRGraph", received ${JSON.stringify(f.graph.type ?? null)}`);
  if (!isDict(f.graph.nodes)) throw new ExodusError(`${path}: node/nodes: expected a group of nodes`);
  const nodes: Record<string, NirDict> = {};
  for (const [k, v] of Object.entries(f.graph.nodes)) {
    if (!isDict(v) || typeof v.type !== "string") throw new ExodusError(`${path}: node/nodes/${k}: expected a node group with a "type" string`);
    nodes[k] = v;
  }
  return { version: f.version, nodes, edges: f.edges, metadata: isDict(f.graph.metadata) ? f.graph.metadata : {} };
}

/** Reads a NIR file and builds its exodus network. */
export async function importNirFile(path: string, opts: ImportOptions = {}): Promise<ImportedNetwork & { version: string }> {
  const g = await readNir(path);
  return { ...importNir(g, opts, path), version: g.version };
}

/** Writes the network of a run folder or checkpoint as NIR. */
export async function exportRunNir(pathOrRunDir: string, out: string, opts: Omit<ExportOptions, "inputShape"> & { which?: "last" | "best"; shape?: ModelShape } = {}): Promise<{ graph: NirGraph; checkpoint: string }> {
  const { checkpoint, config, model, shape } = modelFromCheckpoint(pathOrRunDir, { which: opts.which, shape: opts.shape });
  try {
    const graph = exportNetwork(model.net, { ...opts, inputShape: shape.sampleShape.slice(1), metadata: { exodus_config: JSON.stringify(config), ...(opts.metadata ?? {}) } });
    await writeNir(out, graph);
    return { graph, checkpoint: checkpoint.path };
  } finally {
    model.net.dispose();
  }
}
