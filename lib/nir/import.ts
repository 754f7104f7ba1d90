// NIR graph → a runnable exodus network. Subgraphs are inlined and the nodes ordered (graph.ts);
// each node becomes the exodus layers that compute it (nodes.ts). A chain from Input to Output is a
// plain Sequential of those layers; any other acyclic graph (fan-out, summed fan-in) is a
// Sequential holding one Dag of the nodes. dt comes from the caller, else the graph's metadata,
// else 1 (with a hint to pass it when the time constants look like seconds). Anything exodus cannot
// run exactly is refused, naming the node.
import { type DeviceLike } from "../device.js";
import { ExodusError, shapeStr } from "../errors.js";
import type { Module } from "../nn/module.js";
import type { BackwardMethod } from "../nn/options.js";
import { Sequential } from "../nn/sequential.js";
import { Dag, type DagNode } from "./dag.js";
import type { NirGraph } from "./export.js";
import { flattenGraph, isChain } from "./graph.js";
import { type NodeContext, nodeLayers, sameElements } from "./nodes.js";
import { NodeReader } from "./reader.js";
import { type NirArray, type NirDict, isArray } from "./hdf5.js";

export interface ImportOptions {
  /** Overrides the graph's metadata dt (default: the metadata's, else 1). */
  dt?: number;
  device?: DeviceLike;
  backward?: BackwardMethod;
}

export interface ImportedNetwork {
  net: Sequential;
  /** One sample's shape without time and batch (the Input node's). */
  inputShape: number[];
  outputShape: number[];
  dt: number;
  /** Node name of each layer of net, in order (a chain); for a graph, of each node of its Dag. */
  nodeNames: string[];
  /** Notes on what was adapted (folded gains, defaults of older files, …). */
  notes: string[];
}

/** An Input/Output node's shape: "shape" (NIR 1.0 files), else "input_type"/"output_type" (an array or a group {input|output: array}). */
function ioShape(r: NodeReader, port: "input" | "output"): number[] {
  if (r.has("shape")) return r.values("shape");
  const t = r.node[`${port}_type`];
  if (isArray(t)) return Array.from(t.data as ArrayLike<number>);
  if (typeof t === "object" && t !== null && !Array.isArray(t) && isArray((t as NirDict)[port])) return Array.from(((t as NirDict)[port] as NirArray).data as ArrayLike<number>);
  return r.fail(`expected a "shape" dataset (or "${port}_type"), received none`);
}

/** Builds the exodus network of a NIR graph (from readNir or exportNir). */
export function importNir(g: NirGraph, opts: ImportOptions = {}, where = "NIR graph"): ImportedNetwork {
  const metaDt = typeof g.metadata?.dt === "number" ? g.metadata.dt : undefined;
  const dt = opts.dt ?? metaDt ?? 1;
  if (!(dt > 0 && Number.isFinite(dt))) throw new ExodusError(`${where}: dt: expected a finite number > 0, received ${dt}`);
  const notes: string[] = [];
  if (opts.dt === undefined && metaDt === undefined) notes.push("the graph records no dt; assumed dt = 1 (pass dt to override)");
  const flat = flattenGraph(g, where);
  const first = new NodeReader(where, flat.input, flat.nodes[flat.input]);
  const inputShape = ioShape(first, "input");
  if (!inputShape.length || !inputShape.every((d) => Number.isInteger(d) && d >= 1)) first.fail(`shape: expected positive integers, received [${inputShape.join(", ")}]`);
  const ctx = (before: Module[], name: string): NodeContext => ({ dt, dtKnown: opts.dt !== undefined || metaDt !== undefined, notes, device: opts.device, backward: opts.backward, before, recurrent: flat.recurrent.get(name) });
  const body = flat.order.filter((n) => n !== flat.input && n !== flat.output);
  let net: Sequential;
  let shape: number[];
  let names: string[];
  if (isChain(flat)) {
    const layers: Module[] = [];
    names = [];
    shape = [...inputShape];
    try {
      for (const name of body) {
        const built = nodeLayers(new NodeReader(where, name, flat.nodes[name]), shape, ctx(layers, name));
        layers.push(...built.layers);
        names.push(...built.layers.map(() => name));
        shape = built.shape;
      }
    } catch (e) {
      for (const l of layers) l.dispose();
      throw e;
    }
    net = new Sequential(...layers);
  } else {
    const shapes = new Map<string, number[]>([[flat.input, [...inputShape]]]);
    const consumers = new Map<string, number>();
    for (const n of flat.order) for (const p of flat.inputs.get(n)!) consumers.set(p, (consumers.get(p) ?? 0) + 1);
    const nodes: DagNode[] = [{ name: flat.input, layers: new Sequential(), inputs: [] }];
    const byName = new Map(nodes.map((d) => [d.name, d]));
    try {
      for (const name of [...body, flat.output]) {
        const preds = flat.inputs.get(name)!;
        const r = new NodeReader(where, name, flat.nodes[name]);
        const s0 = shapes.get(preds[0])!;
        for (const p of preds.slice(1))
          if (!sameElements(shapes.get(p)!, s0)) r.fail(`its inputs are summed, but ${preds[0]} gives ${shapeStr(s0)} and ${p} gives ${shapeStr(shapes.get(p)!)}`);
        // a gain may be folded into the layer before only when that layer feeds this node alone
        const before = preds.length === 1 && consumers.get(preds[0]) === 1 ? byName.get(preds[0])!.layers.layers : [];
        const built = name === flat.output ? { layers: [], shape: s0 } : nodeLayers(r, s0, ctx(before, name));
        const d: DagNode = { name, layers: new Sequential(...built.layers), inputs: preds };
        nodes.push(d);
        byName.set(name, d);
        shapes.set(name, built.shape);
      }
    } catch (e) {
      for (const d of nodes) d.layers.dispose();
      throw e;
    }
    shape = shapes.get(flat.output)!;
    names = nodes.map((d) => d.name);
    net = new Sequential(new Dag(nodes));
  }
  const outNode = new NodeReader(where, flat.output, flat.nodes[flat.output]);
  const declared = outNode.has("shape") || outNode.has("output_type") ? ioShape(outNode, "output") : shape;
  if (!sameElements(declared, shape)) {
    net.dispose();
    outNode.fail(`shape [${declared.join(", ")}] does not match the network's output ${shapeStr(shape)}`);
  }
  return { net, inputShape, outputShape: shape, dt, nodeNames: names, notes };
}
