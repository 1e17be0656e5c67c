/** `asterism serve`: the HTTP API and web page (lib/server), until Ctrl-C or SIGTERM. */
import type { ServerOptions } from '../../server/options.js';
import { EXIT, type Command, type CommandArgs, type CommandContext } from '../main.js';

const MB = 1024 * 1024;

/** The CLI's options as the server's; numbers in the CLI's units (MB, seconds). */
function serverOptions(args: CommandArgs): ServerOptions {
  const mb = (name: string) => {
    const v = args.number(name, { min: 0, exclusiveMin: true });
    return v === undefined ? undefined : Math.round(v * MB);
  };
  const seconds = args.number('time-limit', { min: 0, exclusiveMin: true });
  const cors = args.strings('cors');
  return {
    index: args.strings('index').length ? args.strings('index') : undefined,
    catalogs: args.strings('catalog'),
    builtinCatalogs: !args.flag('no-builtin-catalogs'),
    imageSource: args.string('image-source'),
    modelsDir: args.string('models'),
    uploadLimitBytes: mb('upload-limit'),
    solveUploadLimitBytes: mb('solve-upload-limit'),
    maxPixels: args.number('max-pixels', { integer: true, min: 1 }),
    requestTimeoutMs: seconds === undefined ? undefined : Math.round(seconds * 1000),
    inferenceQueue: args.number('queue', { integer: true, min: 0 }),
    solveQueue: args.number('solve-queue', { integer: true, min: 0 }),
    solveWorkers: args.number('solve-workers', { integer: true, min: 1 }),
    cors: cors.length === 0 ? false : cors.includes('*') ? true : cors,
    logger: args.flag('log'),
  };
}

async function run(args: CommandArgs, { stdout, stderr, signal }: CommandContext): Promise<number> {
  const options = serverOptions(args);
  const port = args.number('port', { integer: true, min: 0 }) ?? 8080;
  const host = args.string('host') ?? '127.0.0.1';
  stderr.write('asterism: loading the galaxy catalogue and starting the solving threads…\n');
  const { createServer } = await import('../../server/server.js');
  const server = await createServer(options);
  const url = await server.listen({ port, host });
  stdout.write(`asterism: serving ${url}/ (API description at ${url}/api/docs); Ctrl-C to stop\n`);
  // SIGTERM (a service manager, docker stop) stops it as Ctrl-C does, but it is not an interruption.
  const stopped = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
    process.once('SIGTERM', () => resolve());
  });
  await stopped;
  stderr.write('asterism: finishing the requests in flight…\n');
  await server.close();
  return EXIT.ok;
}

/** `asterism serve`. */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the HTTP API (IncliNET-compatible) and the web page',
  description:
    'Serves IncliNET\'s REST API (/api/pgc/<pgc>, /api/objname/<name>, /api/file, /getPGC, /getObj), solving ' +
    '(/api/solve, /api/field), /healthz, the OpenAPI description at /api/docs and a web page at /. Solving and ' +
    'inference run off the event loop behind bounded queues: when they are full the server answers 503. Listens on ' +
    '127.0.0.1 unless --host says otherwise; no CORS headers unless --cors allows origins.',
  positionals: [],
  options: {
    port: { type: 'string', short: 'p', value: 'n', description: 'TCP port; 0 picks a free one (8080)' },
    host: { type: 'string', value: 'address', description: 'address to listen on; 0.0.0.0 for every interface (127.0.0.1)' },
    index: { type: 'string', value: 'path', multiple: true, description: 'index file or directory to solve with; repeat for more (the shipped index set)' },
    catalog: { type: 'string', value: 'file.csv', multiple: true, description: 'a HyperLEDA-style galaxy table whose entries take precedence over the built-in catalogues; repeat for more' },
    'no-builtin-catalogs': { type: 'boolean', description: 'use only the --catalog files, not OpenNGC and Stellarium' },
    'image-source': { type: 'string', value: 'URL|DIR', description: 'where galaxy images for PGC/name/position lookups come from: \'sdss\', an URL template or a directory of images with WCS (ASTERISM_IMAGE_SOURCE, else SDSS)' },
    models: { type: 'string', value: 'dir', description: 'inclination models directory (the shipped models-onnx/)' },
    'upload-limit': { type: 'string', value: 'MB', description: 'largest galaxy image /api/file takes (1, as IncliNET)' },
    'solve-upload-limit': { type: 'string', value: 'MB', description: 'largest sky image /api/solve and /api/field take (64)' },
    'max-pixels': { type: 'string', value: 'n', description: 'refuse images with more pixels than this (100000000)' },
    'time-limit': { type: 'string', value: 'seconds', description: 'time limit of one request, queueing included (120)' },
    queue: { type: 'string', value: 'n', description: 'inference requests that may wait before the server answers 503 (64)' },
    'solve-queue': { type: 'string', value: 'n', description: 'solve and field requests that may wait before 503 (8)' },
    'solve-workers': { type: 'string', value: 'n', description: 'solving threads, each with its own copy of the index (1)' },
    cors: { type: 'string', value: 'origin', multiple: true, description: 'allow cross-origin requests from this origin (repeat; * for any) (none)' },
    log: { type: 'boolean', description: 'log each request as a JSON line on stdout' },
  },
  examples: [
    'asterism serve',
    'asterism serve --port 8080 --host 0.0.0.0 --catalog my-galaxies.csv',
    'asterism serve --image-source /data/plates --index /data/index-5200 --cors https://example.org',
  ],
  run,
};
