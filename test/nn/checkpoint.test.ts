// What a training forward keeps (Module.keptPerStep, nn/memory.ts) against the native host
// allocator's own count of live bytes, and checkpointed steps (nn/checkpoint.ts) against plain
// ones: the same losses and weights bit for bit, with a lower peak of live memory.
import { describe, expect, it } from "vitest";
import { native } from "../../lib/native.js";
import { Adam } from "../../lib/optim.js";
import { Rng } from "../../lib/random.js";
import { Tensor, scope } from "../../lib/tensor.js";
import { readoutCrossEntropy } from "../../lib/train/loss.js";
import { BatchNorm2d, Checkpointed, Conv2d, Dropout, Flatten, LIF, Linear, MaxPool2d, SEW, Sequential, forwardMemory, planCheckpoints } from "../../lib/nn/index.js";
import type { Module } from "../../lib/nn/module.js";
import { pack, packedBytes, unpack } from "../../lib/nn/packed.js";

// SHD-shaped: 100 channels → 3 × (Linear + LIF) of 128 → Linear readout of 20 classes.
function shdNet(seed: number): Sequential {
  const rng = new Rng(seed);
  const layers: Module[] = [];
  let w = 100;
  for (let i = 0; i < 3; i++) {
    layers.push(new Linear(w, 128, { rng, bias: false }), new LIF({ tauMem: 10 }));
    w = 128;
  }
  return new Sequential(...layers, new Linear(w, 20, { rng }));
}

// A small SEW-ResNet stage, as in configs/cifar10-dvs.yaml, with a dropout before the readout.
function visionNet(seed: number): Sequential {
  const rng = new Rng(seed);
  const c = 8;
  return new Sequential(
    new Conv2d(2, c, { kernel: 1, rng }), new BatchNorm2d(c), new LIF({ tauMem: 3 }),
    new SEW(new Conv2d(c, c, { rng }), new BatchNorm2d(c), new LIF({ tauMem: 3 }), new Conv2d(c, c, { rng }), new BatchNorm2d(c), new LIF({ tauMem: 3 })),
    new MaxPool2d(2), new Flatten(), new Dropout(0.2), new Linear(c * 16 * 16, 10, { rng }),
  );
}

// The same with the SEW block checkpointed inside too (its skip kept as bits and its gradient sparse, sew.ts).
function visionNetInside(seed: number): Sequential {
  const net = visionNet(seed);
  expect((net.layers[3] as SEW).checkpointInside([8, 32, 32], 6 * 8, 1)).toBe(true);
  return net;
}

function spikes(shape: number[], density: number, seed: number): Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) if (rng.uniform() < density) v[i] = 1;
  return Tensor.from(v, shape);
}

const live = () => native().hostAllocatorStats().inUse;

/** Trains `steps` Adam steps; returns the losses, the final weights and the highest live bytes seen after each forward and backward. */
function train(net: Sequential, run: Module, x: Tensor, labels: number[], steps: number): { losses: number[]; weights: Float32Array[]; peak: number } {
  const opt = new Adam(net.parameters(), { lr: 1e-2 });
  const dropouts = net.layers.filter((l): l is Dropout => l instanceof Dropout);
  const losses: number[] = [];
  const base = live();
  let peak = 0;
  for (let s = 0; s < steps; s++)
    scope(() => {
      dropouts.forEach((d, k) => (d.seed = 17 * s + k));
      const y = run.forward(x);
      peak = Math.max(peak, live() - base);
      const { loss, dy } = readoutCrossEntropy("sum", y, labels);
      losses.push(loss);
      run.backward(dy!);
      opt.step();
      net.zeroGrad();
    });
  const weights = net.parameters().map((p) => p.value.toArray() as Float32Array);
  const buffers = net.buffers().map((b) => b.value.toArray() as Float32Array);
  opt.dispose();
  return { losses, weights: [...weights, ...buffers], peak };
}

describe("memory a training forward keeps", () => {
  // Sizes where every kept tensor is at least 1 MiB: the host allocator counts those blocks.
  it.each([
    ["SHD-shaped Linear/LIF", () => shdNet(1), [32, 128, 100], 0.05],
    ["SEW-ResNet stage with batch norm and max pooling", () => visionNet(1), [8, 16, 2, 32, 32], 0.1],
  ] as const)("the estimate equals the allocator's count for the %s net", (_, make, shape, density) => {
    const net = make();
    const x = spikes([...shape], density, 3);
    const est = forwardMemory(net, shape);
    const before = live();
    const y = net.forward(x);
    const kept = live() - before;
    // The first layer keeps a view of the caller's input, no new allocation; the output is the caller's.
    const inputBytes = 4 * x.size;
    const outputBytes = y.size * 4 >= 2 ** 20 ? y.size * 4 : 0;
    expect(kept - outputBytes + inputBytes).toBeGreaterThan(0.99 * est.kept);
    expect(kept - outputBytes + inputBytes).toBeLessThan(1.01 * est.kept + 2 ** 16);
    net.releaseCache();
    expect(live() - before).toBe(outputBytes === 0 ? 0 : Math.ceil(outputBytes / 64) * 64);
    y.dispose();
    x.dispose();
    net.dispose();
  });
});

