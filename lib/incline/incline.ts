/**
 * incline(): galaxy inclination from an image with IncliNET's ensemble (12 regression CNNs in
 * three groups and 3 rejection classifiers, exported to ONNX in models-onnx/). Decoding and
 * preprocessing run here (sharp is asynchronous); the models run in a worker thread.
 */
import { AsterismError, isAsterismError } from '../errors.js';
import type { Image } from '../image/image.js';
import { loadImage } from '../image/load.js';
import { combine } from './ensemble.js';
import { TENSOR_LENGTH, preprocessGalaxy } from './preprocess.js';
import { closeEnsembles, ensembleFor } from './sessions.js';
import type { InclineInput, InclineManyOptions, InclineOptions, InclineResult } from './types.js';

export type { InclineEngineOptions, InclineInput, InclineManyOptions, InclineOptions, InclineProgress, InclineResult, InclineSummary } from './types.js';

/** Images decoded and preprocessed at once by {@link inclineMany} (sharp runs them on its own threads). */
const PREPROCESS_CONCURRENCY = 4;

function isImage(value: unknown): value is Image {
  return typeof value === 'object' && value !== null && (value as Image).luminance instanceof Float32Array &&
    Number.isInteger((value as Image).width) && Number.isInteger((value as Image).height) && 'pixels' in value;
}

function checkPa(pa: unknown): number | undefined {
  if (pa === undefined) return undefined;
  if (typeof pa !== 'number' || !Number.isFinite(pa)) throw new AsterismError('E_INVALID_ARGUMENT', `pa must be a finite number of degrees, got ${String(pa)}`);
  return pa;
}

function aborted(signal: AbortSignal): AsterismError {
  return new AsterismError('E_ABORTED', 'inclination was aborted', { cause: signal.reason });
}

async function prepare(input: InclineInput, pa: number | undefined, options: { maxPixels?: number; signal?: AbortSignal }): Promise<Float32Array> {
  const image = isImage(input) ? input : await loadImage(input, options);
  if (options.signal?.aborted) throw aborted(options.signal);
  return preprocessGalaxy(image, pa);
}

/**
 * Estimates a galaxy's inclination from an image centred on it.
 *
 * The image is padded with black to a square, turned so the major axis is horizontal when `pa`
 * is given, and shrunk to 128 × 128. Each of the 15 models sees it as given and turned by 180°
 * and keeps the mean of the two answers. Any decodable image gets an answer — a star field or a
 * blank frame too; the rejection likelihood is the models' opinion of whether to trust it.
 *
 * @param input - a path, encoded bytes (FITS, JPEG, PNG, TIFF, WebP, GIF), raw pixels or a decoded {@link Image}.
 * @param options - `pa` (degrees, north through east), models, threads, pixel limit, AbortSignal; see {@link InclineOptions}.
 * @returns IncliNET's result: degrees per model by group plus a summary, and rejection percentages plus a summary.
 * @throws AsterismError `E_IMAGE_*`/`E_IO` for unreadable images, `E_MODEL` when the models are
 *   missing or broken, `E_INVALID_ARGUMENT` for bad options, `E_ABORTED` when the signal fires.
 *
 * @example
 * ```ts
 * import { incline, closeIncline } from 'asterism';
 * const r = await incline('pgc2557.jpg', { pa: 35 });
 * console.log(r.inclinations.summary.median, r.rejection_likelihood.summary.median);
 * // 77 4.41
 * await closeIncline(); // optional: idle workers do not keep the process alive
 * ```
 */
export async function incline(input: InclineInput, options: InclineOptions = {}): Promise<InclineResult> {
  const [result] = await inclineMany([input], { ...options, pa: checkPa(options.pa) });
  return result;
}

/**
 * {@link incline} for many galaxies: all of them go to the models in one worker round trip,
 * in batched tensors, which is faster per galaxy than one call each. Results come in input order.
 *
 * @param inputs - the images, as for {@link incline}.
 * @param options - as for {@link incline}, with `pa` one number for all or one per input, and
 *   `onProgress` called as images are preprocessed and as batches leave the models.
 *
 * @example
 * ```ts
 * import { inclineMany } from 'asterism';
 * const results = await inclineMany(['a.jpg', 'b.jpg'], {
 *   pa: [12, 170],
 *   onProgress: ({ stage, done, total }) => console.error(`${stage} ${done}/${total}`),
 * });
 * results.map((r) => r.inclinations.summary.median); // [63, 81]
 * ```
 */
export async function inclineMany(inputs: readonly InclineInput[], options: InclineManyOptions = {}): Promise<InclineResult[]> {
  const { signal, onProgress, maxPixels } = options;
  if (!Array.isArray(inputs)) throw new AsterismError('E_INVALID_ARGUMENT', 'inclineMany expects an array of images');
  const pas = inputs.map((_, i) => checkPa(Array.isArray(options.pa) ? options.pa[i] : options.pa));
  if (Array.isArray(options.pa) && options.pa.length !== inputs.length) {
    throw new AsterismError('E_INVALID_ARGUMENT', `pa has ${options.pa.length} angles for ${inputs.length} images`);
  }
  // Reads and checks the manifest before any decoding, so a broken install fails at once.
  const ensemble = ensembleFor(options);
  if (signal?.aborted) throw aborted(signal);
  if (inputs.length === 0) return [];
  const stack = new Error().stack;
  const images = new Float32Array(inputs.length * TENSOR_LENGTH);
  let next = 0, done = 0;
  const workers = Array.from({ length: Math.min(PREPROCESS_CONCURRENCY, inputs.length) }, async () => {
    while (next < inputs.length) {
      const i = next++;
      if (signal?.aborted) throw aborted(signal);
      images.set(await prepare(inputs[i], pas[i], { maxPixels, signal }), i * TENSOR_LENGTH);
      onProgress?.({ stage: 'preprocess', done: ++done, total: inputs.length });
    }
  });
  const settled = await Promise.allSettled(workers);
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) throw failure.reason;
  try {
    const outputs = await ensemble.run(images, inputs.length, {
      signal,
      onProgress: onProgress && ((d, total) => onProgress({ stage: 'inference', done: d, total })),
    });
    return inputs.map((_, i) => combine(ensemble.manifest, outputs, i));
  } catch (e) {
    // The worker's errors are made here so their stack points at the caller.
    if (isAsterismError(e) && stack) e.stack = `${e.name}: ${e.message}${stack.replace(/^[^\n]*/, '')}`;
    throw e;
  }
}

/**
 * Stops the inference workers and frees their sessions. Optional: an idle worker does not keep
 * the process alive. The next {@link incline} starts them again.
 *
 * @example
 * ```ts
 * afterAll(() => closeIncline());
 * ```
 */
export function closeIncline(): Promise<void> {
  return closeEnsembles();
}
