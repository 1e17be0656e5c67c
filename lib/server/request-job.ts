/**
 * The life of one request's work: it ends when the client goes away (the answer would be
 * thrown away) or when the server's per-request time limit runs out, whichever comes first.
 */
import type { FastifyReply } from 'fastify';
import { AsterismError, isAsterismError } from '../errors.js';

export interface RequestJob {
  /** Fires when the client disconnects or the time limit passes. */
  signal: AbortSignal;
  /** Milliseconds left of the time limit (at least 1). */
  remainingMs(): number;
  /**
   * Runs `work` and turns an abort caused by the time limit into `E_TIMEOUT`, so the client
   * reads "took too long" rather than "aborted".
   */
  run<T>(work: () => Promise<T>): Promise<T>;
}

/** Starts the clock of a request's work; the timer is cleared when the answer is sent. */
export function requestJob(reply: FastifyReply, timeLimitMs: number): RequestJob {
  const controller = new AbortController();
  const started = performance.now();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeLimitMs);
  timer.unref();
  reply.raw.once('close', () => {
    clearTimeout(timer);
    // 'close' before the answer was written: the client hung up.
    if (!reply.raw.writableFinished) controller.abort();
  });
  const timeout = () => new AsterismError('E_TIMEOUT', `the request took longer than the server's limit of ${Math.round(timeLimitMs / 1000)} s`);
  return {
    signal: controller.signal,
    remainingMs: () => Math.max(1, timeLimitMs - (performance.now() - started)),
    async run<T>(work: () => Promise<T>): Promise<T> {
      if (timedOut) throw timeout();
      try {
        return await work();
      } catch (e) {
        if (timedOut && isAsterismError(e) && e.code === 'E_ABORTED') throw timeout();
        throw e;
      }
    },
  };
}
