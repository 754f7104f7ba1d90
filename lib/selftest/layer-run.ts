// One forward and backward of a neuron layer on a device, the outputs a neuron check compares:
// spikes, membrane (the spikes again where the method keeps none, as BPTT), ∂x and every
// parameter's gradient. The layer is disposed afterwards.
import type { Device } from "../device.js";
import type { NeuronLayer } from "../nn/neuron.js";
import { Tensor } from "../tensor.js";

export function runNeuronLayer(layer: NeuronLayer, d: Device, x: Float32Array, g: Float32Array, shape: number[]): Float32Array[] {
  try {
    const s = layer.forward(Tensor.from(x, shape, d));
    const dx = layer.backward(Tensor.from(g, shape, d));
    return [s.toArray(), layer.membrane?.toArray() ?? s.toArray(), dx.toArray(), ...layer.parameters().map((p) => p.grad.toArray())];
  } finally {
    layer.dispose();
  }
}
