// The structure of a NIR graph, as exodus runs it: nested graphs (subgraphs) flattened into one
// level, their Input/Output nodes contracted away, then nodes in a topological order from the one
// Input to the one Output. A node with several incoming edges receives their sum (NIR's semantics of
// fan-in, e.g. a SEW residual block). A neuron's recurrent weights (a cycle neuron → w_rec →
// neuron, recurrent.ts) and Delay nodes next to a Linear (delay-import.ts) are merged into the
// node they belong to; any other cycle or Delay is refused naming the node.
//
// Subgraph edges: a parent edge may name the subgraph node itself ("rnn": into its Input, out of its
// Output) or, in the dotted form newer writers use, a node inside it ("rnn.input", "rnn.output").
import { ExodusError } from "../errors.js";
import type { NirGraph } from "./export.js";
import { type NirDict, isArray } from "./hdf5.js";
import { contractDelays } from "./delay-import.js";
import { type Recurrence, contractRecurrent } from "./recurrent.js";

export interface FlatGraph {
  /** Name → node (nested names joined with "."); Input/Output of subgraphs contracted away. */
  nodes: Record<string, NirDict>;
  /** Name → the names of the nodes feeding it (several: their outputs are summed). */
  inputs: Map<string, string[]>;
  /** Every node from the Input to the Output, each after all that feed it. */
  order: string[];
  input: string;
  output: string;
  /** Neuron node → the recurrent weights feeding its own spikes back (removed from the graph). */
  recurrent: Map<string, Recurrence>;
}

const isDict = (v: unknown): v is NirDict => typeof v === "object" && v !== null && !Array.isArray(v) && !isArray(v as never);

/** Nodes and edges with subgraphs inlined; a subgraph's own Input/Output become "Identity" nodes. */
function inline(nodes: Record<string, NirDict>, edges: [string, string][], prefix: string, where: string): { nodes: Record<string, NirDict>; edges: [string, string][] } {
  const outNodes: Record<string, NirDict> = {};
  const outEdges: [string, string][] = [];
  /** How a parent edge endpoint naming a subgraph resolves: into its Input, out of its Output. */
  const entry = new Map<string, string>();
  const exit = new Map<string, string>();
  for (const [name, node] of Object.entries(nodes)) {
    const full = prefix + name;
    if (node.type !== "NIRGraph") {
      outNodes[full] = node;
      continue;
    }
    if (!isDict(node.nodes)) throw new ExodusError(`${where}: node ${full} (NIRGraph): expected a group "nodes"`);
    const sub: Record<string, NirDict> = {};
    for (const [k, v] of Object.entries(node.nodes)) {
      if (!isDict(v) || typeof v.type !== "string") throw new ExodusError(`${where}: node ${full}.${k}: expected a node group with a "type" string`);
      sub[k] = v;
    }
    const subEdges = subgraphEdges(node.edges, `${where}: node ${full} (NIRGraph): edges`);
    const inner = inline(sub, subEdges, `${full}.`, where);
    const ins = Object.keys(sub).filter((k) => sub[k].type === "Input");
    const outs = Object.keys(sub).filter((k) => sub[k].type === "Output");
    if (ins.length !== 1 || outs.length !== 1)
      throw new ExodusError(`${where}: node ${full} (NIRGraph): expected one Input and one Output node, received ${ins.length} and ${outs.length}`);
    for (const [k, v] of Object.entries(inner.nodes)) outNodes[k] = v.type === "Input" || v.type === "Output" ? { ...v, type: k === `${full}.${ins[0]}` || k === `${full}.${outs[0]}` ? "Identity" : v.type } : v;
    outEdges.push(...inner.edges);
    entry.set(full, `${full}.${ins[0]}`);
    exit.set(full, `${full}.${outs[0]}`);
  }
  for (const [a, b] of edges) outEdges.push([exit.get(prefix + a) ?? prefix + a, entry.get(prefix + b) ?? prefix + b]);
  return { nodes: outNodes, edges: outEdges };
}

function subgraphEdges(v: unknown, where: string): [string, string][] {
  // read from HDF5 a nested edges dataset arrives as a flat list of names ([E, 2] row-major)
  const flat = Array.isArray(v) ? v.flat() : undefined;
  if (!flat || flat.length % 2 !== 0 || !flat.every((s) => typeof s === "string")) throw new ExodusError(`${where}: expected an [E, 2] list of node names`);
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i] as string, flat[i + 1] as string]);
  return out;
}

