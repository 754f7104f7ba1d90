// Linear and Sequential gradients against a float64 reference of the whole network, invalid
// options, and CUDA ≡ CPU for every neuron kernel (skipped without a GPU).
import { describe, expect, it } from "vitest";
import { Device, cudaAvailable } from "../../lib/device.js";
import { ExpLeak } from "../../lib/nn/expleak.js";
import { IAF, LIF } from "../../lib/nn/lif.js";
import { Linear } from "../../lib/nn/linear.js";
import { Sequential } from "../../lib/nn/sequential.js";
import { SRM } from "../../lib/nn/srm.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { firingInput, normal } from "./helpers.js";
import { type LifRefParams, lifBackwardRef, lifForwardRef, relErr, spikeRate } from "./reference.js";

function matmulRef(x: ArrayLike<number>, rows: number, K: number, W: ArrayLike<number>, M: number, b?: ArrayLike<number>): Float64Array {
  const y = new Float64Array(rows * M);
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < M; j++) {
      let s = b ? b[j] : 0;
      for (let k = 0; k < K; k++) s += x[r * K + k] * W[j * K + k];
      y[r * M + j] = s;
    }
  return y;
}

describe("Linear", () => {
  it("forward, ∂x, ∂W and ∂b against the float64 reference", () => {
    const rows = 37, K = 19, M = 11;
    const rng = new Rng(3);
    const lin = new Linear(K, M, { seed: 4, device: Device.cpu });
    const x = normal(rng, rows * K), dy = normal(rng, rows * M);
    const W = lin.weight.value.toArray(), b = lin.bias!.value.toArray();
    const y = lin.forward(Tensor.from(x, [rows, K], Device.cpu));
    expect(relErr(y.toArray(), matmulRef(x, rows, K, W, M, b))).toBeLessThan(1e-5);
    const dx = lin.backward(Tensor.from(dy, [rows, M], Device.cpu));
    // ∂x = dy·W, ∂W = dyᵀ·x, ∂b = Σ dy
    const Wt = new Float64Array(K * M);
    for (let j = 0; j < M; j++) for (let k = 0; k < K; k++) Wt[k * M + j] = W[j * K + k];
    expect(relErr(dx.toArray(), matmulRef(dy, rows, M, Wt, K))).toBeLessThan(1e-5);
    const dW = new Float64Array(M * K), db = new Float64Array(M);
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < M; j++) {
        db[j] += dy[r * M + j];
        for (let k = 0; k < K; k++) dW[j * K + k] += dy[r * M + j] * x[r * K + k];
      }
    expect(relErr(lin.weight.grad.toArray(), dW)).toBeLessThan(1e-5);
    expect(relErr(lin.bias!.grad.toArray(), db)).toBeLessThan(1e-5);
    // gradients accumulate until zeroGrad
    lin.forward(Tensor.from(x, [rows, K], Device.cpu));
    lin.backward(Tensor.from(dy, [rows, M], Device.cpu));
    expect(relErr(lin.weight.grad.toArray(), dW.map((v) => 2 * v))).toBeLessThan(1e-5);
    lin.zeroGrad();
    expect(Math.max(...lin.weight.grad.toArray().map(Math.abs))).toBe(0);
    lin.dispose();
  });
});

describe("Sequential", () => {
  it("Linear → LIF → Linear: weight gradients match a float64 reference of the network, for exodus and bptt", () => {
    const T = 80, B = 3, I = 10, H = 16, O = 4;
    const rng = new Rng(21);
    const x = firingInput(rng, T, B * I, 0.5, 1);
    const dy = normal(rng, T * B * O);
    const results: Record<string, Float32Array[]> = {};
    for (const backward of ["exodus", "bptt"] as const) {
      const l1 = new Linear(I, H, { seed: 1, bias: false, initScale: 2, device: Device.cpu });
      const lif = new LIF({ tauMem: 10, threshold: 1, backward, device: Device.cpu });
      const l2 = new Linear(H, O, { seed: 2, device: Device.cpu });
      const net = new Sequential(l1, lif, l2);
      const out = net.forward(Tensor.from(x, [T, B, I], Device.cpu));
      expect(out.shape).toEqual([T, B, O]);
      const dx = net.backward(Tensor.from(dy, [T, B, O], Device.cpu));
      results[backward] = [l1.weight.value.toArray(), l2.weight.value.toArray(), l2.bias!.value.toArray(),
        l1.weight.grad.toArray(), l2.weight.grad.toArray(), dx.toArray()];
      expect(net.parameters().map((p) => p.name)).toEqual(["0.weight", "2.weight", "2.bias"]);
      net.dispose();
    }
    const [W1, W2, b2, dW1, dW2, dx] = results.exodus;
    // float64 reference: a1 = x·W1ᵀ, s = LIF(a1), y = s·W2ᵀ + b2
    const a1 = matmulRef(x, T * B, I, W1, H);
    const p: LifRefParams = { T, N: B * H, alpha: [Math.exp(-1 / 10)], theta: [1], m: [1], reset: "subtract",
      sg: { name: "exponential", scale: 1, width: 0.5 } };
    const f = lifForwardRef(p, a1);
    expect(spikeRate(f.s)).toBeGreaterThan(0.05);
    const W2t = new Float64Array(H * O);
    for (let j = 0; j < O; j++) for (let k = 0; k < H; k++) W2t[k * O + j] = W2[j * H + k];
    const ds = matmulRef(dy, T * B, O, W2t, H);
    const dW2r = new Float64Array(O * H);
    for (let r = 0; r < T * B; r++) for (let j = 0; j < O; j++) for (let k = 0; k < H; k++) dW2r[j * H + k] += dy[r * O + j] * f.s[r * H + k];
    const da1 = lifBackwardRef(p, f, a1, ds).dx;
    const dW1r = new Float64Array(H * I);
    for (let r = 0; r < T * B; r++) for (let j = 0; j < H; j++) for (let k = 0; k < I; k++) dW1r[j * I + k] += da1[r * H + j] * x[r * I + k];
    void b2;
    expect(relErr(dW2, dW2r)).toBeLessThan(1e-5);
    expect(relErr(dW1, dW1r)).toBeLessThan(1e-4);
    expect(relErr(results.bptt[3], dW1)).toBeLessThan(1e-5);
    expect(relErr(results.bptt[4], dW2)).toBeLessThan(1e-5);
    expect(relErr(results.bptt[5], dx)).toBeLessThan(1e-5);
  });
});

