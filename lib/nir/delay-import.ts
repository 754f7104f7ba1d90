// NIR Delay nodes → exodus's DelayLinear (fixed integer delays, σ = 0). NIR's Delay is
// elementwise, y_k(t) = x_k(t − delay_k) with delay in seconds and the shape of its input, so:
//   Linear/Affine → Delay   a delay per output neuron of that layer (DelayLinear perNeuron);
//   Delay → Linear/Affine   a delay per input, i.e. per synapse d_ij = d_i (DelayLinear);
//   several of the first kind (and plain Linear/Affine) from one source summed into one node, with
//   disjoint nonzero weights: one DelayLinear with a delay per synapse — what exodus writes for a
//   per-synapse DelayLinear (delay-export.ts: one branch per distinct delay).
// Each pair (or group) becomes one node of the internal type DELAY_LINEAR, its delays still in
// seconds (nodes.ts divides by dt, which must give whole steps). Any other Delay is refused.
import { ExodusError } from "../errors.js";
import { type NirArray, type NirDict, f32, f64, isArray } from "./hdf5.js";

/** The node type the merged Linear + Delay carries inside the importer (never in a file). */
export const DELAY_LINEAR = "exodus.DelayLinear";

const isLinear = (n: NirDict | undefined) => n !== undefined && (n.type === "Linear" || n.type === "Affine");
const data = (a: NirArray) => Array.from(a.data as ArrayLike<number>);
const replace = (list: string[], from: string, to: string[]) => [...new Set(list.flatMap((x) => (x === from ? to : [x])))];

/** weight [o, i] of a Linear/Affine node (refusing other shapes later, in nodes.ts). */
function dims(n: NirDict): [number, number] | undefined {
  const w = n.weight;
  if (!isArray(w) || w.shape.length < 2) return undefined;
  return [w.data.length / w.shape[w.shape.length - 1], w.shape[w.shape.length - 1]];
}

/** Merges each Delay into the Linear next to it, then the summed branches (see the file comment); in place. */
export function contractDelays(nodes: Record<string, NirDict>, preds: Map<string, string[]>, succs: Map<string, string[]>, where: string): void {
  const fail = (name: string, why: string): never => {
    throw new ExodusError(`${where}: node ${name} (Delay): ${why}`);
  };
  for (const d of Object.keys(nodes).filter((k) => nodes[k].type === "Delay")) {
    const delay = nodes[d].delay;
    if (!isArray(delay)) fail(d, `expected a numeric dataset "delay" (seconds, one per element), received ${delay === undefined ? "none" : typeof delay}`);
    const secs = data(delay as NirArray);
    if (!secs.every((x) => Number.isFinite(x) && x >= 0)) fail(d, `delay: expected finite values >= 0 (seconds), received ${secs.find((x) => !(Number.isFinite(x) && x >= 0))}`);
    const [p] = preds.get(d)!, [s] = succs.get(d)!;
    const before = preds.get(d)!.length === 1 && isLinear(nodes[p]) && succs.get(p)!.length === 1 ? p : undefined;
    const after = !before && succs.get(d)!.length === 1 && preds.get(d)!.length === 1 && isLinear(nodes[s]) && preds.get(s)!.length === 1 ? s : undefined;
    const host = before ?? after;
    if (!host)
      fail(d, `exodus imports a Delay right after a Linear/Affine that feeds it alone (a delay per output neuron) or right before a Linear/Affine it alone feeds (a delay per input); this one lies between ${preds.get(d)!.join(", ") || "nothing"} and ${succs.get(d)!.join(", ") || "nothing"}`);
    const lin = nodes[host!];
    const [o, i] = dims(lin) ?? [NaN, NaN];
    const n = before ? o : i;
    if (secs.length !== n && secs.length !== 1) fail(d, `delay: expected ${n} values (one per ${before ? "output" : "input"} of ${host}), received ${secs.length}`);
    const per = (k: number) => secs[secs.length === 1 ? 0 : k];
    if (before && lin.type === "Affine" && isArray(lin.bias) && data(lin.bias).some((b, j) => b !== 0 && per(j) > 0))
      fail(d, `it delays the bias of ${host} (Affine): exodus's delay layer adds its bias undelayed; write the bias in a separate undelayed Affine`);
    // one delay per synapse [o, i], or per output [o]
    const delays = before ? f64(Float64Array.from({ length: o }, (_, j) => per(j)), [o]) : f64(Float64Array.from({ length: o * i }, (_, k) => per(k % i)), [o, i]);
    nodes[host!] = { ...lin, type: DELAY_LINEAR, linear_type: String(lin.type), delays };
    if (before) {
      succs.set(p, succs.get(d)!);
      for (const x of succs.get(d)!) preds.set(x, replace(preds.get(x)!, d, [p]));
    } else {
      preds.set(s, preds.get(d)!);
      for (const x of preds.get(d)!) succs.set(x, replace(succs.get(x)!, d, [s]));
    }
    preds.delete(d);
    succs.delete(d);
    delete nodes[d];
  }
  for (const x of Object.keys(nodes)) mergeBranches(x, nodes, preds, succs);
}

