// A LIF/IAF layer and the AvgPool2d(2) (and Dropout) after it, fused into one scan (Sequential does it; the
// spikes are pooled in cache and never stored): the pooled output, the spike count, the input
// and state gradients equal the two layers run one after the other bit for bit, for EXODUS and
// SLAYER, at any thread count; Sequential and the trainer's forward use it and skip the
// pooling's backward.
import { afterAll, describe, expect, it } from "vitest";
import { Conv2d } from "../lib/nn/conv2d.js";
import { Dropout } from "../lib/nn/dropout.js";
import { Flatten } from "../lib/nn/flatten.js";
import { IAF, LIF } from "../lib/nn/lif.js";
import { Linear } from "../lib/nn/linear.js";
import { AvgPool2d } from "../lib/nn/pool.js";
import { Sequential } from "../lib/nn/sequential.js";
import { Rng } from "../lib/random.js";
import { runtimeInfo, setCpuThreads } from "../lib/runtime.js";
import { Tensor, scope } from "../lib/tensor.js";
import { forwardCounting, spikingLayers } from "../lib/train/diagnostics.js";
import * as ops from "../lib/ops.js";

const initialThreads = runtimeInfo().cpu.threads;
afterAll(() => setCpuThreads(initialThreads));

const uniform = (rng: Rng, shape: number[], lo = -1, hi = 1) => Tensor.from(rng.fillUniform(new Float32Array(shape.reduce((a, b) => a * b, 1)), lo, hi), shape);
const bits = (t: Tensor) => Array.from(new Uint32Array(t.toArray().buffer.slice(0)));

