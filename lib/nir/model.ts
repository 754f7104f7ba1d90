// An imported NIR graph as a training model: `model: {kind: nir, graph: <file>, dt}` in a run's
// config. The graph is kept beside the run as JSON (graph.nir.json: the NIR graph's nodes, edges
// and metadata, arrays as {kind, shape, data}) so the model can be rebuilt synchronously wherever a
// config is (train, eval, export); the checkpoint's tensors then replace its weights, so a
// fine-tuned run rebuilds as trained. Non-trainable values (τ, thresholds, drives) come from the
// graph and do not change in training.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, isAbsolute, join, resolve } from "node:path";
import type { DeviceLike } from "../device.js";
import { ConfigError, ExodusError, describe } from "../errors.js";
import type { Module } from "../nn/module.js";
import type { BackwardMethod } from "../nn/options.js";
import type { NirGraph } from "./export.js";
import { type NirDict, type NirValue, isArray } from "./hdf5.js";
import { importNir } from "./import.js";

export interface NirModelConfig {
  kind: "nir";
  initScale: number;
  /** The imported graph (graph.nir.json), absolute or relative to the run folder (the config's output). */
  graph: string;
  /** Time step the graph's time constants are read with; null: the graph's metadata dt (else 1). */
  dt: number | null;
}

export const GRAPH_FILE = "graph.nir.json";

const OTHER = ["hidden", "channels", "extraConvs", "kernel", "pool", "poolUntil", "dropout", "readoutDropout", "layers", "weightNorm"];

/** model.* of kind "nir", from the raw config (other kinds' fields refused). */
export function validateNirModel(m: Record<string, unknown>, initScale: number): NirModelConfig {
  for (const k of OTHER) if (m[k] !== undefined) throw new ConfigError(`model.${k}: expected no value for kind "nir" (the imported graph defines the network), received ${describe(m[k])}`);
  if (typeof m.graph !== "string" || m.graph === "") throw new ConfigError(`model.graph: expected the path of an imported graph (${GRAPH_FILE}, written by exodus import --out), received ${describe(m.graph)}`);
  const dt = m.dt ?? null;
  if (dt !== null && !(typeof dt === "number" && Number.isFinite(dt) && dt > 0)) throw new ConfigError(`model.dt: expected a finite number > 0 (or none: the graph's metadata dt), received ${describe(dt)}`);
  return { kind: "nir", initScale, graph: m.graph, dt };
}

function toJson(v: NirValue): unknown {
  if (isArray(v)) return { kind: v.kind, shape: v.shape, data: Array.from(v.data as ArrayLike<number>) };
  if (typeof v === "object" && v !== null && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  return v;
}

function fromJson(v: unknown, where: string): NirValue {
  if (typeof v === "string" || typeof v === "number") return v;
  if (Array.isArray(v)) {
    if (!v.every((s) => typeof s === "string")) throw new ExodusError(`${where}: expected a list of strings`);
    return v as string[];
  }
  if (typeof v !== "object" || v === null) throw new ExodusError(`${where}: expected a value, an array or a group, received ${describe(v)}`);
  const o = v as Record<string, unknown>;
  if ("kind" in o && "shape" in o && "data" in o) {
    const data = o.data as number[];
    if (!Array.isArray(o.shape) || !Array.isArray(data) || !["f32", "f64", "int"].includes(o.kind as string)) throw new ExodusError(`${where}: expected an array {kind, shape, data}`);
    const shape = o.shape as number[];
    if (o.kind === "int") return { kind: "int", shape, data };
    return { kind: o.kind as "f32" | "f64", shape, data: o.kind === "f32" ? Float32Array.from(data) : Float64Array.from(data) };
  }
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, fromJson(x, `${where}/${k}`)])) as NirDict;
}

export function writeGraphJson(path: string, g: NirGraph): void {
  writeFileSync(path, JSON.stringify({ format: "exodus-nir-graph/1", nodes: toJson(g.nodes as NirDict), edges: g.edges, metadata: toJson(g.metadata) }));
}

export function readGraphJson(path: string): NirGraph {
  let raw: { format?: string; nodes?: unknown; edges?: unknown; metadata?: unknown };
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new ExodusError(`${path}: expected an imported NIR graph (JSON written by exodus import), received a file that does not parse (${(e as Error).message})`);
  }
  if (raw.format !== "exodus-nir-graph/1") throw new ExodusError(`${path}: expected format "exodus-nir-graph/1", received ${describe(raw.format)}`);
  const edges = raw.edges as [string, string][];
  if (!Array.isArray(edges) || !edges.every((e) => Array.isArray(e) && e.length === 2 && e.every((s) => typeof s === "string"))) throw new ExodusError(`${path}: edges: expected a list of [from, to] node names`);
  return { nodes: fromJson(raw.nodes, `${path}: nodes`) as Record<string, NirDict>, edges, metadata: fromJson(raw.metadata ?? {}, `${path}: metadata`) as NirDict };
}

/** The graph file of a config: as given, else beside the run folder (a run moved since it was imported). */
export function graphPath(model: NirModelConfig, output: string): string {
  const candidates = isAbsolute(model.graph) ? [model.graph, join(output, basename(model.graph))] : [resolve(output, model.graph), resolve(model.graph)];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new ConfigError(`model.graph: expected the imported graph at ${candidates.join(" or ")}, received no such file; set it with --set model.graph=<path of ${GRAPH_FILE}>`);
  return found;
}

/** The layers of an imported graph for samples of per-step shape `features` and `numClasses` classes. */
export function nirModelLayers(model: NirModelConfig, output: string, features: readonly number[], numClasses: number, opts: { device?: DeviceLike; backward?: BackwardMethod }): Module[] {
  const path = graphPath(model, output);
  const r = importNir(readGraphJson(path), { dt: model.dt ?? undefined, device: opts.device, backward: opts.backward }, path);
  const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
  const fail = (why: string): never => {
    r.net.dispose();
    throw new ConfigError(`model.graph: ${why}`);
  };
  if (!same(r.inputShape, features)) fail(`the imported graph (${path}) takes samples of shape [${r.inputShape.join(", ")}], the data set gives [${features.join(", ")}] per step; give the data set it was made for (--set dataset.name=… --data-root …)`);
  if (r.outputShape.reduce((a, b) => a * b, 1) !== numClasses) fail(`the imported graph (${path}) gives outputs of shape [${r.outputShape.join(", ")}]; training and evaluation need ${numClasses} (one score per class of the data set)`);
  return r.net.layers;
}
