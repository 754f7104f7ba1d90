// The neuron kernels of the native addon, typed (binding_neurons.cc). Kept apart from
// lib/native.ts so the neuron layer owns its own binding surface.
import { type NativeBufferHandle, native } from "../native.js";

type Buf = NativeBufferHandle;
type OptBuf = Buf | null;

/** Config of a LIF scan; codes match cuda/include/exodus/neurons.h. */
export interface LifNativeConfig {
  T: number;
  N: number;
  P: number;
  reset: number;
  multiSpike: number;
  maxSpikes: number;
  hasVmin: number;
  vmin: number;
  normInput: number;
  surrogate: number;
  sgScale: number;
  sgWidth: number;
}

export interface SrmNativeConfig {
  T: number;
  N: number;
  Ke: number;
  Kn: number;
  theta: number;
  multiSpike: number;
  maxSpikes: number;
  surrogate: number;
  sgScale: number;
  sgWidth: number;
}

export interface NeuronAddon {
  lifForward(c: LifNativeConfig, x: Buf, xo: number, alpha: Buf, ao: number, theta: Buf, to: number, m: Buf, mo: number,
    state: Buf, so: number, s: Buf, sso: number, v: Buf, vo: number): void;
  lifBackward(c: LifNativeConfig, method: number, alpha: Buf, ao: number, theta: Buf, to: number, m: Buf, mo: number,
    g: Buf, go: number, h: OptBuf, ho: number, v: Buf, vo: number, x: OptBuf, xo: number, v0: Buf, v0o: number,
    dx: Buf, dxo: number, dv0: OptBuf, dv0o: number, dalpha: OptBuf, dao: number): void;
  expleakForward(c: { T: number; N: number; P: number }, beta: Buf, bo: number, x: Buf, xo: number, state: Buf, so: number,
    i: Buf, io: number): void;
  expleakBackward(c: { T: number; N: number; P: number }, beta: Buf, bo: number, gi: Buf, gio: number, i: Buf, io: number,
    i0: Buf, i0o: number, dx: Buf, dxo: number, di0: OptBuf, di0o: number, dbeta: OptBuf, dbo: number): void;
  srmForward(c: SrmNativeConfig, eps: Buf, eo: number, nu: OptBuf, no: number, a: Buf, ao: number, s: Buf, so: number,
    u: Buf, uo: number): void;
  srmBackward(c: SrmNativeConfig, method: number, eps: Buf, eo: number, nu: OptBuf, no: number, g: Buf, go: number,
    u: Buf, uo: number, q: Buf, qo: number, da: Buf, dao: number): void;
  spikeFn(v: Buf, vo: number, s: Buf, so: number, n: number, theta: Buf, to: number, P: number, multi: number, maxSpikes: number): void;
  surrogateGrad(kind: number, v: Buf, vo: number, g: Buf, go: number, y: Buf, yo: number, n: number, theta: Buf, to: number,
    P: number, scale: number, width: number): void;
}

export function neuronNative(): NeuronAddon {
  return native() as unknown as NeuronAddon;
}

export const SurrogateCode = { exponential: 0, boxcar: 1, gaussian: 2, fast_sigmoid: 3, arctan: 4 } as const;
export const ResetCode = { subtract: 0, zero: 1 } as const;
export const GradCode = { exodus: 0, slayer: 1 } as const;
