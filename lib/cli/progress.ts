/**
 * A one-line progress bar for long CLI work. It only ever writes to stderr (stdout carries results
 * and must stay parseable), redraws in place on a terminal, and on a pipe or log file prints a
 * plain line now and then so that CI logs of hour-long jobs still show signs of life.
 */

/** The subset of a stream the bar needs; `process.stderr` fits. */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Options of {@link createProgressBar}. */
export interface ProgressOptions {
  /** Where to draw (default `process.stderr`). */
  stream?: ProgressStream;
  /** Draw nothing at all (for `--quiet`). */
  silent?: boolean;
  /** Terminal: minimum time between redraws, ms (default 100). */
  redrawMs?: number;
  /** Not a terminal: minimum time between log lines, ms (default 10 000); jobs shorter than this print nothing. */
  logEveryMs?: number;
  /** Clock in ms (default `performance.now`); tests pass a fake one. */
  now?: () => number;
}

/** A running progress display. */
export interface ProgressBar {
  /**
   * Reports progress. `fraction` is clamped to [0, 1]; NaN means "unknown", which shows the detail
   * and elapsed time without a bar. Cheap to call often: drawing is throttled.
   */
  update(fraction: number, detail?: string): void;
  /** Stops the display; on a terminal the line is erased so following output starts clean. */
  done(): void;
}

const BAR_WIDTH = 24;

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * Starts a progress display labelled `label`. Feed it from a library `onProgress` callback:
 *
 * @example
 * ```ts
 * const bar = createProgressBar('indexing');
 * try { await buildIndex({ ...options, onProgress: (p) => bar.update(p.fraction, p.stage) }); }
 * finally { bar.done(); }
 * ```
 */
export function createProgressBar(label: string, options: ProgressOptions = {}): ProgressBar {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  const tty = stream.isTTY === true;
  const redrawMs = options.redrawMs ?? 100;
  const logEveryMs = options.logEveryMs ?? 10_000;
  const started = now();
  let lastDraw = -Infinity;
  let lastLog = started;
  let logged = false;
  let drawn = false;
  let finished = options.silent === true;
  let fraction = NaN;
  let detail = '';
  let trailing: NodeJS.Timeout | undefined;
  let ticker: NodeJS.Timeout | undefined;

  const describe = (withBar: boolean): string => {
    const elapsed = now() - started;
    const parts = [label];
    if (Number.isFinite(fraction)) {
      const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
      if (withBar) {
        const filled = Math.round(fraction * BAR_WIDTH);
        parts.push(`[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`);
      }
      parts.push(percent);
      // An ETA from the first few percent is noise; wait until there is something to extrapolate.
      if (fraction >= 0.05 && fraction < 1) parts.push(`${formatSeconds(elapsed)}, ~${formatSeconds((elapsed * (1 - fraction)) / fraction)} left`);
      else parts.push(formatSeconds(elapsed));
    } else {
      parts.push(formatSeconds(elapsed));
    }
    if (detail) parts.push(detail);
    return parts.join(' ');
  };

  const draw = () => {
    const columns = stream.columns && stream.columns > 10 ? stream.columns : 80;
    let line = describe(true);
    // Never wrap: a wrapped line cannot be erased with \r and the terminal fills with copies.
    if (line.length > columns - 1) line = `${line.slice(0, columns - 2)}…`;
    stream.write(`\r\x1b[2K${line}`);
    drawn = true;
    lastDraw = now();
    clearTimeout(trailing);
    trailing = undefined;
  };

  return {
    update(value, text) {
      if (finished) return;
      fraction = Number.isNaN(value) ? NaN : Math.min(1, Math.max(0, value));
      if (text !== undefined) detail = text;
      const t = now();
      if (tty) {
        // A long stage after a throttled update would otherwise show stale text, and the elapsed
        // time would freeze between updates: a trailing redraw and a slow tick cover both.
        // Both timers are unref'd so a forgotten done() cannot keep the process alive.
        ticker ??= setInterval(draw, 1000).unref();
        if (t - lastDraw >= redrawMs) draw();
        else trailing ??= setTimeout(draw, redrawMs).unref();
      } else if (t - lastLog >= logEveryMs) {
        lastLog = t;
        logged = true;
        stream.write(`${describe(false)}\n`);
      }
    },
    done() {
      if (finished) return;
      finished = true;
      clearTimeout(trailing);
      clearInterval(ticker);
      if (tty && drawn) stream.write('\r\x1b[2K');
      // A log that showed progress should also show the end, with the total time.
      else if (logged) stream.write(`${label} done in ${formatSeconds(now() - started)}\n`);
    },
  };
}
