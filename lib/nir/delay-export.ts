// exodus's DelayLinear → NIR nodes. NIR's Delay is elementwise (y_k(t) = x_k(t − delay_k), delay in
// seconds with the shape of its input), so:
//   - a delay per output neuron is one Linear followed by one Delay of [out];
//   - a delay per synapse is a sum of branches, one per distinct integer delay k: a Linear holding
//     the weights of the synapses with delay k (zeros elsewhere) followed by a Delay of k·dt (also
//     for k = 0), every branch fed by the layer's input and summed into the next node. Exact: each
//     synapse's weight is in exactly one branch.
// A bias (or a BatchNorm folded into the layer, fold.ts) goes into an undelayed Affine branch, so
// that it is added from the first step as DelayLinear adds it. The delays are the integer ones
// (integerDelays); a layer still interpolating (σ > 0) is refused unless roundDelays is set.
// Metadata lets exodus's importer (delay-import.ts) restore the layer: its path, D, per-neuron.
import { ExodusError } from "../errors.js";
import type { DelayLinear } from "../nn/delay.js";
import { type BatchNorm, foldBatchNorm } from "./fold.js";
import { type NirDict, f32, f64 } from "./hdf5.js";

export interface DelayBranch {
  /** The branch's Linear/Affine node, and the Delay after it. */
  linear: [string, NirDict];
  delay: [string, NirDict];
}

/** The branches of one DelayLinear (see the file comment), with the BatchNorm after it folded in. */
export function delayBranches(layer: DelayLinear, bn: BatchNorm | undefined, o: { path: string; shape: readonly number[]; dt: number; roundDelays?: boolean }): DelayBranch[] {
  const where = `NIR export: layer ${o.path} (DelayLinear)`;
  const I = layer.inFeatures, O = layer.outFeatures;
  if (o.shape.reduce((a, b) => a * b, 1) !== I || o.shape.length !== 1) throw new ExodusError(`${where}: expected samples of ${I} features, received shape [${o.shape.join(", ")}]`);
  if (layer.sigma > 0 && !o.roundDelays)
    throw new ExodusError(`${where}: σ = ${layer.sigma} > 0 interpolates between integer delays (a Gaussian kernel), which NIR's Delay cannot state; round the delays first (DelayLinear.roundDelays(): σ 0, the network inference runs) or pass --round-delays to export them rounded to whole steps`);
  let node: NirDict = { type: "Affine", weight: f32(layer.weight.value.toArray(), [O, I]), bias: f32(layer.bias ? layer.bias.value.toArray() : new Float32Array(O)) };
  if (bn) node = foldBatchNorm(node, bn, `${where} + BatchNorm`);
  const w = (node.weight as { data: Float32Array }).data, bias = (node.bias as { data: Float32Array }).data;
  const hasBias = !!layer.bias || !!bn;
  const steps = layer.integerDelays();
  const meta = (extra: NirDict = {}): NirDict => ({
    exodus_layer: "DelayLinear", exodus_delay_layer: o.path, exodus_max_delay: layer.maxDelay, exodus_per_neuron: layer.perNeuron ? 1 : 0,
    ...(layer.sigma > 0 ? { exodus_approximation: `delays rounded to whole steps from σ = ${layer.sigma} (the layer ran an interpolating kernel)` } : {}),
    ...(bn ? { exodus_batchnorm: "folded (evaluation mode)" } : {}), ...extra,
  });
  const delayNode = (k: number | Int32Array): NirDict => ({
    type: "Delay", delay: f64(typeof k === "number" ? new Float64Array(O).fill(k * o.dt) : Float64Array.from(k, (d) => d * o.dt), [O]), metadata: { exodus_layer: "DelayLinear" },
  });
  // every branch ends in a Delay (0 included), so the importer sees the layer, never a plain Linear
  const branch = (k: number | Int32Array, name: string, type: "Linear" | "Affine", weights: Float32Array): DelayBranch => ({
    linear: [`${o.path}.w${name}`, { type, weight: f32(weights, [O, I]), ...(type === "Affine" ? { bias: f32(bias) } : {}), metadata: meta() }],
    delay: [`${o.path}.delay${name}`, delayNode(k)],
  });
  if (layer.perNeuron) return [...(hasBias ? [branch(0, "0", "Affine", new Float32Array(O * I))] : []), branch(steps, "", "Linear", w)];
  const ks = [...new Set(steps)].sort((a, b) => a - b);
  if (hasBias && !ks.includes(0)) ks.unshift(0);
  const branches: DelayBranch[] = [];
  for (const k of ks) {
    const wk = Float32Array.from(w, (v, j) => (steps[j] === k ? v : 0));
    // only zero weights at this delay: nothing to carry (unless it carries the bias)
    if (wk.some((v) => v !== 0) || (k === 0 && hasBias)) branches.push(branch(k, String(k), k === 0 && hasBias ? "Affine" : "Linear", wk));
  }
  return branches.length ? branches : [branch(0, "0", "Linear", new Float32Array(O * I))];
}
