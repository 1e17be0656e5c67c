/**
 * `/api/solve` and `/api/field`: a sky image in, the solution (and for a field, the galaxies in
 * it with their inclinations and an overlay) out. The work runs on a solving thread
 * (solve-pool.ts) behind the solve queue; hints come as multipart text fields named as
 * solve-field's options.
 */
import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AsterismError } from '../../errors.js';
import type { FieldProgress } from '../../pipeline/types.js';
import type { ScaleUnits } from '../../solve/types.js';
import type { ServerContext } from '../context.js';
import { failureOf } from '../http-errors.js';
import { pngDataUrl } from '../png-data-url.js';
import { formatLimit } from '../options.js';
import { requestJob } from '../request-job.js';
import type { SolveJobResult } from '../solve-pool.js';
import type { SolveHints } from '../solve-worker.js';
import { readUpload } from '../uploads.js';

/** The multipart text fields /api/solve and /api/field read, with what they mean (OpenAPI uses this too). */
export const SOLVE_HINT_FIELDS = {
  scale_low: 'Lower bound of the plate scale, in scale_units',
  scale_high: 'Upper bound of the plate scale, in scale_units',
  scale_units: "Units of the scale bounds: 'degwidth' (default), 'arcminwidth' or 'arcsecperpix'",
  ra: 'Position hint: right ascension of the image centre, degrees',
  dec: 'Position hint: declination of the image centre, degrees',
  radius: 'Position hint: the centre lies within this many degrees of (ra, dec) (default 5)',
  parity: "'normal', 'flipped' or 'both' (default)",
  time_limit: "Seconds to search before giving up (default and maximum: the server's request time limit)",
} as const;

const UNITS: readonly ScaleUnits[] = ['degwidth', 'arcminwidth', 'arcsecperpix'];

/** The solve hints from the text fields; malformed ones are an error rather than ignored. */
export function solveHints(fields: Record<string, string>): { hints: SolveHints; timeLimitSeconds?: number } {
  const unknown = Object.keys(fields).filter((k) => !(k in SOLVE_HINT_FIELDS));
  if (unknown.length) throw new AsterismError('E_INVALID_ARGUMENT', `unknown field ${unknown.map((k) => `'${k}'`).join(', ')}; the fields are ${Object.keys(SOLVE_HINT_FIELDS).join(', ')}`);
  const number = (name: keyof typeof SOLVE_HINT_FIELDS): number | undefined => {
    const text = fields[name];
    if (text === undefined || text.trim() === '') return undefined;
    const value = Number(text);
    if (!Number.isFinite(value)) throw new AsterismError('E_INVALID_ARGUMENT', `${name} must be a number, got ${JSON.stringify(text)}`);
    return value;
  };
  const hints: SolveHints = {};
  const low = number('scale_low'), high = number('scale_high');
  if ((low === undefined) !== (high === undefined)) throw new AsterismError('E_INVALID_ARGUMENT', 'give both scale_low and scale_high, or neither');
  const units = (fields.scale_units?.trim() || 'degwidth') as ScaleUnits;
  if (!UNITS.includes(units)) throw new AsterismError('E_INVALID_ARGUMENT', `scale_units must be one of ${UNITS.join(', ')}, got ${JSON.stringify(fields.scale_units)}`);
  if (low !== undefined && high !== undefined) hints.scale = { low, high, units };
  const ra = number('ra'), dec = number('dec'), radius = number('radius');
  if ((ra === undefined) !== (dec === undefined)) throw new AsterismError('E_INVALID_ARGUMENT', 'give both ra and dec, or neither');
  if (ra !== undefined && dec !== undefined) hints.position = { ra, dec, radius: radius ?? 5 };
  else if (radius !== undefined) throw new AsterismError('E_INVALID_ARGUMENT', 'radius needs ra and dec');
  const parity = fields.parity?.trim();
  if (parity) {
    if (parity !== 'normal' && parity !== 'flipped' && parity !== 'both') throw new AsterismError('E_INVALID_ARGUMENT', `parity must be normal, flipped or both, got ${JSON.stringify(parity)}`);
    hints.parity = parity;
  }
  const timeLimitSeconds = number('time_limit');
  if (timeLimitSeconds !== undefined && !(timeLimitSeconds > 0)) throw new AsterismError('E_INVALID_ARGUMENT', 'time_limit must be a positive number of seconds');
  return { hints, timeLimitSeconds };
}


