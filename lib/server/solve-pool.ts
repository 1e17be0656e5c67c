/**
 * The server's side of its solving threads (./solve-worker.ts): a fixed number of workers,
 * each given one job at a time by the server's solve queue. A worker that dies (out of memory,
 * a native fault) fails its job and is replaced, so one bad image cannot take the service down.
 */
import type { Worker } from 'node:worker_threads';
import { AsterismError, type AsterismErrorCode } from '../errors.js';
import { startWorker } from '../worker-thread.js';
import type { FieldReply, SolveHints, SolveJob, SolveWorkerInit, SolveWorkerReply } from './solve-worker.js';
import type { FieldProgress } from '../pipeline/types.js';
import type { SolveResult } from '../solve/types.js';

interface Slot {
  worker: Worker;
  busy: boolean;
  /** The job in flight: settle it when the worker answers or dies. */
  settle?: (reply: Exclude<SolveWorkerReply, { type: 'progress' }>) => void;
  /** The job in flight's progress listener. */
  onProgress?: (progress: FieldProgress) => void;
}

/** A thread that ends sooner than this after its start, with no job, is taken as unable to start. */
const STARTUP_GRACE_MS = 5000;

/** A job's outcome, by kind. */
export interface SolveJobResult { solve: SolveResult; field: FieldReply }

export class SolvePool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;
  /** Why the threads cannot start, once one has failed to. */
  private broken: string | undefined;

  constructor(private readonly init: SolveWorkerInit, readonly size: number) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const slot: Slot = { worker: startWorker(import.meta.url, 'solve-worker', this.init), busy: false };
    const started = performance.now();
    slot.worker.unref();
    slot.worker.on('message', (reply: SolveWorkerReply) => {
      if (reply.type === 'progress') slot.onProgress?.(reply.progress);
      else slot.settle?.(reply);
    });
    const died = (why: string) => {
      const hadJob = slot.settle !== undefined;
      slot.settle?.({ type: 'error', id: 0, code: 'INTERNAL', message: `the solving thread stopped: ${why}` });
      const at = this.slots.indexOf(slot);
      if (at < 0 || this.closed) return;
      // A thread that dies at once without a job cannot start at all (a broken install):
      // restarting it would only spin. Remember why, and fail the jobs that come.
      if (!hadJob && performance.now() - started < STARTUP_GRACE_MS) {
        this.broken = why;
        return;
      }
      this.slots[at] = this.spawn();
    };
    slot.worker.on('error', (e) => died(e.message));
    slot.worker.on('exit', (code) => { if (!this.closed) died(`exit code ${code}`); });
    return slot;
  }

  /**
   * Runs one job on an idle worker. The caller's queue guarantees one is idle. `bytes` is
   * transferred (the caller must not use it afterwards); `onProgress` hears the job's progress. Rejects with the worker's
   * AsterismError, or a plain Error for a fault that is not the input's.
   */
  run<K extends 'solve' | 'field'>(type: K, bytes: Uint8Array, hints: SolveHints, timeLimitMs: number, signal?: AbortSignal, onProgress?: (progress: FieldProgress) => void): Promise<SolveJobResult[K]> {
    if (this.broken !== undefined) return Promise.reject(new Error(`the solving threads cannot start: ${this.broken}`));
    const slot = this.slots.find((s) => !s.busy);
    if (!slot || this.closed) return Promise.reject(new AsterismError('E_BUSY', 'no solving thread is free'));
    const id = this.nextId++;
    slot.busy = true;
    slot.onProgress = onProgress;
    slot.worker.ref();
    return new Promise<SolveJobResult[K]>((resolve, reject) => {
      const onAbort = () => slot.worker.postMessage({ type: 'abort', id });
      signal?.addEventListener('abort', onAbort, { once: true });
      slot.settle = (reply) => {
        slot.settle = undefined;
        slot.onProgress = undefined;
        slot.busy = false;
        slot.worker.unref();
        signal?.removeEventListener('abort', onAbort);
        if (reply.type === 'result') resolve(reply.result as SolveJobResult[K]);
        else if (reply.code === 'INTERNAL') reject(new Error(reply.message));
        else reject(new AsterismError(reply.code as AsterismErrorCode, reply.message));
      };
      const job: SolveJob = { type, id, bytes, hints, timeLimitMs };
      const buffer = bytes.buffer;
      // Transfer when the bytes own their whole buffer; a view into a shared pool must be copied.
      const transferable = buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength;
      slot.worker.postMessage(job, transferable ? [buffer] : []);
      if (signal?.aborted) onAbort();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
