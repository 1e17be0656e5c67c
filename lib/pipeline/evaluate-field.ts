/**
 * evaluateField(): the whole way from an image to its galaxies' inclinations. The data flow is
 * image → solve() → WCS → catalogued galaxies in the field (lib/catalog/) → one cutout per
 * galaxy as IncliNET frames it (lib/cutout/sky-cutout.ts) → incline()'s ensemble, batched →
 * result, with optional PNGs of the cutouts and of the field (lib/render/field-overlay.ts).
 */
import { DEFAULT_MIN_D25_PIXELS, d25Arcmin, inclinetFraming, loadGalaxyCatalog } from '../catalog/galaxies.js';
import type { GalaxyCatalog, GalaxyInField } from '../catalog/galaxy-types.js';
import { DEFAULT_CUTOUT_SIZE, skyCutout } from '../cutout/sky-cutout.js';
import { AsterismError, isAsterismError } from '../errors.js';
import type { Image } from '../image/image.js';
import { loadImage, type RawPixels } from '../image/load.js';
import { encodePng, type Pixels8 } from '../image/png.js';
import { inclineMany, type InclineResult } from '../incline/incline.js';
import { renderFieldOverlay } from '../render/field-overlay.js';
import { solve } from '../solve/solve.js';
import type { SolveResult } from '../solve/types.js';
import { measurePa } from './measure-pa.js';
import type { EvaluateFieldOptions, FieldGalaxy, FieldProgress, FieldResult, FieldStage, FieldTimings, PaSource } from './types.js';

export type * from './types.js';

/** Cutouts are made at the models' input size (128), so preprocessing does not resample them again. */
const CUTOUT_SIZE = DEFAULT_CUTOUT_SIZE;

function invalid(message: string): AsterismError {
  return new AsterismError('E_INVALID_ARGUMENT', message);
}

function isImage(value: unknown): value is Image {
  return typeof value === 'object' && value !== null && (value as Image).luminance instanceof Float32Array &&
    Number.isInteger((value as Image).width) && Number.isInteger((value as Image).height) && 'pixels' in value;
}

function isCatalog(value: unknown): value is GalaxyCatalog {
  return typeof value === 'object' && value !== null && typeof (value as GalaxyCatalog).inField === 'function' &&
    Array.isArray((value as GalaxyCatalog).galaxies);
}

/** Checks the pipeline's own options; the solver and the models check theirs. */
function checkOptions(o: EvaluateFieldOptions): void {
  if (typeof o !== 'object' || o === null) throw invalid('evaluateField: options must be an object');
  if (o.catalog !== undefined && !isCatalog(o.catalog)) throw invalid('catalog must be a loaded GalaxyCatalog (see loadGalaxyCatalog)');
  if (o.catalogs !== undefined && !(Array.isArray(o.catalogs) && o.catalogs.every((c) => typeof c === 'string'))) {
    throw invalid('catalogs must be a list of CSV file paths');
  }
  if (o.catalog !== undefined && o.catalogs !== undefined) throw invalid('give either catalog or catalogs, not both');
  if (o.minD25Pixels !== undefined && !(typeof o.minD25Pixels === 'number' && o.minD25Pixels > 0 && Number.isFinite(o.minD25Pixels))) {
    throw invalid(`minD25Pixels must be a positive number of pixels, got ${String(o.minD25Pixels)}`);
  }
  if (o.timeLimit !== undefined && !(typeof o.timeLimit === 'number' && o.timeLimit > 0)) throw invalid(`timeLimit must be a positive number of milliseconds, got ${String(o.timeLimit)}`);
  if (o.overlayMaxSize !== undefined && !(Number.isInteger(o.overlayMaxSize) && o.overlayMaxSize >= 16)) {
    throw invalid(`overlayMaxSize must be a whole number of pixels ≥ 16, got ${String(o.overlayMaxSize)}`);
  }
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw invalid('onProgress must be a function');
}

/**
 * The position angle for a galaxy's cutout: the catalogue's, or, when it has none, measured on
 * a north-up cutout of the same framing. A measured PA makes a turned cutout that looks like the
 * training data, which a cutout left north-up (PA 0, as IncliNET's getObj falls back to) would
 * only by chance.
 */
function cutoutPa(sky: { image: Image; wcs: NonNullable<SolveResult['wcs']> }, found: GalaxyInField, fovArcmin: number): { pa: number; paSource: PaSource } {
  const { galaxy } = found;
  if (galaxy.positionAngle !== null && Number.isFinite(galaxy.positionAngle)) return { pa: galaxy.positionAngle, paSource: 'catalog' };
  const northUp = skyCutout(sky, { ra: galaxy.ra, dec: galaxy.dec, fovArcmin, size: CUTOUT_SIZE });
  // The aperture is D25 / 2 of a 1.5 × D25 frame. A cutout with no light above its median
  // (blank sky) falls back to PA 0, as IncliNET does; the models will reject it anyway.
  const measured = measurePa(northUp, CUTOUT_SIZE / 3);
  return { pa: measured === null ? 0 : Math.round(measured * 10) / 10, paSource: 'measured' };
}

