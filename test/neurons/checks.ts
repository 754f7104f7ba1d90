// Assertions the neuron-model tests share (ALIF, CubaLIF, adLIF): the kernel's spikes against a
// free-running float64 loop, parameter gradients against per-neuron references, and streaming.
import { expect } from "vitest";
import type { Device } from "../../lib/device.js";
import type { NeuronLayer } from "../../lib/nn/neuron.js";
import { Tensor } from "../../lib/tensor.js";
import { relErr, spikeRate } from "./reference.js";

/**
 * The kernel's spikes s against a float64 loop run on its own: at most 1e-3 of them flipped (a
 * potential within float32 rounding of θ may land on the other side), at a rate (5–60 %) that
 * exercises both the spike and the reset.
 */
export function expectSameSpikes(s: ArrayLike<number>, free: ArrayLike<number>): void {
  let flips = 0;
  for (let i = 0; i < s.length; i++) if (s[i] !== free[i]) flips++;
  expect(flips / s.length).toBeLessThan(1e-3);
  const rate = spikeRate(s);
  expect(rate).toBeGreaterThan(0.05);
  expect(rate).toBeLessThan(0.6);
}

/**
 * Each learnt parameter's gradient against its per-neuron reference: a parameter given as one
 * value is shared, so its gradient is the sum of the per-neuron ones; none may be trivially zero.
 */
export function expectParamGrads(grads: Record<string, Float32Array>, refs: readonly (readonly [string, Float64Array])[]): void {
  for (const [name, ref] of refs) {
    const got = grads[name];
    const want = got.length === ref.length ? ref : Float64Array.of(ref.reduce((s, v) => s + v, 0));
    expect(relErr(got, want), name).toBeLessThan(1e-4);
    expect(Math.max(...Array.from(got, Math.abs)), `${name} gradient is not trivially zero`).toBeGreaterThan(1e-3);
  }
}

/**
 * A stateful layer fed steps [0, h) and then [h, T) gives the spikes of one call on [0, T) bit for
 * bit, and every carried state to 1e-6.
 */
export function expectStreams(make: () => NeuronLayer, x: Float32Array, shape: readonly [number, number, number], h: number, device: Device): void {
  const [T, B, F] = shape, N = B * F;
  const whole = make(), chunked = make();
  const sw = whole.forward(Tensor.from(x, [T, B, F], device)).toArray();
  const s1 = chunked.forward(Tensor.from(x.subarray(0, h * N), [h, B, F], device)).toArray();
  const s2 = chunked.forward(Tensor.from(x.subarray(h * N), [T - h, B, F], device)).toArray();
  expect([...s1, ...s2]).toEqual(Array.from(sw));
  const states = whole.states!;
  for (let i = 0; i < states.length; i++) expect(relErr(chunked.states![i].toArray(), states[i].toArray())).toBeLessThan(1e-6);
  whole.dispose();
  chunked.dispose();
}
