// Self-check of the learnable-delay entries (exodus/delay.h) against the float64 reference
// (delay-reference.ts): taps → expanded kernel → event forward, event correlation → window
// gather → parameter gradients, on a small geometry with graded spike inputs.
import { Tensor } from "../tensor.js";
import { native } from "../native.js";
import { type RefNet, refForward, refGrads } from "./delay-reference.js";
import { registerCheck } from "./registry.js";

const G = { T: 13, B: 3, inFeatures: 9, outFeatures: 70, maxDelay: 7, sigma: 0.9, perNeuron: false };
const R = Math.ceil(4 * G.sigma), taps = Math.min(2 * R + 2, G.maxDelay + 1);
const geom = { ...G, taps, below: Math.min(R, taps - 1) };
const syn = G.inFeatures * G.outFeatures, rows = G.T * G.B;

registerCheck({
  name: `delay taps, kernel, event forward and gradients [${G.T}x${G.B}x${G.inFeatures}] → ${G.outFeatures}, D ${G.maxDelay}, σ ${G.sigma}`,
  group: "fast paths",
  tolerance: 1e-5,
  entries: ["delay_taps", "delay_dense_kernel", "delay_forward_events", "delay_corr_events", "delay_corr_dense", "delay_param_grad"],
  inputs: (rng): RefNet => ({
    T: G.T, B: G.B, nin: G.inFeatures, nout: G.outFeatures, D: G.maxDelay, sigma: G.sigma, windowSigmas: 4, perNeuron: false,
    x: Float64Array.from({ length: rows * G.inFeatures }, () => (rng.uniform() < 0.2 ? 0.5 + rng.int(3) : 0)),
    w: Float64Array.from({ length: syn }, () => rng.range(-1, 1)),
    d: Float64Array.from({ length: syn }, () => rng.int(G.maxDelay) + 0.1 + 0.8 * rng.uniform()),
    G: Float64Array.from({ length: rows * G.outFeatures }, () => rng.range(-1, 1)),
  }),
  run: (dev, n) => {
    const t = (a: Float64Array, shape: number[]) => Tensor.from(Float32Array.from(a), shape, dev);
    const x = t(n.x, [G.T, G.B, G.inFeatures]), w = t(n.w, [G.outFeatures, G.inFeatures]), d = t(n.d, [G.outFeatures, G.inFeatures]);
    const dy = t(n.G, [G.T, G.B, G.outFeatures]);
    const coeff = Tensor.empty([G.inFeatures, G.outFeatures, taps], dev), start = Tensor.empty([G.inFeatures, G.outFeatures], dev);
    const K = Tensor.empty([G.maxDelay + 1, G.inFeatures, G.outFeatures], dev), dK = Tensor.empty(K.shape, dev);
    const y = Tensor.empty([G.T, G.B, G.outFeatures], dev), A = Tensor.empty(coeff.shape, dev);
    const dw = Tensor.zeros(w.shape, dev), dd = Tensor.zeros(d.shape, dev);
    native().delayTaps({ ...geom, w, d, coeff, start });
    native().delayDenseKernel({ ...geom, coeff, start, K });
    native().delayForwardEvents({ ...geom, x, K, y });
    native().delayCorrEvents({ ...geom, x, dy, dK });
    native().delayCorrDense({ ...geom, dK, start, A });
    native().delayParamGrad({ ...geom, A, w, d, dw, dd });
    return [y.toArray(), dw.toArray(), dd.toArray()];
  },
  reference: (n) => {
    const g = refGrads(n);
    return [refForward(n), g.dw, g.dd];
  },
});
