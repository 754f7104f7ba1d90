// Export of networks that are more than a chain of exodus's basic layers: imported NIR graphs (a
// Dag with summed fan-in, Bias, Scale, Threshold layers), SEW residual blocks and BatchNorm.
//   - each basic layer is written by exportNir (export.ts), one layer at a time, and renamed after
//     its path in the network ("3", "3.block.0", "fc1.0");
//   - a convolution's Bias goes into its node's bias; a neuron's leak drive (a Bias of role
//     "drive" before it) into its v_leak; BatchNorm (evaluation mode) is folded into the
//     Conv2d/Linear before it (fold.ts);
//   - a SEW block's sum a + block(a) is NIR's summed fan-in: both feed an identity node (a Scale
//     of ones) named after the block; a Dag's node with several inputs receives one edge from each.
import { ExodusError } from "../errors.js";
import { BatchNorm1d, BatchNorm2d } from "../nn/batchnorm.js";
import { DelayLinear } from "../nn/delay.js";
import { Dropout } from "../nn/dropout.js";
import { ExpLeak } from "../nn/expleak.js";
import { LIF } from "../nn/lif.js";
import type { Module } from "../nn/module.js";
import { MaxPool2d } from "../nn/pool.js";
import { Sequential } from "../nn/sequential.js";
import { SEW } from "../nn/sew.js";
import { Conv1d } from "./conv1d.js";
import { Dag } from "./dag.js";
import { type ExportOptions, type NirGraph, exportNir } from "./export.js";
import { foldBatchNorm, isBatchNorm } from "./fold.js";
import { type NirDict, f32, f64, ints, isArray } from "./hdf5.js";
import { Bias, Scale, Threshold } from "./layers.js";
import { prod } from "./reader.js";
import { delayBranches } from "./delay-export.js";
import { neuronOf } from "./recurrent.js";

/** Whether exportNir alone cannot write the network (see the file comment). */
export function needsGraphExport(layers: readonly Module[]): boolean {
  return layers.some((l) => l instanceof Dag || l instanceof DelayLinear || l instanceof Conv1d || l instanceof SEW || l instanceof Bias || l instanceof Scale || l instanceof Threshold || l instanceof BatchNorm1d || l instanceof BatchNorm2d ||
    (l instanceof Sequential && needsGraphExport(l.layers)));
}

interface Builder {
  nodes: Record<string, NirDict>;
  edges: [string, string][];
  opts: ExportOptions;
  /** Output shape of each node of the Dag being written. */
  shapes: Map<string, number[]>;
}

/** Where the chain stands: the nodes whose outputs (summed) feed what comes next, and their shape. */
interface Cursor {
  from: string[];
  shape: number[];
}

function add(b: Builder, name: string, node: NirDict, c: Cursor, shape: number[]): Cursor {
  if (name in b.nodes) throw new ExodusError(`NIR export: two nodes named ${name}`);
  b.nodes[name] = node;
  for (const f of c.from) b.edges.push([f, name]);
  return { from: [name], shape };
}

function refuse(path: string, layer: Module, why: string): never {
  throw new ExodusError(`NIR export: layer ${path} (${layer.constructor.name}): ${why}`);
}

/** One basic layer through exportNir: its node (none for Dropout) and output shape. */
function basic(b: Builder, path: string, layer: Module, shape: number[]): { node?: NirDict; shape: number[] } {
  let g: NirGraph;
  try {
    g = exportNir([layer], { inputShape: shape, dt: b.opts.dt, approximateReset: b.opts.approximateReset });
  } catch (e) {
    if (e instanceof ExodusError) throw new ExodusError(e.message.replace(/^NIR export: layer 0 /, `NIR export: layer ${path} `));
    throw e;
  }
  const out = g.nodes.output.shape;
  return { node: g.nodes["0"], shape: isArray(out) ? Array.from(out.data as ArrayLike<number>) : shape };
}

/** v_leak of a neuron node from the constant c exodus adds to its input each step (nodes.ts's drive, inverted). */
function leakFromDrive(path: string, layer: Module, node: NirDict, c: Float32Array, dt: number): NirDict {
  // a recurrent layer's subgraph: the drive is its neuron's v_leak
  if (node.type === "NIRGraph") {
    const nodes = node.nodes as NirDict;
    return { ...node, nodes: { ...nodes, lif: leakFromDrive(path, layer, neuronOf(node), c, dt) } };
  }
  const tau = node.tau;
  if (!(node.type === "LIF" || node.type === "LI") || !isArray(tau)) refuse(path, layer, "a constant input drive (v_leak) before a neuron without a leak: NIR's IF and I nodes have no v_leak");
  // LIF with normInput (R = 1) scales its input, the drive included, by 1 − α = dt/τ: v_leak = c
  const norm = layer instanceof LIF && layer.normInput; // an RLIF has no normInput
  const v = Float64Array.from(tau.data, (t, i) => (norm ? c[i] : (c[i] * t) / dt));
  return { ...node, v_leak: f64(v, tau.shape) };
}