describe("checkpointed training steps", () => {
  it.each([
    ["SHD-shaped", shdNet, [80, 32, 100], 0.05, [0, 2, 4]],
    ["SEW-ResNet stage", visionNet, [6, 8, 2, 32, 32], 0.1, [0, 3, 4]],
    ["SEW-ResNet stage, block checkpointed inside", visionNetInside, [6, 8, 2, 32, 32], 0.1, [0, 3, 4]],
  ] as const)("%s: the same losses and weights bit for bit, with less memory live", (_, make, shape, density, starts) => {
    const x = spikes([...shape], density, 5);
    const rng = new Rng(9);
    const labels = Array.from({ length: shape[1] }, () => rng.int(10));
    const plainNet = make(2);
    const plain = train(plainNet, plainNet, x, labels, 3);
    const net = make(2);
    const ck = new Checkpointed(net, [...starts]);
    const checked = train(net, ck, x, labels, 3);
    expect(checked.losses).toEqual(plain.losses);
    expect(new Set(plain.losses).size).toBe(3); // the weights did move
    checked.weights.forEach((w, i) => expect(w).toEqual(plain.weights[i]));
    expect(checked.peak).toBeLessThan(plain.peak);
    for (const n of [plainNet, net]) n.dispose();
    x.dispose();
  });

  it("plans no segments when the step fits, and cuts when it does not", () => {
    const net = shdNet(1);
    const shape = [1000, 32, 100];
    const m = forwardMemory(net, shape);
    expect(planCheckpoints(net, shape, 10 * m.kept).starts).toEqual([0]);
    const budget = 0.75 * m.kept + 4 * m.largest;
    const tight = planCheckpoints(net, shape, budget);
    expect(tight.starts.length).toBeGreaterThan(1);
    expect(tight.peak).toBeLessThan(tight.plain);
    expect(tight.peak).toBeLessThanOrEqual(budget);
    // Nothing fits a budget below one step's caches: the lowest peak, one segment per step at most.
    const least = planCheckpoints(net, shape, 1);
    expect(least.peak).toBeLessThanOrEqual(tight.peak);
    expect(least.starts.length).toBeLessThanOrEqual(net.plan.length);
    net.dispose();
  });

  it("refuses segment starts inside a fused group or out of order, naming the valid ones", () => {
    const net = shdNet(1);
    // each Linear → LIF pair is one step (their scans fused), so the steps start at 0, 2, 4, …
    expect(() => new Checkpointed(net, [0, 3, 2])).toThrow(/ascending from 0 at the plan's step starts \(0, 2, 4/);
    expect(() => new Checkpointed(net, [1])).toThrow(/received 1/);
    net.dispose();
  });
});

describe("packed spike tensors", () => {
  it("give back the same floats from bits (0/1) and bytes (counts), across chunk boundaries", () => {
    const n = 2 ** 20 + 13; // one full chunk and a short one
    const rng = new Rng(4);
    const binary = new Float32Array(n).map(() => (rng.uniform() < 0.1 ? 1 : 0));
    const counts = binary.map((v, i) => (i % 7 === 0 ? 2 : v));
    for (const [v, bits, bytes] of [[binary, true, Math.ceil(2 ** 20 / 8) + 2], [counts, false, n]] as const) {
      const t = Tensor.from(v, [n]);
      const p = pack(t)!;
      expect(p.bits).toBe(bits);
      expect(packedBytes(p)).toBe(bytes);
      const back = unpack(p);
      // byte for byte (toEqual on a million floats takes a minute)
      expect(Buffer.from(back.toArray().buffer).equals(Buffer.from(v.buffer))).toBe(true);
      t.dispose();
      back.dispose();
    }
  });

  it("refuse values they could not give back exactly: fractions, negatives, -0, counts over 255", () => {
    for (const bad of [0.5, -1, -0, 256]) {
      const t = Tensor.from([0, 1, bad, 1], [2, 2]);
      expect(pack(t)).toBeUndefined();
      t.dispose();
    }
  });
});
