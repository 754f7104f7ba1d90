// exodus Sequential → NIR graph (spec 1.0 node set; layout of the reference implementation).
// Each layer becomes one node named by its index in the Sequential ("0", "1", …), between an
// "input" and an "output" node; Dropout is the identity at inference and is left out. Parameter
// arrays have the per-sample shape at that point of the network (the reference reader type-checks
// every edge: a LIF after a conv holds [C, H, W] arrays). Layers NIR cannot express exactly are
// refused with the reason; subtractive reset only under approximateReset (see docs/formats.md).
import { ExodusError, shapeStr } from "../errors.js";
import { Conv2d } from "../nn/conv2d.js";
import { Dropout } from "../nn/dropout.js";
import { ExpLeak } from "../nn/expleak.js";
import { Flatten } from "../nn/flatten.js";
import { LIF } from "../nn/lif.js";
import { Linear } from "../nn/linear.js";
import type { Module } from "../nn/module.js";
import { AvgPool2d, SumPool2d } from "../nn/pool.js";
import { Sequential } from "../nn/sequential.js";
import { SRM } from "../nn/srm.js";
import { WeightNorm } from "../nn/weightnorm.js";

import { runtimeInfo } from "../runtime.js";
import { CONVENTION, tauFromDecay } from "./convention.js";
import { type NirDict, f32, f64, ints } from "./hdf5.js";

export const NIR_VERSION = "1.0.0";

export interface NirGraph {
  /** Node name → node dict ({type, …fields, metadata?}). */
  nodes: Record<string, NirDict>;
  edges: [string, string][];
  metadata: NirDict;
}

export interface ExportOptions {
  /** Shape of one sample without time and batch: [features] or [C, H, W]. */
  inputShape: readonly number[];
  /** Time step the network was trained with, in NIR's time unit (default 1). */
  dt?: number;
  /**
   * Export subtractive-reset neurons as NIR's reset-to-v_reset (0). Other NIR tools then simulate
   * reset-to-zero, which differs after every spike; exodus's importer restores the subtraction
   * from the node's metadata.
   */
  approximateReset?: boolean;
  /** Extra graph metadata (strings), e.g. the training config. */
  metadata?: Record<string, string>;
}

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Per-neuron values [P] tiled over a sample of shape S (exodus: neuron n uses value n mod P). */
function tile(values: Float32Array, shape: readonly number[]): Float64Array {
  const n = prod(shape);
  return Float64Array.from({ length: n }, (_, i) => values[i % values.length]);
}

function refuse(i: number, layer: string, why: string): never {
  throw new ExodusError(`NIR export: layer ${i} (${layer}): ${why}`);
}

function neuronNode(i: number, l: LIF, shape: number[], dt: number, approximateReset: boolean): NirDict {
  const name = l.name;
  if (l.multiSpike) refuse(i, name, 'spikeFn "multi" (several spikes per step) has no NIR node; export a single-spike network');
  if (l.vMin !== undefined) refuse(i, name, "vMin (a lower bound of the membrane) has no NIR equivalent");
  const alpha = l.alpha.toArray();
  const theta = l.threshold.toArray();
  const m = l.resetAmount.toArray();
  const meta: NirDict = { exodus_layer: name, exodus_reset: l.reset, exodus_surrogate: JSON.stringify({ name: l.surrogate.name, scale: l.surrogate.scale, width: l.surrogate.width }),
    exodus_learn_alpha: l.learnAlpha ? 1 : 0, exodus_spike: "v >= v_threshold" };
  if (l.reset === "subtract") {
    if (!m.every((x, k) => x === theta[k % theta.length]))
      refuse(i, name, "a subtractive reset by an amount other than the threshold has no NIR node");
    if (!approximateReset)
      refuse(i, name, 'subtractive reset (v − θ after a spike) has no NIR node: NIR neurons reset to v_reset. Train with reset "zero" for an exact export, or pass --approximate-reset to export it as reset-to-0 (other NIR tools then simulate reset-to-zero; exodus import restores the subtraction)');
    meta.exodus_approximation = "reset: exodus subtracts v_threshold after a spike; this node states reset to v_reset = 0";
  }
  const v = (x: Float32Array) => f64(tile(x, shape), shape);
  const zeros = f64(new Float64Array(prod(shape)), shape);
  const leaky = alpha.some((a) => a !== 1);
  if (!leaky) {
    if (l.normInput) refuse(i, name, "normInput with α = 1 scales the input by 0");
    return { type: "IF", r: f64(new Float64Array(prod(shape)).fill(1 / dt), shape), v_threshold: v(theta), v_reset: zeros, metadata: meta };
  }
  const tau = tile(alpha, shape).map((a) => tauFromDecay(a, dt));
  const r = l.normInput ? new Float64Array(tau.length).fill(1) : tile(alpha, shape).map((a) => 1 / (1 - a));
  return { type: "LIF", tau: f64(tau, shape), r: f64(r, shape), v_leak: zeros, v_threshold: v(theta), v_reset: zeros, metadata: meta };
}

