// Export of what exodus trains beyond a chain of basic layers: BatchNorm (evaluation mode) folded
// into the convolution or linear layer before it, SEW ADD blocks as summed edges, and the
// subtractive reset kept in the metadata so that an exodus import is exact.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exportNetwork, importNir, importNirFile, readNir, writeNir } from "../../lib/nir/index.js";
import { AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Flatten, IAF, LIF, Linear, MaxPool2d, SEW, Sequential } from "../../lib/nn/index.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { tmp } from "../data/helpers.js";
import { evalForward } from "./helpers.js";

function randomStats(bn: BatchNorm1d | BatchNorm2d, rng: Rng) {
  const C = bn.numFeatures;
  const r = (lo: number, hi: number) => Float32Array.from({ length: C }, () => lo + (hi - lo) * rng.uniform());
  bn.runningMean.value.set(r(-0.3, 0.3));
  bn.runningVar.value.set(r(0.2, 2));
  bn.weight!.value.set(r(0.5, 1.5));
  bn.bias!.value.set(r(-0.2, 0.4));
}


describe("NIR export of BatchNorm and SEW blocks", () => {
  it("Conv2d + BatchNorm2d and Linear + BatchNorm1d fold exactly (eval mode), to float32 rounding", async () => {
    const rng = new Rng(21);
    const bn2 = new BatchNorm2d(4), bn1 = new BatchNorm1d(5);
    randomStats(bn2, rng);
    randomStats(bn1, rng);
    // a non-spiking tail, so the outputs are real numbers the fold must reproduce
    const net = new Sequential(new Conv2d(2, 4, { kernel: 3, rng }), bn2, new AvgPool2d(2), new Flatten(), new Linear(4 * 3 * 3, 5, { bias: true, rng }), bn1);
    const g = exportNetwork(net, { inputShape: [2, 6, 6] });
    expect(g.edges.map(([, b]) => g.nodes[b].type)).toEqual(["Conv2d", "AvgPool2d", "Flatten", "Affine", "Output"]);
    expect(String((g.nodes["0"].metadata as Record<string, unknown>).exodus_batchnorm)).toMatch(/folded/);
    const path = join(tmp("exodus-nir-fold-"), "f.nir");
    await writeNir(path, g);
    const back = await importNirFile(path);
    const x = Tensor.from(Float32Array.from({ length: 5 * 3 * 2 * 36 }, () => (rng.uniform() < 0.4 ? 1 : 0)), [5, 3, 2, 6, 6]);
    const a = evalForward(net, x), b = evalForward(back.net, x);
    expect(a.some((v) => Math.abs(v) > 0.1)).toBe(true);
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5 * (1 + Math.abs(a[i])));
    // a wrong fold (γ ignored) would be far off: the tolerance sees the statistics
    bn2.weight!.value.set(Float32Array.from({ length: 4 }, () => 1));
    const c = evalForward(net, x);
    expect(Math.max(...a.map((v, i) => Math.abs(v - c[i])))).toBeGreaterThan(1e-2);
    net.dispose();
    back.net.dispose();
  });

  it("a SEW block (conv, BN, IF ×2, then the residual add) exports as summed edges and imports with the same outputs", async () => {
    const rng = new Rng(22);
    const unit = () => {
      const bn = new BatchNorm2d(3);
      randomStats(bn, rng);
      return [new Conv2d(3, 3, { kernel: 3, rng, initScale: 2 }), bn, new IAF({ threshold: 0.4, reset: "zero" })];
    };
    const stem = new BatchNorm2d(3);
    randomStats(stem, rng);
    const net = new Sequential(new Conv2d(2, 3, { kernel: 1, rng, initScale: 2 }), stem, new IAF({ threshold: 0.4, reset: "zero" }),
      new SEW(...unit(), ...unit()), new AvgPool2d(2), new Flatten(), new Linear(27, 4, { bias: true, rng }));
    const g = exportNetwork(net, { inputShape: [2, 6, 6] });
    const into = (n: string) => g.edges.filter(([, b]) => b === n).map(([a]) => a).sort();
    expect(g.nodes["3"].type).toBe("Scale"); // the SEW's sum: an identity fed by the block's input and output
    expect(into("3")).toEqual(["2", "3.block.5"]);
    const back = importNir(g);
    const x = Tensor.from(Float32Array.from({ length: 8 * 2 * 72 }, () => (rng.uniform() < 0.4 ? 1 : 0)), [8, 2, 2, 6, 6]);
    const a = evalForward(net, x), b = evalForward(back.net, x);
    expect(a.some((v) => v !== 0)).toBe(true);
    // the folded BN rounds differently: a spike may flip at a threshold; allow 2 % of the outputs
    const off = a.filter((v, i) => Math.abs(v - b[i]) > 1e-4 * (1 + Math.abs(v))).length;
    expect(off).toBeLessThanOrEqual(Math.ceil(0.02 * a.length));
    net.dispose();
    back.net.dispose();
  });

  it("subtractive reset: refused without the flag; with it the metadata records the true reset and exodus re-imports it exactly", async () => {
    const rng = new Rng(23);
    const bn = new BatchNorm1d(6);
    randomStats(bn, rng);
    const net = new Sequential(new Linear(5, 6, { rng, initScale: 3 }), bn, new LIF({ tauMem: 6, threshold: 0.5 }), new Linear(6, 3, { rng }));
    expect(() => exportNetwork(net, { inputShape: [5] })).toThrow(/layer 2 \(LIF\): subtractive reset .*--approximate-reset/);
    const path = join(tmp("exodus-nir-sub-"), "s.nir");
    await writeNir(path, exportNetwork(net, { inputShape: [5], approximateReset: true }));
    const g = await readNir(path);
    expect((g.nodes["2"].metadata as Record<string, unknown>).exodus_reset).toBe("subtract");
    const back = importNir(g);
    expect((back.net.layers[back.net.layers.length - 2] as LIF).reset).toBe("subtract");
    expect(() => exportNetwork(new Sequential(new Conv2d(1, 1, { kernel: 1 }), new MaxPool2d(2)), { inputShape: [1, 4, 4] })).toThrow(/layer 1 \(MaxPool2d\): no NIR node/);
    net.dispose();
    back.net.dispose();
  });
});
