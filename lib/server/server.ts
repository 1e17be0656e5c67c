/**
 * The HTTP service: IncliNET's REST API, solving endpoints and the web page, on Fastify.
 *
 * Slow work never runs on the event loop: solves and fields go to solving threads
 * (solve-pool.ts) and inference to the ONNX thread (lib/incline), each behind a bounded queue
 * that answers 503 when full. No request names a file: uploads stay in memory, lookups go
 * through the catalogue, and only the page's own directory is served.
 */
import fastifyCors from '@fastify/cors';
import fastifyMultipart from '@fastify/multipart';
import Fastify, { type FastifyInstance } from 'fastify';
import { loadGalaxyCatalog } from '../catalog/galaxies.js';
import { resolveImageSource } from '../cutout/image-sources.js';
import type { ServerContext } from './context.js';
import { sendFailure } from './http-errors.js';
import { serverSettings, type ServerOptions } from './options.js';
import { inclinetRoutes } from './routes/inclinet.js';
import { serviceRoutes } from './routes/service.js';
import { skyRoutes } from './routes/sky.js';
import { SolvePool } from './solve-pool.js';
import { WorkQueue } from './work-queue.js';

export type { ServerOptions } from './options.js';

/** A server ready to listen. */
export interface AsterismServer {
  /** The Fastify instance, for `inject()` in tests or adding routes. */
  readonly app: FastifyInstance;
  /** Every route, as registered ('GET /api/pgc/:pgc', …): what the OpenAPI description must cover. */
  readonly routes: readonly string[];
  /** Starts listening (default 127.0.0.1:8080; port 0 picks a free one) and returns the URL, 'http://127.0.0.1:8080'. */
  listen(options?: { port?: number; host?: string }): Promise<string>;
  /** Stops accepting requests, finishes those in flight and stops the solving threads. */
  close(): Promise<void>;
}

/**
 * The page loads only its own script and styles and shows images from the API (data: URLs) or
 * the user's own file (blob: URLs); nothing inline, nothing from elsewhere, no framing.
 */
const CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/** Largest JSON body (/getPGC, /getObj): they carry one number or name. */
const JSON_BODY_LIMIT = 16 * 1024;

/**
 * Builds the server: loads the galaxy catalogue, starts the solving threads and registers the
 * routes. The inference models load on the first inference request.
 *
 * @throws AsterismError `E_INVALID_ARGUMENT` for bad options, `E_CATALOG_FORMAT`/`E_IO` for an
 *   unreadable catalogue.
 *
 * @example
 * ```ts
 * import { createServer } from 'asterism';
 * const server = await createServer({ catalogs: ['my-galaxies.csv'], imageSource: '/data/plates' });
 * console.log(await server.listen({ port: 8080 }));
 * ```
 */
export async function createServer(options: ServerOptions = {}): Promise<AsterismServer> {
  const settings = serverSettings(options);
  const builtin = settings.builtinCatalogs ? {} : { openngc: false, stellarium: false };
  const catalogOptions = { userCatalogs: settings.catalogs, ...builtin };
  const catalog = await loadGalaxyCatalog(catalogOptions);
  const imageSource = resolveImageSource(settings.imageSource);
  const pool = new SolvePool({ index: settings.index, catalog: catalogOptions, modelsDir: settings.modelsDir, maxPixels: settings.maxPixels, preload: true }, settings.solveWorkers);
  const ctx: ServerContext = {
    settings, catalog, imageSource, pool,
    // Two at once keep the ONNX thread fed while the next upload is decoded; more only queue there.
    inference: new WorkQueue('inference', 2, settings.inferenceQueue),
    solving: new WorkQueue('solve', settings.solveWorkers, settings.solveQueue),
  };

  const app = Fastify({ logger: settings.logger, bodyLimit: JSON_BODY_LIMIT, forceCloseConnections: 'idle' });
  const routes: string[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push(`${method} ${route.url}`);
  });
  app.setErrorHandler(sendFailure);
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ status: 'failed', code: 'E_NOT_FOUND', message: `no such endpoint: ${request.method} ${request.url.split('?')[0]}` }));
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
  });
  if (settings.cors !== false) await app.register(fastifyCors, { origin: settings.cors });
  await app.register(fastifyMultipart);
  inclinetRoutes(app, ctx);
  skyRoutes(app, ctx);
  await serviceRoutes(app, ctx);

  return {
    app,
    routes,
    async listen({ port = 8080, host = '127.0.0.1' } = {}) {
      await app.listen({ port, host });
      const address = app.server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      return `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
    },
    async close() {
      await app.close();
      await pool.close();
    },
  };
}
