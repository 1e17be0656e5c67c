/** What every route of the server shares: its settings, catalogue, image source and queues. */
import type { GalaxyCatalog } from '../catalog/galaxy-types.js';
import type { ImageSource } from '../cutout/types.js';
import type { ServerSettings } from './options.js';
import type { SolvePool } from './solve-pool.js';
import type { WorkQueue } from './work-queue.js';

export interface ServerContext {
  settings: ServerSettings;
  catalog: GalaxyCatalog;
  imageSource: ImageSource;
  /** Galaxy inference: uploads and lookups (their inference runs in the ONNX worker thread). */
  inference: WorkQueue;
  /** Solves and fields, one per solving thread. */
  solving: WorkQueue;
  pool: SolvePool;
}
