/**
 * IncliNET's API, answered as IncliNET answers it so that its clients work unchanged:
 * `/api/pgc/:pgc`, `/api/objname/:name`, `/api/file` (inference), and the web page's lookups
 * `/getPGC` and `/getObj`. Plus `/api/coord` (IncliNET's page has it, its API has not).
 * IncliNET's documented failures ("Could not find …", the upload note) are HTTP 200 with
 * `status: "failed"`, as there; everything else fails with a proper status (http-errors.ts).
 *
 * `?image=1` on the lookups adds `image`, the 128 × 128 cutout the models saw, as a PNG data URL.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { findGalaxy, inclinetFraming } from '../../catalog/galaxies.js';
import type { Galaxy, InclinetGalaxy } from '../../catalog/galaxy-types.js';
import { coordinateName, inclineGalaxy, inclinetResponse } from '../../cutout/incline-sky.js';
import { checkSkyRequest } from '../../cutout/sdss.js';
import { AsterismError, isAsterismError } from '../../errors.js';
import { encodePng, type Pixels8 } from '../../image/png.js';
import { incline } from '../../incline/incline.js';
import type { ServerContext } from '../context.js';
import { formatLimit } from '../options.js';
import { pngDataUrl } from '../png-data-url.js';
import { requestJob } from '../request-job.js';
import { hasWebImageSuffix, readUpload, webImageType } from '../uploads.js';

/** The note IncliNET sends for an upload it will not take, with this server's limit. */
export function uploadNote(limitBytes: number): string {
  return `[Note] Please upload jpg, png, jpeg, and gif files no larger than ${formatLimit(limitBytes)} !`;
}

/** IncliNET's answer for a PGC number or name it does not know. */
export function notFoundMessage(what: string): string {
  return `Could not find ${what} in the database. `;
}

function wantsImage(request: FastifyRequest): boolean {
  const value = (request.query as Record<string, unknown>)?.image;
  return value === '1' || value === 'true';
}

/** The lookup record of /getPGC and /getObj, keys in IncliNET's (Flask's sorted) order. */
function lookupRecord(g: InclinetGalaxy) {
  const round = (v: number, digits: number) => Number(v.toFixed(digits));
  return { dec: round(g.dec, 4), fov: round(g.fov, 2), objname: g.objname, pa: round(g.pa, 1), pgc: g.pgc, ra: round(g.ra, 4), status: 'success' as const };
}

