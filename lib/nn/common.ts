// Shared checks of the layers' inputs.
import { ShapeError, shapeStr } from "../errors.js";
import type { Device } from "../device.js";
import { ExodusError } from "../errors.js";
import type { Tensor } from "../tensor.js";

/** [T, …] → T and N (neurons per step); checks device and that parameters tile the neurons. */
export function timeMajor(layer: string, x: Tensor, device: Device, P = 1): { T: number; N: number } {
  if (x.rank < 2) throw new ShapeError(`${layer}: expected a time-major input [T, batch, …], received ${shapeStr(x.shape)}`);
  if (!x.device.equals(device))
    throw new ExodusError(`${layer}: expected the input on ${device} (the layer's device), received it on ${x.device}`);
  const T = x.shape[0];
  const N = T === 0 ? 0 : x.size / T;
  if (P > 1 && N % P !== 0)
    throw new ShapeError(
      `${layer}: per-neuron parameters of ${P} values do not tile the ${N} neurons per step of ${shapeStr(x.shape)}; expected the trailing dimensions to hold ${P} neurons`,
    );
  return { T, N };
}

export function sameShape(what: string, got: Tensor, want: readonly number[]): void {
  if (got.shape.length !== want.length || got.shape.some((d, i) => d !== want[i]))
    throw new ShapeError(`${what}: expected shape ${shapeStr(want)}, received ${shapeStr(got.shape)}`);
}

export function noForward(layer: string): never {
  throw new ExodusError(`${layer}: backward() called without a forward() to differentiate (or after dispose())`);
}

/** A per-sample shape [C, H, W] (a layer over images), checked. */
export function imageShape(layer: string, s: readonly number[]): [number, number, number] {
  if (s.length !== 3) throw new ShapeError(`${layer}: expected an input [C, H, W], received ${shapeStr(s)}`);
  return s as [number, number, number];
}
