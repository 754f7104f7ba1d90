// Recurrent adLIF (SE-adLIF, Baronig et al. 2025; docs/neurons.md, Recurrent layers): adLIF neurons
// whose spikes feed back into the membrane input, inside the (1 − α) factor as SE-adLIF writes it,
//   v[t] = α·v_post[t−1] + (1 − α)·(x[t] + V·s[t−1] (+ bias) − w[t−1]),  s[t] = 1[v[t] ≥ θ],
//   w[t] = β·w[t−1] + (1 − β)·(a·v_post[t] + b·s[t]).
// Options: AdLIF's and size, bias, initScale, seed, rng. States (v, w, s); learnable as AdLIF
// (learn: any of "alpha", "beta", "a", "b"), the bias and V (weight).
import { AdLIF, type AdLIFOptions } from "./adlif.js";
import { type RecurrentOptions, RecurrentLayer, type TapeStep, splitOptions } from "./recurrent.js";
import type { ParamVar, Tape, Var } from "./tape.js";
import type { Tensor } from "../tensor.js";

export interface RAdLIFOptions extends AdLIFOptions, RecurrentOptions {}

export class RAdLIF extends RecurrentLayer {
  readonly alpha: Tensor;
  readonly beta: Tensor;
  readonly a: Tensor;
  readonly b: Tensor;
  readonly threshold: Tensor;

  constructor(opts: RAdLIFOptions) {
    const { own, model } = splitOptions("RAdLIF", opts);
    const ff = new AdLIF(model);
    super("RAdLIF", own, ff, { alpha: ff.alpha, beta: ff.beta, a: ff.a, b: ff.b, threshold: ff.threshold }, {
      code: 2, state: "w", saveU: true,
      params: [["alpha", "alpha", "dalpha"], ["beta", "beta", "dbeta"], ["a", "a", "da"], ["b", "b", "db"], ["threshold", "theta", null]],
    });
    this.alpha = this.param("alpha");
    this.beta = this.param("beta");
    this.a = this.param("a");
    this.b = this.param("b");
    this.threshold = this.param("threshold");
  }

  protected tapeStep(tape: Tape, [vprev, w]: [Var, Var], u: Var, params: Record<string, ParamVar>, learn: (n: string) => boolean, out: Tensor): TapeStep {
    const { alpha, beta, a, b, threshold } = params;
    const oneMinusAlpha = { v: tape.oneMinus(alpha.v), P: this.P }, oneMinusBeta = { v: tape.oneMinus(beta.v), P: this.P };
    const v = tape.add(tape.mulParam(vprev, alpha, learn("alpha")), tape.mulParam(tape.sub(u, w), oneMinusAlpha, learn("alpha")));
    const s = tape.spike(v, this.threshold, this.surrogate, false, 0, out);
    const vpost = this.reset === "subtract" ? tape.sub(v, tape.mulParam(s, threshold, false)) : tape.sub(v, tape.mul(v, s));
    const drive = tape.add(tape.mulParam(vpost, a, learn("a")), tape.mulParam(s, b, learn("b")));
    const wn = tape.add(tape.mulParam(w, beta, learn("beta")), tape.mulParam(drive, oneMinusBeta, learn("beta")));
    return { s, v, state: [vpost, wn] };
  }
}
