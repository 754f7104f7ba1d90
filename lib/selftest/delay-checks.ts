// Self-check of the learnable-delay entries (exodus/delay.h) against the float64 reference
// (delay-reference.ts) on the CPU, and CUDA against the CPU: taps → expanded kernel → event
// forward, event correlation → window gather → parameter gradients, on small geometries with
// graded spike inputs: per synapse with a narrow window, per neuron with the whole kernel as the
// window (σ early in training), and hard integer delays (σ = 0, inference).
import { Tensor } from "../tensor.js";
import { native } from "../native.js";
import { DelayLinear } from "../nn/delay.js";
import { type RefNet, refForward, refGrads } from "./delay-reference.js";
import { registerCheck } from "./registry.js";

interface Case { T: number; B: number; inFeatures: number; outFeatures: number; maxDelay: number; sigma: number; perNeuron: boolean }

const CASES: Case[] = [
  { T: 13, B: 3, inFeatures: 9, outFeatures: 70, maxDelay: 7, sigma: 0.9, perNeuron: false },
  { T: 11, B: 2, inFeatures: 12, outFeatures: 37, maxDelay: 6, sigma: 2.5, perNeuron: true },
  { T: 9, B: 4, inFeatures: 7, outFeatures: 66, maxDelay: 5, sigma: 0, perNeuron: false },
];

for (const G of CASES) {
  const R = G.sigma === 0 ? 0 : Math.ceil(4 * G.sigma), taps = G.sigma === 0 ? 1 : Math.min(2 * R + 2, G.maxDelay + 1);
  const geom = { ...G, taps, below: Math.min(R, taps - 1) };
  const syn = G.inFeatures * G.outFeatures, rows = G.T * G.B, nd = G.perNeuron ? G.outFeatures : syn;
  const dShape = G.perNeuron ? [G.outFeatures] : [G.outFeatures, G.inFeatures];
  registerCheck({
    name: `delay taps, kernel, event forward and gradients [${G.T}x${G.B}x${G.inFeatures}] → ${G.outFeatures}, D ${G.maxDelay}, σ ${G.sigma}${G.perNeuron ? ", per neuron" : ""}`,
    group: "delays",
    tolerance: 1e-5,
    entries: ["delay_taps", "delay_dense_kernel", "delay_forward_events", "delay_corr_events", "delay_corr_dense", "delay_param_grad"],
    inputs: (rng): RefNet => ({
      T: G.T, B: G.B, nin: G.inFeatures, nout: G.outFeatures, D: G.maxDelay, sigma: G.sigma, windowSigmas: 4, perNeuron: G.perNeuron,
      x: Float64Array.from({ length: rows * G.inFeatures }, () => (rng.uniform() < 0.2 ? 0.5 + rng.int(3) : 0)),
      w: Float64Array.from({ length: syn }, () => rng.range(-1, 1)),
      // Off the integers and off the half-integers, so that neither the window nor round(d) sits on a jump.
      d: Float64Array.from({ length: nd }, () => rng.int(G.maxDelay) + 0.1 + 0.3 * rng.uniform() + (rng.uniform() < 0.5 ? 0.5 : 0)),
      G: Float64Array.from({ length: rows * G.outFeatures }, () => rng.range(-1, 1)),
    }),
    run: (dev, n) => {
      const t = (a: Float64Array, shape: number[]) => Tensor.from(Float32Array.from(a), shape, dev);
      const x = t(n.x, [G.T, G.B, G.inFeatures]), w = t(n.w, [G.outFeatures, G.inFeatures]), d = t(n.d, dShape);
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
      const out = [y.toArray(), dw.toArray(), dd.toArray()];
      for (const v of [x, w, d, dy, coeff, start, K, dK, y, A, dw, dd]) v.dispose();
      return out;
    },
    reference: (n) => {
      const g = refGrads(n);
      return [refForward(n), g.dw, g.dd];
    },
  });
}

// The layer itself on each path (on CUDA "auto" is dense; "sparse" forces the event kernels;
// "window" is the CPU's per-synapse path, T 70 so its filters run a whole 64-step block and a
// tail): the forward, ∂x and the parameter gradients, from set weights and delays.
const L = { T: 70, B: 3, inFeatures: 10, outFeatures: 33, maxDelay: 6, sigma: 0.6 };
for (const products of ["dense", "sparse", "window"] as const)
  registerCheck({
    ...(products === "window" ? { entries: ["delay_window_forward", "delay_window_corr", "delay_window_input_grad"] as const } : {}),
    name: `DelayLinear ${products === "sparse" ? "event-driven" : products} [${L.T}x${L.B}x${L.inFeatures}] → ${L.outFeatures}, D ${L.maxDelay}, σ ${L.sigma}: y, dx, dw, dd`,
    group: "delays",
    tolerance: 1e-5,
    inputs: (rng): RefNet => ({
      T: L.T, B: L.B, nin: L.inFeatures, nout: L.outFeatures, D: L.maxDelay, sigma: L.sigma, windowSigmas: 4, perNeuron: false,
      x: Float64Array.from({ length: L.T * L.B * L.inFeatures }, () => (rng.uniform() < 0.15 ? 1 : 0)),
      w: Float64Array.from({ length: L.inFeatures * L.outFeatures }, () => rng.range(-1, 1)),
      d: Float64Array.from({ length: L.inFeatures * L.outFeatures }, () => rng.int(L.maxDelay) + 0.05 + 0.9 * rng.uniform()),
      G: Float64Array.from({ length: L.T * L.B * L.outFeatures }, () => rng.range(-1, 1)),
    }),
    run: (dev, n) => {
      const layer = new DelayLinear(L.inFeatures, L.outFeatures, { maxDelay: L.maxDelay, sigma: L.sigma, products, device: dev });
      const set = (t: Tensor, a: Float64Array) => {
        const v = Tensor.from(Float32Array.from(a), t.shape, dev);
        t.copyFrom(v);
        v.dispose();
      };
      set(layer.weight.value, n.w);
      set(layer.delay.value, n.d);
      const x = Tensor.from(Float32Array.from(n.x), [L.T, L.B, L.inFeatures], dev);
      const y = layer.forward(x);
      layer.zeroGrad();
      const dx = layer.backward(Tensor.from(Float32Array.from(n.G), y.shape, dev));
      const out = [y.toArray(), dx.toArray(), layer.weight.grad.toArray(), layer.delay.grad.toArray()];
      layer.dispose();
      return out;
    },
    reference: (n) => {
      const g = refGrads(n);
      return [refForward(n), g.dx, g.dw, g.dd];
    },
  });