describe("neuron layer fused with AvgPool2d(2)", () => {
  const makers: [string, () => LIF][] = [
    ["IAF, EXODUS", () => new IAF({ threshold: 0.3 })],
    ["LIF, SLAYER", () => new LIF({ tauMem: 4, threshold: 0.4, backward: "slayer" })],
    ["IAF multi-spike, stateful", () => new IAF({ threshold: 0.25, spikeFn: "multi", maxSpikes: 3, stateful: true })],
  ];
  for (const [what, make] of makers)
    it(`equals the two layers one after the other, forward and backward (${what}, 1-3 threads)`, () => {
      const rng = new Rng(what.length);
      const [T, B, C, H, W] = [23, 3, 2, 6, 10];
      const x = uniform(rng, [T, B, C, H, W], -0.2, 0.6);
      const gp = uniform(rng, [T, B, C, H / 2, W / 2]);
      const ref = scope(() => {
        const n = make();
        const pool = new AvgPool2d(2);
        const s = n.forward(x);
        const y = pool.forward(s);
        const dx = n.backward(pool.backward(gp));
        return { y: bits(y), spikes: ops.sumAll(s), dx: bits(dx), dv0: bits(n.stateGrad!), state: n.state ? bits(n.state) : [] };
      });
      expect(ref.spikes).toBeGreaterThan(0);
      for (const threads of [1, 2, 3]) {
        setCpuThreads(threads);
        scope(() => {
          const n = make();
          expect(n.canFusePool2(x)).toBe(true);
          const out = n.forwardPool2(x);
          const y = out.x;
          expect(y.shape).toEqual([T, B, C, H / 2, W / 2]);
          expect(bits(y)).toEqual(ref.y);
          expect(out.spikeCount).toBe(ref.spikes);
          expect(n.state ? bits(n.state) : []).toEqual(ref.state);
          expect(bits(n.backward(gp))).toEqual(ref.dx);
          expect(bits(n.stateGrad!)).toEqual(ref.dv0);
          expect(() => n.backward(uniform(rng, [T, B, C, H, W]))).toThrow(/backward dy/);
        });
      }
      setCpuThreads(initialThreads);
    });

  it("with the Dropout after the pooling fused too, equals the three layers one after the other (1-3 threads)", () => {
    const rng = new Rng(17);
    const [T, B, C, H, W] = [19, 2, 3, 8, 32];
    const x = uniform(rng, [T, B, C, H, W], -0.2, 0.7);
    const gd = uniform(rng, [T, B, C, H / 2, W / 2]);
    const ref = scope(() => {
      const n = new IAF({ threshold: 0.3 });
      const pool = new AvgPool2d(2);
      const drop = new Dropout(0.3);
      drop.seed = 77;
      const y = drop.forward(pool.forward(n.forward(x)));
      const dx = n.backward(pool.backward(drop.backward(gd)));
      return { y: bits(y), dx: bits(dx), zeros: y.toArray().filter((v) => v === 0).length };
    });
    expect(ref.zeros).toBeGreaterThan(0);
    for (const threads of [1, 2, 3]) {
      setCpuThreads(threads);
      scope(() => {
        const n = new IAF({ threshold: 0.3 });
        expect(bits(n.forwardPool2(x, { p: 0.3, seed: 77 }).x)).toEqual(ref.y);
        expect(bits(n.backward(gd))).toEqual(ref.dx);
      });
    }
    setCpuThreads(initialThreads);
    expect(() => new IAF({ threshold: 0.3 }).forwardPool2(x, { p: 0.3, seed: -2 })).toThrow(/non-negative integer seed, received -2/);
  });

  it("is only offered where it applies, and refused with a clear message otherwise", () => {
    const rng = new Rng(3);
    expect(new IAF({ backward: "bptt" }).canFusePool2(uniform(rng, [4, 1, 1, 4, 4]))).toBe(false);
    expect(new IAF().canFusePool2(uniform(rng, [4, 1, 1, 5, 4]))).toBe(false);
    expect(new IAF().canFusePool2(uniform(rng, [2, 1, 1, 2, 258]))).toBe(false);
    expect(new IAF().canFusePool2(uniform(rng, [4, 2, 6]))).toBe(false);
    expect(() => new IAF().forwardPool2(uniform(rng, [4, 1, 1, 5, 4]))).toThrow(/IAF forwardPool2: expected .* even H and W <= 256, received \[4, 1, 1, 5, 4\]/);
  });

  it("Sequential and the trainer's forward run it, with the results of the layers run by hand", () => {
    const make = () => {
      const d = new Dropout(0.25);
      d.seed = 5;
      return [new Conv2d(2, 4, { seed: 1 }), new IAF({ threshold: 0.2 }), new AvgPool2d(2), d, new Flatten(), new Linear(4 * 4 * 4, 3, { seed: 2 })];
    };
    const rng = new Rng(6);
    const x = uniform(rng, [12, 2, 2, 8, 8], 0, 1);
    const dy = uniform(rng, [12, 2, 3]);
    const run = (net: Sequential, fwd: (n: Sequential) => Tensor) =>
      scope(() => {
        const y = fwd(net).toArray();
        net.backward(dy);
        return { y: Array.from(y), grads: net.parameters().map((p) => Array.from(p.grad.toArray())) };
      });
    const seq = new Sequential(...make());
    const viaNet = run(seq, (n) => n.forward(x));
    const spans: number[] = [];
    scope(() => new Sequential(...make()).forwardSteps({ x }, (_i, _out, span) => spans.push(span)));
    expect(spans).toEqual([1, 3, 1, 1]); // the IAF ran fused with the pooling and the dropout
    const layers = make();
    const byHand = scope(() => {
      let h = x;
      let spikes = 0;
      layers.forEach((l, i) => {
        h = l.forward(h);
        if (i === 1) spikes = ops.sumAll(h);
      });
      const y = Array.from(h.toArray());
      let g = dy;
      for (let i = layers.length - 1; i >= 0; i--) g = layers[i].backward(g);
      return { y, spikes, grads: layers.flatMap((l) => l.parameters()).map((p) => Array.from(p.grad.toArray())) };
    });
    expect(byHand.spikes).toBeGreaterThan(0);
    expect(viaNet.y).toEqual(byHand.y);
    expect(viaNet.grads).toEqual(byHand.grads);
    const counted = new Sequential(...make());
    const c = scope(() => {
      const r = forwardCounting(counted, x, spikingLayers(counted));
      return { y: Array.from(r.y.toArray()), spikes: r.spikes, possible: r.possible };
    });
    expect(c.y).toEqual(viaNet.y);
    expect(c.spikes[0]).toBe(byHand.spikes); // the fused scan's count, its spikes never stored
    expect(c.possible[0]).toBe(12 * 2 * 4 * 8 * 8);
    // In evaluation the dropout is the identity, fused or not.
    const evalNet = new Sequential(...make());
    evalNet.eval();
    const evalHand = make();
    for (const l of evalHand) l.eval();
    const ye = scope(() => Array.from(evalNet.forward(x).toArray()));
    const yh = scope(() => {
      let h = x;
      for (const l of evalHand) h = l.forward(h);
      return Array.from(h.toArray());
    });
    expect(ye).toEqual(yh);
  });

  it("a planned fusion whose input does not allow it runs the layers one by one, with the same results", () => {
    // W = 6, H = 5: odd, so the IAF cannot pool in its scan; the plan's group falls back.
    const make = () => {
      const d = new Dropout(0.25);
      d.seed = 9;
      return [new Conv2d(2, 3, { seed: 1 }), new IAF({ threshold: 0.2 }), new AvgPool2d(2), d, new Flatten(), new Linear(3 * 2 * 3, 4, { seed: 2 })];
    };
    const rng = new Rng(12);
    const x = uniform(rng, [7, 2, 2, 5, 6], 0, 1);
    const dy = uniform(rng, [7, 2, 4]);
    const seq = new Sequential(...make());
    expect(seq.plan.map((st) => st.span)).toEqual([1, 3, 1, 1]);
    const spans: number[] = [];
    const viaNet = scope(() => {
      const y = Array.from(seq.forwardSteps({ x }, (_i, _out, span) => spans.push(span)).x.toArray());
      seq.backward(dy);
      return { y, grads: seq.parameters().map((p) => Array.from(p.grad.toArray())) };
    });
    expect(spans).toEqual([1, 1, 1, 1, 1, 1]);
    const layers = make();
    const byHand = scope(() => {
      let h = x;
      for (const l of layers) h = l.forward(h);
      const y = Array.from(h.toArray());
      let g = dy;
      for (let i = layers.length - 1; i >= 0; i--) g = layers[i].backward(g);
      return { y, grads: layers.flatMap((l) => l.parameters()).map((p) => Array.from(p.grad.toArray())) };
    });
    expect(viaNet.y.some((v) => v !== 0)).toBe(true);
    expect(viaNet).toEqual(byHand);
  });
});