/** The summed branches into x (one source, each feeding x alone, weights of one shape with disjoint nonzeros) as one per-synapse DELAY_LINEAR. */
function mergeBranches(x: string, nodes: Record<string, NirDict>, preds: Map<string, string[]>, succs: Map<string, string[]>): void {
  const bs = preds.get(x) ?? [];
  if (bs.length < 2 || !bs.some((b) => nodes[b].type === DELAY_LINEAR)) return;
  const src = preds.get(bs[0]) ?? [];
  const shape = dims(nodes[bs[0]]);
  if (!shape || src.length !== 1) return;
  const [o, i] = shape;
  for (const b of bs) {
    const d = dims(nodes[b]);
    if (!(nodes[b].type === DELAY_LINEAR || isLinear(nodes[b])) || succs.get(b)!.length !== 1 || preds.get(b)!.length !== 1 || preds.get(b)![0] !== src[0] || !d || d[0] !== o || d[1] !== i) return;
  }
  const weight = new Float32Array(o * i), delay = new Float64Array(o * i), bias = new Float32Array(o);
  const taken = new Uint8Array(o * i);
  let hasBias = false;
  for (const b of bs) {
    const n = nodes[b];
    const w = data(n.weight as NirArray), dl = isArray(n.delays) ? data(n.delays) : [0];
    for (let k = 0; k < o * i; k++) {
      if (w[k] === 0) continue;
      if (taken[k]) return; // two branches weigh the same synapse: no single delay per synapse, left as a sum
      taken[k] = 1;
      weight[k] = w[k];
      delay[k] = dl.length === o * i ? dl[k] : dl.length === o ? dl[Math.floor(k / i)] : dl[0];
    }
    if (isArray(n.bias) && (n.type === DELAY_LINEAR ? n.linear_type === "Affine" : n.type === "Affine")) {
      hasBias = true;
      data(n.bias).forEach((v, j) => (bias[j] += v));
    }
  }
  const meta = nodes[bs[0]].metadata;
  const m = typeof meta === "object" && !isArray(meta as never) ? (meta as NirDict) : {};
  // exodus's per-neuron layer with a bias: its one delayed branch holds the delays [o]
  const delayed = bs.filter((b) => nodes[b].linear_type === "Linear" && isArray(nodes[b].delays) && (nodes[b].delays as NirArray).shape.length === 1);
  const perNeuron = m.exodus_per_neuron === 1 && delayed.length === 1 ? (nodes[delayed[0]].delays as NirArray) : undefined;
  const group = typeof m.exodus_delay_layer === "string" ? m.exodus_delay_layer : bs[0];
  const name = group in nodes && !bs.includes(group) ? bs[0] : group;
  for (const b of bs) {
    delete nodes[b];
    preds.delete(b);
    succs.delete(b);
  }
  nodes[name] = {
    type: DELAY_LINEAR, linear_type: hasBias ? "Affine" : "Linear", weight: f32(weight, [o, i]), ...(hasBias ? { bias: f32(bias, [o]) } : {}), delays: perNeuron ?? f64(delay, [o, i]),
    ...(meta !== undefined ? { metadata: meta } : {}),
  };
  preds.set(name, [src[0]]);
  succs.set(name, [x]);
  succs.set(src[0], [...succs.get(src[0])!.filter((s) => !bs.includes(s)), name]);
  preds.set(x, [name]);
}
