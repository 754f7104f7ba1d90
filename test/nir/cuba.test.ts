// NIR and CubaLIF: a CubaLIF layer exports as one `CubaLIF` node (gains 1, learn flags in the
// metadata) and imports back with the same parameters and bit-identical outputs; a NIR CubaLIF
// imports as one CubaLIF layer whose outputs equal ExpLeak → LIF (the former mapping) bit for bit,
// and, with a leak drive, still as ExpLeak → Bias → LIF.
import { describe, expect, it } from "vitest";
import { exportNetwork, importNir, type NirGraph } from "../../lib/nir/index.js";
import { f64, f32, ints } from "../../lib/nir/hdf5.js";
import { CubaLIF, ExpLeak, LIF, Linear, Sequential } from "../../lib/nn/index.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";

function spikes(shape: number[], p: number, seed: number): Tensor {
  const r = new Rng(seed);
  return Tensor.from(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r.uniform() < p ? 1 : 0)), shape);
}
const out = (net: Sequential, x: Tensor) => {
  net.eval();
  const y = net.forward(x);
  const a = y.toArray();
  y.dispose();
  return a;
};

describe("NIR CubaLIF", () => {
  it("exports a CubaLIF layer as one CubaLIF node and imports it back bit for bit", () => {
    const lin = new Linear(6, 5, { seed: 3, initScale: 3 });
    const cuba = new CubaLIF({ alphaSyn: [0.7, 0.75, 0.8, 0.85, 0.9], alpha: 0.9, threshold: 0.6, reset: "zero", learn: ["alphaSyn"] });
    const net = new Sequential(lin, cuba, new Linear(5, 2, { seed: 4 }));
    const g = exportNetwork(net, { inputShape: [6], dt: 1e-3 });
    const node = g.nodes["1"] as Record<string, { data: ArrayLike<number> } | Record<string, unknown>>;
    expect(node.type).toBe("CubaLIF");
    expect(Object.keys(node).sort()).toEqual(["metadata", "r", "tau_mem", "tau_syn", "type", "v_leak", "v_reset", "v_threshold", "w_in"]);
    expect((node.metadata as Record<string, unknown>).exodus_learn_alpha_syn).toBe(1);
    const back = importNir(g);
    expect(back.net.layers.map((l) => l.constructor.name)).toEqual(["Linear", "CubaLIF", "Linear"]);
    const c2 = back.net.layers[1] as CubaLIF;
    expect(Array.from(c2.alphaSyn.toArray())).toEqual(Array.from(cuba.alphaSyn.toArray()));
    expect(Array.from(c2.alpha.toArray())).toEqual(Array.from(cuba.alpha.toArray()));
    expect(c2.learned).toEqual(["alphaSyn"]);
    expect(c2.reset).toBe("zero");
    const x = spikes([40, 3, 6], 0.4, 9);
    const y = out(net, x);
    expect(y.some((v) => v !== 0)).toBe(true);
    expect(out(back.net, x)).toEqual(y);
    // subtractive reset: refused without --approximate-reset, restored exactly with it
    const sub = new Sequential(new Linear(6, 5, { seed: 3, initScale: 3 }), new CubaLIF({ tauSyn: 4, tauMem: 10 }));
    expect(() => exportNetwork(sub, { inputShape: [6] })).toThrow(/layer 1 \(CubaLIF\): subtractive reset/);
    const approx = importNir(exportNetwork(sub, { inputShape: [6], approximateReset: true }));
    expect((approx.net.layers[1] as CubaLIF).reset).toBe("subtract");
    expect(out(approx.net, x)).toEqual(out(sub, x));
    expect(() => exportNetwork(new Sequential(new Linear(6, 5), new CubaLIF({ alphaSyn: 1, alpha: 0.9 })), { inputShape: [6] }))
      .toThrow(/layer 1 \(CubaLIF\): α = 1 or α_s = 1/);
  });

  it("imports a NIR CubaLIF as one layer with ExpLeak → LIF's outputs; with v_leak as ExpLeak → Bias → LIF", () => {
    const w = Float32Array.from({ length: 3 * 4 }, (_, i) => ((i * 7) % 5) / 4 - 0.3);
    const three = (v: number) => f64([v, v, v]);
    const graph = (vLeak: number): NirGraph => ({
      nodes: {
        in: { type: "Input", shape: ints([4]) }, lin: { type: "Linear", weight: f32(w, [3, 4]) },
        n: { type: "CubaLIF", tau_syn: f64([4, 5, 8]), tau_mem: three(8), r: three(8), v_leak: three(vLeak), v_threshold: three(0.3), v_reset: three(0), w_in: f64([4, 5, 8]) } as never,
        out: { type: "Output", shape: ints([3]) },
      },
      edges: [["in", "lin"], ["lin", "n"], ["n", "out"]], metadata: { dt: 1 },
    });
    const x = spikes([50, 2, 4], 0.4, 5);
    const a = importNir(graph(0));
    expect(a.net.layers.map((l) => l.constructor.name)).toEqual(["Linear", "CubaLIF"]);
    const lin = new Linear(4, 3, { bias: false });
    lin.weight.value.set(w);
    const ref = new Sequential(lin, new ExpLeak({ beta: [0.75, 0.8, 0.875] }), new LIF({ alpha: 1 - 1 / 8, threshold: 0.3, reset: "zero" }));
    const y = out(a.net, x);
    expect(y.some((v) => v !== 0)).toBe(true);
    expect(y).toEqual(out(ref, x));
    const b = importNir(graph(0.1));
    expect(b.net.layers.map((l) => l.constructor.name)).toEqual(["Linear", "ExpLeak", "Bias", "LIF"]);
  });
});
