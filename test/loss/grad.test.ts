// The loss tape's ∂loss/∂y against central finite differences of an independent float64 host
// implementation of each loss (and PyTorch autograd where /usr/bin/python3 has torch).
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { Rng, Tensor, losses, scope } from "../../lib/index.js";
import { maxRelError, randomArray } from "../helpers.js";
import { PY, hasTorch } from "../torch-python.js";

const [T, B, C] = [7, 3, 5];
const labels = [2, 0, 4];

// ---- float64 references ------------------------------------------------------------------------
type Readout = "sum" | "mean" | "max" | "last";
const at = (y: Float64Array, t: number, b: number, c: number) => y[(t * B + b) * C + c];

function membrane64(y: Float64Array, alpha: number): Float64Array {
  const v = Float64Array.from(y);
  for (let t = 1; t < T; t++) for (let i = 0; i < B * C; i++) v[t * B * C + i] += alpha * v[(t - 1) * B * C + i];
  return v;
}

function readout64(y: Float64Array, r: Readout): Float64Array {
  const s = new Float64Array(B * C);
  for (let b = 0; b < B; b++)
    for (let c = 0; c < C; c++) {
      let acc = r === "max" ? -Infinity : 0;
      for (let t = 0; t < T; t++) acc = r === "max" ? Math.max(acc, at(y, t, b, c)) : acc + at(y, t, b, c);
      s[b * C + c] = r === "mean" ? acc / T : r === "last" ? at(y, T - 1, b, c) : acc;
    }
  return s;
}

function ce64(s: Float64Array): number {
  let total = 0;
  for (let b = 0; b < B; b++) {
    const row = s.subarray(b * C, b * C + C);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    total += lse - row[labels[b]];
  }
  return total / B;
}

function spikeCount64(y: Float64Array, hi: number, lo: number): number {
  const s = readout64(y, "sum");
  let total = 0;
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) total += (s[b * C + c] - (c === labels[b] ? hi : lo) * T) ** 2;
  return (0.5 * total) / (B * C);
}

function fd(f: (y: Float64Array) => number, y0: Float32Array, h = 1e-5): Float64Array {
  const y = Float64Array.from(y0);
  const g = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    y[i] = v + h;
    const p = f(y);
    y[i] = v - h;
    const m = f(y);
    y[i] = v;
    g[i] = (p - m) / (2 * h);
  }
  return g;
}

function tapeGrad(y0: Float32Array, f: (y: losses.LossVar) => losses.LossScalar): { loss: number; dy: Float32Array } {
  return scope(() => {
    const y = Tensor.from(y0, [T, B, C]);
    const r = losses.lossGrad(y, f);
    return { loss: r.loss, dy: r.dy.toArray() };
  });
}

describe("losses: ∂loss/∂y against float64 finite differences", () => {
  const y0 = randomArray(new Rng(11), T * B * C, -1.5, 1.5);
  for (const r of ["sum", "mean", "max", "last"] as const) {
    it(`cross-entropy of the ${r} readout`, () => {
      const got = tapeGrad(y0, (y) => losses.crossEntropy(losses.overTime(r, y), labels));
      const ref = (y: Float64Array) => ce64(readout64(y, r));
      expect(got.loss).toBeCloseTo(ref(Float64Array.from(y0)), 5);
      const want = fd(ref, y0);
      expect(want.some((v) => Math.abs(v) > 1e-3)).toBe(true);
      expect(maxRelError(got.dy, want)).toBeLessThan(1e-4);
      if (r === "last" || r === "max") expect(got.dy.filter((v) => v === 0).length).toBeGreaterThan(T * B * C / 2); // sparse in time
    });
  }

  it("cross-entropy of the max over a leaky membrane (α = 0.8)", () => {
    const got = tapeGrad(y0, (y) => losses.crossEntropy(losses.maxOverTime(losses.membrane(y, { alpha: 0.8 })), labels));
    const ref = (y: Float64Array) => ce64(readout64(membrane64(y, 0.8), "max"));
    expect(got.loss).toBeCloseTo(ref(Float64Array.from(y0)), 5);
    expect(maxRelError(got.dy, fd(ref, y0))).toBeLessThan(1e-4);
  });

  it("cross-entropy of the last membrane potential (τ = 3) plus ½·MSE of the mean readout", () => {
    const target = randomArray(new Rng(3), B * C);
    const got = tapeGrad(y0, (y) =>
      losses.add(losses.crossEntropy(losses.lastStep(losses.membrane(y, { tau: 3 })), labels), losses.scale(losses.mse(losses.meanOverTime(y), target), 0.5)),
    );
    const a = Math.exp(-1 / 3);
    const ref = (y: Float64Array) => {
      const m = readout64(y, "mean");
      let se = 0;
      for (let i = 0; i < m.length; i++) se += (m[i] - target[i]) ** 2;
      return ce64(readout64(membrane64(y, a), "last")) + (0.5 * se) / m.length;
    };
    expect(got.loss).toBeCloseTo(ref(Float64Array.from(y0)), 5);
    expect(maxRelError(got.dy, fd(ref, y0))).toBeLessThan(1e-4);
  });

  it("the spike-count loss", () => {
    const counts = Float32Array.from(y0, (v) => Math.abs(v)); // counts are >= 0
    const got = tapeGrad(counts, (y) => losses.spikeCount(y, labels, { trueRate: 0.6, falseRate: 0.1 }));
    const ref = (y: Float64Array) => spikeCount64(y, 0.6, 0.1);
    expect(got.loss).toBeCloseTo(ref(Float64Array.from(counts)), 4);
    expect(maxRelError(got.dy, fd(ref, counts))).toBeLessThan(1e-4);
  });

  it("the ready-made crossEntropyLoss gives the same gradient and the scores, and frees its intermediates", () => {
    const y = Tensor.from(y0, [T, B, C]);
    const fn = losses.crossEntropyLoss({ readout: "max", membrane: { alpha: 0.9 } });
    const out = fn(y, labels);
    const ref = (v: Float64Array) => ce64(readout64(membrane64(v, 0.9), "max"));
    expect(maxRelError(out.dy.toArray(), fd(ref, y0))).toBeLessThan(1e-4);
    expect(out.scores!.shape).toEqual([B, C]);
    expect(maxRelError(out.scores!.toArray(), readout64(membrane64(Float64Array.from(y0), 0.9), "max"))).toBeLessThan(1e-6);
    expect(losses.correctCount(out, labels)).toBeGreaterThanOrEqual(0);
    out.dy.dispose();
    out.scores!.dispose();
    expect(y.disposed).toBe(false);
    y.dispose();
  });
});

