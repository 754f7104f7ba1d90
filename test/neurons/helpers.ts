// Shared helpers of the neuron tests: seeded inputs that make neurons fire, and a runner that
// takes a layer through forward and backward and returns host arrays.
import { Device } from "../../lib/device.js";
import { LIF, type LIFOptions } from "../../lib/nn/lif.js";
import type { NeuronLayer } from "../../lib/nn/neuron.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";

/** Drifting noisy input: mean·θ per step plus noise, so neurons fire often. */
export function firingInput(rng: Rng, T: number, N: number, mean = 0.3, std = 0.8): Float32Array {
  const x = new Float32Array(T * N);
  for (let i = 0; i < x.length; i++) x[i] = mean + std * rng.normal();
  return x;
}

export function normal(rng: Rng, n: number, std = 1): Float32Array {
  return rng.fillNormal(new Float32Array(n), 0, std);
}

export interface LifRun {
  s: Float32Array;
  v: Float32Array;
  dx: Float32Array;
  dv0: Float32Array;
  dalpha?: Float32Array;
  state?: Float32Array;
}

export function runLif(opts: LIFOptions, shape: number[], x: Float32Array, g: Float32Array,
  extra: { h?: Float32Array; v0?: Float32Array; device?: Device } = {}): LifRun {
  const device = extra.device ?? Device.cpu;
  const layer = new LIF({ ...opts, device, recordV: true });
  const N = x.length / shape[0];
  try {
    if (extra.v0) layer.setState(Tensor.from(extra.v0, [N], device));
    const xt = Tensor.from(x, shape, device);
    const s = layer.forward(xt);
    const v = layer.membrane!.toArray();
    const dx = layer.backward(Tensor.from(g, shape, device), extra.h ? { dv: Tensor.from(extra.h, shape, device) } : {});
    const out: LifRun = { s: s.toArray(), v, dx: dx.toArray(), dv0: layer.stateGrad!.toArray(), state: layer.state?.toArray() };
    const p = layer.parameters().find((q) => q.name === "alpha");
    if (p) out.dalpha = p.grad.toArray();
    for (const t of [xt, s, dx]) t.dispose();
    return out;
  } finally {
    layer.dispose();
  }
}

/** A stateful layer's run as host arrays: ∂(initial state) per state, in the layer's state order. */
export interface StatefulRun {
  s: Float32Array;
  v: Float32Array;
  dx: Float32Array;
  dStates: Float32Array[];
  grads: Record<string, Float32Array>;
  state: Float32Array[];
}

/**
 * Takes a stateful layer (CubaLIF, adLIF, ALIF) through setState(init), forward and backward on
 * its device, and disposes it: outputs, gradients by parameter name and the carried states.
 */
export function runStateful(layer: NeuronLayer, shape: number[], x: Float32Array, g: Float32Array, init?: Float32Array[]): StatefulRun {
  const device = layer.device;
  const N = x.length / shape[0];
  try {
    if (init) layer.setState(init.map((a) => Tensor.from(a, [N], device)));
    const s = layer.forward(Tensor.from(x, shape, device));
    const v = layer.membrane?.toArray() ?? new Float32Array(0);
    const dx = layer.backward(Tensor.from(g, shape, device));
    const grads: Record<string, Float32Array> = {};
    for (const p of layer.parameters()) grads[p.name] = p.grad.toArray();
    return { s: s.toArray(), v, dx: dx.toArray(), dStates: layer.stateGrads!.map((t) => t.toArray()), grads, state: layer.states!.map((t) => t.toArray()) };
  } finally {
    layer.dispose();
  }
}
