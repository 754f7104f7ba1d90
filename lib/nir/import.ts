// NIR graph → a runnable exodus Sequential. The graph must be a chain from one Input to one
// Output (what a Sequential is); nodes map as in docs/formats.md, with dt from the graph's
// metadata (or the caller). A neuron's input gain other than exodus's (R·dt/τ ≠ 1 and R ≠ 1) is
// folded into the weights of the Linear/Affine/Conv2d before it, which is exact in real arithmetic
// and within a float32 rounding here. Anything exodus cannot run exactly is refused, naming the node.
import { type DeviceLike } from "../device.js";
import { ExodusError, shapeStr } from "../errors.js";
import { Conv2d } from "../nn/conv2d.js";
import { ExpLeak } from "../nn/expleak.js";
import { Flatten } from "../nn/flatten.js";
import { IAF, LIF } from "../nn/lif.js";
import { Linear } from "../nn/linear.js";
import type { Module } from "../nn/module.js";
import type { BackwardMethod, SurrogateOptions } from "../nn/options.js";
import { AvgPool2d, SumPool2d } from "../nn/pool.js";
import { Sequential } from "../nn/sequential.js";

import { GAIN_TOL, decayFromTau } from "./convention.js";
import type { NirGraph } from "./export.js";
import { type NirArray, type NirDict, type NirValue, isArray } from "./hdf5.js";

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
  /** Node name of each layer of net, in order. */
  nodeNames: string[];
  /** Notes on what was adapted (folded gains, …). */
  notes: string[];
}

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** The nodes from Input to Output, in order; refuses anything but a chain. */
function chain(g: NirGraph, where: string): string[] {
  const out = new Map<string, string[]>();
  const inDeg = new Map<string, number>();
  for (const [a, b] of g.edges) {
    for (const n of [a, b]) if (!(n in g.nodes)) throw new ExodusError(`${where}: edge (${a}, ${b}) names node ${n}, which the graph does not have`);
    out.set(a, [...(out.get(a) ?? []), b]);
    inDeg.set(b, (inDeg.get(b) ?? 0) + 1);
  }
  const inputs = Object.keys(g.nodes).filter((n) => g.nodes[n].type === "Input");
  if (inputs.length !== 1) throw new ExodusError(`${where}: expected one Input node, received ${inputs.length} (${inputs.join(", ") || "none"}); exodus imports single-input feedforward graphs`);
  const order = [inputs[0]];
  const seen = new Set(order);
  for (;;) {
    const cur = order[order.length - 1];
    const next = out.get(cur) ?? [];
    if (g.nodes[cur].type === "Output") {
      if (next.length) throw new ExodusError(`${where}: Output node ${cur} has outgoing edges`);
      break;
    }
    if (next.length !== 1) throw new ExodusError(`${where}: node ${cur} has ${next.length} outgoing edges; exodus imports chains (a Sequential) only — no branches, merges or recurrence`);
    const n = next[0];
    if (seen.has(n)) throw new ExodusError(`${where}: the graph has a cycle through node ${n}; exodus imports feedforward chains only`);
    if ((inDeg.get(n) ?? 0) !== 1) throw new ExodusError(`${where}: node ${n} has ${inDeg.get(n)} incoming edges; exodus imports chains only`);
    order.push(n);
    seen.add(n);
  }
  const unused = Object.keys(g.nodes).filter((n) => !seen.has(n));
  if (unused.length) throw new ExodusError(`${where}: nodes ${unused.join(", ")} are not on the path from ${inputs[0]} to the Output`);
  return order;
}

