// The deviation the delay tests bound: max |got − want| over max |want| (the reference must not
// be all zeros, or the bound would mean nothing).
import { expect } from "vitest";

export function maxDev(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 0, dev = 0;
  for (let k = 0; k < want.length; k++) scale = Math.max(scale, Math.abs(want[k]));
  for (let k = 0; k < want.length; k++) dev = Math.max(dev, Math.abs(got[k] - want[k]));
  expect(scale).toBeGreaterThan(0);
  return dev / scale;
}
