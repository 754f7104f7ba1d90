// Inverted dropout with counter-based masks: mask[i] = (u(seed, i) >= p) / (1 - p), the same on
// every backend and thread count, so runs are reproducible from their seed.
import { ExodusError } from "./errors.js";
import { native } from "./native.js";
import type { Shape } from "./tensor.js";
import { Tensor } from "./tensor.js";
import type { DeviceLike } from "./device.js";

export function dropoutMask(shape: Shape, p: number, seed: number, device?: DeviceLike): Tensor {
  if (!(p >= 0 && p < 1)) throw new ExodusError(`dropout: expected a probability in [0, 1), received ${p}`);
  if (!Number.isInteger(seed) || seed < 0) throw new ExodusError(`dropout: expected a non-negative integer seed, received ${seed}`);
  const m = Tensor.empty(shape, device);
  native().dropoutMask({ mask: m, n: m.size, p, seed });
  return m;
}