export function inclinetRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { settings, catalog, imageSource, inference } = ctx;

  /** Inference for a framed galaxy, through the queue, answered as IncliNET does. */
  const answerGalaxy = async (galaxy: InclinetGalaxy, request: FastifyRequest, reply: FastifyReply) => {
    const job = requestJob(reply, settings.requestTimeoutMs);
    const keepCutout = wantsImage(request);
    const result = await job.run(() => inference.run(() => inclineGalaxy(galaxy, {
      imageSource, modelsDir: settings.modelsDir, signal: job.signal, timeoutMs: job.remainingMs(), keepCutout,
    }), job.signal));
    const body = inclinetResponse(result);
    return keepCutout && result.cutout ? { ...body, image: pngDataUrl(await encodePng(result.cutout as Pixels8)) } : body;
  };

  /** The catalogue's framing of a galaxy, or IncliNET's not-found answer. */
  const frame = (query: string | number, label: string): InclinetGalaxy | { message: string; status: 'failed' } => {
    let galaxy: Galaxy;
    try {
      galaxy = findGalaxy(catalog, query);
    } catch (e) {
      if (isAsterismError(e) && (e.code === 'E_NOT_FOUND' || e.code === 'E_INVALID_ARGUMENT')) return { message: notFoundMessage(label), status: 'failed' };
      throw e;
    }
    try {
      return inclinetFraming(galaxy);
    } catch (e) {
      // The catalogue knows the galaxy but cannot frame it (no size): say why.
      if (isAsterismError(e) && e.code === 'E_NOT_FOUND') return { message: e.message, status: 'failed' };
      throw e;
    }
  };

  app.get<{ Params: { pgc: string } }>('/api/pgc/:pgc', async (request, reply) => {
    const raw = request.params.pgc.trim();
    const digits = /^(?:pgc\s*)?(\d{1,12})$/i.exec(raw)?.[1];
    const framed = digits ? frame(Number(digits), `PGC${Number(digits)}`) : { message: notFoundMessage(`PGC${raw}`), status: 'failed' as const };
    if ('status' in framed) return framed;
    return answerGalaxy(framed, request, reply);
  });

  app.get<{ Params: { name: string } }>('/api/objname/:name', async (request, reply) => {
    const name = request.params.name.trim();
    const framed = name ? frame(name, name) : { message: notFoundMessage(name), status: 'failed' as const };
    if ('status' in framed) return framed;
    return answerGalaxy(framed, request, reply);
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/coord', async (request, reply) => {
    const number = (name: string, fallback?: number): number => {
      const text = request.query[name];
      if (text === undefined || text.trim() === '') {
        if (fallback !== undefined) return fallback;
        throw new AsterismError('E_INVALID_ARGUMENT', `${name} is required (ra and dec in degrees, fov in arcminutes, pa in degrees)`);
      }
      const value = Number(text);
      if (!Number.isFinite(value)) throw new AsterismError('E_INVALID_ARGUMENT', `${name} must be a number, got ${JSON.stringify(text)}`);
      return value;
    };
    const { ra, dec, fovArcmin } = checkSkyRequest({ ra: number('ra'), dec: number('dec'), fovArcmin: number('fov') });
    const galaxy: InclinetGalaxy = { pgc: null, objname: coordinateName(ra, dec), ra, dec, fov: fovArcmin, pa: number('pa', 0) };
    return answerGalaxy(galaxy, request, reply);
  });

  app.post('/api/file', async (request, reply) => {
    const limit = settings.uploadLimitBytes;
    const upload = await readUpload(request, ['file'], limit);
    const file = upload.file;
    const refuse = () => ({ filename: file?.filename ?? null, message: uploadNote(limit), status: 'failed' as const });
    if (!file || file.tooLarge || !hasWebImageSuffix(file.filename) || webImageType(file.bytes) === null) return refuse();
    const job = requestJob(reply, settings.requestTimeoutMs);
    try {
      const result = await job.run(() => inference.run(() => incline(file.bytes, {
        modelsDir: settings.modelsDir, maxPixels: settings.maxPixels, signal: job.signal,
      }), job.signal));
      return { filename: file.filename, inclinations: result.inclinations, rejection_likelihood: result.rejection_likelihood, status: 'success' };
    } catch (e) {
      // The signature said JPEG, PNG or GIF but the decoder disagrees: same shape, its reason.
      if (isAsterismError(e) && ['E_IMAGE_FORMAT', 'E_IMAGE_TRUNCATED', 'E_IMAGE_EMPTY'].includes(e.code)) {
        return reply.code(400).send({ filename: file.filename, message: `${uploadNote(limit)} (${e.message})`, status: 'failed', code: e.code });
      }
      throw e;
    }
  });

  // The page's lookups: no inference, and IncliNET's bare {"status": "error"} on any failure.
  const lookup = (query: unknown) => {
    try {
      if ((typeof query !== 'number' && typeof query !== 'string') || query === '') return { status: 'error' as const };
      return lookupRecord(inclinetFraming(findGalaxy(catalog, query)));
    } catch (e) {
      if (isAsterismError(e)) return { status: 'error' as const };
      throw e;
    }
  };
  const bodyField = (body: unknown, key: string): unknown => (typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[key] : undefined);
  const errorOnBadBody = { errorHandler: (_e: unknown, _req: FastifyRequest, reply: FastifyReply) => reply.code(400).send({ status: 'error' }) };
  app.post('/getPGC', errorOnBadBody, async (request) => {
    const pgc = bodyField(request.body, 'pgc');
    const n = typeof pgc === 'string' && /^\d+$/.test(pgc.trim()) ? Number(pgc) : pgc;
    return typeof n === 'number' ? lookup(n) : { status: 'error' };
  });
  app.post('/getObj', errorOnBadBody, async (request) => {
    const name = bodyField(request.body, 'objname');
    return typeof name === 'string' ? lookup(name) : { status: 'error' };
  });
}
