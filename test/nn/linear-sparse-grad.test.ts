// Linear's ∂x from the nonzeros of a sparse ∂y (lib/nn/linear.ts): a max-over-time readout's ∂y has
// one nonzero step per sample and class. The index product adds the GEMM's terms in the GEMM's
// order with the zero terms left out, so ∂x (and ∂W, ∂b) equal the dense layer's bit for bit,
// for sparse and dense ∂y, through the skipped measurements after a dense one.
import { describe, expect, it } from "vitest";
import { Linear } from "../../lib/nn/linear.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";

function spikes(rng: Rng, n: number, d: number): Float32Array {
  return Float32Array.from({ length: n }, () => (rng.uniform() < d ? 1 : 0));
}

function grad(rng: Rng, n: number, d: number): Float32Array {
  return Float32Array.from({ length: n }, () => (rng.uniform() < d ? rng.uniform() * 4 - 2 : 0));
}

describe("Linear ∂x from a sparse ∂y", () => {
  it("equals the dense GEMM bit for bit, sparse and dense ∂y, and measures ∂y's density", () => {
    const [T, B, IN, OUT] = [40, 6, 77, 13];
    const rng = new Rng(11);
    const auto = new Linear(IN, OUT, { seed: 3, bias: true });
    const dense = new Linear(IN, OUT, { seed: 3, bias: true, products: "dense" });
    // ∂y densities in turn: a readout's (one step in T), dense, then sparse ones during the
    // measurements skipped after the dense ∂y, and after them.
    const densities = [1 / T, 0.02, 0.9, 0.01, 0.05, 0.3, 0.002, 0.01, 0.01, 0.01, 0.01, 0.004];
    let sparseSeen = 0;
    for (const [k, d] of densities.entries()) {
      // x above the spike crossover: both layers take the GEMM for y and ∂W, and only ∂x differs in path.
      const x = spikes(rng, T * B * IN, 0.5), dy = grad(rng, T * B * OUT, d);
      dy[rng.int(dy.length)] = 1.5;
      const outs = [auto, dense].map((l) => {
        l.zeroGrad();
        const y = l.forward(Tensor.from(x, [T, B, IN]));
        const dx = l.backward(Tensor.from(dy, [T, B, OUT]));
        return { y: y.toArray(), dx: dx.toArray(), dw: l.weight.grad.toArray(), db: l.bias!.grad.toArray() };
      });
      expect(Array.from(outs[0].dx), `∂x, ∂y ${k} at density ${d}`).toEqual(Array.from(outs[1].dx));
      expect(Array.from(outs[0].dw)).toEqual(Array.from(outs[1].dw));
      expect(Array.from(outs[0].db)).toEqual(Array.from(outs[1].db));
      expect(outs[0].dx.some((v) => v !== 0)).toBe(true);
      if (auto.gradDensity !== undefined) {
        expect(auto.gradDensity).toBeCloseTo(dy.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0) / dy.length, 6);
        if (auto.gradDensity < 0.25) sparseSeen++;
      }
      expect(dense.gradDensity).toBeUndefined();
    }
    // Measured: the first two, the dense one, then none for 7 backwards, then the last two.
    expect(sparseSeen).toBe(4);
    auto.dispose();
    dense.dispose();
  });
});
