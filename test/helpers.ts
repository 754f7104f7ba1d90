// Shared test helpers.
import { Rng } from "../lib/random.js";

export function randomArray(rng: Rng, n: number, lo = -2, hi = 2): Float32Array {
  return rng.fillUniform(new Float32Array(n), lo, hi);
}

export function maxRelError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    num = Math.max(num, Math.abs(got[i] - want[i]));
    den = Math.max(den, Math.abs(want[i]));
  }
  return num / Math.max(den, 1e-30);
}
