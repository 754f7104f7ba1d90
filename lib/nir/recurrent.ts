// Recurrent layers in NIR: the layout snnTorch writes for RLeaky / RSynaptic (and the NIR paper's
// braille nets), a subgraph
//     {input → lif, lif → w_rec, w_rec → lif, lif → output}
// with lif a LIF or CubaLIF node and w_rec a Linear (Affine with a recurrent bias) of [H, H]. The
// feedback edge carries the neuron's spikes of the previous step (a cycle in a discrete-time
// graph is a one-step delay), so w_rec's output enters the neuron's input, scaled by its input
// gain like any other input: for LIF the membrane, for CubaLIF the synaptic current (snnTorch:
// syn = α·syn + x + V·s[t−1]).
//
// Import: contractRecurrent finds such a pair in the inlined graph — the same whether the file
// nests the subgraph or flattens it with dotted names ("lif1.lif", "lif1.w_rec") — and removes the
// w_rec node, recording it on the neuron; nodes.ts then builds the recurrent layer.
// Export: recurrentSubgraph wraps a layer's neuron node and its V into that subgraph.
import { ExodusError } from "../errors.js";
import { type NirDict, f32, ints, isArray } from "./hdf5.js";

/** The recurrent weights found on a neuron node: the w_rec node and its name. */
export interface Recurrence {
  name: string;
  node: NirDict;
}

const NEURONS = new Set(["LIF", "IF", "CubaLIF"]);
const WEIGHTS = new Set(["Linear", "Affine"]);

/**
 * Removes every w_rec of a neuron ↔ w_rec cycle (w_rec fed by the neuron alone and feeding it
 * alone) from the graph's adjacency, in place; returns neuron name → its recurrence.
 */
export function contractRecurrent(nodes: Record<string, NirDict>, preds: Map<string, string[]>, succs: Map<string, string[]>, where: string): Map<string, Recurrence> {
  const found = new Map<string, Recurrence>();
  for (const w of Object.keys(nodes)) {
    const p = preds.get(w)!, s = succs.get(w)!;
    if (!(WEIGHTS.has(String(nodes[w].type)) && p.length === 1 && s.length === 1 && p[0] === s[0])) continue;
    const n = p[0];
    if (!NEURONS.has(String(nodes[n].type)))
      throw new ExodusError(`${where}: node ${w} (${String(nodes[w].type)}) feeds back into node ${n} (${String(nodes[n].type)}): exodus runs recurrent weights around a LIF, IF or CubaLIF node only (the layout snnTorch writes for RLeaky / RSynaptic)`);
    if (found.has(n)) throw new ExodusError(`${where}: node ${n} (${String(nodes[n].type)}) has two recurrent weight nodes (${found.get(n)!.name} and ${w}); exodus runs one per neuron layer`);
    found.set(n, { name: w, node: nodes[w] });
    preds.set(n, preds.get(n)!.filter((x) => x !== w));
    succs.set(n, succs.get(n)!.filter((x) => x !== w));
    preds.delete(w);
    succs.delete(w);
    delete nodes[w];
  }
  return found;
}

/** The subgraph node of a recurrent layer of H neurons: its neuron node, V [H, H] (row i: into neuron i) and an optional recurrent bias. */
export function recurrentSubgraph(neuron: NirDict, H: number, weight: Float32Array, bias: Float32Array | undefined, layer: string): NirDict {
  const w_rec: NirDict = bias ? { type: "Affine", weight: f32(weight, [H, H]), bias: f32(bias, [H]) } : { type: "Linear", weight: f32(weight, [H, H]) };
  return {
    type: "NIRGraph",
    nodes: { input: { type: "Input", shape: ints([H]) }, lif: neuron, w_rec, output: { type: "Output", shape: ints([H]) } },
    // [E, 2] row-major, as the HDF5 file holds a nested graph's edges
    edges: ["input", "lif", "lif", "w_rec", "w_rec", "lif", "lif", "output"],
    metadata: { exodus_layer: layer },
  };
}

/** The neuron node inside a recurrent subgraph (what a leak drive or a folded gain applies to), else the node itself. */
export function neuronOf(node: NirDict): NirDict {
  return node.type === "NIRGraph" && typeof node.nodes === "object" && !isArray(node.nodes as never) ? ((node.nodes as NirDict).lif as NirDict) : node;
}