class NodeReader {
  constructor(readonly where: string, readonly name: string, readonly node: NirDict) {}
  fail(why: string): never {
    throw new ExodusError(`${this.where}: node ${this.name} (${String(this.node.type)}): ${why}`);
  }
  array(key: string): NirArray {
    const v = this.node[key];
    if (isArray(v)) return v;
    if (typeof v === "number") return { kind: "f64", shape: [], data: Float64Array.of(v) };
    this.fail(`expected a numeric dataset "${key}", received ${v === undefined ? "none" : typeof v}`);
  }
  values(key: string): number[] {
    const a = this.array(key);
    const d = Array.from(a.data as ArrayLike<number>);
    if (!d.every(Number.isFinite)) this.fail(`${key}: expected finite numbers, received ${d.find((x) => !Number.isFinite(x))}`);
    return d;
  }
  /** An integer or a pair of equal integers (kernel, stride, padding). */
  square(key: string, dflt?: number): number {
    if (this.node[key] === undefined && dflt !== undefined) return dflt;
    const d = this.values(key);
    if (!(d.length === 1 || (d.length === 2 && d[0] === d[1])) || !Number.isInteger(d[0])) this.fail(`${key}: expected one integer or two equal ones, received [${d.join(", ")}]`);
    return d[0];
  }
  int(key: string, dflt: number): number {
    const v = this.node[key];
    if (v === undefined) return dflt;
    const d = this.values(key);
    if (d.length !== 1 || !Number.isInteger(d[0])) this.fail(`${key}: expected an integer, received [${d.join(", ")}]`);
    return d[0];
  }
  meta(key: string): NirValue | undefined {
    const m = this.node.metadata;
    return typeof m === "object" && m !== null && !Array.isArray(m) && !isArray(m as NirValue) ? (m as NirDict)[key] : undefined;
  }
  /** Per-neuron values for a sample of the given shape: one number if all equal. */
  perNeuron(key: string, shape: readonly number[]): PerNeuronValues {
    const d = this.values(key);
    if (d.length !== 1 && d.length !== prod(shape)) this.fail(`${key}: expected ${prod(shape)} values (shape ${shapeStr(shape)}) or one, received ${d.length}`);
    return d.every((x) => x === d[0]) ? d[0] : Float64Array.from(d);
  }
}

/** One value for all neurons, or one per neuron of the sample (float64: NIR files may hold τ in double). */
type PerNeuronValues = number | Float64Array;

function mapAll(v: PerNeuronValues, f: (x: number) => number): PerNeuronValues {
  return typeof v === "number" ? f(v) : v.map(f);
}
function all(v: PerNeuronValues, p: (x: number) => boolean): boolean {
  return typeof v === "number" ? p(v) : v.every(p);
}
/** Elementwise f over per-neuron values (a number when all are numbers). */
function zip(n: number, vs: PerNeuronValues[], f: (...x: number[]) => number): PerNeuronValues {
  if (vs.every((v) => typeof v === "number")) return f(...(vs as number[]));
  return Float64Array.from({ length: n }, (_, i) => f(...vs.map((v) => at(v, i))));
}
/** For the layer options: float32 as exodus holds parameters. */
function f32(v: PerNeuronValues): number | Float32Array {
  return typeof v === "number" ? v : Float32Array.from(v);
}

