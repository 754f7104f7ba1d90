// One forward and backward of a recurrent CubaLIF/ALIF/adLIF layer with given V, bias and initial
// state, the host arrays the tests and the self-checks compare with the float64 reference
// (recurrent-reference.ts); and that reference's parameters for the same layer.
import type { Device } from "../device.js";
import type { RecurrentLayer } from "../nn/recurrent.js";
import { Tensor } from "../tensor.js";
import type { RecurrentRefModel, RecurrentRefParams } from "./recurrent-reference.js";
import type { SurrogateRef } from "./neuron-reference.js";

export interface RecurrentRun {
  s: Float32Array;
  /** The membrane (empty where the method keeps none, as BPTT). */
  v: Float32Array;
  dx: Float32Array;
  dw: Float32Array;
  /** Gradients of the learnable parameters (bias included) by name. */
  grads: Record<string, Float32Array>;
  /** ∂L/∂ the initial (v, second state, s). */
  dinit: Float32Array[];
  final: Float32Array[];
}

export interface RecurrentInputs {
  T: number;
  B: number;
  x: Float32Array;
  g: Float32Array;
  h?: Float32Array;
  w: Float32Array;
  bias?: Float32Array;
  init?: Float32Array[];
}

/** Runs the layer (made stateful, on d) and disposes it. */
export function runRecurrent(layer: RecurrentLayer, d: Device, i: RecurrentInputs): RecurrentRun {
  const H = layer.size, N = i.B * H, shape = [i.T, i.B, H];
  try {
    layer.weight.value.copyFrom(Tensor.from(i.w, [H, H], d));
    if (i.bias) layer.parameters().find((p) => p.name === "bias")!.value.copyFrom(Tensor.from(i.bias, [H], d));
    if (i.init) layer.setState(i.init.map((s) => Tensor.from(s, [N], d)));
    const s = layer.forward(Tensor.from(i.x, shape, d));
    const v = layer.membrane?.toArray() ?? new Float32Array(0); // BPTT keeps none
    const final = layer.states ? layer.states.map((t) => t.toArray()) : [];
    const dx = layer.backward(Tensor.from(i.g, shape, d), i.h ? { dv: Tensor.from(i.h, shape, d) } : {});
    const grads: Record<string, Float32Array> = {};
    for (const p of layer.parameters()) if (p.name !== "weight") grads[p.name] = p.grad.toArray();
    return { s: s.toArray(), v, dx: dx.toArray(), dw: layer.weight.grad.toArray(), grads, dinit: layer.stateGrads!.map((t) => t.toArray()), final };
  } finally {
    layer.dispose();
  }
}

const MODEL: Record<string, RecurrentRefModel> = { RCubaLIF: "cuba", RALIF: "alif", RAdLIF: "adlif" };

/** The reference's parameters of a layer (its values, read back, so float32 exactly as the scan's). */
export function refParams(layer: RecurrentLayer, T: number, B: number, i: { w: ArrayLike<number>; bias?: ArrayLike<number> }, sg: SurrogateRef): RecurrentRefParams {
  const names: Record<RecurrentRefModel, string[]> = {
    cuba: ["alphaSyn", "alpha", "threshold"], alif: ["alpha", "rho", "beta", "threshold"], adlif: ["alpha", "beta", "a", "b", "threshold"],
  };
  const model = MODEL[layer.name];
  const params: Record<string, Float32Array> = {};
  for (const n of names[model]) params[n] = (layer as unknown as Record<string, Tensor>)[n].toArray();
  return { model, T, B, H: layer.size, params, w: i.w, bias: i.bias, reset: layer.reset, sg };
}
