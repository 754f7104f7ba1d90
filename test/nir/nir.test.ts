// NIR export → file → import reproduces the network's outputs bit for bit; layers NIR cannot
// express are refused (or approximated under the flag, restored by exodus's importer); graphs in
// other tools' conventions import with their gains; and the file has the layout the reference
// reader consumes (checked with h5py where installed).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exportNir, importNir, importNirFile, readNir, writeNir, type NirGraph } from "../../lib/nir/index.js";
import { f64, f32, ints } from "../../lib/nir/hdf5.js";
import { AvgPool2d, Conv2d, Dropout, ExpLeak, Flatten, IAF, LIF, Linear, SRM, Sequential, WeightNorm, type Module } from "../../lib/nn/index.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { tmp } from "../data/helpers.js";

const PY = "/usr/bin/python3";
const hasH5py = existsSync(PY) && spawnSync(PY, ["-c", "import h5py, numpy"]).status === 0;

function spikes(shape: number[], p: number, seed: number): Tensor {
  const r = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return Tensor.from(Float32Array.from({ length: n }, () => (r.uniform() < p ? 1 : 0)), shape);
}

/** Output of a network on x, in inference mode; also the spike rate of every neuron layer. */
function run(net: Sequential, x: Tensor): { y: Float32Array; rates: number[] } {
  net.training = false;
  for (const l of net.layers) l.training = false;
  const rates: number[] = [];
  let h = x;
  for (const l of net.layers) {
    const next = l.forward(h);
    if (l instanceof LIF) rates.push(next.toArray().reduce((a, b) => a + b, 0) / next.size);
    if (h !== x) h.dispose();
    h = next;
  }
  const y = h.toArray();
  h.dispose();
  return { y, rates };
}

const mlp = (reset: "zero" | "subtract" = "zero") => {
  const rng = new Rng(3);
  return new Sequential(
    new Linear(20, 16, { bias: false, rng, initScale: 3 }),
    new LIF({ tauMem: Array.from({ length: 16 }, (_, i) => 4 + i), threshold: 0.8, reset, learnAlpha: true, surrogate: { name: "fast_sigmoid", scale: 0.5 } }),
    new Linear(16, 12, { rng, initScale: 3 }),
    new LIF({ tauMem: 7, threshold: Array.from({ length: 12 }, (_, i) => 0.1 + 0.05 * i), normInput: true, reset }),
    new ExpLeak({ tauSyn: 5 }),
    new Linear(12, 5, { bias: false, rng }),
  );
};
const conv = () => {
  const rng = new Rng(4);
  // weight-normalised like configs/dvs-gesture.yaml's layers (exported with W = g·V/‖V‖)
  const wn = new WeightNorm(new Conv2d(2, 4, { kernel: 3, rng, initScale: 2 }));
  wn.g.value.set(wn.g.value.toArray().map((g, i) => g * (1.2 + 0.1 * i))); // as after training: W ≠ W₀
  return new Sequential(wn, new IAF({ threshold: 0.25, reset: "zero" }), new AvgPool2d(2), new Dropout(0.3),
    new Flatten(), new WeightNorm(new Linear(4 * 4 * 4, 3, { bias: false, rng })));
};

async function roundTrip(net: Sequential, inputShape: number[], opts: { approximateReset?: boolean; dt?: number } = {}) {
  const path = join(tmp("exodus-nir-"), "model.nir");
  await writeNir(path, exportNir(net, { inputShape, ...opts }));
  return { path, imported: await importNirFile(path) };
}

