// Progress on stderr: one redrawn line on a terminal (at most 10 redraws a second), plain lines
// every 10 % of an epoch otherwise (logs, CI), so long runs never look hung.
export interface ProgressState {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number | undefined;
  loss: number;
  acc: number;
  samplesPerSec: number;
}

export class Progress {
  private last = 0;
  private lastPlain = -1;
  private drawn = false;

  constructor(private readonly out: NodeJS.WriteStream | { isTTY?: boolean; write(s: string): unknown } = process.stderr, private readonly quiet = false) {}

  private line(s: ProgressState): string {
    const of = s.batches ? `/${s.batches}` : "";
    return `epoch ${s.epoch + 1}/${s.epochs} batch ${s.batch}${of} loss ${s.loss.toFixed(4)} acc ${(100 * s.acc).toFixed(1)}% ${s.samplesPerSec.toFixed(0)} samples/s`;
  }

  update(s: ProgressState): void {
    if (this.quiet) return;
    if (this.out.isTTY) {
      const now = Date.now();
      if (now - this.last < 100 && s.batch !== s.batches) return;
      this.last = now;
      this.out.write(`\r\x1b[K${this.line(s)}`);
      this.drawn = true;
      return;
    }
    const tenth = s.batches ? Math.floor((10 * s.batch) / s.batches) : Math.floor(s.batch / 50);
    if (tenth !== this.lastPlain) {
      this.lastPlain = tenth;
      this.out.write(`${this.line(s)}\n`);
    }
  }

  /** A line of its own (epoch summaries, notes), clearing a redrawn bar first. */
  log(text: string): void {
    if (this.quiet) return;
    if (this.drawn) this.out.write("\r\x1b[K");
    this.drawn = false;
    this.lastPlain = -1;
    this.out.write(`${text}\n`);
  }
}
