// Recurrent CubaLIF (snnTorch RSynaptic; docs/neurons.md, Recurrent layers): CubaLIF neurons whose
// spikes feed back into their synaptic current,
//   i[t] = α_s·i[t−1] + x[t] + V·s[t−1] (+ bias),  v[t] = α·v_post[t−1] + i[t],  s[t] = 1[v[t] ≥ θ],
// then the reset (subtract θ, or to zero). Options: CubaLIF's and size, bias, initScale, seed, rng.
// States (v, i, s); learnable α, α_s (learn: ["alpha", "alphaSyn"]), the bias and V (weight).
import { CubaLIF, type CubaLIFOptions, cubaNode } from "./cuba.js";
import { type NirContext, type NirStep, refuse } from "./nir.js";
import { recurrentSubgraph } from "../nir/recurrent.js";
import { type RecurrentOptions, RecurrentLayer, type TapeStep, splitOptions } from "./recurrent.js";
import type { ParamVar, Tape, Var } from "./tape.js";
import type { Tensor } from "../tensor.js";

export interface RCubaLIFOptions extends CubaLIFOptions, RecurrentOptions {}

export class RCubaLIF extends RecurrentLayer {
  readonly alphaSyn: Tensor;
  readonly alpha: Tensor;
  readonly threshold: Tensor;

  constructor(opts: RCubaLIFOptions) {
    const { own, model } = splitOptions("RCubaLIF", opts);
    const ff = new CubaLIF(model);
    super("RCubaLIF", own, ff, { alphaSyn: ff.alphaSyn, alpha: ff.alpha, threshold: ff.threshold }, {
      code: 0, state: "i", saveU: false,
      params: [["alphaSyn", "alphaSyn", "dalphaSyn"], ["alpha", "alpha", "dalpha"], ["threshold", "theta", null]],
    });
    this.alphaSyn = this.param("alphaSyn");
    this.alpha = this.param("alpha");
    this.threshold = this.param("threshold");
  }

  /** A NIR subgraph {input, lif (CubaLIF), w_rec, output} with the feedback edge lif → w_rec → lif (lib/nir/recurrent.ts), as snnTorch writes RSynaptic. */
  override toNir(c: NirContext): NirStep {
    if (c.shape.reduce((a, b) => a * b, 1) !== this.size) refuse(c, `samples of shape [${c.shape.join(", ")}] reach a layer of ${this.size} neurons`);
    const node = cubaNode({ ...c, shape: [this.size] }, this);
    return { node: recurrentSubgraph(node, this.size, this.weight.value.toArray(), this.hasBias ? this.param("bias").toArray() : undefined, "RCubaLIF"), shape: [...c.shape] };
  }

  protected tapeStep(tape: Tape, [vprev, cur]: [Var, Var], u: Var, params: Record<string, ParamVar>, learn: (n: string) => boolean, out: Tensor): TapeStep {
    const i = tape.add(tape.mulParam(cur, params.alphaSyn, learn("alphaSyn")), u);
    const v = tape.add(tape.mulParam(vprev, params.alpha, learn("alpha")), i);
    const s = tape.spike(v, this.threshold, this.surrogate, false, 0, out);
    const vpost = this.reset === "subtract" ? tape.sub(v, tape.mulParam(s, params.threshold, false)) : tape.sub(v, tape.mul(v, s));
    return { s, v, state: [vpost, i] };
  }
}
