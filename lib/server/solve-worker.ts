/**
 * The solving thread of the server: `solve()` and `evaluateField()` do most of their work in
 * JavaScript on the calling thread, so the server runs them here, where they block nothing
 * but this thread. It loads the index set and the galaxy catalogue once, on first need, and
 * runs one job at a time (the pool never sends a second before the first is answered).
 *
 * Messages: {@link SolveJob} in, `abort` for a running job, {@link SolveWorkerReply} out.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadGalaxyCatalog } from '../catalog/galaxies.js';
import type { GalaxyCatalog, LoadGalaxyCatalogOptions } from '../catalog/galaxy-types.js';
import { isAsterismError } from '../errors.js';
import { loadImage } from '../image/load.js';
import { evaluateField } from '../pipeline/evaluate-field.js';
import type { FieldProgress, FieldResult } from '../pipeline/types.js';
import { loadDefaultIndex } from '../skyindex/default-index.js';
import { loadIndex } from '../skyindex/index-set.js';
import type { IndexSet } from '../skyindex/index-set.js';
import { solve } from '../solve/solve.js';
import type { SolveOptions, SolveResult } from '../solve/types.js';

/** workerData: what every job of this thread shares. */
export interface SolveWorkerInit {
  /** Index files or directories; undefined for the shipped default set. */
  index?: string[];
  /** The galaxy catalogue for fields, as `loadGalaxyCatalog` takes it. */
  catalog: LoadGalaxyCatalogOptions;
  modelsDir?: string;
  /** Refuse images with more pixels than this before decoding. */
  maxPixels: number;
  /** Start loading the index and the catalogue when the thread starts, so the first request does not wait for them. */
  preload: boolean;
}

/** The hints a request may give, as `solve()` takes them. */
export type SolveHints = Pick<SolveOptions, 'scale' | 'position' | 'parity'>;

/** One job: the image's bytes (transferred) and what to do with them. */
export interface SolveJob {
  type: 'solve' | 'field';
  id: number;
  bytes: Uint8Array;
  hints: SolveHints;
  /** Milliseconds the job may take. */
  timeLimitMs: number;
}

/**
 * A field's answer as it crosses to the server's thread: the solution without the WCS's
 * methods, and the PNGs as the plain byte arrays that structured cloning makes of Buffers.
 */
export type FieldReply = Omit<FieldResult, 'overlayPng' | 'galaxies' | 'solution'> & {
  solution: SolveResult;
  overlayPng?: Uint8Array;
  galaxies: Array<Omit<FieldResult['galaxies'][number], 'cutoutPng'> & { cutoutPng?: Uint8Array }>;
};

export type SolveWorkerReply =
  /** How the job is getting on; a solve reports as a field's 'solve' stage. */
  | { type: 'progress'; id: number; progress: FieldProgress }
  | { type: 'result'; id: number; kind: 'solve'; result: SolveResult }
  | { type: 'result'; id: number; kind: 'field'; result: FieldReply }
  /** `code`: the AsterismError's code, or 'INTERNAL' for anything else (a bug). */
  | { type: 'error'; id: number; code: string; message: string };

const port = parentPort!;
const init = workerData as SolveWorkerInit;
const controllers = new Map<number, AbortController>();
let indexSet: Promise<IndexSet> | undefined;
let catalog: Promise<GalaxyCatalog> | undefined;

/** Loads once; a failed load is retried by the next job rather than remembered. */
function indexFor(): Promise<IndexSet> {
  if (!init.index?.length) return loadDefaultIndex();
  indexSet ??= loadIndex(init.index).catch((e: unknown) => { indexSet = undefined; throw e; });
  return indexSet;
}

function catalogFor(): Promise<GalaxyCatalog> {
  catalog ??= loadGalaxyCatalog(init.catalog).catch((e: unknown) => { catalog = undefined; throw e; });
  return catalog;
}

/** The solve result as plain data: the WCS keeps its fields and FITS cards, not its methods. */
function plainSolve(result: SolveResult): SolveResult {
  return JSON.parse(JSON.stringify(result)) as SolveResult;
}

function plainField(result: FieldResult): FieldReply {
  return { ...result, solution: plainSolve(result.solution) };
}

async function run(job: SolveJob, signal: AbortSignal): Promise<SolveWorkerReply> {
  const started = performance.now();
  const index = await indexFor();
  const remaining = () => Math.max(1, job.timeLimitMs - (performance.now() - started));
  const onProgress = (progress: FieldProgress) => port.postMessage({ type: 'progress', id: job.id, progress } satisfies SolveWorkerReply);
  if (job.type === 'solve') {
    const image = await loadImage(job.bytes, { maxPixels: init.maxPixels });
    const result = await solve(image, {
      ...job.hints, index, signal, timeLimit: remaining(),
      onProgress: (p) => onProgress({ stage: 'solve', done: 0, total: 1, solve: p, elapsedMs: performance.now() - started }),
    });
    return { type: 'result', id: job.id, kind: 'solve', result: plainSolve(result) };
  }
  const result = await evaluateField(job.bytes, {
    ...job.hints, index, catalog: await catalogFor(), modelsDir: init.modelsDir, maxPixels: init.maxPixels,
    cutouts: true, overlay: true, signal, timeLimit: remaining(), onProgress,
  });
  return { type: 'result', id: job.id, kind: 'field', result: plainField(result) };
}

port.on('message', (message: SolveJob | { type: 'abort'; id: number }) => {
  if (message.type === 'abort') {
    controllers.get(message.id)?.abort();
    return;
  }
  const controller = new AbortController();
  controllers.set(message.id, controller);
  run(message, controller.signal)
    .catch((e: unknown): SolveWorkerReply => ({
      type: 'error', id: message.id,
      code: isAsterismError(e) ? e.code : 'INTERNAL',
      message: e instanceof Error ? e.message : String(e),
    }))
    .then((reply) => {
      controllers.delete(message.id);
      port.postMessage(reply);
    });
});

if (init.preload) {
  // Errors surface again, with their message, on the first job that needs what failed.
  indexFor().catch(() => undefined);
  catalogFor().catch(() => undefined);
}
