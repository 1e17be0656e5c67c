/**
 * The calling thread's side of the inference worker (./worker.ts): one worker per models
 * directory and thread count, started on first use and kept, so each ONNX session is created
 * once per process. An idle worker is unref'd and does not keep the process alive; one with
 * work in flight is ref'd, so a script awaiting a result does not exit under it.
 */
import type { Worker } from 'node:worker_threads';
import { AsterismError } from '../errors.js';
import { startWorker } from '../worker-thread.js';
import { defaultModelsDir, readModelManifest, type ModelManifest } from './manifest.js';
import type { RunOutputs, RunRequest, WorkerInit, WorkerReply } from './worker.js';

/** Default onnxruntime intra-op threads (see scripts/bench/incline.bench.ts for 1 vs 2). */
export const DEFAULT_INTRA_OP_THREADS = 1;

interface Pending {
  resolve(outputs: RunOutputs): void;
  reject(error: unknown): void;
  onProgress?: (done: number, total: number) => void;
}

/** One worker holding the sessions of one manifest. */
export class ModelEnsemble {
  readonly manifest: ModelManifest;
  private readonly worker: Worker;
  private readonly ready: Promise<void>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: AsterismError | null = null;
  private loaded = false;

  constructor(manifest: ModelManifest, intraOpThreads: number, private readonly onDeath: () => void) {
    this.manifest = manifest;
    this.worker = startWorker(import.meta.url, 'worker', {
      inputName: manifest.inputName,
      models: manifest.models.map(({ name, file, output }) => ({ name, file, output })),
      intraOpThreads,
    });
    // Loading counts as work: keep the process alive until the sessions are ready or have failed.
    let ready!: () => void, failed!: (e: AsterismError) => void;
    this.ready = new Promise<void>((resolve, reject) => { ready = resolve; failed = reject; });
    this.ready.catch(() => undefined);
    this.worker.on('message', (reply: WorkerReply) => {
      switch (reply.type) {
        case 'ready':
          this.loaded = true;
          this.updateRef();
          ready();
          return;
        case 'progress':
          this.pending.get(reply.id)?.onProgress?.(reply.done, reply.total);
          return;
        case 'result':
          this.settle(reply.id)?.resolve(reply.outputs);
          return;
        case 'cancelled':
          this.settle(reply.id);
          return;
        case 'error': {
          const error = new AsterismError(reply.code, reply.message);
          if (reply.id === undefined) {
            this.die(error);
            failed(error);
          } else {
            this.settle(reply.id)?.reject(error);
          }
        }
      }
    });
    this.worker.on('error', (e) => {
      const error = new AsterismError('E_NATIVE', `the inference worker failed: ${e.message}`, { cause: e });
      this.die(error);
      failed(error);
    });
    this.worker.on('exit', (code) => {
      const error = new AsterismError('E_NATIVE', `the inference worker exited (status ${code})`);
      this.die(error);
      failed(error);
    });
  }

  /** True once the worker has failed or been closed; a new ensemble must be made. */
  get closed(): boolean {
    return this.dead !== null;
  }

  /**
   * Runs every model on `count` images (count × 3 × 128 × 128, CHW; the buffer is transferred
   * to the worker and unusable afterwards).
   */
  async run(images: Float32Array, count: number, options: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {}): Promise<RunOutputs> {
    const { signal, onProgress } = options;
    if (this.dead) throw this.dead;
    const id = this.nextId++;
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    const result = new Promise<RunOutputs>((resolve, reject) => this.pending.set(id, { resolve, reject, onProgress }));
    // A failed load rejects both `ready` and this; the caller hears of it once, from `ready`.
    result.catch(() => undefined);
    this.updateRef();
    const onAbort = () => {
      Atomics.store(cancel, 0, 1);
      this.settle(id)?.reject(new AsterismError('E_ABORTED', 'inclination was aborted', { cause: signal?.reason }));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.ready;
      if (signal?.aborted) onAbort();
      if (this.pending.has(id)) {
        const request: RunRequest = { type: 'run', id, images, count, cancel };
        this.worker.postMessage(request, [images.buffer as ArrayBuffer]);
      }
      return await result;
    } catch (e) {
      this.settle(id);
      throw e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Stops the worker; runs in flight reject with `E_ABORTED`. */
  async close(): Promise<void> {
    this.die(new AsterismError('E_ABORTED', 'the inference worker was closed'));
    await this.worker.terminate();
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    this.pending.delete(id);
    this.updateRef();
    return p;
  }

  private updateRef(): void {
    if (this.dead) return;
    // Unref'd only when idle after loading; while loading or running the process must wait.
    if (this.pending.size === 0 && this.loaded) this.worker.unref();
    else this.worker.ref();
  }

  private die(error: AsterismError): void {
    if (this.dead) return;
    this.dead = error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    this.worker.unref();
    this.onDeath();
  }
}

const ensembles = new Map<string, ModelEnsemble>();

/**
 * The ensemble for a models directory and thread count, started on first use. The manifest is
 * read and checked here, so a missing or broken install throws `E_MODEL` at the call.
 */
export function ensembleFor(options: { modelsDir?: string; intraOpThreads?: number } = {}): ModelEnsemble {
  const dir = options.modelsDir ?? defaultModelsDir();
  const threads = options.intraOpThreads ?? DEFAULT_INTRA_OP_THREADS;
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new AsterismError('E_INVALID_ARGUMENT', `intraOpThreads must be a whole number from 1 to 64, got ${String(threads)}`);
  }
  const key = `${threads}\0${dir}`;
  let ensemble = ensembles.get(key);
  if (!ensemble || ensemble.closed) {
    const created: ModelEnsemble = new ModelEnsemble(readModelManifest(dir), threads, () => {
      if (ensembles.get(key) === created) ensembles.delete(key);
    });
    ensemble = created;
    ensembles.set(key, ensemble);
  }
  return ensemble;
}

/** Stops every inference worker (sessions are made again on the next call). */
export async function closeEnsembles(): Promise<void> {
  const all = [...ensembles.values()];
  ensembles.clear();
  await Promise.all(all.map((e) => e.close()));
}
