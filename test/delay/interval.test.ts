// Delays matter: on the interval task (lib/data/interval-task.ts: the class is the interval between
// two identical bursts, longer than the membrane time constant, with equal spike counts per
// class), DelayLinear → LIF (τ 2 steps) → Linear learns well above chance, and the same network
// without delays (maxDelay 0) stays near chance. Evaluated with the delays rounded to integers.
import { describe, expect, it } from "vitest";
import { intervalTask } from "../../lib/data/interval-task.js";
import { DelayLinear } from "../../lib/nn/delay.js";
import { LIF } from "../../lib/nn/lif.js";
import { Linear } from "../../lib/nn/linear.js";
import { Sequential } from "../../lib/nn/sequential.js";
import * as ops from "../../lib/ops.js";
import { AdamOptimizer } from "../../lib/train/optimizers/adam.js";
import { scope, Tensor } from "../../lib/tensor.js";

const C = 8, H = 32, T = 48, BATCH = 32, STEPS = 120;

function batch(task: ReturnType<typeof intervalTask>, from: number, n: number): Tensor {
  const N = task.labels.length, out = new Float32Array(T * n * C);
  for (let t = 0; t < T; t++) out.set(task.x.subarray((t * N + from) * C, (t * N + from + n) * C), t * n * C);
  return Tensor.from(out, [T, n, C]);
}

/** Logits = the readout summed over time; returns the mean loss and applies the backward. */
function step(net: Sequential, x: Tensor, labels: Int32Array, train: boolean): { loss: number; correct: number } {
  return scope(() => {
    const y = net.forward(x); // [T, B, classes]
    const logits = ops.sum(y, 0);
    const r = ops.softmaxCrossEntropy(logits, labels);
    const p = logits.toArray(), k = logits.shape[1];
    let correct = 0;
    for (let b = 0; b < labels.length; b++) {
      let arg = 0;
      for (let c = 1; c < k; c++) if (p[b * k + c] > p[b * k + arg]) arg = c;
      correct += arg === labels[b] ? 1 : 0;
    }
    if (train) {
      const g = r.grad.toArray(), dy = new Float32Array(y.size);
      for (let t = 0; t < T; t++) dy.set(g, t * g.length); // ∂(Σ_t y[t]) spreads the logit gradient over time
      net.backward(Tensor.from(dy, y.shape));
    }
    return { loss: r.loss, correct };
  });
}

function trainAndTest(maxDelay: number): number {
  const train = intervalTask({ samples: 512, channels: C, T, seed: 1 });
  const test = intervalTask({ samples: 256, channels: C, T, seed: 2 });
  const delay = new DelayLinear(C, H, { maxDelay, sigma: maxDelay / 4, seed: 3, initScale: 3, inputGrad: false });
  const net = new Sequential(delay, new LIF({ tauMem: 2 }), new Linear(H, train.classes, { seed: 4 }));
  const params = net.parameters();
  // Delays learn at 20× the weights' rate with no decay (DCLS uses 100× for its positions in ms).
  const opt = new AdamOptimizer(params, 1e-2, params.map((p) => ({ lrScale: p.name.endsWith("delay") ? 20 : 1, weightDecay: 0 })),
    { betas: [0.9, 0.999], eps: 1e-8, decoupled: false });
  const batches = train.labels.length / BATCH;
  for (let s = 0; s < STEPS; s++) {
    if (maxDelay > 0) delay.setSigma(Math.max(0.3, (maxDelay / 4) * (1 - s / (0.8 * STEPS)))); // σ decays, as DCLS's per epoch
    const b = s % batches;
    net.zeroGrad();
    const x = batch(train, b * BATCH, BATCH);
    step(net, x, train.labels.subarray(b * BATCH, (b + 1) * BATCH), true);
    x.dispose();
    opt.step();
  }
  if (maxDelay > 0) delay.roundDelays();
  const x = batch(test, 0, test.labels.length);
  const { correct } = step(net, x, test.labels, false);
  net.dispose();
  return correct / test.labels.length;
}

describe("interval task: delays let a short-τ feedforward net compare bursts", () => {
  it("with delays well above chance (0.25), without delays near chance", () => {
    const withDelays = trainAndTest(28);
    const without = trainAndTest(0);
    console.log(`interval task accuracy: delays ${withDelays.toFixed(3)}, no delays ${without.toFixed(3)} (chance 0.25)`);
    expect(withDelays).toBeGreaterThan(0.7);
    expect(without).toBeLessThan(0.4);
  }, 60_000);
});
