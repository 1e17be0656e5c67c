/**
 * The server's options, their defaults and their checks: one place, so that the CLI, the
 * library and the OpenAPI description agree on them.
 */
import { existsSync } from 'node:fs';
import type { ImageSource } from '../cutout/types.js';
import { AsterismError } from '../errors.js';

/** Options of {@link createServer}. Sizes in bytes, times in milliseconds. */
export interface ServerOptions {
  /** Index files or directories to solve with (default: the shipped index set). */
  index?: string[];
  /** HyperLEDA-style CSV catalogues (pgc, objname, ra, dec, logd25, pa) whose entries take precedence over the built-in ones. */
  catalogs?: string[];
  /** Include the built-in galaxy catalogues (OpenNGC, and Stellarium's when installed) (default true). */
  builtinCatalogs?: boolean;
  /**
   * Where galaxy images come from for lookups by PGC, name or position: an ImageSource, or a
   * string for `imageSourceFrom` (an URL template, a directory, 'sdss'). Default: the
   * `ASTERISM_IMAGE_SOURCE` environment variable, else SDSS DR16's cutout service.
   */
  imageSource?: ImageSource | string;
  /** Directory of the inclination models (default: the package's models-onnx/). */
  modelsDir?: string;
  /** Largest galaxy image `/api/file` takes (default 1 MiB, IncliNET's). */
  uploadLimitBytes?: number;
  /** Largest sky image `/api/solve` and `/api/field` take (default 64 MiB). */
  solveUploadLimitBytes?: number;
  /** Images with more pixels than this are refused before decoding (default 100 million). */
  maxPixels?: number;
  /** Time limit of one request's work, waiting in the queue included (default 120 000). */
  requestTimeoutMs?: number;
  /** Inference requests allowed to wait for a slot before the server answers 503 (default 64). */
  inferenceQueue?: number;
  /** Solve and field requests allowed to wait for a solving thread before 503 (default 8). */
  solveQueue?: number;
  /** Solving threads (default 1: each holds the index in memory and uses a core). */
  solveWorkers?: number;
  /**
   * Cross-origin requests: false (default) sends no CORS headers, so browsers let only this
   * server's own page call the API; true allows any origin; a string or list allows those origins.
   */
  cors?: boolean | string | string[];
  /** Log requests as JSON lines to stdout (Fastify's pino logger; default false). */
  logger?: boolean;
}

/** The options with every default filled in. */
export type ServerSettings = Required<Omit<ServerOptions, 'index' | 'imageSource' | 'modelsDir'>> & Pick<ServerOptions, 'index' | 'imageSource' | 'modelsDir'>;

/** IncliNET's upload limit: its message says "no larger than 1 MB". */
export const DEFAULT_UPLOAD_LIMIT_BYTES = 1024 * 1024;

export const SERVER_DEFAULTS = {
  builtinCatalogs: true,
  uploadLimitBytes: DEFAULT_UPLOAD_LIMIT_BYTES,
  solveUploadLimitBytes: 64 * 1024 * 1024,
  maxPixels: 100_000_000,
  requestTimeoutMs: 120_000,
  inferenceQueue: 64,
  solveQueue: 8,
  solveWorkers: 1,
  cors: false,
  logger: false,
} as const;

function positiveInteger(name: string, value: unknown, min = 1): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new AsterismError('E_INVALID_ARGUMENT', `${name} must be a whole number ≥ ${min}, got ${String(value)}`);
  }
  return value;
}

function pathList(name: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((p) => typeof p === 'string' && p !== '')) {
    throw new AsterismError('E_INVALID_ARGUMENT', `${name} must be a list of paths`);
  }
  return value;
}

/** Checks the options and fills in defaults. */
export function serverSettings(options: ServerOptions): ServerSettings {
  if (typeof options !== 'object' || options === null) throw new AsterismError('E_INVALID_ARGUMENT', 'server options must be an object');
  const o = { ...SERVER_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as ServerSettings;
  const { cors } = o;
  if (!(typeof cors === 'boolean' || (typeof cors === 'string' && cors !== '') || (Array.isArray(cors) && cors.every((c) => typeof c === 'string' && c !== '')))) {
    throw new AsterismError('E_INVALID_ARGUMENT', 'cors must be true, false, an origin or a list of origins');
  }
  if (typeof o.builtinCatalogs !== 'boolean') throw new AsterismError('E_INVALID_ARGUMENT', 'builtinCatalogs must be true or false');
  // The solving threads load the index in the background: a wrong path must fail here, at
  // start, not on some user's first solve.
  const index = pathList('index', o.index);
  const missing = index?.find((p) => !existsSync(p));
  if (missing !== undefined) throw new AsterismError('E_IO', `index path ${missing} does not exist`);
  return {
    ...o,
    index,
    catalogs: pathList('catalogs', o.catalogs) ?? [],
    uploadLimitBytes: positiveInteger('uploadLimitBytes', o.uploadLimitBytes),
    solveUploadLimitBytes: positiveInteger('solveUploadLimitBytes', o.solveUploadLimitBytes),
    maxPixels: positiveInteger('maxPixels', o.maxPixels),
    requestTimeoutMs: positiveInteger('requestTimeoutMs', o.requestTimeoutMs),
    inferenceQueue: positiveInteger('inferenceQueue', o.inferenceQueue, 0),
    solveQueue: positiveInteger('solveQueue', o.solveQueue, 0),
    solveWorkers: positiveInteger('solveWorkers', o.solveWorkers),
  };
}

/** A byte count as IncliNET writes its limit: '1 MB', '2.5 MB', '500 KB'. */
export function formatLimit(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Number((bytes / 1024 / 1024).toFixed(1))} MB`;
  if (bytes >= 1024) return `${Number((bytes / 1024).toFixed(1))} KB`;
  return `${bytes} bytes`;
}
