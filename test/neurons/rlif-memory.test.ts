// A task that needs memory (lib/data/interval-task.ts): the class is the interval between a burst
// in one channel group and a burst in the other, each interval several membrane time constants
// long, every class with the same spike count. A recurrent LIF net learns it well above chance;
// the same-size feedforward LIF net with the same τ stays near chance. Fixed seeds; this can fail.
import { describe, expect, it } from "vitest";
import { intervalBatch } from "../../lib/data/interval-task.js";
import { LIF } from "../../lib/nn/lif.js";
import { Linear } from "../../lib/nn/linear.js";
import type { Module } from "../../lib/nn/module.js";
import { RLIF } from "../../lib/nn/rlif.js";
import { Sequential } from "../../lib/nn/sequential.js";
import { Adam } from "../../lib/optim.js";
import { Rng } from "../../lib/random.js";
import { Tensor, scope } from "../../lib/tensor.js";
import { readoutCrossEntropy } from "../../lib/train/loss.js";

const TASK = { channels: 4, intervals: [16, 28, 40], T: 86 };
// Intervals of 4, 7 and 10 membrane time constants; the first burst's onset varies over 18 steps.
const TAU = 4, H = 32, B = 48, STEPS = 300;

function accuracy(recurrent: boolean): { train: number; test: number } {
  const rng = new Rng(1);
  const F = 2 * TASK.channels, K = TASK.intervals.length;
  const neuron: Module = recurrent ? new RLIF({ size: H, tauMem: TAU, rng, initScale: 2 }) : new LIF({ tauMem: TAU });
  const net = new Sequential(new Linear(F, H, { bias: false, rng, initScale: 3 }), neuron, new Linear(H, K, { rng, initScale: 0.2 }));
  const opt = new Adam(net.parameters(), { lr: 0.003 });
  const data = new Rng(2);
  let correct = 0, seen = 0;
  try {
    for (let step = 0; step < STEPS; step++) {
      const batch = intervalBatch(TASK, B, data);
      scope(() => {
        net.zeroGrad();
        const y = net.forward(Tensor.from(batch.x, [TASK.T, B, F]));
        const r = readoutCrossEntropy("sum", y, batch.labels);
        net.backward(r.dy!);
        opt.step();
        if (step >= STEPS - 20) {
          correct += r.correct;
          seen += B;
        }
      });
    }
    const test = intervalBatch(TASK, 300, new Rng(3));
    const testCorrect = scope(() => readoutCrossEntropy("sum", net.forward(Tensor.from(test.x, [TASK.T, 300, F])), test.labels, false).correct);
    return { train: correct / seen, test: testCorrect / 300 };
  } finally {
    net.dispose();
  }
}

describe("a task that needs memory", () => {
  it("recurrent LIF learns the interval, feedforward LIF stays near chance", () => {
    const rec = accuracy(true);
    const ff = accuracy(false);
    console.log(`interval task (chance 1/3): recurrent train ${rec.train.toFixed(3)} test ${rec.test.toFixed(3)}; feedforward train ${ff.train.toFixed(3)} test ${ff.test.toFixed(3)}`);
    expect(rec.test).toBeGreaterThan(0.75);
    expect(Math.abs(ff.test - 1 / 3)).toBeLessThan(0.1);
    expect(Math.abs(ff.train - 1 / 3)).toBeLessThan(0.1);
  }, 60_000);
});
