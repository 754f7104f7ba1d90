// A small seeded generator (xorshift128+ on two 32-bit halves is enough for choosing mutations);
// every fuzz run is reproducible from its --seed.
export class Rng {
  constructor(seed) {
    this.a = (seed ^ 0x9e3779b9) >>> 0 || 1;
    this.b = (Math.imul(seed, 0x85ebca6b) ^ 0xc2b2ae35) >>> 0 || 2;
    for (let i = 0; i < 8; i++) this.u32();
  }
  u32() {
    let x = this.a;
    const y = this.b;
    this.a = y;
    x ^= x << 23;
    x ^= x >>> 17;
    x ^= y ^ (y >>> 26);
    this.b = x >>> 0;
    return (this.a + this.b) >>> 0;
  }
  /** Integer in [0, n). */
  int(n) {
    return n <= 0 ? 0 : Math.floor((this.u32() / 2 ** 32) * n);
  }
  pick(a) {
    return a[this.int(a.length)];
  }
  chance(p) {
    return this.u32() / 2 ** 32 < p;
  }
}
