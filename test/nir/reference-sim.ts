// An independent float64 simulator of NIR graphs for the tests: forward Euler with step dt,
//   LIF      v ← v + dt/τ·(v_leak − v + R·I); spike when v ≥ θ; then v ← v_reset (0)
//   IF       v ← v + dt·R·I; likewise
//   LI       v ← v + dt/τ·(v_leak − v + R·I); output v
//   CubaLIF  i ← i + dt/τs·(−i + w_in·x); then the LIF above with I = i (the same step's current)
//   Delay    y_k(t) = x_k(t − delay_k), delay_k/dt steps, 0 before the first input arrives
// written from the NIR node definitions, sharing no code with lib/nir. Several edges into a node
// are summed. An edge that closes a cycle (a recurrent w_rec → lif) carries its source's output of
// the previous step (0 at the first), as a discrete-time simulator runs a feedback loop. Returns the output per step and each neuron node's membrane before its reset.
import type { NirGraph } from "../../lib/nir/index.js";
import { type NirArray, type NirDict, isArray } from "../../lib/nir/hdf5.js";

type Vec = Float64Array;
const vals = (node: NirDict, k: string, n: number): Vec => {
  const a = node[k];
  if (a === undefined) return new Float64Array(n);
  const d = Float64Array.from((a as NirArray).data as ArrayLike<number>);
  return d.length === n ? d : new Float64Array(n).fill(d[0]);
};
const intsOf = (v: unknown, dflt: number): number => (v === undefined ? dflt : isArray(v as never) ? Number((v as NirArray).data[0]) : Number(v));

export interface RefResult {
  /** [T][B·n] output of the Output node. */
  out: Vec[];
  /** node → [T][B·n] membrane before the reset. */
  v: Map<string, Vec[]>;
}

