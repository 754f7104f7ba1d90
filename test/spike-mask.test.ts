// The spike bitmask a LIF/IAF scan packs in its own forward pass (lif_forward_masked, exodus/host_ops.h): it marks
// exactly the nonzero outputs, leaves the outputs bit for bit as they were, and a Sequential
// hands it to the next Linear layer, whose spike index then reads the spikes at their nonzeros
// only: the trained results equal those of the same layers run one by one without masks.
import { afterAll, describe, expect, it } from "vitest";
import { ALIF } from "../lib/nn/alif.js";
import { IAF, LIF } from "../lib/nn/lif.js";
import { Linear } from "../lib/nn/linear.js";
import { Sequential } from "../lib/nn/sequential.js";
import { native } from "../lib/native.js";
import { Rng } from "../lib/random.js";
import { runtimeInfo, setCpuThreads } from "../lib/runtime.js";
import { SpikeIndex } from "../lib/sparse.js";
import { Tensor, scope } from "../lib/tensor.js";
import { forwardCounting, spikingLayers } from "../lib/train/diagnostics.js";

const initialThreads = runtimeInfo().cpu.threads;
afterAll(() => setCpuThreads(initialThreads));

const uniform = (rng: Rng, shape: number[], lo = -1, hi = 1) => Tensor.from(rng.fillUniform(new Float32Array(shape.reduce((a, b) => a * b, 1)), lo, hi), shape);

function bits(mask: Uint8Array, n: number): number[] {
  return Array.from({ length: n }, (_, i) => (mask[i >> 3] >> (i & 7)) & 1);
}

