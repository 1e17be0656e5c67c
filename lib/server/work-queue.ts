/**
 * A bounded queue in front of slow work (solving, inference): at most `concurrency` jobs run,
 * at most `maxWaiting` wait, and anything beyond is refused at once with `E_BUSY` — a server
 * under more load than it can serve answers 503 quickly instead of piling up requests until
 * memory or every client's patience runs out.
 */
import { AsterismError } from '../errors.js';

/** A snapshot of a queue, as /healthz reports it. */
export interface QueueState {
  running: number;
  waiting: number;
  concurrency: number;
  maxWaiting: number;
}

interface Waiter {
  start(): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** Runs jobs with bounded concurrency and a bounded wait list. */
export class WorkQueue {
  private active = 0;
  private readonly waiters: Waiter[] = [];

  /**
   * @param name What the jobs are, for the busy message ('solve', 'inference').
   * @param concurrency Jobs running at once (≥ 1).
   * @param maxWaiting Jobs allowed to wait (≥ 0).
   */
  constructor(readonly name: string, readonly concurrency: number, readonly maxWaiting: number) {}

  state(): QueueState {
    return { running: this.active, waiting: this.waiters.length, concurrency: this.concurrency, maxWaiting: this.maxWaiting };
  }

  /** Throws the `E_BUSY` that {@link run} would reject with, when it would. */
  checkRoom(): void {
    if (this.active >= this.concurrency && this.waiters.length >= this.maxWaiting) throw this.busy();
  }

  private busy(): AsterismError {
    return new AsterismError('E_BUSY', `the server is busy: ${this.active} ${this.name} jobs running and ${this.waiters.length} waiting; try again shortly`);
  }

  /**
   * Runs `job` when a slot is free. Rejects with `E_BUSY` at once when the wait list is full,
   * and with `E_ABORTED` when `signal` fires while the job waits (a running job gets the
   * signal itself and decides).
   */
  async run<T>(job: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw new AsterismError('E_ABORTED', `the ${this.name} request was cancelled before it started`);
    if (this.active >= this.concurrency) await this.wait(signal);
    else this.active++;
    try {
      return await job();
    } finally {
      this.release();
    }
  }

  private wait(signal?: AbortSignal): Promise<void> {
    if (this.waiters.length >= this.maxWaiting) return Promise.reject(this.busy());
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { start: resolve, signal };
      if (signal) {
        waiter.onAbort = () => {
          const at = this.waiters.indexOf(waiter);
          if (at >= 0) this.waiters.splice(at, 1);
          reject(new AsterismError('E_ABORTED', `the ${this.name} request was cancelled while it waited`));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
    });
  }

  /** Hands the finished job's slot to the first waiter, or frees it. */
  private release(): void {
    const next = this.waiters.shift();
    if (!next) {
      this.active--;
      return;
    }
    if (next.onAbort) next.signal!.removeEventListener('abort', next.onAbort);
    next.start();
  }
}