describe("NIR export → import", () => {
  it("an MLP (per-neuron τ and θ, normInput, ExpLeak, Affine) comes back with bit-identical outputs", async () => {
    const net = mlp();
    const { path, imported } = await roundTrip(net, [20], { dt: 0.5 });
    expect(imported.inputShape).toEqual([20]);
    expect(imported.dt).toBe(0.5);
    expect(imported.net.layers.map((l) => l.constructor.name)).toEqual(net.layers.map((l) => l.constructor.name));
    const x = spikes([25, 3, 20], 0.3, 1);
    const a = run(net, x), b = run(imported.net, x);
    for (const r of a.rates) expect(r).toBeGreaterThan(0.01); // the neurons spike: the test sees their parameters
    expect(b.y).toEqual(a.y);
    // learnable α and the surrogate survive (training can continue)
    const l1 = imported.net.layers[1] as LIF;
    expect(l1.learnAlpha).toBe(true);
    expect(l1.alpha.toArray()).toEqual((net.layers[1] as LIF).alpha.toArray());
    expect(l1.surrogate).toMatchObject({ name: "fast_sigmoid", scale: 0.5 });
    const g = await readNir(path);
    expect(g.edges[0]).toEqual(["input", "0"]);
    expect(g.metadata.dt).toBe(0.5);
    expect(String(g.metadata.exodus_convention)).toMatch(/forward Euler/);
    net.dispose();
    imported.net.dispose();
  });

  it("the paper's conv layout (Conv2d, IF, AvgPool2d, Dropout, Flatten, Linear) round-trips exactly", async () => {
    const net = conv();
    const { imported } = await roundTrip(net, [2, 8, 8]);
    expect(imported.nodeNames).toEqual(["0", "1", "2", "4", "5"]); // Dropout is the identity at inference
    const x = spikes([6, 2, 2, 8, 8], 0.3, 2);
    const a = run(net, x), b = run(imported.net, x);
    expect(a.rates[0]).toBeGreaterThan(0.01);
    expect(b.y).toEqual(a.y);
  });

  it("refuses subtractive reset and SRM; --approximate-reset exports reset-to-0 and exodus restores the subtraction", async () => {
    const net = mlp("subtract");
    expect(() => exportNir(net, { inputShape: [20] })).toThrow(/layer 1 \(LIF\): subtractive reset .* has no NIR node.*--approximate-reset/);
    expect(() => exportNir(new Sequential(new Linear(4, 4), new SRM()), { inputShape: [4] })).toThrow(/layer 1 \(SRM\): SRM response and refractory kernels have no NIR node/);
    expect(() => exportNir(new Sequential(new LIF({ spikeFn: "multi" })), { inputShape: [4] })).toThrow(/spikeFn "multi"/);
    const g = exportNir(net, { inputShape: [20], approximateReset: true });
    expect(g.nodes["1"].v_reset).toBeDefined();
    const x = spikes([25, 3, 20], 0.3, 1);
    const exact = importNir(g);
    expect(run(exact.net, x).y).toEqual(run(net, x).y);
    // what another NIR tool simulates: reset to 0 — differs once neurons spike
    const foreign: NirGraph = { ...g, nodes: Object.fromEntries(Object.entries(g.nodes).map(([k, n]) => [k, { ...n, metadata: {} }])) };
    const approx = importNir(foreign);
    expect((approx.net.layers[1] as LIF).reset).toBe("zero");
    expect(run(approx.net, x).y).not.toEqual(run(net, x).y);
  });

  it("imports other tools' conventions: R = 1 (normInput), a gain folded into the weights, CubaLIF", () => {
    const w = Float32Array.from({ length: 3 * 4 }, (_, i) => ((i * 7) % 5) / 4 - 0.3);
    const graph = (neuron: Record<string, unknown>): NirGraph => ({
      nodes: { in: { type: "Input", shape: ints([4]) }, lin: { type: "Linear", weight: f32(w, [3, 4]) }, n: neuron as never, out: { type: "Output", shape: ints([3]) } },
      edges: [["in", "lin"], ["lin", "n"], ["n", "out"]], metadata: { dt: 1 },
    });
    const three = (v: number) => f64([v, v, v]);
    const x = spikes([30, 2, 4], 0.4, 5);
    const reference = (scale: number, ...neurons: Module[]) => {
      const lin = new Linear(4, 3, { bias: false });
      lin.weight.value.set(w.map((v) => v * scale));
      return new Sequential(lin, ...neurons);
    };
    // norse-style: τ dv = −v + I (R = 1) is exodus's normInput
    const norse = importNir(graph({ type: "LIF", tau: three(5), r: three(1), v_leak: three(0), v_threshold: three(0.1), v_reset: three(0) }));
    expect((norse.net.layers[1] as LIF).normInput).toBe(true);
    expect(run(norse.net, x).y).toEqual(run(reference(1, new LIF({ alpha: 1 - 1 / 5, threshold: 0.1, reset: "zero", normInput: true })), x).y);
    // R·dt/τ = 2: folded into the Linear's weights (×2 is exact)
    const twice = importNir(graph({ type: "LIF", tau: three(4), r: three(8), v_leak: three(0), v_threshold: three(0.5), v_reset: three(0) }));
    expect(twice.notes.join()).toMatch(/gain 2 folded/);
    expect(run(twice.net, x).y).toEqual(run(reference(2, new LIF({ alpha: 0.75, threshold: 0.5, reset: "zero" })), x).y);
    // CubaLIF: one CubaLIF layer (the same results as synaptic LI → LIF), gains (dt/τs)·w_in and R·dt/τm of 1
    const cuba = importNir(graph({ type: "CubaLIF", tau_syn: three(4), tau_mem: three(8), r: three(8), v_leak: three(0), v_threshold: three(0.3), v_reset: three(0), w_in: three(4) }));
    expect(cuba.net.layers.map((l) => l.constructor.name)).toEqual(["Linear", "CubaLIF"]);
    expect(run(cuba.net, x).y).toEqual(run(reference(1, new ExpLeak({ beta: 0.75 }), new LIF({ alpha: 1 - 1 / 8, threshold: 0.3, reset: "zero" })), x).y);
    // what exodus cannot run is refused naming the node (v_leak, Threshold and branches import now: test/nir/layouts.test.ts)
    expect(() => importNir(graph({ type: "LIF", tau: three(5), r: three(5), v_leak: three(0), v_threshold: three(1), v_reset: three(0.5) }))).toThrow(/node n \(LIF\): v_reset other than 0/);
    // a Delay after a Linear is that Linear's delay per output (test/nir/delay.test.ts)
    const delayed = importNir(graph({ type: "Delay", delay: three(2) }));
    expect(delayed.net.layers.map((l) => l.constructor.name)).toEqual(["DelayLinear"]);
    delayed.net.dispose();
    const loop = graph({ type: "IF", r: three(1), v_threshold: three(1) });
    loop.edges.push(["n", "lin"]);
    expect(() => importNir(loop)).toThrow(/node (lin|n) \((Linear|IF)\) is on a recurrent edge .*exodus runs recurrence only as a LIF, IF or CubaLIF node with a Linear\/Affine w_rec fed by it alone/);
  });

  it.skipIf(!hasH5py)("reads a file laid out as the reference writer (nir.write: h5py, gzip, float32) lays it out", async () => {
    const path = join(tmp("exodus-nir-ref-"), "ref.nir");
    // nir/serialization.py write(): version string, node/… from to_dict(), arrays gzip-compressed,
    // Python ints as int64 scalars, edges as a list of string pairs; τ, R in float32 as snnTorch writes them
    const script = `
import sys, h5py, numpy as np
def write(group, node):
    for k, v in node.items():
        if isinstance(v, str): group.create_dataset(k, data=v, dtype=h5py.string_dtype())
        elif isinstance(v, np.ndarray): group.create_dataset(k, data=v, dtype=v.dtype, compression="gzip")
        elif isinstance(v, dict): write(group.create_group(str(k)), v)
        else: group.create_dataset(k, data=v)
w = (np.arange(12, dtype=np.float32).reshape(3, 4) % 5) / 4 - 0.3
tau = np.array([5.0, 6.0, 7.5], dtype=np.float32)
graph = {"type": "NIRGraph", "edges": [("input", "fc"), ("fc", "lif"), ("lif", "output")], "nodes": {
    "input": {"type": "Input", "shape": np.array([4])},
    "fc": {"type": "Affine", "weight": w, "bias": np.array([0.1, -0.2, 0.05], dtype=np.float32)},
    "lif": {"type": "LIF", "tau": tau, "r": tau.copy(), "v_leak": np.zeros(3, np.float32), "v_threshold": np.full(3, 0.4, np.float32), "v_reset": np.zeros(3, np.float32)},
    "output": {"type": "Output", "shape": np.array([3])}}}
with h5py.File(sys.argv[1], "w") as f:
    f.create_dataset("version", data="1.0.7", dtype=h5py.string_dtype())
    write(f.create_group("node"), graph)
`;
    const p = spawnSync(PY, ["-c", script, path], { encoding: "utf8" });
    expect(p.status, p.stderr).toBe(0);
    const r = await importNirFile(path);
    expect(r.version).toBe("1.0.7");
    expect(r.notes.join()).toMatch(/no dt; assumed dt = 1/);
    const lin = new Linear(4, 3);
    lin.weight.value.set(Float32Array.from({ length: 12 }, (_, i) => Math.fround((i % 5) / 4 - 0.3)));
    lin.bias!.value.set(Float32Array.of(0.1, -0.2, 0.05));
    const ref = new Sequential(lin, new LIF({ alpha: [5, 6, 7.5].map((t) => 1 - 1 / t), threshold: 0.4, reset: "zero" }));
    const x = spikes([30, 2, 4], 0.4, 6);
    const a = run(ref, x), b = run(r.net, x);
    expect(a.rates[0]).toBeGreaterThan(0.01);
    expect(b.y).toEqual(a.y);
  });

  it.skipIf(!hasH5py)("writes the groups and datasets the reference reader (nir.read) consumes, checked with h5py", async () => {
    for (const [net, shape, types] of [[mlp(), [20], ["Input", "Linear", "LIF", "Affine", "LIF", "LI", "Linear", "Output"]],
      [conv(), [2, 8, 8], ["Input", "Conv2d", "IF", "AvgPool2d", "Flatten", "Linear", "Output"]]] as const) {
      const { path } = await roundTrip(net as Sequential, [...shape]);
      const p = spawnSync(PY, [join(import.meta.dirname, "reference_layout.py"), path], { encoding: "utf8" });
      expect(p.status, p.stderr).toBe(0);
      const r = JSON.parse(p.stdout);
      expect(r.version).toBe("1.0.0");
      expect(r.types).toEqual(types);
      expect(r.dt).toBe(1);
      (net as Sequential).dispose();
    }
  });
});
