// The stack end to end: Linear → LIF → Linear, spike counts over time, softmax cross-entropy,
// Adam. A network must learn a spiking classification task, and EXODUS must train exactly like
// BPTT (same weights after several steps), while SLAYER does not.
import { describe, expect, it } from "vitest";
import { Adam, LIF, Linear, Rng, Sequential, Tensor, ops, scope } from "../lib/index.js";
import type { BackwardMethod } from "../lib/nn/index.js";
import { maxRelError } from "./helpers.js";

const [T, B, N, C] = [40, 16, 40, 4];

// Class c: channels [10c, 10c + 10) fire with probability 0.3 per step, the others with 0.05.
function makeBatch(rng: Rng): { x: Float32Array; labels: number[] } {
  const labels = Array.from({ length: B }, () => rng.int(C));
  const x = new Float32Array(T * B * N);
  for (let t = 0; t < T; t++)
    for (let b = 0; b < B; b++)
      for (let n = 0; n < N; n++) x[(t * B + b) * N + n] = rng.uniform() < (Math.floor(n / 10) === labels[b] ? 0.3 : 0.05) ? 1 : 0;
  return { x, labels };
}

function makeNet(backward: BackwardMethod): Sequential {
  return new Sequential(
    new Linear(N, 32, { bias: false, seed: 1 }),
    new LIF({ tauMem: 20, threshold: 1, surrogate: { name: "exponential", scale: 1, width: 0.5 }, backward }),
    new Linear(32, C, { seed: 2 }),
  );
}

/** One step; returns the loss and the batch accuracy. */
function step(net: Sequential, opt: Adam, batch: { x: Float32Array; labels: number[] }): { loss: number; acc: number } {
  return scope(() => {
    const y = net.forward(Tensor.from(batch.x, [T, B, N]));
    const logits = ops.sum(y, 0);
    const { loss, grad } = ops.softmaxCrossEntropy(logits, batch.labels);
    net.backward(ops.add(Tensor.zeros(y.shape), grad)); // ∂loss/∂y[t] = ∂loss/∂logits at every t
    opt.step();
    net.zeroGrad();
    const pred = ops.argmax(logits, 1).toArray();
    return { loss, acc: batch.labels.filter((l, i) => pred[i] === l).length / B };
  });
}

function weights(net: Sequential): Float32Array[] {
  return net.parameters().map((p) => p.value.toArray());
}

describe("training", () => {
  it("learns a spiking classification task with EXODUS gradients", () => {
    const rng = new Rng(3);
    const net = makeNet("exodus");
    const opt = new Adam(net.parameters(), { lr: 3e-3 });
    const first = step(net, opt, makeBatch(rng));
    let last = first;
    for (let i = 0; i < 30; i++) last = step(net, opt, makeBatch(rng));
    expect(last.loss).toBeLessThan(first.loss / 5);
    expect(last.acc).toBeGreaterThanOrEqual(0.9);
    opt.dispose();
    net.dispose();
  });

  it("EXODUS trains exactly like BPTT; SLAYER diverges from both", () => {
    const runs = (["exodus", "bptt", "slayer"] as const).map((method) => {
      const rng = new Rng(8);
      const net = makeNet(method);
      const opt = new Adam(net.parameters(), { lr: 1e-3 });
      for (let i = 0; i < 4; i++) step(net, opt, makeBatch(rng));
      const w = weights(net);
      opt.dispose();
      net.dispose();
      return w;
    });
    const [exodus, bptt, slayer] = runs;
    for (let i = 0; i < exodus.length; i++) expect(maxRelError(exodus[i], bptt[i])).toBeLessThan(1e-4);
    // The first layer's weights are where the dropped reset term shows.
    expect(maxRelError(slayer[0], bptt[0])).toBeGreaterThan(1e-3);
  });
});
