// Inverted dropout with counter-based masks: mask[i] = (u(seed, i) >= p) / (1 - p), the same on
// every backend and thread count, so runs are reproducible from their seed.
import { ExodusError } from "./errors.js";
import { native } from "./native.js";
import type { Shape } from "./tensor.js";
import { Tensor } from "./tensor.js";
import type { DeviceLike } from "./device.js";

/** Throws unless p is a probability in [0, 1) and seed a non-negative integer. */
export function checkDropout(p: number, seed: number): void {
  if (!(p >= 0 && p < 1)) throw new ExodusError(`dropout: expected a probability in [0, 1), received ${p}`);
  if (!Number.isInteger(seed) || seed < 0) throw new ExodusError(`dropout: expected a non-negative integer seed, received ${seed}`);
}

export function dropoutMask(shape: Shape, p: number, seed: number, device?: DeviceLike): Tensor {
  checkDropout(p, seed);
  const m = Tensor.empty(shape, device);
  native().dropoutMask({ mask: m, n: m.size, p, seed });
  return m;
}

/**
 * x · dropoutMask(x.shape, p, seed), bit for bit, without a mask in memory: the factors are
 * recomputed from the seed (only at nonzero x on the CPU), so a layer's backward needs the seed
 * alone. Into `out` when given (which may be x).
 */
export function dropoutApply(x: Tensor, p: number, seed: number, out?: Tensor): Tensor {
  checkDropout(p, seed);
  const y = out ?? Tensor.empty(x.shape, x.device);
  if (y.size !== x.size) throw new ExodusError(`dropout: expected out of ${x.size} elements, received ${y.size}`);
  native().dropoutApply({ x, y, n: x.size, p, seed });
  return y;
}
