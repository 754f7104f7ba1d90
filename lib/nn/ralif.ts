// Recurrent ALIF (docs/neurons.md, Recurrent layers): ALIF neurons whose spikes feed back into the
// membrane, as RLIF's,
//   v[t] = α·v_post[t−1] + x[t] + V·s[t−1] (+ bias),  s[t] = 1[v[t] ≥ θ0 + β·b[t]],
//   b[t+1] = ρ·b[t] + (1−ρ)·s[t],  v_post[t] = v[t] − (θ0 + β·b[t])·s[t].
// Options: ALIF's and size, bias, initScale, seed, rng. States (v, b, s); learnable as ALIF
// (learn: any of "alpha", "rho", "beta", "threshold"), the bias and V (weight).
import { ALIF, type ALIFOptions } from "./alif.js";
import { type RecurrentOptions, RecurrentLayer, type TapeStep, splitOptions } from "./recurrent.js";
import type { ParamVar, Tape, Var } from "./tape.js";
import type { Tensor } from "../tensor.js";

export interface RALIFOptions extends ALIFOptions, RecurrentOptions {}

export class RALIF extends RecurrentLayer {
  readonly alpha: Tensor;
  readonly rho: Tensor;
  readonly beta: Tensor;
  readonly threshold: Tensor;

  constructor(opts: RALIFOptions) {
    const { own, model } = splitOptions("RALIF", opts);
    const ff = new ALIF(model);
    super("RALIF", own, ff, { alpha: ff.alpha, rho: ff.rho, beta: ff.beta, threshold: ff.threshold }, {
      code: 1, state: "b", saveU: false,
      params: [["alpha", "alpha", "dalpha"], ["rho", "rho", "drho"], ["beta", "beta", "dbeta"], ["threshold", "theta0", "dtheta0"]],
    });
    this.alpha = this.param("alpha");
    this.rho = this.param("rho");
    this.beta = this.param("beta");
    this.threshold = this.param("threshold");
  }

  protected tapeStep(tape: Tape, [vprev, b]: [Var, Var], u: Var, params: Record<string, ParamVar>, learn: (n: string) => boolean, out: Tensor): TapeStep {
    const { alpha, rho, beta, threshold } = params;
    const th = tape.addParam(tape.mulParam(b, beta, learn("beta")), threshold, learn("threshold"));
    const v = tape.add(tape.mulParam(vprev, alpha, learn("alpha")), u);
    // The spike at v − θ[t] + θ0 ≥ θ0: the surrogate σ(v − β·b) with θ0's coefficients, as ALIF.
    const s = tape.spike(tape.addParam(tape.sub(v, th), threshold, false), this.threshold, this.surrogate, false, 0, out);
    const vpost = tape.sub(v, tape.mul(th, s));
    const oneMinusRho = { v: tape.oneMinus(rho.v), P: this.P };
    const bnext = tape.add(tape.mulParam(b, rho, learn("rho")), tape.mulParam(s, oneMinusRho, learn("rho")));
    return { s, v, state: [vpost, bnext] };
  }
}