/**
 * Solves an image, finds the catalogued galaxies in it, and estimates each one's inclination
 * with IncliNET's ensemble, as `incline()` does for a single galaxy.
 *
 * 1. `solve()` with the caller's hints;
 * 2. the catalogue's galaxies whose centre is in the image and whose D25 spans at least
 *    `minD25Pixels` (24) pixels;
 * 3. for each, a 128 × 128 cutout of 1.5 × D25 centred on the catalogue position and turned by
 *    its position angle on the sky so the major axis is horizontal (the image's rotation and
 *    parity are taken into account; the cutout is never mirrored). A galaxy without a catalogue
 *    PA gets one measured from the second moments of its light (`paSource: 'measured'`);
 * 4. `inclineMany()` on all cutouts at once;
 * 5. the result: the solution, and per galaxy its catalogue data, pixel position, D25 in
 *    pixels, PA, IncliNET's `inclinations` and `rejection_likelihood` blocks; optionally the
 *    cutouts and an overlay of the field as PNGs.
 *
 * An image that does not solve is not an error: the result says `solved: false`, with the
 * solver's reason, and lists no galaxies.
 *
 * @param image - a path, encoded bytes, raw pixels or a decoded {@link Image}.
 * @param options - solve hints and settings, the catalogue, the size limit, which PNGs to make,
 *   models, `timeLimit`, `signal`, `onProgress`; see {@link EvaluateFieldOptions}.
 * @throws AsterismError `E_INVALID_ARGUMENT` for bad options, image errors from decoding,
 *   `E_CATALOG_FORMAT`/`E_IO` for unreadable catalogues, index errors, `E_MODEL` when the models
 *   are missing, `E_ABORTED` when `signal` fires, `E_TIMEOUT` when `timeLimit` runs out after
 *   the solve.
 *
 * @example
 * ```ts
 * import { evaluateField } from 'asterism';
 * const field = await evaluateField('virgo.fits', {
 *   scale: { low: 1, high: 3, units: 'degwidth' },
 *   catalogs: ['my-galaxies.csv'],
 *   overlay: true,
 *   onProgress: ({ stage, done, total }) => console.error(stage, done, total),
 * });
 * for (const g of field.galaxies) console.log(g.name, g.inclinations.summary.median, g.rejection_likelihood.summary.median);
 * if (field.overlayPng) await writeFile('virgo-galaxies.png', field.overlayPng);
 * ```
 */