describe("spike bitmask from the neuron scan", () => {
  for (const make of [() => new LIF({ tauMem: 5, threshold: 0.5 }), () => new IAF({ threshold: 0.4, spikeFn: "multi", maxSpikes: 3 }), () => new ALIF({ tauMem: 5, threshold: 0.4, beta: 0.5 })])
    it(`marks exactly the nonzero outputs and changes none (${make().name}, 1-3 threads)`, () => {
      const rng = new Rng(11);
      const [T, B, F] = [37, 5, 24];
      const x = uniform(rng, [T, B, F], -0.3, 1);
      const plain = make();
      const ref = plain.forward(x).toArray();
      expect(ref.some((v) => v !== 0) && ref.some((v) => v === 0)).toBe(true);
      for (const threads of [1, 2, 3]) {
        setCpuThreads(threads);
        const layer = make();
        const out = layer.forwardActivation({ x }, { mask: true });
        const s = out.x.toArray();
        expect(Array.from(s)).toEqual(Array.from(ref));
        expect(bits(out.mask!, T * B * F)).toEqual(Array.from(ref, (v) => (v !== 0 ? 1 : 0)));
      }
      setCpuThreads(initialThreads);
    });

  it("emits no mask when N is not a multiple of 8 or nobody asked", () => {
    const x = uniform(new Rng(2), [10, 3, 5], 0, 1);
    const a = new LIF();
    expect(a.forwardActivation({ x }, { mask: true }).mask).toBeUndefined(); // N = 15
    const b = new LIF();
    const out = b.forwardActivation({ x: uniform(new Rng(2), [10, 2, 8], 0, 1) });
    expect(out.mask).toBeUndefined();
    expect(out.x.shape).toEqual([10, 2, 8]);
  });

  it("builds the same index from the mask as from a scan of the spikes", () => {
    const rng = new Rng(5);
    const [T, B, F] = [50, 6, 40];
    const lif = new LIF({ tauMem: 4, threshold: 0.3 });
    const out = lif.forwardActivation({ x: uniform(rng, [T, B, F], -0.2, 1) }, { mask: true });
    const s = out.x.reshape([T * B, F]);
    const w = uniform(rng, [12, F]), g = uniform(rng, [T * B, 12]);
    const [a, b] = [new SpikeIndex(), new SpikeIndex()];
    expect(a.build(s, T * B, F, 1, out.mask)).toBe(b.build(s, T * B, F));
    expect(Array.from(a.linear(w).toArray())).toEqual(Array.from(b.linear(w).toArray()));
    const [da, db] = [Tensor.zeros([12, F]), Tensor.zeros([12, F])];
    a.linearWeightGrad(g, da);
    b.linearWeightGrad(g, db);
    expect(Array.from(da.toArray())).toEqual(Array.from(db.toArray()));
  });

  it("a Sequential passes it to the next Linear, with the same forward and gradients as the layers run one by one", () => {
    const make = () => [new Linear(16, 32, { seed: 1 }), new LIF({ tauMem: 6, threshold: 0.5 }), new Linear(32, 24, { seed: 2 }), new LIF({ tauMem: 6, threshold: 0.4 }), new Linear(24, 5, { seed: 3 })];
    const rng = new Rng(8);
    const x = uniform(rng, [30, 4, 16], 0, 1.5);
    const dy = uniform(rng, [30, 4, 5]);
    const net = new Sequential(...make());
    const viaNet = scope(() => {
      const y = net.forward(x).toArray();
      net.backward(dy);
      return { y, grads: net.parameters().map((p) => Array.from(p.grad.toArray())) };
    });
    // The plan asks both LIF layers for a mask, and they hand one on. Each runs as one step with
    // the Linear before it (test/nn/linear-lif-fused.test.ts), where the Linear's product allows.
    expect(net.plan.map((s) => [s.start, s.packMask])).toEqual([[0, true], [2, true], [4, false]]);
    const masks: [number, boolean][] = [];
    scope(() => new Sequential(...make()).forwardSteps({ x }, (i, out) => masks.push([i, out.mask !== undefined])));
    expect(masks.filter(([i]) => i % 2 === 1)).toEqual([[1, true], [3, true]]);
    const layers = make();
    const byHand = scope(() => {
      let h = x;
      for (const l of layers) h = l.forward(h);
      const y = h.toArray();
      let g = dy;
      for (let i = layers.length - 1; i >= 0; i--) g = layers[i].backward(g);
      return { y, grads: layers.flatMap((l) => l.parameters()).map((p) => Array.from(p.grad.toArray())) };
    });
    // The trainer's forward (with spike counts for the report) hands masks on the same way.
    const counted = new Sequential(...make());
    const viaTrainer = scope(() => Array.from(forwardCounting(counted, x, spikingLayers(counted)).y.toArray()));
    expect(viaTrainer).toEqual(Array.from(viaNet.y));
    expect(Array.from(viaNet.y)).toEqual(Array.from(byHand.y));
    // A fused Linear → LIF backward sums ∂W and ∂b in its own order: equal up to float rounding
    viaNet.grads.forEach((g, k) => {
      const scale = Math.max(...byHand.grads[k].map(Math.abs));
      expect(scale, `gradient ${k} is not all zeros`).toBeGreaterThan(0);
      expect(Math.max(...g.map((v, i) => Math.abs(v - byHand.grads[k][i]))), `gradient ${k}`).toBeLessThanOrEqual(1e-5 * scale);
    });
  });

  it("rejects a mask it cannot fill, naming the field", () => {
    const lif = new LIF();
    const x = uniform(new Rng(3), [4, 12], 0, 1);
    const args = (N: number, mask: Uint8Array) => ({
      T: 4, N, P: 1, reset: 0, multiSpike: false, maxSpikes: 0, normInput: false, surrogate: 0, sgScale: 1, sgWidth: 1,
      x, alpha: Tensor.full([1], 0.9), theta: Tensor.full([1], 1), m: Tensor.full([1], 1), state: Tensor.zeros([N]), s: Tensor.empty([4, N]), v: Tensor.empty([4, N]), mask,
    });
    expect(() => native().lifForward(args(12, new Uint8Array(8)))).toThrow(/lifForward: mask needs N to be a multiple of 8, received N = 12/);
    const x8 = uniform(new Rng(3), [4, 16], 0, 1);
    expect(() => native().lifForward({ ...args(16, new Uint8Array(7)), x: x8 })).toThrow(/lifForward: mask must have ceil\(T·N \/ 64\)·8 bytes/);
    lif.dispose();
  });
});
