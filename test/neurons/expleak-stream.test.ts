// ExpLeak against its reference (with ∂β), streaming in chunks ≡ one call, ExpLeak → LIF.
import { describe, expect, it } from "vitest";
import { Device } from "../../lib/device.js";
import { ExpLeak } from "../../lib/nn/expleak.js";
import { LIF } from "../../lib/nn/lif.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { firingInput, normal } from "./helpers.js";
import { expLeakBackwardRef, expLeakRef, relErr, spikeRate } from "./reference.js";

describe("ExpLeak", () => {
  const T = 200, B = 4, F = 8, N = B * F;
  const x = firingInput(new Rng(1), T, N, 0.1, 1);
  const g = normal(new Rng(2), T * N);
  for (const backward of ["exodus", "bptt"] as const)
    for (const beta of [0.9, [0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99, 1]]) {
      it(`${backward}, β = ${JSON.stringify(beta)}: output, ∂x and ∂β against the reference`, () => {
        const layer = new ExpLeak({ beta, learnBeta: true, backward, device: Device.cpu });
        const y = layer.forward(Tensor.from(x, [T, B, F], Device.cpu));
        const dx = layer.backward(Tensor.from(g, [T, B, F], Device.cpu));
        const b = Array.isArray(beta) ? beta : [beta];
        const bf = Float32Array.from(b);
        const cur = expLeakRef(T, N, bf, x);
        const r = expLeakBackwardRef(T, N, bf, cur, g);
        expect(relErr(y.toArray(), cur)).toBeLessThan(1e-5);
        expect(relErr(dx.toArray(), r.dx)).toBeLessThan(1e-5);
        expect(relErr(layer.parameters()[0].grad.toArray(), r.dbeta)).toBeLessThan(1e-5);
        layer.dispose();
      });
    }
});

describe("streaming", () => {
  it("LIF in chunks equals one call (spikes, potentials, final state)", () => {
    const T = 300, B = 2, F = 50, N = B * F;
    const x = firingInput(new Rng(9), T, N, 0.3, 0.8);
    const whole = new LIF({ tauMem: 20, device: Device.cpu, stateful: true });
    const sw = whole.forward(Tensor.from(x, [T, B, F], Device.cpu)).toArray();
    expect(spikeRate(sw)).toBeGreaterThan(0.05);
    const chunked = new LIF({ tauMem: 20, device: Device.cpu, stateful: true });
    const parts: number[] = [];
    for (const [a, b] of [[0, 70], [70, 71], [71, 230], [230, 300]]) {
      const s = chunked.forward(Tensor.from(x.subarray(a * N, b * N), [b - a, B, F], Device.cpu));
      parts.push(...s.toArray());
    }
    expect(parts).toEqual(Array.from(sw));
    expect(Array.from(chunked.state!.toArray())).toEqual(Array.from(whole.state!.toArray()));
    chunked.resetState();
    const again = chunked.forward(Tensor.from(x, [T, B, F], Device.cpu)).toArray();
    expect(Array.from(again)).toEqual(Array.from(sw));
    whole.dispose();
    chunked.dispose();
  });

  it("ExpLeak in chunks equals one call", () => {
    const T = 100, N = 20;
    const x = firingInput(new Rng(10), T, N, 0, 1);
    const whole = new ExpLeak({ tauSyn: 5, stateful: true, device: Device.cpu });
    const yw = whole.forward(Tensor.from(x, [T, N], Device.cpu)).toArray();
    const ch = new ExpLeak({ tauSyn: 5, stateful: true, device: Device.cpu });
    const y1 = ch.forward(Tensor.from(x.subarray(0, 40 * N), [40, N], Device.cpu)).toArray();
    const y2 = ch.forward(Tensor.from(x.subarray(40 * N), [60, N], Device.cpu)).toArray();
    expect([...y1, ...y2]).toEqual(Array.from(yw));
    whole.dispose();
    ch.dispose();
  });
});