export async function evaluateField(image: string | Uint8Array | Image | RawPixels, options: EvaluateFieldOptions = {}): Promise<FieldResult> {
  const started = performance.now();
  checkOptions(options);
  const {
    catalog, catalogs, minD25Pixels = DEFAULT_MIN_D25_PIXELS, cutouts = false, overlay = false, overlayMaxSize, maxPixels,
    timeLimit, signal, onProgress, modelsDir, intraOpThreads, ...solveOptions
  } = options;
  const timings: FieldTimings = { decode: 0, solve: 0, catalog: 0, cutouts: 0, inference: 0, overlay: 0, total: 0 };
  const report = (stage: FieldStage, done: number, total: number, extra: Partial<FieldProgress> = {}) => {
    onProgress?.({ stage, done, total, ...extra, elapsedMs: performance.now() - started });
  };
  const aborted = () => new AsterismError('E_ABORTED', 'evaluating the field was aborted', { cause: signal?.reason });
  if (signal?.aborted) throw aborted();
  const deadline = timeLimit === undefined ? Infinity : started + timeLimit;
  const timedOut = () => new AsterismError('E_TIMEOUT', `evaluating the field took longer than the time limit of ${timeLimit} ms`);

  const t0 = performance.now();
  const decoded = isImage(image) ? image : await loadImage(image, { maxPixels, signal });
  timings.decode = performance.now() - t0;
  const { width, height } = decoded;

  report('solve', 0, 1);
  const ts = performance.now();
  const solution = await solve(decoded, {
    ...solveOptions,
    ...(timeLimit !== undefined ? { timeLimit: Math.max(1, deadline - performance.now()) } : {}),
    signal,
    onProgress: onProgress && ((p) => report('solve', 0, 1, { solve: p })),
  });
  timings.solve = performance.now() - ts;
  report('solve', 1, 1);
  if (!solution.solved) {
    timings.total = performance.now() - started;
    return { solved: false, ...(solution.reason !== undefined ? { reason: solution.reason } : {}), width, height, solution, galaxies: [], timings };
  }
  const wcs = solution.wcs!;

  // From here on one signal stops the work: the caller's, or the deadline's.
  const internal = new AbortController();
  const onCallerAbort = () => internal.abort(signal?.reason);
  signal?.addEventListener('abort', onCallerAbort, { once: true });
  const timer = deadline === Infinity ? undefined : setTimeout(() => internal.abort(timedOut()), Math.max(0, deadline - performance.now()));
  /** The error for a stop: the caller's abort or the time limit. */
  const stopped = (): AsterismError => (signal?.aborted ? aborted() : timedOut());
  const check = () => {
    if (internal.signal.aborted || performance.now() >= deadline) throw stopped();
  };
  try {
    check();
    // The catalogue is loaded only for a solved image: the built-in one takes seconds the first time.
    report('catalog', 0, 1);
    const tc = performance.now();
    const loaded = catalog ?? await loadGalaxyCatalog(catalogs ? { userCatalogs: catalogs } : {});
    check();
    const found = loaded.inField(wcs, width, height, { minD25Pixels })
      .sort((a, b) => b.d25Pixels - a.d25Pixels || (a.galaxy.pgc ?? 0) - (b.galaxy.pgc ?? 0));
    timings.catalog = performance.now() - tc;
    report('catalog', 1, 1);

    // Cutouts are synchronous work: yield between galaxies so the signal and the timer are heard.
    const tcut = performance.now();
    const sky = { image: decoded, wcs };
    const pixels: RawPixels[] = [];
    const framing: Array<{ fovArcmin: number; pa: number; paSource: PaSource }> = [];
    report('cutouts', 0, found.length);
    for (const [k, f] of found.entries()) {
      const fovArcmin = inclinetFraming(f.galaxy).fov;
      const { pa, paSource } = cutoutPa(sky, f, fovArcmin);
      pixels.push(skyCutout(sky, { ra: f.galaxy.ra, dec: f.galaxy.dec, fovArcmin, size: CUTOUT_SIZE, majorAxisPa: pa }));
      framing.push({ fovArcmin, pa, paSource });
      report('cutouts', k + 1, found.length);
      await new Promise((resolve) => setImmediate(resolve));
      check();
    }
    timings.cutouts = performance.now() - tcut;

    const ti = performance.now();
    report('inference', 0, found.length);
    let answers: InclineResult[] = [];
    // A field without galaxies needs no models (and does not fail on a broken model install).
    if (found.length > 0) {
      try {
        answers = await inclineMany(pixels, {
          modelsDir, intraOpThreads, signal: internal.signal,
          onProgress: (p) => { if (p.stage === 'inference') report('inference', p.done, p.total); },
        });
      } catch (e) {
        throw isAsterismError(e) && e.code === 'E_ABORTED' ? stopped() : e;
      }
    }
    timings.inference = performance.now() - ti;

    const galaxies: FieldGalaxy[] = [];
    for (const [k, f] of found.entries()) {
      const g = f.galaxy;
      const entry: FieldGalaxy = {
        pgc: g.pgc, name: g.name, names: [...g.names], source: g.source, ra: g.ra, dec: g.dec,
        x: f.x, y: f.y, d25Arcmin: d25Arcmin(g)!, d25Pixels: f.d25Pixels, minorArcmin: g.minorArcmin,
        pa: framing[k].pa, paSource: framing[k].paSource, cutoutFovArcmin: framing[k].fovArcmin,
        inclinations: answers[k].inclinations, rejection_likelihood: answers[k].rejection_likelihood,
      };
      if (cutouts) {
        entry.cutoutPng = await encodePng(pixels[k] as Pixels8);
      }
      galaxies.push(entry);
    }
    check();

    let overlayPng: Buffer | undefined;
    if (overlay) {
      report('overlay', 0, 1);
      const to = performance.now();
      overlayPng = await renderFieldOverlay(decoded, { wcs, fieldWidth: solution.fieldWidth! }, galaxies.map((g) => ({
        name: g.name, ra: g.ra, dec: g.dec, x: g.x, y: g.y, d25Pixels: g.d25Pixels, pa: g.pa,
        ...(g.minorArcmin ? { axisRatio: g.minorArcmin / g.d25Arcmin } : {}),
        inclination: g.inclinations.summary.median,
        rejection: g.rejection_likelihood.summary.median,
      })), overlayMaxSize !== undefined ? { maxSize: overlayMaxSize } : {});
      timings.overlay = performance.now() - to;
      check();
      report('overlay', 1, 1);
    }
    timings.total = performance.now() - started;
    return { solved: true, width, height, solution, galaxies, ...(overlayPng ? { overlayPng } : {}), timings };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onCallerAbort);
  }
}
