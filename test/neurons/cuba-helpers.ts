// The CubaLIF runner of the neuron tests: forward and backward of a layer learning α and α_s, as host arrays.
import { Device } from "../../lib/device.js";
import { CubaLIF, type CubaLIFOptions } from "../../lib/nn/cuba.js";
import { Tensor } from "../../lib/tensor.js";

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
  const layer = new CubaLIF({ learn: ["alpha", "alphaSyn"], stateful: true, ...opts, device });
  const N = x.length / shape[0];
  try {
    if (init) layer.setState([Tensor.from(init.v0, [N], device), Tensor.from(init.i0, [N], device)]);
    const s = layer.forward(Tensor.from(x, shape, device));
    const v = layer.membrane?.toArray() ?? new Float32Array(0);
    const dx = layer.backward(Tensor.from(g, shape, device));
    const grads: Record<string, Float32Array> = {};
    for (const p of layer.parameters()) grads[p.name] = p.grad.toArray();
    return {
      s: s.toArray(), v, dx: dx.toArray(), dv0: layer.stateGrads![0].toArray(), di0: layer.stateGrads![1].toArray(), grads,
      state: layer.states!.map((t) => t.toArray()),
    };
  } finally {
    layer.dispose();
  }
}