/** The graph flattened, checked and ordered (see the file comment). */
export function flattenGraph(g: NirGraph, where: string): FlatGraph {
  const { nodes, edges } = inline(g.nodes, g.edges, "", where);
  for (const [a, b] of edges)
    for (const n of [a, b]) if (!(n in nodes)) throw new ExodusError(`${where}: edge (${a}, ${b}) names node ${n}, which the graph does not have`);
  const preds = new Map<string, string[]>(Object.keys(nodes).map((n) => [n, []]));
  const succs = new Map<string, string[]>(Object.keys(nodes).map((n) => [n, []]));
  for (const [a, b] of edges) {
    preds.get(b)!.push(a);
    succs.get(a)!.push(b);
  }
  // Contract the Identity nodes a subgraph's Input/Output left: each feeder to each consumer.
  for (const n of Object.keys(nodes).filter((k) => nodes[k].type === "Identity")) {
    for (const p of preds.get(n)!) succs.set(p, [...succs.get(p)!.filter((x) => x !== n), ...succs.get(n)!]);
    for (const s of succs.get(n)!) preds.set(s, [...preds.get(s)!.filter((x) => x !== n), ...preds.get(n)!]);
    delete nodes[n];
    preds.delete(n);
    succs.delete(n);
  }
  const inputs = Object.keys(nodes).filter((n) => nodes[n].type === "Input");
  const outputs = Object.keys(nodes).filter((n) => nodes[n].type === "Output");
  if (inputs.length !== 1) throw new ExodusError(`${where}: expected one Input node, received ${inputs.length} (${inputs.join(", ") || "none"}); exodus imports single-input graphs`);
  if (outputs.length !== 1) throw new ExodusError(`${where}: expected one Output node, received ${outputs.length} (${outputs.join(", ") || "none"}); exodus imports single-output graphs`);
  const recurrent = contractRecurrent(nodes, preds, succs, where);
  contractDelays(nodes, preds, succs, where);
  // Kahn's algorithm; what is left over lies on a cycle, i.e. a recurrent edge.
  const deg = new Map([...preds].map(([n, p]) => [n, p.length]));
  const order: string[] = [];
  const ready = [inputs[0], ...[...deg].filter(([n, d]) => d === 0 && n !== inputs[0]).map(([n]) => n)];
  while (ready.length) {
    const n = ready.shift()!;
    order.push(n);
    for (const s of succs.get(n)!) {
      deg.set(s, deg.get(s)! - 1);
      if (deg.get(s) === 0) ready.push(s);
    }
  }
  if (order.length !== Object.keys(nodes).length) {
    const left = Object.keys(nodes).filter((n) => !order.includes(n));
    // the nodes that reach themselves: the cycle (the rest merely lies after it)
    const reaches = (from: string, to: string, seen = new Set<string>()): boolean =>
      succs.get(from)!.some((s) => s === to || (!seen.has(s) && (seen.add(s), reaches(s, to, seen))));
    const cyc = left.filter((n) => reaches(n, n));
    const first = cyc[0] ?? left[0];
    throw new ExodusError(`${where}: node ${first} (${String(nodes[first].type)}) is on a recurrent edge (a cycle through ${cyc.join(", ")}): exodus runs recurrence only as a LIF, IF or CubaLIF node with a Linear/Affine w_rec fed by it alone and feeding it alone (the layout snnTorch writes for RLeaky / RSynaptic)`);
  }
  const unreached = order.filter((n) => n !== inputs[0] && preds.get(n)!.length === 0);
  if (unreached.length) throw new ExodusError(`${where}: nodes ${unreached.join(", ")} have no incoming edge and are not the Input; exodus runs graphs fed by one Input`);
  const dead = order.filter((n) => n !== outputs[0] && succs.get(n)!.length === 0);
  if (dead.length) throw new ExodusError(`${where}: nodes ${dead.join(", ")} lead nowhere (not on a path to the Output ${outputs[0]})`);
  if (succs.get(outputs[0])!.length) throw new ExodusError(`${where}: Output node ${outputs[0]} has outgoing edges`);
  return { nodes, inputs: preds, order, input: inputs[0], output: outputs[0], recurrent };
}

/** Whether the graph is one chain (then it imports as a plain Sequential). */
export function isChain(f: FlatGraph): boolean {
  return f.order.every((n) => n === f.input || f.inputs.get(n)!.length === 1) && f.order.every((n, i) => i === 0 || f.inputs.get(n)![0] === f.order[i - 1]);
}
