// The CubaLIF runner of the neuron tests: forward and backward of a layer learning α and α_s, as host arrays.
import { Device } from "../../lib/device.js";
import { CubaLIF, type CubaLIFOptions } from "../../lib/nn/cuba.js";
import { runStateful } from "./helpers.js";

export interface CubaRun {
  s: Float32Array;
  v: Float32Array;
  dx: Float32Array;
  dv0: Float32Array;
  di0: Float32Array;
  grads: Record<string, Float32Array>;
  state: Float32Array[];
}

export function runCuba(opts: CubaLIFOptions, shape: number[], x: Float32Array, g: Float32Array,
  init?: { v0: Float32Array; i0: Float32Array }, device: Device = Device.cpu): CubaRun {
  const r = runStateful(new CubaLIF({ learn: ["alpha", "alphaSyn"], stateful: true, ...opts, device }), shape, x, g, init && [init.v0, init.i0]);
  return { ...r, dv0: r.dStates[0], di0: r.dStates[1] };
}
