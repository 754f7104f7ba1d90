// A Linear over a spike index and the LIF/IAF after it run as one step (Sequential's Linear →
// neuron step): the forward scan computes the product row block by row block and never stores it
// (lif_forward_linear); the reverse scan takes the Linear's backward from ∂L/∂x in cache
// (lif_backward_linear). The spikes, membranes and the input gradient must equal, bit for bit,
// the same layers run one by one; ∂W and ∂b, summed in another order, must be near their float64
// sums and the same at 1 and 2 threads. Random inputs, ragged batches, widths that are and are not
// multiples of 8, the compact surrogates and SLAYER; options the fused scans cannot take fall back.
import { afterAll, describe, expect, it } from "vitest";
import { IAF, LIF, type LIFOptions } from "../../lib/nn/lif.js";
import { Linear } from "../../lib/nn/linear.js";
import type { Module } from "../../lib/nn/module.js";
import { Sequential } from "../../lib/nn/sequential.js";
import { buildPlan } from "../../lib/nn/plan.js";
import { Rng } from "../../lib/random.js";
import { runtimeInfo, setCpuThreads } from "../../lib/runtime.js";
import { Tensor, scope } from "../../lib/tensor.js";
import { native } from "../../lib/native.js";

// Counts the fused scans that ran, so that a test of bit equality cannot pass by never fusing.
let fusedScans = 0;
{
  const addon = native();
  const scan = addon.lifForwardLinear.bind(addon);
  addon.lifForwardLinear = (o) => {
    fusedScans++;
    return scan(o);
  };
}

const initialThreads = runtimeInfo().cpu.threads;
afterAll(() => setCpuThreads(initialThreads));

/** Spikes at `density` (values 1, or event counts 1-3 when `counts`). */
function spikes(rng: Rng, shape: number[], density: number, counts = false): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const u = rng.fillUniform(new Float32Array(n), 0, 1);
  const c = rng.fillUniform(new Float32Array(n), 0, 1);
  return Tensor.from(u.map((v, i) => (v < density ? (counts ? 1 + Math.floor(3 * c[i]) : 1) : 0)), shape);
}

interface Run {
  out: Float32Array;
  hidden: Float32Array[];
  membranes: Float32Array[];
  /** Per layer, its parameters' gradients. */
  grads: Float32Array[][];
  dx: Float32Array;
  /** Layer by layer only: each Linear's input and the ∂L/∂y its backward took, for the float64 reference. */
  linears: { i: number; x: Float32Array; dy: Float32Array; layer: Linear }[];
}

/** Forward and backward of the net, as the Sequential's plan runs it or one layer at a time. */
function run(layers: Module[], x: Tensor, dy: Tensor, fused: boolean): Run {
  return scope(() => {
    const hidden: Float32Array[] = [];
    let y: Tensor;
    const net = new Sequential(...layers);
    const inputs: Float32Array[] = [];
    if (fused) {
      y = net.forwardSteps({ x }, (i, out) => {
        if (layers[i] instanceof LIF) hidden.push(out.x.toArray());
      }).x;
    } else {
      y = x;
      for (const l of layers) {
        inputs.push(y.toArray());
        y = l.forward(y);
        if (l instanceof LIF) hidden.push(y.toArray());
      }
    }
    const membranes = layers.filter((l): l is LIF => l instanceof LIF).map((l) => l.membrane!.toArray());
    let g = dy;
    const linears: Run["linears"] = [];
    if (fused) g = net.backward(dy);
    else
      for (let i = layers.length - 1; i >= 0; i--) {
        const l = layers[i];
        if (l instanceof Linear) linears.unshift({ i, x: inputs[i], dy: g.toArray(), layer: l });
        g = l.backward(g);
      }
    const grads = layers.map((l) => l.parameters().map((p) => p.grad.toArray()));
    return { out: y.toArray(), hidden, membranes, grads, dx: g.toArray(), linears };
  });
}

const same = (p: Float32Array, q: Float32Array) => p.length === q.length && Buffer.from(p.buffer, p.byteOffset, p.byteLength).equals(Buffer.from(q.buffer, q.byteOffset, q.byteLength));

