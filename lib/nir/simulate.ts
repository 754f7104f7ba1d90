// `exodus run`: a network (a NIR file, an imported or trained run) on one input, recording what a
// user compares with another simulator: the output and, for every neuron layer, its spikes and
// membrane trace. exodus's trace v[t] is the membrane after integrating step t's input and before
// that step's reset (where a neuron spikes, Norse and snnTorch report the value after the reset).
import { existsSync, statSync } from "node:fs";
import { ExodusError } from "../errors.js";
import { readNpy } from "../data/npy.js";
import { ExpLeak } from "../nn/expleak.js";
import type { Module } from "../nn/module.js";
import { NeuronLayer } from "../nn/neuron.js";
import { Sequential } from "../nn/sequential.js";
import { Tensor } from "../tensor.js";
import { loadCheckpoint, moduleState, restoreWeights } from "../train/checkpoint.js";
import { revalidateStored } from "../train/resume.js";
import { modelFromCheckpoint } from "../train/from-checkpoint.js";
import { Dag } from "./dag.js";
import { importNir } from "./import.js";
import { importNirFile } from "./index.js";
import { graphPath, readGraphJson } from "./model.js";

export interface Runnable {
  net: Sequential;
  inputShape: number[];
  /** A name per top-level layer (NIR node names for imported chains, else layer indices). */
  names: string[];
  dt?: number;
  source: string;
}

/** A .nir file, or a run folder / checkpoint (imported or trained by exodus). */
export async function loadRunnable(path: string, opts: { dt?: number } = {}): Promise<Runnable> {
  if (!existsSync(path)) throw new ExodusError(`${path}: expected a NIR file, a run folder or a checkpoint, received no such file or folder`);
  const isFile = statSync(path).isFile();
  if (isFile && !path.endsWith(".safetensors")) {
    const r = await importNirFile(path, { dt: opts.dt });
    return { net: r.net, inputShape: r.inputShape, names: r.nodeNames, dt: r.dt, source: path };
  }
  const ckpt = loadCheckpoint(path);
  const cfg = revalidateStored(ckpt.config, { device: "cpu" });
  if (cfg.model.kind === "nir") {
    const file = graphPath(cfg.model, ckpt.runDir);
    const r = importNir(readGraphJson(file), { dt: opts.dt ?? cfg.model.dt ?? undefined }, file);
    restoreWeights(moduleState(r.net), ckpt);
    return { net: r.net, inputShape: r.inputShape, names: r.nodeNames, dt: r.dt, source: ckpt.path };
  }
  const { model, shape } = modelFromCheckpoint(path);
  return { net: model.net, inputShape: shape.sampleShape.slice(1) as number[], names: model.net.layers.map((_, i) => String(i)), source: ckpt.path };
}

/**
 * The input [T, B, …inputShape] from a .npy file: frames [T, …inputShape] or [T, B, …inputShape]
 * (any numeric dtype), or with events: an [E, 2] array of (step, flat neuron index) or
 * [E, 1 + rank] of (step, coordinates…), each event adding 1 at its step and neuron.
 */