describe("losses: label and shape errors", () => {
  const y = () => Tensor.zeros([T, B, C]);
  it("names the label, its row and the class count", () => {
    expect(() => losses.crossEntropyLoss()(y(), [2, 5, 1])).toThrow(/label 5 .* row 1 .*\[0, 5\) for 5 classes \(labels count from 0\)/);
    expect(() => losses.crossEntropyLoss()(y(), [2, -1, 1])).toThrow(/label -1 .* row 1/);
    expect(() => losses.crossEntropyLoss()(y(), [2, 1.5, 1])).toThrow(/label 1.5 .* row 1/);
    expect(() => losses.spikeCountLoss()(y(), [0, 1])).toThrow(/expected 3 labels/);
  });
  it("rejects an output that is not [T, B, C] and a second backward", () => {
    expect(() => losses.crossEntropyLoss()(Tensor.zeros([B, C]), labels)).toThrow(/expected scores \[B, classes\]/);
    const tape = new losses.LossTape();
    const v = tape.input(y());
    const l = losses.crossEntropy(losses.sumOverTime(v), labels);
    tape.backward(l, v).dispose();
    expect(() => tape.backward(l, v)).toThrow(/already run backward/);
    tape.dispose();
  });
});

describe("losses against PyTorch autograd", () => {
  it.skipIf(!hasTorch)("cross-entropy of max over a leaky membrane and the spike-count loss", () => {
    const y0 = randomArray(new Rng(21), T * B * C, -1, 1);
    const ce = tapeGrad(y0, (y) => losses.crossEntropy(losses.maxOverTime(losses.membrane(y, { alpha: 0.7 })), labels));
    const sc = tapeGrad(y0, (y) => losses.spikeCount(y, labels));
    const script = `
import json, sys, torch
d = json.loads(sys.stdin.read())
T, B, C = d["shape"]
labels = torch.tensor(d["labels"])
def grad(f):
    y = torch.tensor(d["y"], dtype=torch.float64).reshape(T, B, C).requires_grad_()
    l = f(y); l.backward()
    return [l.item(), y.grad.flatten().tolist()]
def ce(y):
    v, vs = torch.zeros_like(y[0]), []
    for t in range(T):
        v = 0.7 * v + y[t]; vs.append(v)
    return torch.nn.functional.cross_entropy(torch.stack(vs).max(0).values, labels)
def sc(y):
    target = torch.full((B, C), 0.05 * T, dtype=y.dtype); target[torch.arange(B), labels] = 0.5 * T
    return 0.5 * torch.nn.functional.mse_loss(y.sum(0), target)
print(json.dumps([grad(ce), grad(sc)]))
`;
    const r = spawnSync(PY, ["-c", script], { input: JSON.stringify({ shape: [T, B, C], labels, y: Array.from(y0) }), encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const [[ceLoss, ceGrad], [scLoss, scGrad]] = JSON.parse(r.stdout) as [number, number[]][];
    expect(ce.loss).toBeCloseTo(ceLoss, 5);
    expect(maxRelError(ce.dy, ceGrad)).toBeLessThan(1e-5);
    expect(sc.loss).toBeCloseTo(scLoss, 4);
    expect(maxRelError(sc.dy, scGrad)).toBeLessThan(1e-5);
  });
});