/** The forward (spikes, membranes, output) and the input gradient bit for bit; the parameter gradients too when `grads`. */
function expectSame(a: Run, b: Run, what: string, grads = true): void {
  expect(same(a.out, b.out), `${what}: output`).toBe(true);
  a.hidden.forEach((h, i) => expect(same(h, b.hidden[i]), `${what}: spikes of neuron layer ${i}`).toBe(true));
  a.membranes.forEach((m, i) => expect(same(m, b.membranes[i]), `${what}: membrane of neuron layer ${i}`).toBe(true));
  expect(same(a.dx, b.dx), `${what}: input gradient`).toBe(true);
  if (grads) a.grads.flat().forEach((g, i) => expect(same(g, b.grads.flat()[i]), `${what}: parameter gradient ${i}`).toBe(true));
}

/**
 * Each Linear's ∂W and ∂b of `run` against the float64 sums Σ_rows ∂y ⊗ x (∂y, x from the layer by
 * layer run `ref`, whose ∂y the fused backward reproduces bit for bit): within 2e-5 of the sum of
 * the terms' magnitudes (float32 sums of up to T·B terms in any order), element by element.
 */
function expectNearFloat64(run: Run, ref: Run, what: string): void {
  for (const { i, x, dy, layer } of ref.linears) {
    const [out, F] = [layer.outFeatures, layer.inFeatures];
    const rows = x.length / F;
    const [dw, db] = run.grads[i];
    let worst = 0;
    for (let o = 0; o < out; o++) {
      for (let f = 0; f < F; f++) {
        let sum = 0, mag = 0;
        for (let r = 0; r < rows; r++) {
          const t = dy[r * out + o] * x[r * F + f];
          sum += t;
          mag += Math.abs(t);
        }
        worst = Math.max(worst, Math.abs(dw[o * F + f] - sum) / (2e-5 * mag + 1e-30));
      }
      if (db) {
        let sum = 0, mag = 0;
        for (let r = 0; r < rows; r++) (sum += dy[r * out + o]), (mag += Math.abs(dy[r * out + o]));
        worst = Math.max(worst, Math.abs(db[o] - sum) / (2e-5 * mag + 1e-30));
      }
    }
    expect(worst, `${what}: ${layer.describe()} ∂W/∂b error over its bound`).toBeLessThanOrEqual(1);
  }
}

type Shape = { T: number; B: number; sizes: number[]; density: number; counts?: boolean; bias?: boolean };
const shapes: Shape[] = [
  { T: 40, B: 5, sizes: [30, 32, 24, 6], density: 0.1 },
  { T: 23, B: 3, sizes: [17, 13, 20, 3], density: 0.2, counts: true, bias: false }, // widths not multiples of 8, event counts, no bias
  { T: 12, B: 7, sizes: [9, 128, 40, 5], density: 0.2 }, // SHD's hidden width, a ragged batch
];

function layersFor(s: Shape, neuron: (k: number, width: number) => LIF): Module[] {
  const layers: Module[] = [];
  for (let k = 0; k + 1 < s.sizes.length; k++) {
    layers.push(new Linear(s.sizes[k], s.sizes[k + 1], { seed: 10 + k, initScale: 2.5, bias: s.bias ?? true }));
    if (k + 2 < s.sizes.length) layers.push(neuron(k, s.sizes[k + 1]));
  }
  return layers;
}

