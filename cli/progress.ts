/** A progress line on a terminal; silent elsewhere so that output stays machine-readable. */
export class ProgressLine {
  #lastDraw = 0;
  #width = 0;
  readonly #enabled: boolean;

  /**
   * @param stream - where to draw (usually stderr).
   * @param enabled - draw at all; default: only when `stream` is a TTY.
   * @param intervalMs - least time between redraws.
   */
  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean },
    enabled?: boolean,
    private readonly intervalMs = 250,
  ) {
    this.#enabled = enabled ?? stream.isTTY === true;
  }

  /** Redraws the line with `text` if enough time has passed (or `force`). */
  update(text: string, force = false): void {
    if (!this.#enabled) return;
    const now = performance.now();
    if (!force && now - this.#lastDraw < this.intervalMs) return;
    this.#lastDraw = now;
    const pad = Math.max(0, this.#width - text.length);
    this.#width = text.length;
    this.stream.write(`\r${text}${' '.repeat(pad)}`);
  }

  /** Clears the line so that the next output starts on a clean line. */
  done(): void {
    if (!this.#enabled || this.#width === 0) return;
    this.stream.write(`\r${' '.repeat(this.#width)}\r`);
    this.#width = 0;
  }
}

/** Formats a rate like `12.3k/s`. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return '-';
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k/s`;
  return `${perSecond.toFixed(0)}/s`;
}

/** Formats a duration in seconds like `1m05s` or `4.2s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - m * 60);
  return `${m}m${String(s).padStart(2, '0')}s`;
}

/**
 * `, 42.0%, ETA 1m05s` for a progress line: the share of the input done and the time left at the
 * rate so far; empty until some progress was made.
 *
 * @param done - share done, 0–1.
 * @param seconds - time spent so far.
 * @param doneAtStart - share already done when the clock started (a resumed run).
 */
export function formatEta(done: number, seconds: number, doneAtStart = 0): string {
  if (!(done > doneAtStart)) return '';
  return `, ${(100 * done).toFixed(1)}%, ETA ${formatDuration(((1 - done) * seconds) / (done - doneAtStart))}`;
}
