// BatchNorm in evaluation mode is an affine map per channel, y = s·(x − μ) + β with
// s = γ/√(σ² + ε), so after a convolution or a linear layer it folds into that layer's node:
// W' = s·W (per output channel), b' = s·(b − μ) + β. Exact in real arithmetic; computed in float64
// and written in float32 (one rounding per value). Training-mode batch statistics cannot be folded:
// the export describes the network as it runs at inference.
import { ExodusError } from "../errors.js";
import { BatchNorm1d, BatchNorm2d } from "../nn/batchnorm.js";
import { type NirDict, f32, isArray } from "./hdf5.js";

export type BatchNorm = BatchNorm1d | BatchNorm2d;

export const isBatchNorm = (l: unknown): l is BatchNorm => l instanceof BatchNorm1d || l instanceof BatchNorm2d;

/** The node of a Conv2d / Linear / Affine with the batch norm after it folded in (a new node). */
export function foldBatchNorm(node: NirDict, bn: BatchNorm, where: string): NirDict {
  const w = node.weight;
  if (!isArray(w) || !(node.type === "Conv2d" || node.type === "Linear" || node.type === "Affine"))
    throw new ExodusError(`${where}: a BatchNorm folds into the Conv2d or Linear just before it, received one after a ${String(node.type)} node; put the batch norm right after a convolution or linear layer`);
  const C = w.shape[0];
  if (bn.numFeatures !== C) throw new ExodusError(`${where}: BatchNorm of ${bn.numFeatures} channels after a layer of ${C} outputs`);
  const mean = bn.runningMean.value.toArray(), variance = bn.runningVar.value.toArray();
  const gamma = bn.weight?.value.toArray(), beta = bn.bias?.value.toArray();
  const b0 = isArray(node.bias) ? node.bias.data : new Float32Array(C);
  const s = Float64Array.from({ length: C }, (_, c) => (gamma ? gamma[c] : 1) / Math.sqrt(variance[c] + bn.eps));
  const per = w.data.length / C;
  const weight = f32(Float64Array.from(w.data, (x, i) => x * s[Math.floor(i / per)]), w.shape);
  const bias = f32(Float64Array.from({ length: C }, (_, c) => s[c] * (b0[c] - mean[c]) + (beta ? beta[c] : 0)));
  const meta = { ...((node.metadata as NirDict | undefined) ?? {}), exodus_batchnorm: "folded (evaluation mode): weight = s·W, bias = s·(b − running_mean) + β, s = γ/√(running_var + ε)" };
  return { ...node, type: node.type === "Linear" ? "Affine" : node.type, weight, bias, metadata: meta };
}