describe("Linear → LIF fused scans", () => {
  // [name, the neuron layer k, whether it fuses]
  const neurons: [string, (k: number, width: number) => LIF, boolean][] = [
    ["LIF exodus, exponential", (k) => new LIF({ tauMem: 5 + k, threshold: 0.5 }), true],
    ["LIF exodus, triangle", (k) => new LIF({ tauMem: 6, threshold: 0.4 + 0.1 * k, surrogate: "triangle" }), true],
    ["LIF slayer, rectangle", (k) => new LIF({ tauMem: 4, threshold: 0.5, surrogate: "rectangle", backward: "slayer" }), true],
    ["IAF, off the plain scan (zero reset, vMin)", (k) => new IAF({ threshold: 0.6 + 0.1 * k, reset: "zero", vMin: -1 }), true],
    ["LIF, per-neuron thresholds, multi-spike", (k, n) => new LIF({ tauMem: 5, threshold: Array.from({ length: n }, (_, i) => 0.3 + 0.01 * i + 0.1 * k), spikeFn: "multi" }), true],
    ["LIF normInput, learned α (not fused: it keeps its input)", (k) => new LIF({ tauMem: 5, normInput: true, learnAlpha: true, threshold: 0.3 + 0.05 * k }), false],
    ["LIF bptt (not fused)", (k) => new LIF({ tauMem: 5, threshold: 0.4 + 0.1 * k, backward: "bptt", recordV: true }), false],
  ];
  for (const s of shapes)
    for (const [name, neuron, fuses] of neurons)
      it(`equals the layers run one by one: ${name}, T ${s.T}, B ${s.B}, sizes ${s.sizes.join("→")}, 1 and 2 threads`, () => {
        const rng = new Rng(s.T * 7 + s.B);
        const x = spikes(rng, [s.T, s.B, s.sizes[0]], s.density, s.counts);
        const dy = Tensor.from(rng.fillNormal(new Float32Array(s.T * s.B * s.sizes[s.sizes.length - 1]), 0, 1), [s.T, s.B, s.sizes[s.sizes.length - 1]]);
        setCpuThreads(1);
        const ref = run(layersFor(s, neuron), x, dy, false);
        expect(ref.hidden.every((h) => h.some((v) => v !== 0) && h.some((v) => v === 0)), "every hidden layer spikes, not always").toBe(true);
        const runs: Run[] = [];
        for (const threads of [1, 2]) {
          setCpuThreads(threads);
          const before = fusedScans;
          const r = run(layersFor(s, neuron), x, dy, true);
          // the input layer is sparse; a hidden layer fuses too where its spikes were sparse enough to index
          expect(fusedScans - before >= 1, "fused scans that ran").toBe(fuses);
          // ∂W and ∂b are summed in another order when fused: near the float64 sums, and the same at any thread count
          expectSame(r, ref, `${threads} threads`, !fuses);
          expectNearFloat64(r, ref, `${threads} threads`);
          runs.push(r);
        }
        runs[1].grads.flat().forEach((g, i) => expect(same(g, runs[0].grads.flat()[i]), `parameter gradient ${i} at 1 and 2 threads`).toBe(true));
        expectNearFloat64(ref, ref, "layer by layer"); // the bound holds for the Linear's own order too
        setCpuThreads(initialThreads);
      });
});

describe("the plan", () => {
  it("pairs each Linear with the LIF after it, not a LIF that pools, and not bptt or a learned α with normInput", () => {
    const plan = buildPlan([new Linear(4, 8), new LIF(), new Linear(8, 8), new LIF({ backward: "bptt" }), new Linear(8, 8), new LIF({ normInput: true, learnAlpha: true, tauMem: 3 }), new Linear(8, 2)]);
    expect(plan.map((p) => [p.start, p.span, !!p.linear])).toEqual([[0, 2, true], [2, 1, false], [3, 1, false], [4, 1, false], [5, 1, false], [6, 1, false]]);
  });

  it("a product wider than 512 or a dense input runs the layers one by one, with the same results", () => {
    const opts: LIFOptions = { tauMem: 5, threshold: 0.5 };
    for (const [F, out, density] of [[20, 520, 0.1], [20, 16, 0.9]] as const) {
      const rng = new Rng(F + out);
      const x = spikes(rng, [6, 3, F], density);
      const dy = Tensor.from(rng.fillNormal(new Float32Array(6 * 3 * 4), 0, 1), [6, 3, 4]);
      const make = () => [new Linear(F, out, { seed: 1, initScale: 3 }), new LIF(opts), new Linear(out, 4, { seed: 2 })];
      expectSame(run(make(), x, dy, true), run(make(), x, dy, false), `F ${F}, out ${out}, density ${density}`);
    }
  });
});