function chain(b: Builder, layers: readonly Module[], prefix: string, start: Cursor): Cursor {
  let c = start;
  let drive: { values: Float32Array; path: string } | undefined;
  const dt = b.opts.dt ?? 1;
  const last = () => (c.from.length === 1 ? c.from[0] : undefined);
  const folded = new Set<number>(); // BatchNorms written into the DelayLinear before them
  layers.forEach((layer, i) => {
    const path = `${prefix}${i}`;
    if (folded.has(i)) return;
    if (drive && !(layer instanceof LIF || layer instanceof ExpLeak)) throw new ExodusError(`NIR export: layer ${drive.path} (Bias): a constant drive that no neuron follows has no NIR node`);
    if (layer instanceof Dropout) return;
    if (layer instanceof MaxPool2d) refuse(path, layer, "max pooling has no NIR node (NIR has AvgPool2d and SumPool2d); train with {avgpool: k} or {sumpool: k} for an exportable network");
    if (layer instanceof Sequential) c = chain(b, layer.layers, `${path}.`, c);
    else if (layer instanceof Dag) {
      const tails = new Map<string, string[]>();
      const only = layers.length === 1 && prefix === "";
      for (const n of layer.nodes) {
        const from = n.inputs.length ? n.inputs.flatMap((p) => tails.get(p)!) : c.from;
        // NIR sums distinct edges: one source reaching a node twice (through identities) has no form
        if (new Set(from).size !== from.length) refuse(`${path}.${n.name}`, layer, `node ${n.name} sums the output of ${from.find((f, k) => from.indexOf(f) !== k)} twice, which NIR edges cannot say`);
        const shape = n.inputs.length ? b.shapes.get(n.inputs[0])! : c.shape;
        const r = chain(b, n.layers.layers, only ? `${n.name}.` : `${path}.${n.name}.`, { from, shape });
        tails.set(n.name, r.from);
        b.shapes.set(n.name, r.shape);
      }
      const end = layer.nodes[layer.nodes.length - 1].name;
      c = { from: tails.get(end)!, shape: b.shapes.get(end)! };
    } else if (layer instanceof DelayLinear) {
      // branches summed into what follows (delay-export.ts); a BatchNorm right after folds into them
      const bn = isBatchNorm(layers[i + 1]) ? (layers[i + 1] as Parameters<typeof delayBranches>[1]) : undefined;
      if (bn) folded.add(i + 1);
      const tails: string[] = [];
      for (const br of delayBranches(layer, bn, { path, shape: c.shape, dt, roundDelays: b.opts.roundDelays })) {
        const t = add(b, br.linear[0], br.linear[1], c, [layer.outFeatures]);
        tails.push(...add(b, br.delay[0], br.delay[1], t, [layer.outFeatures]).from);
      }
      c = { from: tails, shape: [layer.outFeatures] };
    } else if (layer instanceof SEW) {
      const inner = chain(b, layer.block.layers, `${path}.block.`, c);
      const ones = f32(new Float32Array(prod(c.shape)).fill(1), c.shape);
      c = add(b, path, { type: "Scale", scale: ones, metadata: { exodus_layer: "SEW: out = a + block(a), the sum of this node's two inputs" } }, { from: [...c.from, ...inner.from], shape: c.shape }, c.shape);
    } else if (layer instanceof Bias) {
      const v = layer.values.toArray();
      if (layer.role === "drive") drive = { values: v, path };
      else {
        const prev = last() === undefined ? undefined : b.nodes[last()!];
        const C = c.shape[0], per = prod(c.shape) / C;
        const perChannel = Array.from({ length: C }, (_, k) => v[k * per]);
        if (!(prev?.type === "Conv2d" || prev?.type === "Conv1d") || !v.every((x, j) => x === perChannel[Math.floor(j / per)]))
          refuse(path, layer, "a bias that is not a convolution's per-channel bias has no NIR node");
        prev.bias = f32(perChannel);
      }
    } else if (layer instanceof Conv1d) {
      const L = c.shape[1];
      const node: NirDict = { type: "Conv1d", input_shape: ints([L]), weight: f32(layer.weight1d, [layer.outChannels, layer.inChannels, layer.kernel]), stride: ints([layer.stride]),
        padding: ints([layer.padding]), dilation: ints([1]), groups: 1, bias: f32(new Float32Array(layer.outChannels)) };
      c = add(b, path, node, c, [layer.outChannels, layer.outLength(L)]);
    } else if (layer instanceof Scale) {
      c = add(b, path, { type: "Scale", scale: f32(layer.scale.toArray(), c.shape) }, c, c.shape);
    } else if (layer instanceof Threshold) {
      c = add(b, path, { type: "Threshold", threshold: f64(layer.threshold.toArray(), c.shape) }, c, c.shape);
    } else if (isBatchNorm(layer)) {
      const prev = last();
      // folded with its running statistics: the network as it runs in evaluation
      if (prev === undefined) refuse(path, layer, "a BatchNorm after a sum of branches has no layer to fold into");
      b.nodes[prev] = foldBatchNorm(b.nodes[prev], layer, `NIR export: layer ${path} (${layer.constructor.name})`);
    } else {
      const r = basic(b, path, layer, c.shape);
      if (!r.node) return;
      let node = r.node;
      if (drive) {
        node = leakFromDrive(drive.path, layer, node, drive.values, dt);
        drive = undefined;
      }
      c = add(b, path, node, c, r.shape);
    }
  });
  if (drive) throw new ExodusError(`NIR export: layer ${drive.path} (Bias): a constant drive that no neuron follows has no NIR node`);
  return c;
}

/** The NIR graph of any exodus network exportNir handles, plus the layers named in the file comment. */
export function exportGraph(net: Sequential | readonly Module[], opts: ExportOptions): NirGraph {
  const layers = net instanceof Sequential ? net.layers : net;
  const head = exportNir([], opts); // checks dt and inputShape; the graph's metadata
  const b: Builder = { nodes: { input: head.nodes.input }, edges: [], opts, shapes: new Map() };
  const end = chain(b, layers, "", { from: ["input"], shape: [...opts.inputShape] });
  b.nodes.output = { type: "Output", shape: ints(end.shape) };
  for (const f of end.from) b.edges.push([f, "output"]);
  return { nodes: b.nodes, edges: b.edges, metadata: head.metadata };
}
