// Training throughput without warm-up: the first step of a run pays for one-off costs (first
// allocations of every buffer size, page faults, JIT, the data pipeline filling up), which can
// be many steps' worth on a short epoch. samples/s counts from the end of this run's first step;
// with a single step there is nothing else to go by and it is that step's rate.
export class Throughput {
  private warmAt = 0;
  private warmSeen = 0;
  private steps = 0;
  private readonly start = performance.now();
  private seen = 0;

  /** Records a finished step of `samples` samples. */
  step(samples: number): void {
    this.seen += samples;
    if (++this.steps === 1) {
      this.warmAt = performance.now();
      this.warmSeen = this.seen;
    }
  }

  /** undefined before the first step. */
  get samplesPerSec(): number | undefined {
    const now = performance.now();
    if (this.steps === 0) return undefined;
    if (this.steps === 1) return this.seen / Math.max(1e-9, (now - this.start) / 1000);
    return (this.seen - this.warmSeen) / Math.max(1e-9, (now - this.warmAt) / 1000);
  }
}
