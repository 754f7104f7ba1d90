// Recurrent layers through NIR: the subgraph snnTorch writes for RLeaky ({input, lif, w_rec,
// output}, the feedback edge lif → w_rec → lif), nested or flattened with dotted names as the NIR
// paper's braille files are, imports as RLIF, runs as an independent float64 simulation of the NIR
// graph (reference-sim.ts: the feedback edge carries the previous step's spikes) says, and
// round-trips bit for bit; exodus's RLIF exports as that subgraph.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type NirGraph, exportNetwork, importNir, importNirFile, readNir, writeNir } from "../../lib/nir/index.js";
import { f32, ints } from "../../lib/nir/hdf5.js";
import { Linear, RCubaLIF, RLIF, Sequential } from "../../lib/nn/index.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { moduleState } from "../../lib/train/checkpoint.js";
import { tmp } from "../data/helpers.js";
import { register as registerRun } from "../../bin/commands/run.js";
import { encodeNpy } from "../../lib/io/npy-write.js";
import { evalForward, nirCli } from "./helpers.js";
import { braille, flattenDotted, rleaky } from "./recurrent-layouts.js";
import { simulateReference } from "./reference-sim.js";

const B = 2;
const PY = "/usr/bin/python3";
const hasH5py = existsSync(PY) && spawnSync(PY, ["-c", "import h5py, numpy"]).status === 0;
function input(n: number, p: number, seed: number, T = 50): { x: number[][][]; t: Tensor } {
  const rng = new Rng(seed);
  const x = Array.from({ length: T }, () => Array.from({ length: B }, () => Array.from({ length: n }, () => (rng.uniform() < p ? 1 : 0))));
  return { x, t: Tensor.from(x.flat(2), [T, B, n]) };
}

/** Entries of y off the float64 reference by more than float32 rounding (a value at a threshold may flip a spike). */
function offReference(y: Float32Array, ref: Float64Array[]): number {
  const r = ref.flatMap((o) => Array.from(o));
  expect(y.length).toBe(r.length);
  expect(r.reduce((s, v) => s + v, 0)).toBeGreaterThan(0);
  return Array.from(y).filter((v, i) => Math.abs(v - r[i]) > 1e-4 * (1 + Math.abs(r[i]))).length;
}