/** x: [T][B][input elements]; shapes: the per-sample shape of every node's output (from the caller). */
export function simulateReference(g: NirGraph, x: number[][][], dt: number, shapes: Map<string, number[]>): RefResult {
  const names = Object.keys(g.nodes);
  const preds = new Map(names.map((n) => [n, g.edges.filter(([, b]) => b === n).map(([a]) => a)]));
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (n: string) => {
    if (order.includes(n) || visiting.has(n)) return; // visiting: a cycle, closed by the previous step's value
    visiting.add(n);
    for (const p of preds.get(n)!) visit(p);
    visiting.delete(n);
    order.push(n);
  };
  for (const n of names) visit(n);
  const input = names.find((n) => g.nodes[n].type === "Input")!;
  const output = names.find((n) => g.nodes[n].type === "Output")!;
  const B = x[0].length;
  const state = new Map<string, { v: Vec; i: Vec }>();
  const res: RefResult = { out: [], v: new Map() };
  const history = new Map<string, Vec[][]>();
  let prev = new Map<string, Vec[]>();
  for (let t = 0; t < x.length; t++) {
    const val = new Map<string, Vec[]>();
    for (const name of order) {
      const node = g.nodes[name];
      const fed = preds.get(name)!.map((p) => val.get(p) ?? prev.get(p)).filter((v): v is Vec[] => v !== undefined);
      // nothing yet on a feedback edge (the first step): a zero input of the weights' width
      const zero = () => x[t].map(() => new Float64Array((node.weight as NirArray).shape[1]));
      const ins = name === input ? x[t].map((s) => Float64Array.from(s)) : fed.length ? sumInputs(fed) : zero();
      if (node.type === "Delay") {
        if (!history.has(name)) history.set(name, []);
        const h = history.get(name)!;
        h.push(ins);
        const steps = vals(node, "delay", ins[0].length).map((d) => Math.round(d / dt));
        val.set(name, ins.map((xi, b) => xi.map((_, k) => (t - steps[k] >= 0 ? h[t - steps[k]][b][k] : 0))));
        continue;
      }
      const outs = ins.map((xi, b) => step(node, name, xi, b));
      val.set(name, outs);
    }
    res.out.push(Float64Array.from(val.get(output)!.flatMap((o) => Array.from(o))));
    prev = val;
  }
  return res;

  function step(node: NirDict, name: string, xi: Vec, b: number): Vec {
    const shapeIn = () => shapeOf(preds.get(name)![0] ?? name);
    const n = xi.length;
    const st = () => {
      const k = `${name}/${b}`;
      if (!state.has(k)) state.set(k, { v: new Float64Array(n), i: new Float64Array(n) });
      return state.get(k)!;
    };
    const record = (v: Vec) => {
      if (!res.v.has(name)) res.v.set(name, []);
      const tr = res.v.get(name)!;
      if (b === 0) tr.push(new Float64Array(n * B));
      tr[tr.length - 1].set(v, b * n);
    };
    const spikeReset = (v: Vec, theta: Vec, vr: Vec) => {
      record(v);
      return v.map((x, k) => {
        if (x >= theta[k]) {
          v[k] = vr[k];
          return 1;
        }
        return 0;
      });
    };
    switch (node.type) {
      case "Input":
      case "Output":
        return xi;
      case "Linear":
      case "Affine": {
        const w = node.weight as NirArray;
        const [o, i] = [w.shape[0], w.shape[1]];
        const bias = node.type === "Affine" ? vals(node, "bias", o) : new Float64Array(o);
        return Float64Array.from({ length: o }, (_, r) => {
          let s = bias[r];
          for (let c = 0; c < i; c++) s += w.data[r * i + c] * xi[c];
          return s;
        });
      }
      case "Scale":
        return xi.map((v, k) => v * vals(node, "scale", n)[k]);
      case "Threshold":
        return xi.map((v, k) => (v >= vals(node, "threshold", n)[k] ? 1 : 0));
      case "Flatten":
        return xi;
      case "Conv1d": {
        const w = node.weight as NirArray;
        const [co, ci, k] = w.shape;
        const [, L] = shapeIn();
        const s = intsOf(node.stride, 1), p = intsOf(node.padding, 0);
        const ol = Math.floor((L + 2 * p - k) / s) + 1;
        const bias = vals(node, "bias", co);
        const y = new Float64Array(co * ol);
        for (let o = 0; o < co; o++)
          for (let j = 0; j < ol; j++) {
            let acc = bias[o];
            for (let q = 0; q < ci; q++)
              for (let u = 0; u < k; u++) {
                const xx = j * s - p + u;
                if (xx >= 0 && xx < L) acc += w.data[(o * ci + q) * k + u] * xi[q * L + xx];
              }
            y[o * ol + j] = acc;
          }
        return y;
      }
      case "Conv2d": {
        const w = node.weight as NirArray;
        const [co, ci, k] = w.shape;
        const [, H, W] = shapeIn();
        const s = intsOf(node.stride, 1), p = intsOf(node.padding, 0);
        const oh = Math.floor((H + 2 * p - k) / s) + 1, ow = Math.floor((W + 2 * p - k) / s) + 1;
        const bias = vals(node, "bias", co);
        const y = new Float64Array(co * oh * ow);
        for (let o = 0; o < co; o++)
          for (let r = 0; r < oh; r++)
            for (let c = 0; c < ow; c++) {
              let acc = bias[o];
              for (let q = 0; q < ci; q++)
                for (let u = 0; u < k; u++)
                  for (let v = 0; v < k; v++) {
                    const yy = r * s - p + u, xx = c * s - p + v;
                    if (yy >= 0 && yy < H && xx >= 0 && xx < W) acc += w.data[((o * ci + q) * k + u) * k + v] * xi[(q * H + yy) * W + xx];
                  }
              y[(o * oh + r) * ow + c] = acc;
            }
        return y;
      }
      case "SumPool2d":
      case "AvgPool2d": {
        const k = intsOf(node.kernel_size, 1);
        const [C, H, W] = shapeIn();
        const oh = Math.floor(H / k), ow = Math.floor(W / k);
        const y = new Float64Array(C * oh * ow);
        for (let c = 0; c < C; c++)
          for (let r = 0; r < oh; r++)
            for (let q = 0; q < ow; q++) {
              let acc = 0;
              for (let u = 0; u < k; u++) for (let v = 0; v < k; v++) acc += xi[(c * H + r * k + u) * W + q * k + v];
              y[(c * oh + r) * ow + q] = node.type === "AvgPool2d" ? acc / (k * k) : acc;
            }
        return y;
      }
      case "LIF":
      case "LI": {
        const tau = vals(node, "tau", n), r = vals(node, "r", n), vl = vals(node, "v_leak", n);
        const s = st();
        for (let k = 0; k < n; k++) s.v[k] += (dt / tau[k]) * (vl[k] - s.v[k] + r[k] * xi[k]);
        if (node.type === "LI") {
          record(s.v);
          return Float64Array.from(s.v);
        }
        return spikeReset(s.v, vals(node, "v_threshold", n), vals(node, "v_reset", n));
      }
      case "IF": {
        const r = vals(node, "r", n);
        const s = st();
        for (let k = 0; k < n; k++) s.v[k] += dt * r[k] * xi[k];
        return spikeReset(s.v, vals(node, "v_threshold", n), vals(node, "v_reset", n));
      }
      case "CubaLIF": {
        const ts = vals(node, "tau_syn", n), tm = vals(node, "tau_mem", n), r = vals(node, "r", n), vl = vals(node, "v_leak", n);
        const win = node.w_in === undefined ? new Float64Array(n).fill(1) : vals(node, "w_in", n);
        const s = st();
        for (let k = 0; k < n; k++) {
          s.i[k] += (dt / ts[k]) * (-s.i[k] + win[k] * xi[k]);
          s.v[k] += (dt / tm[k]) * (vl[k] - s.v[k] + r[k] * s.i[k]);
        }
        return spikeReset(s.v, vals(node, "v_threshold", n), vals(node, "v_reset", n));
      }
      default:
        throw new Error(`reference: no model of ${String(node.type)}`);
    }
  }

  function shapeOf(n: string): number[] {
    const s = shapes.get(n);
    if (!s) throw new Error(`reference: no shape for ${n}`);
    return s;
  }
}

function sumInputs(vs: Vec[][]): Vec[] {
  return vs[0].map((_, b) => {
    const acc = Float64Array.from(vs[0][b]);
    for (const v of vs.slice(1)) for (let k = 0; k < acc.length; k++) acc[k] += v[b][k];
    return acc;
  });
}
