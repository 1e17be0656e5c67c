/**
 * The inference thread. It owns one onnxruntime session per model, created once when the thread
 * starts, and runs every model on the batches the main thread sends: onnxruntime-node's run()
 * computes synchronously on the calling thread, so here it blocks only this thread, never the
 * caller's event loop.
 *
 * Messages: the thread starts with {@link WorkerInit} as workerData and answers `ready` or
 * `error`; each {@link RunRequest} gets `progress` messages, then `result`, `cancelled` or `error`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { MODEL_INPUT_SIZE } from './manifest.js';

/** workerData: the models to load and how to run them. */
export interface WorkerInit {
  inputName: string;
  models: Array<{ name: string; file: string; output: string }>;
  intraOpThreads: number;
}

/**
 * Run every model on `count` preprocessed images (`images`: count × 3 × 128 × 128, CHW, owned by
 * the worker after transfer). `cancel` is shared memory the caller sets to 1 to stop early.
 */
export interface RunRequest {
  type: 'run';
  id: number;
  images: Float32Array;
  count: number;
  cancel: Int32Array;
}

/** Per model, 2 × count outputs: [2i] for image i as given, [2i + 1] for it turned by 180°. */
export type RunOutputs = Record<string, Float32Array>;

/** What the worker posts back: readiness or a load failure (no `id`), and per-request progress and outcome. */
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'error'; id?: number; code: 'E_MODEL' | 'E_NATIVE'; message: string }
  | { type: 'progress'; id: number; done: number; total: number }
  | { type: 'cancelled'; id: number }
  | { type: 'result'; id: number; outputs: RunOutputs };

/** Galaxies per onnxruntime call (each goes in twice: as given and turned by 180°). */
const CHUNK = 16;

const IMAGE_LENGTH = 3 * MODEL_INPUT_SIZE * MODEL_INPUT_SIZE;
const PLANE = MODEL_INPUT_SIZE * MODEL_INPUT_SIZE;

const port = parentPort!;
const init = workerData as WorkerInit;
const post = (reply: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);

/** Copies images [from, to) into a batch laid out as image, image turned 180°, next image, … */
function buildBatch(images: Float32Array, from: number, to: number): Float32Array {
  const batch = new Float32Array(2 * (to - from) * IMAGE_LENGTH);
  for (let i = from; i < to; i++) {
    const source = images.subarray(i * IMAGE_LENGTH, (i + 1) * IMAGE_LENGTH);
    const at = 2 * (i - from) * IMAGE_LENGTH;
    batch.set(source, at);
    // 180° about the centre reverses each channel plane.
    for (let c = 0; c < 3; c++) {
      const src = c * PLANE, dst = at + IMAGE_LENGTH + c * PLANE;
      for (let p = 0; p < PLANE; p++) batch[dst + p] = source[src + PLANE - 1 - p];
    }
  }
  return batch;
}

async function load(): Promise<ort.InferenceSession[]> {
  const options: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: init.intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Fifteen sessions each keep an intra-op pool; spinning idle threads would steal the cores
    // from the one session running (measured: 2 threads 84–197 ms per galaxy with spinning,
    // 9–13 ms without).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
  const sessions: ort.InferenceSession[] = [];
  for (const model of init.models) {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(model.file, options);
    } catch (e) {
      throw new Error(`model ${model.name}: ${model.file} is not a model onnxruntime can load (${String((e as Error)?.message ?? e).split('\n')[0]})`);
    }
    if (!session.inputNames.includes(init.inputName)) throw new Error(`model ${model.name} has no input '${init.inputName}' (it has ${session.inputNames.join(', ')})`);
    if (!session.outputNames.includes(model.output)) throw new Error(`model ${model.name} has no output '${model.output}' (it has ${session.outputNames.join(', ')})`);
    sessions.push(session);
  }
  return sessions;
}

async function run(sessions: ort.InferenceSession[], request: RunRequest): Promise<void> {
  const { id, images, count, cancel } = request;
  const outputs: RunOutputs = {};
  for (const model of init.models) outputs[model.name] = new Float32Array(2 * count);
  for (let from = 0; from < count; from += CHUNK) {
    const to = Math.min(count, from + CHUNK);
    const input = new ort.Tensor('float32', buildBatch(images, from, to), [2 * (to - from), 3, MODEL_INPUT_SIZE, MODEL_INPUT_SIZE]);
    for (let m = 0; m < sessions.length; m++) {
      if (Atomics.load(cancel, 0) !== 0) return post({ type: 'cancelled', id });
      const model = init.models[m];
      const result = await sessions[m].run({ [init.inputName]: input });
      const data = result[model.output].data;
      if (!(data instanceof Float32Array) || data.length !== 2 * (to - from)) {
        throw Object.assign(new Error(`model ${model.name}: output '${model.output}' has ${data.length} values for ${2 * (to - from)} images, expected one each`), { code: 'E_MODEL' });
      }
      outputs[model.name].set(data, 2 * from);
    }
    post({ type: 'progress', id, done: to, total: count });
  }
  post({ type: 'result', id, outputs }, Object.values(outputs).map((o) => o.buffer as ArrayBuffer));
}

async function start(): Promise<void> {
  let sessions: ort.InferenceSession[];
  try {
    sessions = await load();
  } catch (e) {
    post({ type: 'error', code: 'E_MODEL', message: (e as Error).message });
    return;
  }
  // Requests run one after another: sessions are not shared between concurrent runs.
  let queue = Promise.resolve();
  port.on('message', (request: RunRequest) => {
    queue = queue.then(() => run(sessions, request)).catch((e: unknown) => {
      const code = (e as { code?: string }).code === 'E_MODEL' ? 'E_MODEL' : 'E_NATIVE';
      post({ type: 'error', id: request.id, code, message: `inference failed: ${(e as Error)?.message ?? String(e)}` });
    });
  });
  post({ type: 'ready' });
}

void start();