describe("recurrent layers in NIR (snnTorch's RLeaky subgraph)", () => {
  const cases: { name: string; graph: () => NirGraph; layers: string[]; inputs: number; bias: boolean; lif: string }[] = [
    { name: "RLeaky (w_rec Linear)", graph: () => rleaky(11, 6), layers: ["Linear", "RLIF", "Linear", "LIF"], inputs: 5, bias: false, lif: "LIF" },
    { name: "RLeaky with a recurrent bias (w_rec Affine)", graph: () => rleaky(11, 6, { bias: true }), layers: ["Linear", "RLIF", "Linear", "LIF"], inputs: 5, bias: true, lif: "LIF" },
    { name: "the braille net (RSynaptic → Synaptic, w_rec Affine)", graph: () => braille(12, 8, { recurrentOut: false, bias: true }), layers: ["Linear", "RCubaLIF", "Linear", "CubaLIF"], inputs: 12, bias: true, lif: "CubaLIF" },
    { name: "two recurrent CubaLIF layers without recurrent bias", graph: () => braille(15, 8, { recurrentOut: true, bias: false }), layers: ["Linear", "RCubaLIF", "Linear", "RCubaLIF"], inputs: 12, bias: false, lif: "CubaLIF" },
  ];
  for (const c of cases) {
    it(`${c.name}: nested and dotted layouts import, run as the NIR graph says, round-trip bit for bit`, async () => {
      const g = c.graph();
      const bias = c.bias;
      const dir = tmp("exodus-nir-rlif-");
      await writeNir(join(dir, "nested.nir"), g);
      await writeNir(join(dir, "dotted.nir"), flattenDotted(g));
      const a = await importNirFile(join(dir, "nested.nir"), { dt: 1e-4 });
      const d = await importNirFile(join(dir, "dotted.nir"), { dt: 1e-4 });
      expect(a.net.layers.map((l) => l.constructor.name)).toEqual(c.layers);
      expect(d.net.layers.map((l) => l.constructor.name)).toEqual(c.layers);
      expect(a.nodeNames).toEqual(["fc1", "lif1.lif", "fc2", c.layers[3] === "RCubaLIF" ? "lif2.lif" : "lif2"]);
      const rl = a.net.layers[1] as RLIF | RCubaLIF;
      expect(rl.hasBias).toBe(bias);
      const { x, t } = input(c.inputs, 0.3, 7);
      const y = evalForward(a.net, t);
      expect(evalForward(d.net, t)).toEqual(y);
      const ref = simulateReference(flattenDotted(g), x, 1e-4, new Map());
      expect(offReference(y, ref.out)).toBeLessThanOrEqual(Math.ceil(0.01 * y.length));
      // the recurrence matters: without w_rec the same graph gives other outputs
      const ff = flattenDotted(g);
      ff.edges = ff.edges.filter(([p, q]) => !(p === "lif1.w_rec" || q === "lif1.w_rec"));
      delete ff.nodes["lif1.w_rec"];
      const yff = simulateReference(ff, x, 1e-4, new Map()).out.flatMap((o) => Array.from(o));
      expect(Array.from(y).filter((v, i) => v !== yff[i]).length).toBeGreaterThan(0.05 * y.length);
      // neither silent nor saturated: the comparison sees the dynamics
      const rate = y.reduce((a, v) => a + v, 0) / y.length;
      expect(rate).toBeGreaterThan(0.05);
      expect(rate).toBeLessThan(0.9);
      // round trip: export (a subgraph again), import
      const g2 = exportNetwork(a.net, { inputShape: a.inputShape, dt: a.dt });
      const sub = Object.values(g2.nodes).find((n) => n.type === "NIRGraph")!;
      expect(Object.fromEntries(Object.entries(sub.nodes as Record<string, { type: string }>).map(([k, n]) => [k, n.type])))
        .toEqual({ input: "Input", lif: c.lif, w_rec: bias ? "Affine" : "Linear", output: "Output" });
      expect(sub.edges).toEqual(["input", "lif", "lif", "w_rec", "w_rec", "lif", "lif", "output"]);
      await writeNir(join(dir, "g2.nir"), g2);
      if (hasH5py) {
        // laid out as the reference reader consumes it: the subgraph's fields and its [E, 2] edges
        const p = spawnSync(PY, [join(import.meta.dirname, "reference_layout.py"), join(dir, "g2.nir")], { encoding: "utf8" });
        expect(p.status, p.stderr).toBe(0);
      }
      const back = await readNir(join(dir, "g2.nir"));
      const b = importNir(back, {}, "g2.nir");
      expect(moduleState(b.net).map((p) => p.value.toArray())).toEqual(moduleState(a.net).map((p) => p.value.toArray()));
      expect(evalForward(b.net, t)).toEqual(y);
      for (const n of [a, b, d]) n.net.dispose();
      t.dispose();
    });
  }

  it("a gain other than 1 (snnTorch's older r = β) folds into the input weights and the rows of V", () => {
    const g = flattenDotted(rleaky(13, 5));
    const lif = g.nodes["lif1.lif"];
    lif.r = f32(Float64Array.from({ length: 5 }, (_, k) => 0.8 + 0.05 * k));
    const a = importNir(g, { dt: 1e-4 });
    expect(a.notes.join("\n")).toMatch(/lif1\.w_rec: the input gain of node lif1\.lif folded into the recurrent weights/);
    const { x, t } = input(5, 0.4, 8);
    const y = evalForward(a.net, t);
    expect(offReference(y, simulateReference(g, x, 1e-4, new Map()).out)).toBeLessThanOrEqual(Math.ceil(0.01 * y.length));
    a.net.dispose();
    t.dispose();
  });

  it("exodus's RLIF and RCubaLIF export as the subgraph and come back bit for bit; subtractive reset keeps its refusal without the flag", async () => {
    for (const [kind, reset] of [["RLIF", "zero"], ["RLIF", "subtract"], ["RCubaLIF", "zero"], ["RCubaLIF", "subtract"]] as const) {
      const rng = new Rng(5);
      const alpha = Float32Array.from({ length: 7 }, (_, k) => 0.7 + 0.03 * k);
      const layer = kind === "RLIF" ? new RLIF({ size: 7, alpha, threshold: 0.8, reset, bias: true, learnAlpha: true, rng, initScale: 2 })
        : new RCubaLIF({ size: 7, alpha, alphaSyn: 0.6, threshold: 0.8, reset, bias: true, learn: ["alpha", "alphaSyn"], rng, initScale: 2 });
      const net = new Sequential(new Linear(4, 7, { rng }), layer);
      const { t } = input(4, 0.4, 9, 40);
      const y = evalForward(net, t);
      if (reset === "subtract") expect(() => exportNetwork(net, { inputShape: [4], dt: 1e-3 })).toThrow(new RegExp(`layer 1 \\(${kind}\\): subtractive reset .*--approximate-reset`));
      const g = exportNetwork(net, { inputShape: [4], dt: 1e-3, approximateReset: reset === "subtract" });
      const path = join(tmp("exodus-nir-rlif-export-"), "r.nir");
      await writeNir(path, g);
      const b = importNir(await readNir(path), {}, path);
      const rl = b.net.layers[1] as RLIF | RCubaLIF;
      expect([rl.constructor.name, rl.reset, rl.hasBias]).toEqual([kind, reset, true]);
      expect(moduleState(b.net).map((p) => [p.name, p.value.toArray()])).toEqual(moduleState(net).map((p) => [p.name, p.value.toArray()]));
      expect(evalForward(b.net, t)).toEqual(y);
      expect(y.reduce((s, v) => s + v, 0)).toBeGreaterThan(0);
      b.net.dispose();
      net.dispose();
      t.dispose();
    }
  });

  it("cycles that are not a neuron's recurrent weights are refused naming the node", () => {
    const g = flattenDotted(rleaky(14, 4));
    // a Linear looping fc1 (an Affine) back into itself
    g.nodes.loop = { type: "Linear", weight: f32(new Float64Array(16).fill(0.1), [4, 4]) };
    g.edges.push(["fc1", "loop"], ["loop", "fc1"]);
    expect(() => importNir(g, { dt: 1e-4 })).toThrow(/node loop \(Linear\) feeds back into node fc1 \(Affine\): exodus runs recurrent weights around a LIF, IF or CubaLIF node only/);
    const h = flattenDotted(rleaky(14, 4));
    h.nodes["lif1.w_rec"] = { type: "Scale", scale: f32([1, 1, 1, 1]) };
    expect(() => importNir(h, { dt: 1e-4 })).toThrow(/node lif1\.(lif|w_rec) \((LIF|Scale)\) is on a recurrent edge .*exodus runs recurrence only as a LIF, IF or CubaLIF node with a Linear\/Affine w_rec/);
    const k: NirGraph = flattenDotted(rleaky(14, 4));
    k.nodes["lif1.w_rec"] = { type: "Linear", weight: f32(new Float64Array(12), [3, 4]) };
    k.nodes.output = { type: "Output", shape: ints([3]) };
    expect(() => importNir(k, { dt: 1e-4 })).toThrow(/node lif1\.w_rec \(Linear\): weight: expected \[4, 4\]/);
  });

  it("exodus run on a braille file (dotted layout) writes each recurrent layer's spikes and membrane", async () => {
    const dir = tmp("exodus-nir-braille-run-");
    await writeNir(join(dir, "braille.nir"), flattenDotted(braille(16, 8)));
    const { x, t } = input(12, 0.3, 10, 30);
    writeFileSync(join(dir, "frames.npy"), encodeNpy(Float32Array.from(x.flat(2)), [30, B, 12]));
    const out = await nirCli([registerRun], "run", join(dir, "braille.nir"), "--dt", "1e-4", "--input", join(dir, "frames.npy"), "--out", join(dir, "tr"), "--json");
    const s = JSON.parse(out);
    expect(s.traces.map((tr: { name: string }) => tr.name)).toEqual(["lif1.lif.spikes", "lif1.lif.v", "lif2.lif.spikes", "lif2.lif.v", "output"]);
    expect(s.shape).toEqual([30, B, 7]);
    const a = importNir(await readNir(join(dir, "braille.nir")), { dt: 1e-4 });
    const y = evalForward(a.net, t);
    const csv = readFileSync(join(dir, "tr", "output.csv"), "utf8").trim().split("\n").slice(1);
    expect(csv.flatMap((row) => row.split(",").slice(1).map(Number))).toEqual(Array.from(y));
    a.net.dispose();
    t.dispose();
  });
});
