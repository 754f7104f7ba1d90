// The generator of lib/random.ts — xoshiro128** seeded by splitmix32 — as two plain functions on a
// 4-word state, so the augmentation workers (augment-thread.ts) draw the same streams from the
// same code as Rng on this thread. Typed arrays in, nothing else needed.

/** Fills the 4-word state s from a 32-bit seed (splitmix32). */
export function rngSeed(seed: number, s: Uint32Array): void {
  let x = seed >>> 0;
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    s[i] = (z ^ (z >>> 16)) >>> 0;
  }
}

function rngRotl(v: number, k: number): number {
  return ((v << k) | (v >>> (32 - k))) >>> 0;
}

/** The next uniform 32-bit unsigned integer, advancing s (xoshiro128**). */
export function rngNext(s: Uint32Array): number {
  const r = Math.imul(rngRotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
  const t = (s[1] << 9) >>> 0;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rngRotl(s[3], 11);
  return r;
}
