/**
 * A small progress bar for long-running commands, drawn on stderr with a carriage return:
 *
 *   producing  [##########··········]  52%  4,210 rows  1,950 rows/s  ETA 2s
 *
 * It is silent when stderr is not a terminal (pipes, CI logs, tests), so output stays clean there.
 * Redraws at most ten times a second; finish() clears the line.
 */
export interface ProgressOptions {
  /** Word shown before the bar. */
  readonly label: string;
  /** Total units of work (rows, bytes...), or 0 when unknown (no bar, no ETA). */
  readonly total: number;
  /** Where to draw; stderr by default. */
  readonly stream?: NodeJS.WriteStream;
  /** Name of what `rows` counts in the rate display: `rows` by default, `MB` for bytes of a file. */
  readonly unit?: string;
  /** Force drawing even when the stream is not a TTY (for tests). */
  readonly force?: boolean;
}

const WIDTH = 20;
const MIN_REDRAW_MS = 100;

export class ProgressBar {
  private readonly stream: NodeJS.WriteStream;
  private readonly enabled: boolean;
  private readonly startedAt = Date.now();
  private lastDraw = 0;
  private drawn = false;
  private total: number;
  private readonly label: string;
  private readonly unit: string;

  constructor(opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.enabled = opts.force === true || this.stream.isTTY === true;
    this.total = opts.total;
    this.label = opts.label;
    this.unit = opts.unit ?? 'rows';
  }

  /**
   * Reports progress: `done` units of `total` are finished; `rows` (default `done`) is the row
   * count shown with its rate, for work measured in something else, like bytes of a file.
   */
  update(done: number, rows = done): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < MIN_REDRAW_MS && done < this.total) return;
    this.lastDraw = now;
    this.stream.write(`\r${this.render(done, rows, now)}\x1b[K`);
    this.drawn = true;
  }

  /** Changes the total (when it becomes known later). */
  setTotal(total: number): void {
    this.total = total;
  }

  /** The line the bar would draw (exposed for tests). */
  render(done: number, rows: number, now = Date.now()): string {
    const seconds = Math.max((now - this.startedAt) / 1000, 1e-3);
    const rate = rows / seconds;
    const parts = [this.label];
    if (this.total > 0) {
      const fraction = Math.min(1, Math.max(0, done / this.total));
      const filled = Math.round(fraction * WIDTH);
      parts.push(`[${'#'.repeat(filled)}${'·'.repeat(WIDTH - filled)}]`, `${String(Math.floor(fraction * 100)).padStart(3)}%`);
    }
    const fmt = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: x < 100 ? 1 : 0 });
    parts.push(`${fmt(rows)} ${this.unit}`, `${fmt(rate)} ${this.unit}/s`);
    if (this.total > 0 && done > 0 && done < this.total) {
      const eta = ((this.total - done) * seconds) / done;
      parts.push(`ETA ${formatDuration(eta)}`);
    }
    return parts.join('  ');
  }

  /** Clears the bar's line (call before printing the summary). */
  finish(): void {
    if (this.enabled && this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}

/** Seconds as `45s`, `3m05s` or `1h02m`. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
