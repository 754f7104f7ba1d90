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
  /** Seconds since this run (or resumed run) started, and the estimated seconds left. */
  elapsedS?: number;
  etaS?: number;
}

/** 75 → "1:15", 4000 → "1:06:40". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.max(0, Math.round(seconds));
  const two = (n: number) => String(n).padStart(2, "0");
  return s >= 3600 ? `${Math.floor(s / 3600)}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}` : `${Math.floor(s / 60)}:${two(s % 60)}`;
}

/** Time left from the fraction of the run done since it started (or resumed) and the time it took. */
export class Eta {
  private readonly started = performance.now();
  constructor(private readonly startFraction = 0) {}

  get elapsedS(): number {
    return (performance.now() - this.started) / 1000;
  }

  /** fraction: of the whole run, in [0, 1]. */
  leftS(fraction: number): number | undefined {
    const done = fraction - this.startFraction;
    if (done <= 0) return undefined;
    return (this.elapsedS / done) * Math.max(0, 1 - fraction);
  }
}

export class Progress {
  private last = 0;
  private lastPlain = -1;
  private drawn = false;

  constructor(private readonly out: NodeJS.WriteStream | { isTTY?: boolean; write(s: string): unknown } = process.stderr, private readonly quiet = false) {}

  private line(s: ProgressState): string {
    const of = s.batches ? `/${s.batches}` : "";
    const time = s.elapsedS === undefined ? "" : ` | elapsed ${formatDuration(s.elapsedS)}${s.etaS === undefined ? "" : ` ETA ${formatDuration(s.etaS)}`}`;
    return `epoch ${s.epoch + 1}/${s.epochs} batch ${s.batch}${of} loss ${s.loss.toFixed(4)} acc ${(100 * s.acc).toFixed(1)}% ${s.samplesPerSec.toFixed(0)} samples/s${time}`;
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
  /** A warning: its own line, prefixed so it stands out in a log (also kept in metrics.jsonl). */
  warn(text: string): void {
    if (this.quiet) return;
    if (this.drawn) this.out.write("\r\x1b[K");
    this.drawn = false;
    this.lastPlain = -1;
    this.out.write(`exodus: warning: ${text}\n`);
  }

  log(text: string): void {
    if (this.quiet) return;
    if (this.drawn) this.out.write("\r\x1b[K");
    this.drawn = false;
    this.lastPlain = -1;
    this.out.write(`${text}\n`);
  }
}