/** Builds the exodus network of a NIR graph (from readNir or exportNir). */
export function importNir(g: NirGraph, opts: ImportOptions = {}, where = "NIR graph"): ImportedNetwork {
  const metaDt = typeof g.metadata?.dt === "number" ? g.metadata.dt : undefined;
  const dt = opts.dt ?? metaDt ?? 1;
  if (!(dt > 0 && Number.isFinite(dt))) throw new ExodusError(`${where}: dt: expected a finite number > 0, received ${dt}`);
  const notes: string[] = [];
  if (opts.dt === undefined && metaDt === undefined) notes.push("the graph records no dt; assumed dt = 1 (pass dt to override)");
  const order = chain(g, where);
  const first = new NodeReader(where, order[0], g.nodes[order[0]]);
  let shape = first.values("shape");
  if (!shape.every((d) => Number.isInteger(d) && d >= 1)) first.fail(`shape: expected positive integers, received [${shape.join(", ")}]`);
  const inputShape = [...shape];
  const layers: Module[] = [];
  const names: string[] = [];
  const common = { device: opts.device, backward: opts.backward };
  /** Multiplies the input of the next neuron by gain, folded into the layer before it. */
  const fold = (r: NodeReader, gain: PerNeuronValues) => {
    if (all(gain, (x) => Math.abs(x - 1) <= GAIN_TOL)) return;
    const prev = layers[layers.length - 1];
    if (typeof gain !== "number" && !all(gain, (x) => x === gain[0]))
      r.fail("per-neuron input gains (R·dt/τ) that differ between neurons and are not 1: exodus neurons have none");
    const k = typeof gain === "number" ? gain : gain[0];
    if (!(prev instanceof Linear || prev instanceof Conv2d)) r.fail(`an input gain R·dt/τ = ${k} (exodus: 1) with no Linear/Affine/Conv2d before it to fold it into`);
    for (const p of prev.parameters()) p.value.set(p.value.toArray().map((x) => x * k));
    notes.push(`node ${r.name}: input gain ${k} folded into the weights of the layer before it`);
  };
  const surrogate = (r: NodeReader): SurrogateOptions | undefined => {
    const s = r.meta("exodus_surrogate");
    if (typeof s !== "string") return undefined;
    try {
      return JSON.parse(s) as SurrogateOptions;
    } catch {
      return undefined;
    }
  };
  const reset = (r: NodeReader): "subtract" | "zero" => {
    if (!all(r.perNeuron("v_reset", shape), (x) => x === 0)) r.fail("v_reset other than 0: exodus neurons reset to 0 or subtract the threshold");
    return r.meta("exodus_reset") === "subtract" ? "subtract" : "zero";
  };
  const leakFree = (r: NodeReader) => {
    if (!all(r.perNeuron("v_leak", shape), (x) => x === 0)) r.fail("v_leak other than 0: exodus neurons leak towards 0");
  };
  const decay = (r: NodeReader, key: string): PerNeuronValues => {
    const tau = r.perNeuron(key, shape);
    const a = mapAll(tau, (t) => decayFromTau(t, dt));
    if (!all(a, (x) => x > 0 && x <= 1)) r.fail(`${key}: expected τ >= dt = ${dt} (a decay 1 − dt/τ in (0, 1]), received τ = ${typeof tau === "number" ? tau : Math.min(...tau)}`);
    return a;
  };

  for (const name of order.slice(1, -1)) {
    const node = g.nodes[name];
    const r: NodeReader = new NodeReader(where, name, node);
    const type = String(node.type);
    const last = shape[shape.length - 1];
    let layer: Module;
    switch (type) {
      case "Linear":
      case "Affine": {
        const w = r.array("weight");
        if (w.shape.length !== 2) r.fail(`weight: expected [out, in], received ${shapeStr(w.shape)}`);
        const [o, i] = w.shape;
        if (shape.length !== 1 || last !== i) r.fail(`expected an input of ${i} features, received samples of shape ${shapeStr(shape)}`);
        const lin = new Linear(i, o, { bias: type === "Affine", ...common, device: opts.device });
        lin.weight.value.set(Float32Array.from(w.data as ArrayLike<number>));
        if (lin.bias) {
          const b = r.values("bias");
          if (b.length !== o) r.fail(`bias: expected ${o} values, received ${b.length}`);
          lin.bias.value.set(Float32Array.from(b));
        }
        layer = lin;
        shape = [o];
        break;
      }
      case "Conv2d": {
        const w = r.array("weight");
        if (w.shape.length !== 4 || w.shape[2] !== w.shape[3]) r.fail(`weight: expected [Cout, Cin, k, k], received ${shapeStr(w.shape)}`);
        const [co, ci, k] = w.shape;
        if (shape.length !== 3 || shape[0] !== ci) r.fail(`expected an input [${ci}, H, W], received samples of shape ${shapeStr(shape)}`);
        if (r.int("groups", 1) !== 1) r.fail("groups other than 1 (exodus convolutions are dense)");
        if (r.square("dilation", 1) !== 1) r.fail("dilation other than 1");
        const stride = r.square("stride", 1);
        const pad = node.padding === "same" ? (stride === 1 && k % 2 === 1 ? (k - 1) / 2 : r.fail('padding "same" needs stride 1 and an odd kernel')) : node.padding === "valid" ? 0 : r.square("padding", 0);
        if (node.bias !== undefined && !r.values("bias").every((b) => b === 0)) r.fail("a non-zero bias: exodus's Conv2d has none");
        const conv = new Conv2d(ci, co, { kernel: k, padding: pad, stride, device: opts.device });
        conv.weight.value.set(Float32Array.from(w.data as ArrayLike<number>));
        layer = conv;
        const out = (n: number) => Math.floor((n + 2 * pad - k) / stride) + 1;
        shape = [co, out(shape[1]), out(shape[2])];
        break;
      }
      case "AvgPool2d":
      case "SumPool2d": {
        const k = r.square("kernel_size");
        if (r.square("stride", k) !== k) r.fail("a stride other than the kernel size (exodus pools non-overlapping windows)");
        if (r.square("padding", 0) !== 0) r.fail("padding other than 0");
        if (shape.length !== 3) r.fail(`expected an input [C, H, W], received samples of shape ${shapeStr(shape)}`);
        layer = type === "AvgPool2d" ? new AvgPool2d(k) : new SumPool2d(k);
        shape = [shape[0], Math.floor(shape[1] / k), Math.floor(shape[2] / k)];
        break;
      }
      case "Flatten": {
        const s = r.int("start_dim", 1), e = r.int("end_dim", -1);
        const rank = shape.length;
        if (!(s === 0 && (e === -1 || e === rank - 1)))
          r.fail(`start_dim ${s}, end_dim ${e} over samples of shape ${shapeStr(shape)}: exodus flattens a whole sample (start_dim 0, end_dim -1)`);
        layer = new Flatten();
        shape = [prod(shape)];
        break;
      }
      case "LIF": {
        leakFree(r);
        const alpha = decay(r, "tau");
        const rr = r.perNeuron("r", shape);
        // g = R·dt/τ: 1 → plain; R = 1 → normInput (g = 1 − α); else folded.
        const g = zip(prod(shape), [rr, r.perNeuron("tau", shape)], (x, tau) => (x * dt) / tau);
        const normInput = !all(g, (x) => Math.abs(x - 1) <= GAIN_TOL) && all(rr, (x) => Math.abs(x - 1) <= GAIN_TOL);
        if (!normInput) fold(r, g);
        layer = new LIF({ alpha: f32(alpha), threshold: f32(r.perNeuron("v_threshold", shape)), reset: reset(r), normInput,
          learnAlpha: r.meta("exodus_learn_alpha") === 1, surrogate: surrogate(r), ...common });
        break;
      }
      case "IF": {
        fold(r, mapAll(r.perNeuron("r", shape), (x) => x * dt));
        layer = new IAF({ threshold: f32(r.perNeuron("v_threshold", shape)), reset: reset(r), surrogate: surrogate(r), ...common });
        break;
      }
      case "LI": {
        leakFree(r);
        const beta = decay(r, "tau");
        fold(r, zip(prod(shape), [r.perNeuron("r", shape), r.perNeuron("tau", shape)], (x, tau) => (x * dt) / tau));
        layer = new ExpLeak({ beta: f32(beta), learnBeta: r.meta("exodus_learn_beta") === 1, ...common });
        break;
      }
      case "I": {
        fold(r, mapAll(r.perNeuron("r", shape), (x) => x * dt));
        layer = new ExpLeak({ beta: 1, ...common });
        break;
      }
      case "CubaLIF": {
        // synaptic current (LI, input weight w_in) feeding a LIF: ExpLeak → LIF; both gains fold into the weights before
        leakFree(r);
        const beta = decay(r, "tau_syn");
        const alpha = decay(r, "tau_mem");
        const win = node.w_in === undefined ? 1 : r.perNeuron("w_in", shape);
        fold(r, zip(prod(shape), [win, r.perNeuron("tau_syn", shape), r.perNeuron("r", shape), r.perNeuron("tau_mem", shape)],
          (w, ts, x, tm) => ((w * dt) / ts) * ((x * dt) / tm)));
        layers.push(new ExpLeak({ beta: f32(beta), ...common }));
        names.push(`${name}.syn`);
        layer = new LIF({ alpha: f32(alpha), threshold: f32(r.perNeuron("v_threshold", shape)), reset: reset(r), surrogate: surrogate(r), ...common });
        break;
      }
      case "Input":
      case "Output":
        r.fail("an Input/Output node inside the chain");
      // falls through (fail never returns)
      default:
        r.fail(`no exodus layer for NIR node type ${type} (supported: Linear, Affine, Conv2d, AvgPool2d, SumPool2d, Flatten, LIF, IF, LI, I, CubaLIF)`);
    }
    layers.push(layer);
    names.push(name);
  }
  const outNode = new NodeReader(where, order[order.length - 1], g.nodes[order[order.length - 1]]);
  const declared = outNode.node.shape === undefined ? shape : outNode.values("shape");
  if (declared.length !== shape.length || declared.some((d, i) => d !== shape[i]))
    outNode.fail(`shape [${declared.join(", ")}] does not match the network's output ${shapeStr(shape)}`);
  return { net: new Sequential(...layers), inputShape, outputShape: shape, dt, nodeNames: names, notes };
}

function at(v: PerNeuronValues, i: number): number {
  return typeof v === "number" ? v : v[i];
}