describe("invalid options are rejected with clear messages", () => {
  const cpu = Device.cpu;
  const cases: [string, () => unknown, RegExp][] = [
    ["multi-spike with zero reset", () => new LIF({ spikeFn: "multi", reset: "zero", device: cpu }), /multi-spike with zero reset is ill-defined/],
    ["alpha out of range", () => new LIF({ alpha: 1.5, device: cpu }), /LIF alpha: expected a decay in \(0, 1\], received 1.5/],
    ["negative tau", () => new LIF({ tauMem: -3, device: cpu }), /LIF tauMem: expected a finite number > 0, received -3/],
    ["both alpha and tauMem", () => new LIF({ alpha: 0.9, tauMem: 10, device: cpu }), /either alpha or tauMem/],
    ["unknown surrogate", () => new LIF({ surrogate: { name: "relu" as never }, device: cpu }), /surrogate.name: expected one of "exponential"/],
    ["unknown backward", () => new LIF({ backward: "adjoint" as never, device: cpu }), /LIF backward: expected one of "exodus", "slayer", "bptt", received "adjoint"/],
    ["unknown option", () => new LIF({ tau: 3 } as never), /LIF options: expected only known options/],
    ["maxSpikes without multi", () => new LIF({ maxSpikes: 2, device: cpu }), /maxSpikes: expected no value unless spikeFn is "multi"/],
    ["zero threshold", () => new LIF({ threshold: 0, device: cpu }), /LIF threshold: expected a finite number > 0, received 0/],
    ["IAF with alpha", () => new IAF({ alpha: 0.9 } as never), /IAF alpha: expected no value/],
    ["ExpLeak without beta", () => new ExpLeak({ device: cpu }), /ExpLeak options: expected beta or tauSyn/],
    ["SRM empty epsilon", () => new SRM({ epsilon: [], device: cpu }), /SRM epsilon: expected an array of at least 1 numbers/],
    ["Linear bad size", () => new Linear(0, 3, { device: cpu }), /Linear inFeatures: expected an integer >= 1, received 0/],
  ];
  for (const [label, f, re] of cases) it(label, () => expect(f).toThrow(re));

  it("input shapes and per-neuron parameter sizes", () => {
    const lif = new LIF({ alpha: [0.9, 0.8, 0.7], device: cpu });
    expect(() => lif.forward(Tensor.zeros([10], cpu))).toThrow(/expected a time-major input \[T, batch, …\], received \[10\]/);
    expect(() => lif.forward(Tensor.zeros([10, 2, 4], cpu))).toThrow(/per-neuron parameters of 3 values do not tile the 8 neurons/);
    expect(() => lif.backward(Tensor.zeros([10, 2, 3], cpu))).toThrow(/without a forward/);
    lif.forward(Tensor.full([10, 2, 3], 0.5, cpu));
    expect(() => lif.backward(Tensor.zeros([10, 2, 4], cpu))).toThrow(/LIF backward dy: expected shape \[10, 2, 3\], received \[10, 2, 4\]/);
    lif.dispose();
  });
});

describe.skipIf(!cudaAvailable())("CUDA ≡ CPU", () => {
  const T = 200, B = 4, F = 64, N = B * F;
  const x = firingInput(new Rng(31), T, N, 0.3, 0.8);
  const g = normal(new Rng(32), T * N);
  const run = (make: (d: Device) => LIF | SRM | ExpLeak, d: Device) => {
    const layer = make(d);
    const s = layer.forward(Tensor.from(x, [T, B, F], d));
    const dx = layer.backward(Tensor.from(g, [T, B, F], d));
    const out = [s.toArray(), dx.toArray(), ...layer.parameters().map((p) => p.grad.toArray())];
    layer.dispose();
    return out;
  };
  const makers: [string, (d: Device) => LIF | SRM | ExpLeak][] = [];
  for (const backward of ["exodus", "slayer", "bptt"] as const) {
    makers.push([`LIF ${backward}`, (d) => new LIF({ tauMem: 20, learnAlpha: true, backward, device: d })]);
    makers.push([`LIF zero reset vMin ${backward}`, (d) => new LIF({ tauMem: 20, reset: "zero", vMin: -0.5, surrogate: "fast_sigmoid", backward, device: d })]);
    makers.push([`SRM ${backward}`, (d) => new SRM({ tauSr: 3, tauRef: 2, backward, device: d })]);
  }
  makers.push(["ExpLeak", (d) => new ExpLeak({ tauSyn: 5, learnBeta: true, device: d })]);
  for (const [label, make] of makers)
    it(label, () => {
      const cpu = run(make, Device.cpu);
      const gpu = run(make, Device.cuda(0));
      expect(gpu[0]).toEqual(cpu[0]);
      for (let i = 1; i < cpu.length; i++) expect(relErr(gpu[i], cpu[i])).toBeLessThan(1e-5);
    });
});
