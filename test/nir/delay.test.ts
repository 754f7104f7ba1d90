// Delays through NIR: Delay nodes (seconds, one per element of their input) next to a Linear
// import as DelayLinear with fixed integer delays, run as an independent float64 simulation of
// the graph says (reference-sim.ts), and round-trip bit for bit; exodus's DelayLinear exports as
// Linear + Delay nodes (one branch per distinct delay for per-synapse delays, a BatchNorm after it
// folded in) that the reference reader's layout accepts and exodus reads back as one layer.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type NirGraph, exportNetwork, importNir, readNir, writeNir } from "../../lib/nir/index.js";
import { type NirArray, f32, f64, ints } from "../../lib/nir/hdf5.js";
import { DelayLinear } from "../../lib/nn/delay.js";
import { BatchNorm1d, LIF, Sequential } from "../../lib/nn/index.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { moduleState } from "../../lib/train/checkpoint.js";
import { tmp } from "../data/helpers.js";
import { evalForward } from "./helpers.js";
import { simulateReference } from "./reference-sim.js";

const B = 2, DT = 1e-3;
const PY = "/usr/bin/python3";
const hasH5py = existsSync(PY) && spawnSync(PY, ["-c", "import h5py, numpy"]).status === 0;
const rand = (rng: Rng, n: number, lo: number, hi: number) => Float64Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
const full = (n: number, v: number) => new Float64Array(n).fill(v);

function input(n: number, p: number, seed: number, T = 40): { x: number[][][]; t: Tensor } {
  const rng = new Rng(seed);
  const x = Array.from({ length: T }, () => Array.from({ length: B }, () => Array.from({ length: n }, () => (rng.uniform() < p ? 1 : 0))));
  return { x, t: Tensor.from(x.flat(2), [T, B, n]) };
}

function offReference(y: Float32Array, g: NirGraph, x: number[][][]): number {
  const r = simulateReference(g, x, DT, new Map()).out.flatMap((o) => Array.from(o));
  expect(y.length).toBe(r.length);
  expect(r.reduce((s, v) => s + v, 0)).toBeGreaterThan(0);
  return Array.from(y).filter((v, i) => Math.abs(v - r[i]) > 1e-4 * (1 + Math.abs(r[i]))).length;
}

const lif = (n: number, rng: Rng): Record<string, NirArray | string> => {
  const tau = rand(rng, n, 3 * DT, 6 * DT);
  return { type: "LIF", tau: f32(tau), r: f32(tau.map((t) => t / DT)), v_leak: f32(full(n, 0)), v_threshold: f32(full(n, 0.8)), v_reset: f32(full(n, 0)) };
};

/** input 5 → Linear → Delay (per output) → LIF → Delay (per input) → Linear → LIF → output 3, dt recorded. */
function delayGraph(seed = 21): NirGraph {
  const rng = new Rng(seed);
  const steps = (n: number) => Float64Array.from({ length: n }, () => Math.floor(rng.uniform() * 5) * DT);
  return {
    nodes: {
      input: { type: "Input", shape: ints([5]) },
      fc1: { type: "Linear", weight: f32(rand(rng, 30, -0.4, 1.4), [6, 5]) }, d1: { type: "Delay", delay: f64(steps(6)) }, lif1: lif(6, rng),
      d2: { type: "Delay", delay: f64(steps(6)) }, fc2: { type: "Affine", weight: f32(rand(rng, 18, -0.4, 1.6), [3, 6]), bias: f32(rand(rng, 3, 0, 0.2)) }, lif2: lif(3, rng),
      output: { type: "Output", shape: ints([3]) },
    },
    edges: [["input", "fc1"], ["fc1", "d1"], ["d1", "lif1"], ["lif1", "d2"], ["d2", "fc2"], ["fc2", "lif2"], ["lif2", "output"]],
    metadata: { dt: DT },
  };
}

