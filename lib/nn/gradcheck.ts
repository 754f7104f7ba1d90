// The gradient comparison behind `exodus gradcheck`: one random feedforward network (Linear →
// neuron per hidden layer, then a Linear readout), run with exodus, slayer and bptt on the same
// weights and inputs; each weight gradient is compared with bptt's.
import { type Device, synchronize } from "../device.js";
import { Rng } from "../random.js";
import { Tensor } from "../tensor.js";
import { Linear } from "./linear.js";
import type { Module } from "./module.js";
import { NEURON_MODELS, NEURON_TYPES, type NeuronType } from "./neuron-models.js";
import type { BackwardMethod } from "./options.js";
import { Sequential } from "./sequential.js";

/** Every neuron model (lib/nn/neuron-models.ts). */
export const GRADCHECK_NEURONS: readonly NeuronType[] = NEURON_TYPES;
export type GradcheckNeuron = NeuronType;

export interface GradcheckOptions {
  sizes: number[];
  T: number;
  batch: number;
  neuron: GradcheckNeuron;
  device: Device;
  seed: number;
  /** Surrogate scale a. */
  scale: number;
  tauMem: number;
  /** Input spike probability per channel and step. */
  inputRate: number;
  /** Multiplies the default weight bound 1/√in. */
  initScale: number;
}

export interface LayerReport {
  layer: number;
  shape: [number, number];
  /** Fraction of (t, b, neuron) with a spike in this layer's neurons (hidden layers only). */
  spikeRate: number | null;
  /** max |g − g_bptt| / max |g_bptt| of the weight gradient. */
  deviation: { exodus: number; slayer: number };
  /** 2-norms of the weight gradients. */
  norm: { exodus: number; slayer: number; bptt: number };
}

export interface GradcheckReport {
  options: Omit<GradcheckOptions, "device"> & { device: string };
  layers: LayerReport[];
  /** Whether exodus and bptt produced identical spikes in every layer (their forwards are independent). */
  sameSpikes: boolean;
  seconds: Record<BackwardMethod, { forward: number; backward: number }>;
}

function relDev(a: Float32Array, b: Float32Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / Math.max(den, 1e-30);
}

const norm2 = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));

function buildNet(o: GradcheckOptions, backward: BackwardMethod): { net: Sequential; linears: Linear[]; neurons: Module[] } {
  const layers: Module[] = [], linears: Linear[] = [], neurons: Module[] = [];
  for (let i = 0; i + 1 < o.sizes.length; i++) {
    const lin = new Linear(o.sizes[i], o.sizes[i + 1], { bias: false, seed: o.seed * 1000 + i, initScale: o.initScale, device: o.device });
    layers.push(lin);
    linears.push(lin);
    if (i + 2 < o.sizes.length) {
      const sg = { name: "exponential" as const, scale: o.scale, width: 0.5 };
      const n = NEURON_MODELS[o.neuron].gradcheck({ tauMem: o.tauMem, threshold: 1, surrogate: sg, backward, device: o.device });
      layers.push(n);
      neurons.push(n);
    }
  }
  return { net: new Sequential(...layers), linears, neurons };
}

export function gradcheck(o: GradcheckOptions): GradcheckReport {
  const rng = new Rng(o.seed);
  const [nin] = o.sizes;
  const nout = o.sizes[o.sizes.length - 1];
  const xs = new Float32Array(o.T * o.batch * nin);
  for (let i = 0; i < xs.length; i++) xs[i] = rng.uniform() < o.inputRate ? 1 : 0;
  const dys = rng.fillNormal(new Float32Array(o.T * o.batch * nout), 0, 1);
  const x = Tensor.from(xs, [o.T, o.batch, nin], o.device);
  const dy = Tensor.from(dys, [o.T, o.batch, nout], o.device);
  const grads: Record<string, Float32Array[]> = {};
  const spikes: Record<string, Float32Array[]> = {};
  const seconds = {} as GradcheckReport["seconds"];
  for (const method of ["bptt", "exodus", "slayer"] as const) {
    const { net, linears, neurons } = buildNet(o, method);
    // Record each neuron layer's output spikes as the forward hands them on.
    const rec: Float32Array[] = [];
    const recorded = new Set<Module>(neurons);
    const t0 = performance.now();
    const y = net.forwardSteps({ x }, (i, out) => {
      if (recorded.has(net.layers[i])) rec.push(out.x.toArray());
    }).x;
    synchronize(o.device);
    const t1 = performance.now();
    const dx = net.backward(dy);
    synchronize(o.device);
    const t2 = performance.now();
    seconds[method] = { forward: (t1 - t0) / 1000, backward: (t2 - t1) / 1000 };
    grads[method] = linears.map((l) => l.weight.grad.toArray());
    spikes[method] = rec;
    y.dispose();
    dx.dispose();
    net.dispose();
  }
  x.dispose();
  dy.dispose();
  const layers: LayerReport[] = grads.bptt.map((gb, i) => {
    return {
      layer: i,
      shape: [o.sizes[i + 1], o.sizes[i]],
      spikeRate: i + 1 < o.sizes.length - 1 ? rate(spikes.bptt[i]) : null,
      deviation: { exodus: relDev(grads.exodus[i], gb), slayer: relDev(grads.slayer[i], gb) },
      norm: { exodus: norm2(grads.exodus[i]), slayer: norm2(grads.slayer[i]), bptt: norm2(gb) },
    };
  });
  const sameSpikes = spikes.bptt.every((s, i) => s.every((v, j) => v === spikes.exodus[i][j]));
  return { options: { ...o, device: String(o.device) }, layers, sameSpikes, seconds };
}

function rate(s: Float32Array | undefined): number | null {
  if (!s) return null;
  let n = 0;
  for (const v of s) if (v > 0) n++;
  return n / s.length;
}

