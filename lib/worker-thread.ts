/**
 * Starting one of asterism's worker threads. From dist/ the worker is the compiled .js beside
 * its caller; from the TypeScript sources (tests, tsx) there is no .js there, so a one-line
 * bootstrap loads the .ts through tsx, a development dependency.
 */
import { Worker } from 'node:worker_threads';

/**
 * Starts the worker module `name` (without extension) that lies beside the module whose
 * `import.meta.url` is `callerUrl`, with `workerData`.
 */
export function startWorker(callerUrl: string, name: string, workerData: unknown): Worker {
  // tsx may add a query to the URL of a module it loaded (tsImport does): look at the path only.
  if (new URL(callerUrl).pathname.endsWith('.ts')) {
    const tsx = import.meta.resolve('tsx/esm/api');
    const worker = new URL(`./${name}.ts`, callerUrl).href;
    const code = `import(${JSON.stringify(tsx)}).then((api) => api.tsImport(${JSON.stringify(worker)}, ${JSON.stringify(worker)}));`;
    return new Worker(code, { eval: true, workerData });
  }
  return new Worker(new URL(`./${name}.js`, callerUrl), { workerData });
}
