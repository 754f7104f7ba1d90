// Runs a recurrent LIF layer through forward and backward and returns host arrays, with the float64
// reference's parameters for the same options.
import { Device } from "../../lib/device.js";
import { RLIF, type RLIFOptions } from "../../lib/nn/rlif.js";
import { Tensor } from "../../lib/tensor.js";
import type { RlifRefParams } from "../../lib/selftest/rlif-reference.js";

export interface RlifRun {
  s: Float32Array;
  v: Float32Array;
  dx: Float32Array;
  dv0: Float32Array;
  ds0: Float32Array;
  dw: Float32Array;
  dalpha?: Float32Array;
  dbias?: Float32Array;
  w: Float32Array;
  bias: Float32Array;
  state: Float32Array[];
}

export interface RlifInit {
  v0?: Float32Array;
  s0?: Float32Array;
  /** Values of V [H, H] and bias [H] to set before the forward. */
  w?: Float32Array;
  bias?: Float32Array;
}

export function runRlif(opts: RLIFOptions, T: number, B: number, x: Float32Array, g: Float32Array,
  extra: RlifInit & { h?: Float32Array; device?: Device } = {}): RlifRun {
  const device = extra.device ?? Device.cpu;
  const H = opts.size, N = B * H;
  const layer = new RLIF({ ...opts, device, stateful: true });
  try {
    if (extra.w) layer.weight.value.copyFrom(Tensor.from(extra.w, [H, H], device));
    const biasP = layer.parameters().find((p) => p.name === "bias");
    if (extra.bias) {
      if (!biasP) throw new Error("runRlif: bias values for a layer without bias");
      biasP.value.copyFrom(Tensor.from(extra.bias, [H], device));
    }
    if (extra.v0 || extra.s0) layer.setState([Tensor.from(extra.v0 ?? new Float32Array(N), [N], device), Tensor.from(extra.s0 ?? new Float32Array(N), [N], device)]);
    const xt = Tensor.from(x, [T, B, H], device);
    const s = layer.forward(xt);
    const state = layer.states!.map((t) => t.toArray());
    const v = layer.membrane?.toArray() ?? new Float32Array(0);
    const dx = layer.backward(Tensor.from(g, [T, B, H], device), extra.h ? { dv: Tensor.from(extra.h, [T, B, H], device) } : {});
    const grads = layer.stateGrads!;
    const find = (n: string) => layer.parameters().find((p) => p.name === n)?.grad.toArray();
    const out: RlifRun = {
      s: s.toArray(), v, dx: dx.toArray(), dv0: grads[0].toArray(), ds0: grads[1].toArray(), dw: layer.weight.grad.toArray(),
      dalpha: find("alpha"), dbias: find("bias"), w: layer.weight.value.toArray(), bias: biasP ? biasP.value.toArray() : new Float32Array(H), state,
    };
    for (const t of [xt, s, dx]) t.dispose();
    return out;
  } finally {
    layer.dispose();
  }
}

/** The reference's parameters of options with shared or per-neuron α (from alpha or tauMem) and θ. */
export function rlifRefParams(o: RLIFOptions, T: number, B: number, w: Float32Array, bias: Float32Array | undefined,
  sg: RlifRefParams["sg"]): RlifRefParams {
  const H = o.size;
  const per = (v: number | number[] | Float32Array | undefined, d: number, f = (a: number) => a) => {
    const a = v === undefined ? [d] : typeof v === "number" ? [v] : Array.from(v);
    return Float64Array.from(a.length === H ? a.map(f) : new Array(H).fill(f(a[0])));
  };
  const alpha = o.tauMem !== undefined ? per(o.tauMem, 1, (tau) => Math.fround(Math.exp(-1 / tau))) : per(o.alpha, 1, Math.fround);
  return { T, B, H, alpha, theta: per(o.threshold, 1, Math.fround), w, bias, reset: o.reset ?? "subtract", sg };
}
