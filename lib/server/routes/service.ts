/** The service's own endpoints: the web page at `/`, `/healthz` and the OpenAPI description at `/api/docs`. */
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { packageRoot, packageVersion } from '../../package-root.js';
import type { ServerContext } from '../context.js';
import { openApiDocument } from '../openapi.js';

/** The page's files: plain HTML, CSS and one ES module, served as they are (no build step). */
export const WEB_DIR = join(packageRoot, 'lib', 'server', 'web');

export async function serviceRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const started = Date.now();
  // Only WEB_DIR is served, without listings or dotfiles; @fastify/static refuses paths that leave it.
  await app.register(fastifyStatic, { root: WEB_DIR, prefix: '/web/', index: false, list: false, dotfiles: 'deny' });
  app.get('/', (_request, reply) => reply.type('text/html; charset=utf-8').sendFile('index.html'));

  app.get('/healthz', async () => ({
    status: 'ok',
    version: packageVersion(),
    uptimeSeconds: Math.round((Date.now() - started) / 1000),
    galaxies: ctx.catalog.galaxies.length,
    queues: { inference: ctx.inference.state(), solve: ctx.solving.state() },
  }));

  const document = openApiDocument(ctx.settings);
  app.get('/api/docs', async () => document);
}