/** Milliseconds kept back from the request's time limit for the answer after a search that ran out of time. */
const ANSWER_MARGIN_MS = 1000;

/** The media type of a streamed answer: progress lines, then the answer's line. */
export const NDJSON = 'application/x-ndjson';

/** The field's answer as the API gives it: the solution's headline numbers up front, PNGs as data URLs. */
function fieldBody({ overlayPng, galaxies, solution, ...rest }: SolveJobResult['field']) {
  return {
    status: 'success',
    ...rest,
    center: solution.center ?? null,
    pixelScale: solution.pixelScale ?? null,
    rotation: solution.rotation ?? null,
    parity: solution.parity ?? null,
    fieldWidth: solution.fieldWidth ?? null,
    fieldHeight: solution.fieldHeight ?? null,
    overlay: overlayPng ? pngDataUrl(overlayPng) : null,
    galaxies: galaxies.map(({ cutoutPng, ...g }) => ({ ...g, cutout: cutoutPng ? pngDataUrl(cutoutPng) : null })),
    solution,
  };
}

const bodies = {
  solve: (result: SolveJobResult['solve']) => ({ status: 'success', ...result }),
  field: fieldBody,
};

export function skyRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { settings, solving, pool } = ctx;

  /**
   * Reads the upload and the hints, then runs the job on a solving thread. A client that
   * accepts NDJSON gets a line `{"progress": …}` for each report (stage, done, total, the
   * solver's counts) and then the answer's line — or a failure's; a failure found before the
   * work starts (bad upload, full queue) is an ordinary JSON answer with its HTTP status.
   */
  const handle = async <K extends 'solve' | 'field'>(kind: K, request: FastifyRequest, reply: FastifyReply) => {
    const limit = settings.solveUploadLimitBytes;
    const upload = await readUpload(request, ['image', 'file'], limit);
    if (!upload.file) throw new AsterismError('E_INVALID_ARGUMENT', "no image: send it as multipart/form-data in the field 'image'");
    if (upload.file.tooLarge) throw new AsterismError('E_IMAGE_TOO_LARGE', `the image is larger than this server's limit of ${formatLimit(limit)}`);
    const { hints, timeLimitSeconds } = solveHints(upload.fields);
    const job = requestJob(reply, settings.requestTimeoutMs);
    // The search stops a moment before the request's hard limit, so that running out of time
    // is an answer (solved: false, 'time limit') rather than a 504.
    const searchMs = () => Math.max(1, Math.min(timeLimitSeconds === undefined ? Infinity : timeLimitSeconds * 1000, job.remainingMs() - ANSWER_MARGIN_MS));
    const bytes = new Uint8Array(upload.file.bytes);
    const work = (onProgress?: (p: FieldProgress) => void) =>
      job.run(() => solving.run(() => pool.run(kind, bytes, hints, searchMs(), job.signal, onProgress), job.signal));
    const body = bodies[kind] as (result: SolveJobResult[K]) => object;
    if (!(request.headers.accept ?? '').includes(NDJSON)) return body(await work());

    solving.checkRoom();
    const stream = new PassThrough();
    const line = (value: object) => stream.write(`${JSON.stringify(value)}\n`);
    work((progress) => line({ progress })).then(
      (result) => line(body(result)),
      (e: unknown) => {
        const { statusCode, body: failed } = failureOf(e);
        if (statusCode === 500) request.log.error({ err: e }, 'request failed');
        line(failed);
      },
    ).finally(() => stream.end());
    return reply.type(NDJSON).send(stream);
  };

  app.post('/api/solve', (request, reply) => handle('solve', request, reply));
  app.post('/api/field', (request, reply) => handle('field', request, reply));
}