export function readInput(path: string, inputShape: readonly number[], opts: { events?: boolean; steps?: number } = {}): Tensor {
  const a = readNpy(path);
  const n = inputShape.reduce((x, y) => x * y, 1);
  const want = `[T, ${inputShape.join(", ")}] or [T, B, ${inputShape.join(", ")}]`;
  if (!opts.events) {
    const tail = (k: number) => a.shape.slice(k).reduce((x, y) => x * y, 1);
    const B = a.shape.length >= 2 && tail(2) === n && a.shape.length - 2 === inputShape.length ? a.shape[1] : tail(1) === n ? 1 : undefined;
    if (B === undefined || a.shape.length < 1 || a.shape[0] < 1) throw new ExodusError(`${path}: expected frames ${want} (or --events for an event list), received shape [${a.shape.join(", ")}]`);
    return Tensor.from(Float32Array.from(a.data), [a.shape[0], B, ...inputShape]);
  }
  const rank = inputShape.length;
  if (a.shape.length !== 2 || !(a.shape[1] === 2 || a.shape[1] === 1 + rank)) throw new ExodusError(`${path}: expected events [E, 2] (step, flat index) or [E, ${1 + rank}] (step, coordinates), received shape [${a.shape.join(", ")}]`);
  const k = a.shape[1], E = a.shape[0];
  let T = opts.steps ?? 0;
  for (let e = 0; e < E; e++) if (opts.steps === undefined) T = Math.max(T, a.data[e * k] + 1);
  if (!(T >= 1)) throw new ExodusError(`${path}: expected at least one event (or --steps), received none`);
  const x = new Float32Array(T * n);
  for (let e = 0; e < E; e++) {
    const t = a.data[e * k];
    let idx = 0;
    if (k === 2) idx = a.data[e * k + 1];
    else for (let d = 0; d < rank; d++) {
      const c = a.data[e * k + 1 + d];
      if (!(Number.isInteger(c) && c >= 0 && c < inputShape[d])) throw new ExodusError(`${path}: event ${e}: coordinate ${d} expected an integer in [0, ${inputShape[d]}), received ${c}`);
      idx = idx * inputShape[d] + c;
    }
    if (!(Number.isInteger(t) && t >= 0 && t < T)) throw new ExodusError(`${path}: event ${e}: step expected an integer in [0, ${T}), received ${t}`);
    if (!(Number.isInteger(idx) && idx >= 0 && idx < n)) throw new ExodusError(`${path}: event ${e}: neuron index expected an integer in [0, ${n}), received ${idx}`);
    x[t * n + idx] += 1;
  }
  return Tensor.from(x, [T, 1, ...inputShape]);
}

export interface Trace {
  /** e.g. "lif1.spikes", "lif1.v", "output". */
  name: string;
  layer: string;
  shape: number[];
  data: Float32Array;
}

/** Runs net on x in evaluation mode; the output and every neuron layer's spikes and membrane. */
export function simulate(r: Runnable, x: Tensor): Trace[] {
  const traces: Trace[] = [];
  const used = new Map<string, number>();
  const record = (node: string, layer: Module, y: Tensor) => {
    if (!(layer instanceof NeuronLayer)) return;
    const k = (used.get(node) ?? 0) + 1;
    used.set(node, k);
    const base = k === 1 ? node : `${node}.${k}`;
    const kind = layer.constructor.name;
    if (layer instanceof ExpLeak) traces.push({ name: `${base}.v`, layer: kind, shape: [...y.shape], data: y.toArray() }); // its output is its state
    else {
      traces.push({ name: `${base}.spikes`, layer: kind, shape: [...y.shape], data: y.toArray() });
      const v = layer.membrane;
      if (v) traces.push({ name: `${base}.v`, layer: kind, shape: [...v.shape], data: v.toArray() });
    }
  };
  r.net.eval();
  let h = x;
  r.net.layers.forEach((l, i) => {
    if (l instanceof Dag) l.observer = record;
    // one layer at a time: no neuron+pooling fusion, so every neuron's spikes exist
    const y = l.forward(h);
    if (l instanceof Dag) l.observer = undefined;
    else record(r.names[i] ?? String(i), l, y);
    if (h !== x) h.dispose();
    h = y;
  });
  traces.push({ name: "output", layer: "output", shape: [...h.shape], data: h.toArray() });
  if (h !== x) h.dispose();
  return traces;
}

/** A trace as CSV: a row per step, a column per (sample,) neuron. */
export function traceCsv(t: Trace): string {
  const [T, B] = t.shape;
  const n = t.data.length / (T * B);
  const cols = Array.from({ length: B * n }, (_, j) => (B === 1 ? `n${j}` : `b${Math.floor(j / n)}:n${j % n}`));
  const rows = [`t,${cols.join(",")}`];
  for (let s = 0; s < T; s++) rows.push(`${s},${Array.from(t.data.subarray(s * B * n, (s + 1) * B * n)).join(",")}`);
  return `${rows.join("\n")}\n`;
}