/** Every Delay node's delay has the shape of what feeds it (the reference reader's input_type = delay.shape) and is whole steps of dt. */
function checkDelays(g: NirGraph): number {
  const delays = Object.entries(g.nodes).filter(([, n]) => n.type === "Delay");
  for (const [name, n] of delays) {
    const d = n.delay as NirArray;
    const [src] = g.edges.filter(([, b]) => b === name).map(([a]) => g.nodes[a]);
    expect(d.shape).toEqual([(src.weight as NirArray).shape[0]]);
    for (const v of d.data) expect(Math.abs(v / DT - Math.round(v / DT))).toBeLessThan(1e-9);
  }
  return delays.length;
}

async function roundTrip(net: Sequential, inputShape: number[], opts: { roundDelays?: boolean } = {}) {
  const g = exportNetwork(net, { inputShape, dt: DT, ...opts });
  const path = join(tmp("exodus-nir-delay-"), "g.nir");
  await writeNir(path, g);
  if (hasH5py) {
    const p = spawnSync(PY, [join(import.meta.dirname, "reference_layout.py"), path], { encoding: "utf8" });
    expect(p.status, p.stderr).toBe(0);
  }
  return { g, back: importNir(await readNir(path), {}, path) };
}

describe("Delay nodes in NIR", () => {
  it("Linear → Delay and Delay → Linear import as DelayLinear, run as the NIR graph says, round-trip bit for bit", async () => {
    const g = delayGraph();
    const a = importNir(g);
    expect(a.net.layers.map((l) => l.constructor.name)).toEqual(["DelayLinear", "LIF", "DelayLinear", "LIF"]);
    const [d1, , d2] = a.net.layers as DelayLinear[];
    expect([d1.perNeuron, d2.perNeuron, !!d2.bias]).toEqual([true, false, true]);
    expect(Array.from(d1.integerDelays())).toEqual(Array.from((g.nodes.d1.delay as NirArray).data, (v) => Math.round(v / DT)));
    const { x, t } = input(5, 0.4, 3);
    const y = evalForward(a.net, t);
    expect(offReference(y, g, x)).toBeLessThanOrEqual(Math.ceil(0.01 * y.length));
    // the delays matter: the same graph without them gives other outputs
    const nd = delayGraph();
    for (const k of ["d1", "d2"]) nd.nodes[k] = { type: "Delay", delay: f64(full(6, 0)) };
    expect(Array.from(y)).not.toEqual(simulateReference(nd, x, DT, new Map()).out.flatMap((o) => Array.from(o)));
    const { g: g2, back } = await roundTrip(a.net, a.inputShape);
    expect(checkDelays(g2)).toBeGreaterThan(0);
    expect(back.net.layers.map((l) => l.constructor.name)).toEqual(["DelayLinear", "LIF", "DelayLinear", "LIF"]);
    expect(moduleState(back.net).map((p) => [p.name, p.value.toArray()])).toEqual(moduleState(a.net).map((p) => [p.name, p.value.toArray()]));
    expect(evalForward(back.net, t)).toEqual(y);
    for (const n of [a, back]) n.net.dispose();
    t.dispose();
  });

  it("a per-synapse DelayLinear with a bias and a BatchNorm after it exports as one branch per delay and comes back as one layer", async () => {
    const rng = new Rng(8);
    const dl = new DelayLinear(5, 6, { maxDelay: 4, sigma: 0, bias: true, rng });
    const bn = new BatchNorm1d(6);
    bn.runningMean.value.copyFrom(Tensor.from(rand(rng, 6, -0.2, 0.2), [6]));
    bn.runningVar.value.copyFrom(Tensor.from(rand(rng, 6, 0.5, 2), [6]));
    const net = new Sequential(dl, bn, new LIF({ alpha: 0.8, threshold: 0.7, reset: "zero" }));
    const { x, t } = input(5, 0.4, 4);
    const y = evalForward(net, t);
    const { g, back } = await roundTrip(net, [5]);
    const distinct = new Set(dl.integerDelays());
    expect(checkDelays(g)).toBe(distinct.has(0) ? distinct.size : distinct.size + 1); // one branch per delay, plus the undelayed bias
    expect(back.net.layers.map((l) => l.constructor.name)).toEqual(["DelayLinear", "LIF"]);
    const d = back.net.layers[0] as DelayLinear;
    expect([d.perNeuron, d.maxDelay, !!d.bias]).toEqual([false, 4, true]);
    expect(Array.from(d.integerDelays())).toEqual(Array.from(dl.integerDelays()));
    // the folded BatchNorm rounds each weight once: spikes agree with the original up to a value at a threshold
    const yb = evalForward(back.net, t);
    expect(Array.from(yb).filter((v, i) => v !== y[i]).length).toBeLessThanOrEqual(Math.ceil(0.01 * y.length));
    expect(offReference(yb, g, x)).toBeLessThanOrEqual(Math.ceil(0.01 * y.length));
    // and from there, bit for bit
    const again = await roundTrip(back.net, [5]);
    expect(moduleState(again.back.net).map((p) => [p.name, p.value.toArray()])).toEqual(moduleState(back.net).map((p) => [p.name, p.value.toArray()]));
    expect(evalForward(again.back.net, t)).toEqual(yb);
    for (const n of [back, again.back]) n.net.dispose();
    net.dispose();
    t.dispose();
  });

  it("a per-neuron DelayLinear stays per-neuron; one still interpolating (σ > 0) is refused without roundDelays", async () => {
    const rng = new Rng(9);
    const dl = new DelayLinear(4, 3, { maxDelay: 6, sigma: 2, perNeuron: true, rng });
    const net = new Sequential(dl, new LIF({ alpha: 0.9, threshold: 0.5, reset: "zero" }));
    expect(() => exportNetwork(net, { inputShape: [4], dt: DT })).toThrow(/layer 0 \(DelayLinear\): σ = 2 > 0 interpolates .*roundDelays\(\).* --round-delays/);
    const { g, back } = await roundTrip(net, [4], { roundDelays: true });
    expect(JSON.stringify(g.nodes)).toMatch(/delays rounded to whole steps from σ = 2/);
    const d = back.net.layers[0] as DelayLinear;
    expect([d.perNeuron, d.sigma, d.maxDelay]).toEqual([true, 0, 6]);
    expect(Array.from(d.integerDelays())).toEqual(Array.from(dl.integerDelays()));
    dl.roundDelays();
    const { t } = input(4, 0.5, 5);
    expect(evalForward(back.net, t)).toEqual(evalForward(net, t));
    back.net.dispose();
    net.dispose();
    t.dispose();
  });

  it("Delays exodus cannot place, a delayed bias and delays off the step grid are refused naming the node", () => {
    const between = delayGraph();
    between.nodes.d3 = { type: "Delay", delay: f64(full(3, DT)) };
    between.edges = between.edges.map(([a, b]) => (a === "lif2" ? ["lif2", "d3"] : [a, b])) as [string, string][];
    between.edges.push(["d3", "output"]);
    expect(() => importNir(between)).toThrow(/node d3 \(Delay\): exodus imports a Delay right after a Linear\/Affine .* this one lies between lif2 and output/);
    const biased = delayGraph();
    biased.nodes.fc1 = { type: "Affine", weight: biased.nodes.fc1.weight, bias: f32(full(6, 0.1)) };
    expect(() => importNir(biased)).toThrow(/node d1 \(Delay\): it delays the bias of fc1 \(Affine\)/);
    const off = delayGraph();
    off.nodes.d1 = { type: "Delay", delay: f64(full(6, 1.5 * DT)) };
    expect(() => importNir(off)).toThrow(/node fc1 \(exodus\.DelayLinear\): Delay: 0\.0015 s is not a whole number of steps of dt = 0\.001/);
  });
});
