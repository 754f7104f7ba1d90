// ExpLeak synaptic filter (docs/neurons.md §2): i[t] = β·i[t−1] + x[t], with learnable β. ExpLeak → LIF
// is a LIF with synaptic current. There is no spike, so "exodus" and "slayer" are the same exact
// scan; "bptt" differentiates the per-step ops on the tape.
import type { LayoutOption } from "./layer-layout.js";
import { type DeviceLike, parseDevice } from "../device.js";
import { native } from "../native.js";
import { type Tensor, keep } from "../tensor.js";
import { NeuronLayer, type Saved, type ScanBackward, type TapeForward, type TapeInputs } from "./neuron.js";
import { type BackwardMethod, checkBackward, checkOptions, decayValues, fail } from "./options.js";
import type { Var } from "./tape.js";
import { type NirContext, type NirStep, checkTiles, leakNode } from "./nir.js";
import type { PerNeuron } from "./lif.js";

export interface ExpLeakOptions extends LayoutOption {
  /** Decay β ∈ (0, 1] (shared or per neuron). Give this or tauSyn. */
  beta?: PerNeuron;
  tauSyn?: PerNeuron;
  dt?: number;
  learnBeta?: boolean;
  stateful?: boolean;
  backward?: BackwardMethod;
  device?: DeviceLike;
}

const KNOWN = new Set(["beta", "tauSyn", "dt", "learnBeta", "stateful", "backward", "device"]);

export class ExpLeak extends NeuronLayer {
  readonly beta: Tensor;
  readonly learnBeta: boolean;

  constructor(opts: ExpLeakOptions = {}) {
    const L = "ExpLeak";
    checkOptions(L, opts, KNOWN);
    const beta = decayValues(L, { value: opts.beta, tau: opts.tauSyn, dt: opts.dt }, { value: "beta", tau: "tauSyn" }, undefined);
    super({ layout: opts.layout, name: L, device: parseDevice(opts.device), backward: checkBackward(L, opts.backward), stateful: !!opts.stateful, P: beta.length, states: ["i"] });
    this.learnBeta = !!opts.learnBeta;
    this.beta = this.addParam("beta", beta, this.learnBeta);
  }

  /** A filtered current, not spikes: no firing rate. */
  protected override readonly emitsSpikes = false;

  /** A NIR LI node (I without leak). */
  override toNir(c: NirContext): NirStep {
    checkTiles(c, this.P);
    return { node: leakNode(c, this.beta.toArray(), this.learnBeta), shape: [...c.shape] };
  }

  protected scanForward(x: Tensor, out: Tensor, state: Tensor[], T: number, N: number): Saved {
    native().expleakForward({ T, N, P: this.P, beta: this.beta, x, state: state[0], i: out });
    return { i: keep(out.reshape([T, N])) };
  }

  protected scanBackward(b: ScanBackward): void {
    native().expleakBackward({
      T: b.T, N: b.N, P: this.P, beta: this.beta, gradI: b.g, i: b.saved.i!, i0: b.init[0], dx: b.dx, di0: b.stateGrads[0],
      dbeta: b.paramGrads.beta,
    });
  }

  protected tapeForward({ tape, T, xs, init, params, learn, outRows }: TapeInputs): TapeForward {
    let prev = init[0];
    const outs: Var[] = [];
    for (let t = 0; t < T; t++) {
      prev = tape.add(tape.mulParam(prev, params.beta, learn("beta")), xs[t]);
      outs.push(prev);
      outRows[t].copyFrom(prev.value);
    }
    return { outputs: outs, final: [prev] };
  }
}
