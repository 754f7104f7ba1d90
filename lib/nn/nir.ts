// How a layer says what it is in NIR (lib/nir/export.ts walks the network and asks each layer,
// Module.toNir): the context a layer gets (its index, the per-sample shape reaching it, dt), and
// the node builders the neuron layers share. Parameter arrays have the per-sample shape at that
// point of the network (the reference reader type-checks every edge).
import { ExodusError, shapeStr } from "../errors.js";
import { tauFromDecay } from "../nir/convention.js";
import { type NirDict, f64 } from "../nir/hdf5.js";

export interface NirContext {
  /** The layer's index in the exported Sequential (its node's name). */
  index: number;
  /** The layer's class name, for messages. */
  kind: string;
  /** Shape of one sample reaching the layer, without time and batch. */
  shape: readonly number[];
  dt: number;
  /** Export subtractive reset as NIR's reset-to-v_reset (docs/formats.md). */
  approximateReset: boolean;
}

/** The layer's node and the per-sample shape after it. */
export interface NirStep {
  node: NirDict;
  shape: number[];
}

export function refuse(c: NirContext, why: string): never {
  throw new ExodusError(`NIR export: layer ${c.index} (${c.kind}): ${why}`);
}

export const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Per-neuron values [P] tiled over a sample of shape S (exodus: neuron n uses value n mod P). */
export function tile(values: Float32Array, shape: readonly number[]): Float64Array {
  const n = prod(shape);
  return Float64Array.from({ length: n }, (_, i) => values[i % values.length]);
}

/** Refuses per-neuron parameters that do not tile the sample. */
export function checkTiles(c: NirContext, P: number): void {
  if (prod(c.shape) % P !== 0) refuse(c, `${P} per-neuron parameters do not tile samples of shape ${shapeStr(c.shape)}`);
}

/** What a LIF/IAF layer tells its NIR node. */
export interface LifNirFields {
  name: string;
  multiSpike: boolean;
  vMin: number | undefined;
  normInput: boolean;
  learnAlpha: boolean;
  reset: "subtract" | "zero";
  surrogate: { name: string; scale: number; width: number };
  alpha: Float32Array;
  threshold: Float32Array;
  resetAmount: Float32Array;
}

/** A LIF (or, with α = 1, an IF) node; subtractive reset only under approximateReset. */
export function lifNode(c: NirContext, l: LifNirFields): NirDict {
  const { shape, dt } = c;
  if (l.multiSpike) refuse(c, 'spikeFn "multi" (several spikes per step) has no NIR node; export a single-spike network');
  if (l.vMin !== undefined) refuse(c, "vMin (a lower bound of the membrane) has no NIR equivalent");
  const { alpha, threshold: theta, resetAmount: m } = l;
  const meta: NirDict = { exodus_layer: l.name, exodus_reset: l.reset, exodus_surrogate: JSON.stringify({ name: l.surrogate.name, scale: l.surrogate.scale, width: l.surrogate.width }),
    exodus_learn_alpha: l.learnAlpha ? 1 : 0, exodus_spike: "v >= v_threshold" };
  if (l.reset === "subtract") {
    if (!m.every((x, k) => x === theta[k % theta.length])) refuse(c, "a subtractive reset by an amount other than the threshold has no NIR node");
    if (!c.approximateReset)
      refuse(c, 'subtractive reset (v − θ after a spike) has no NIR node: NIR neurons reset to v_reset. Train with reset "zero" for an exact export, or pass --approximate-reset to export it as reset-to-0 (other NIR tools then simulate reset-to-zero; exodus import restores the subtraction)');
    meta.exodus_approximation = "reset: exodus subtracts v_threshold after a spike; this node states reset to v_reset = 0";
  }
  const v = (x: Float32Array) => f64(tile(x, shape), [...shape]);
  const zeros = f64(new Float64Array(prod(shape)), [...shape]);
  if (!alpha.some((a) => a !== 1)) {
    if (l.normInput) refuse(c, "normInput with α = 1 scales the input by 0");
    return { type: "IF", r: f64(new Float64Array(prod(shape)).fill(1 / dt), [...shape]), v_threshold: v(theta), v_reset: zeros, metadata: meta };
  }
  const tau = tile(alpha, shape).map((a) => tauFromDecay(a, dt));
  const r = l.normInput ? new Float64Array(tau.length).fill(1) : tile(alpha, shape).map((a) => 1 / (1 - a));
  return { type: "LIF", tau: f64(tau, [...shape]), r: f64(r, [...shape]), v_leak: zeros, v_threshold: v(theta), v_reset: zeros, metadata: meta };
}

/** An LI node (I when β = 1) for an ExpLeak filter. */
export function leakNode(c: NirContext, betaValues: Float32Array, learnBeta: boolean): NirDict {
  const shape = [...c.shape];
  const beta = tile(betaValues, shape);
  const meta: NirDict = { exodus_layer: "ExpLeak", exodus_learn_beta: learnBeta ? 1 : 0 };
  if (beta.every((b) => b === 1)) return { type: "I", r: f64(new Float64Array(beta.length).fill(1 / c.dt), shape), metadata: meta };
  return { type: "LI", tau: f64(beta.map((b) => tauFromDecay(b, c.dt)), shape), r: f64(beta.map((b) => 1 / (1 - b)), shape), v_leak: f64(new Float64Array(beta.length), shape), metadata: meta };
}
