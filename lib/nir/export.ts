// exodus Sequential → NIR graph (spec 1.0 node set; layout of the reference implementation).
// Each layer becomes one node named by its index in the Sequential ("0", "1", …), between an
// "input" and an "output" node; Dropout is the identity at inference and is left out. Parameter
// arrays have the per-sample shape at that point of the network (the reference reader type-checks
// every edge: a LIF after a conv holds [C, H, W] arrays). Layers NIR cannot express exactly are
// refused with the reason; subtractive reset only under approximateReset (see docs/formats.md).
import { ExodusError, shapeStr } from "../errors.js";
import type { Module } from "../nn/module.js";
import type { Sequential } from "../nn/sequential.js";
import { runtimeInfo } from "../runtime.js";
import { CONVENTION } from "./convention.js";
import { type NirDict, ints } from "./hdf5.js";

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
  /**
   * Export a DelayLinear still interpolating its delays (σ > 0) with the delays rounded to whole
   * steps (what roundDelays() runs); without it such a layer is refused.
   */
  roundDelays?: boolean;
  /** Extra graph metadata (strings), e.g. the training config. */
  metadata?: Record<string, string>;
}

/** The NIR graph of a feedforward exodus network. */
export function exportNir(net: Sequential | Module[], opts: ExportOptions): NirGraph {
  const layers = Array.isArray(net) ? net : net.layers;
  const dt = opts.dt ?? 1;
  if (!(dt > 0 && Number.isFinite(dt))) throw new ExodusError(`NIR export: dt: expected a finite number > 0, received ${dt}`);
  let shape = [...opts.inputShape];
  if (shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d >= 1))
    throw new ExodusError(`NIR export: inputShape: expected the shape of one sample without time and batch, e.g. [100] or [2, 32, 32], received ${shapeStr(shape)}`);
  const nodes: Record<string, NirDict> = { input: { type: "Input", shape: ints(shape) } };
  const chain = ["input"];
  layers.forEach((layer, i) => {
    // Each layer states its own node (Module.toNir); Dropout, the identity at inference, states none.
    const step = layer.toNir({ index: i, kind: layer.constructor.name, shape, dt, approximateReset: !!opts.approximateReset });
    if (!step) return;
    nodes[String(i)] = step.node;
    chain.push(String(i));
    shape = step.shape;
  });
  nodes.output = { type: "Output", shape: ints(shape) };
  chain.push("output");
  const edges = chain.slice(1).map((n, k) => [chain[k], n] as [string, string]);
  const metadata: NirDict = { dt, exodus_version: runtimeInfo().version, exodus_convention: CONVENTION, ...(opts.metadata ?? {}) };
  return { nodes, edges, metadata };
}
