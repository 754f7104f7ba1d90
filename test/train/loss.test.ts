// Readouts over time: logits and ∂L/∂y against a float64 reference of the same cross-entropy.
import { describe, expect, it } from "vitest";
import { Rng } from "../../lib/random.js";
import { Tensor, scope } from "../../lib/tensor.js";
import { readout, readoutCrossEntropy, type ReadoutName } from "../../lib/train/loss.js";

/** Float64 readout + mean softmax cross-entropy; the gradient wrt y [T, B, C]. */
function reference(name: ReadoutName, y: Float32Array, T: number, B: number, C: number, labels: number[]) {
  const logits = new Float64Array(B * C);
  const src = new Int32Array(B * C); // which t feeds the logit (max/last)
  for (let i = 0; i < B * C; i++) {
    if (name === "sum") for (let t = 0; t < T; t++) logits[i] += y[t * B * C + i];
    else if (name === "last") logits[i] = y[(T - 1) * B * C + i];
    else {
      let best = -Infinity;
      for (let t = 0; t < T; t++) if (y[t * B * C + i] > best) [best, src[i]] = [y[t * B * C + i], t];
      logits[i] = best;
    }
  }
  const dLogits = new Float64Array(B * C);
  let loss = 0;
  for (let b = 0; b < B; b++) {
    const row = logits.subarray(b * C, (b + 1) * C);
    const m = Math.max(...row);
    const z = row.reduce((s, v) => s + Math.exp(v - m), 0);
    loss += (Math.log(z) + m - row[labels[b]]) / B;
    for (let c = 0; c < C; c++) dLogits[b * C + c] = (Math.exp(row[c] - m) / z - (c === labels[b] ? 1 : 0)) / B;
  }
  const dy = new Float64Array(T * B * C);
  for (let i = 0; i < B * C; i++) {
    if (name === "sum") for (let t = 0; t < T; t++) dy[t * B * C + i] = dLogits[i];
    else dy[(name === "last" ? T - 1 : src[i]) * B * C + i] = dLogits[i];
  }
  return { logits, loss, dy };
}

describe("readouts", () => {
  for (const name of ["sum", "max", "last"] as const)
    it(`${name} over time: logits, loss and ∂L/∂y match float64`, () => {
      const [T, B, C] = [37, 5, 6];
      const rng = new Rng(11);
      const y = rng.fillNormal(new Float32Array(T * B * C));
      const labels = Array.from({ length: B }, () => rng.int(C));
      const ref = reference(name, y, T, B, C, labels);
      scope(() => {
        const yt = Tensor.from(y, [T, B, C]);
        const logits = readout(name, yt).logits.toArray();
        for (let i = 0; i < B * C; i++) expect(logits[i]).toBeCloseTo(ref.logits[i], 4);
        const r = readoutCrossEntropy(name, yt, labels);
        expect(r.loss).toBeCloseTo(ref.loss, 5);
        const dy = r.dy!.toArray();
        let nonzero = 0;
        for (let i = 0; i < dy.length; i++) {
          expect(Math.abs(dy[i] - ref.dy[i])).toBeLessThan(1e-6);
          if (dy[i] !== 0) nonzero++;
        }
        // max and last put the gradient at exactly one step per logit; sum at every step
        expect(nonzero).toBe(name === "sum" ? T * B * C : B * C);
      });
    });

  it("rejects an output that is not [T, B, classes]", () => {
    scope(() => expect(() => readout("max", Tensor.zeros([4, 3]))).toThrow(/expected the network output \[T, B, classes\], received \[4, 3\]/));
  });
});