function leakNode(l: ExpLeak, shape: number[], dt: number): NirDict {
  const beta = tile(l.beta.toArray(), shape);
  const meta: NirDict = { exodus_layer: "ExpLeak", exodus_learn_beta: l.learnBeta ? 1 : 0 };
  if (beta.every((b) => b === 1)) return { type: "I", r: f64(new Float64Array(beta.length).fill(1 / dt), shape), metadata: meta };
  return { type: "LI", tau: f64(beta.map((b) => tauFromDecay(b, dt)), shape), r: f64(beta.map((b) => 1 / (1 - b)), shape), v_leak: f64(new Float64Array(beta.length), shape), metadata: meta };
}

/** The NIR graph of a feedforward exodus network. */
export function exportNir(net: Sequential | Module[], opts: ExportOptions): NirGraph {
  const layers = net instanceof Sequential ? net.layers : net;
  const dt = opts.dt ?? 1;
  if (!(dt > 0 && Number.isFinite(dt))) throw new ExodusError(`NIR export: dt: expected a finite number > 0, received ${dt}`);
  let shape = [...opts.inputShape];
  if (shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d >= 1))
    throw new ExodusError(`NIR export: inputShape: expected the shape of one sample without time and batch, e.g. [100] or [2, 32, 32], received ${shapeStr(shape)}`);
  const nodes: Record<string, NirDict> = { input: { type: "Input", shape: ints(shape) } };
  const chain = ["input"];
  layers.forEach((layer, i) => {
    // Weight normalisation is a training-time reparametrisation: its layer computes with
    // W = g·V/‖V‖, which is what NIR gets.
    const l = layer instanceof WeightNorm ? (layer.syncWeight(), layer.inner) : layer;
    const kind = l.constructor.name;
    let node: NirDict | undefined;
    if (l instanceof Dropout) return; // the identity at inference
    if (l instanceof Linear) {
      if (shape.length !== 1 || shape[0] !== l.inFeatures) refuse(i, kind, `expected an input of ${l.inFeatures} features, received samples of shape ${shapeStr(shape)} (add a Flatten)`);
      const w = f32(l.weight.value.toArray(), [l.outFeatures, l.inFeatures]);
      node = l.bias ? { type: "Affine", weight: w, bias: f32(l.bias.value.toArray()) } : { type: "Linear", weight: w };
      shape = [l.outFeatures];
    } else if (l instanceof Conv2d) {
      const [co, ci, k] = l.weight.value.shape;
      if (shape.length !== 3 || shape[0] !== ci) refuse(i, kind, `expected an input [${ci}, H, W], received samples of shape ${shapeStr(shape)}`);
      const [h, w] = [shape[1], shape[2]];
      node = {
        type: "Conv2d", input_shape: ints([h, w]), weight: f32(l.weight.value.toArray(), [co, ci, k, k]), stride: ints([l.stride, l.stride]),
        padding: ints([l.padding, l.padding]), dilation: ints([1, 1]), groups: 1, bias: f32(new Float32Array(co)),
      };
      const out = (n: number) => Math.floor((n + 2 * l.padding - k) / l.stride) + 1;
      shape = [co, out(h), out(w)];
    } else if (l instanceof AvgPool2d || l instanceof SumPool2d) {
      if (shape.length !== 3) refuse(i, kind, `expected an input [C, H, W], received samples of shape ${shapeStr(shape)}`);
      const k = l.kernel;
      node = { type: l instanceof AvgPool2d ? "AvgPool2d" : "SumPool2d", kernel_size: ints([k, k]), stride: ints([k, k]), padding: ints([0, 0]) };
      shape = [shape[0], Math.floor(shape[1] / k), Math.floor(shape[2] / k)];
    } else if (l instanceof Flatten) {
      node = { type: "Flatten", start_dim: 0, end_dim: -1, input_type: ints(shape) };
      shape = [prod(shape)];
    } else if (l instanceof LIF) {
      if (prod(shape) % l.P !== 0) refuse(i, kind, `${l.P} per-neuron parameters do not tile samples of shape ${shapeStr(shape)}`);
      node = neuronNode(i, l, shape, dt, !!opts.approximateReset);
    } else if (l instanceof ExpLeak) {
      if (prod(shape) % l.P !== 0) refuse(i, kind, `${l.P} per-neuron parameters do not tile samples of shape ${shapeStr(shape)}`);
      node = leakNode(l, shape, dt);
    } else if (l instanceof SRM) refuse(i, kind, "SRM response and refractory kernels have no NIR node (NIR neurons are LIF/IF/LI/CubaLIF ODEs)");
    else refuse(i, kind, "no NIR node for this layer type");
    if (layer instanceof WeightNorm) node!.metadata = { exodus_weight_norm: "folded: weight = g * v / |v| per output" };
    nodes[String(i)] = node!;
    chain.push(String(i));
  });
  nodes.output = { type: "Output", shape: ints(shape) };
  chain.push("output");
  const edges = chain.slice(1).map((n, k) => [chain[k], n] as [string, string]);
  const metadata: NirDict = { dt, exodus_version: runtimeInfo().version, exodus_convention: CONVENTION, ...(opts.metadata ?? {}) };
  return { nodes, edges, metadata };
}
