/**
 * detect(): find stars in an image (the paper's section 2.1). Chooses the native addon when it
 * loads and the TypeScript twin (./detect.js.ts) otherwise; both implement the same algorithm.
 */
import { AsterismError, fromNativeError } from '../errors.js';
import type { Image } from '../image/image.js';
import { loadImage } from '../image/load.js';
import { nativeAddon, type NativeDetectParams, type NativeDetectResult } from '../native/addon.js';
import { detectStarsJs } from './detect.js.js';
import type { DetectOptions, DetectResult, Star } from './types.js';

export type { DetectOptions, DetectResult, Star } from './types.js';

function nativeParams(options: DetectOptions): NativeDetectParams {
  const params: NativeDetectParams = {};
  const keys = ['backgroundBox', 'psfSigma', 'threshold', 'saddle', 'hotPixelRatio', 'contrast', 'apertureRadius', 'maxStars'] as const;
  for (const key of keys) {
    const v = options[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new AsterismError('E_INVALID_ARGUMENT', `detect option ${key} must be a finite number, got ${String(v)}`);
    }
    params[key] = v;
  }
  if (params.backgroundBox !== undefined && params.backgroundBox < 4) throw new AsterismError('E_INVALID_ARGUMENT', 'backgroundBox must be at least 4 pixels');
  if (params.psfSigma !== undefined && (params.psfSigma < 0.3 || params.psfSigma > 20)) throw new AsterismError('E_INVALID_ARGUMENT', 'psfSigma must be between 0.3 and 20 pixels');
  if (params.threshold !== undefined && params.threshold <= 0) throw new AsterismError('E_INVALID_ARGUMENT', 'threshold must be positive');
  if (params.saddle !== undefined && params.saddle < 0) throw new AsterismError('E_INVALID_ARGUMENT', 'saddle must not be negative');
  if (params.hotPixelRatio !== undefined && (params.hotPixelRatio < 0 || params.hotPixelRatio >= 1)) throw new AsterismError('E_INVALID_ARGUMENT', 'hotPixelRatio must be in [0, 1)');
  if (params.contrast !== undefined && params.contrast < 0) throw new AsterismError('E_INVALID_ARGUMENT', 'contrast must not be negative');
  if (params.apertureRadius !== undefined && params.apertureRadius > 1000) throw new AsterismError('E_INVALID_ARGUMENT', 'apertureRadius must be at most 1000 pixels');
  if (params.maxStars !== undefined && params.maxStars < 0) throw new AsterismError('E_INVALID_ARGUMENT', 'maxStars must not be negative');
  return params;
}

function toStars(raw: NativeDetectResult): Star[] {
  const stars: Star[] = new Array(raw.x.length);
  for (let i = 0; i < raw.x.length; i++) {
    stars[i] = { x: raw.x[i], y: raw.y[i], flux: raw.flux[i], peak: raw.peak[i], background: raw.background[i], snr: raw.snr[i] };
  }
  return stars;
}


async function runDetection(image: Image, params: NativeDetectParams, signal?: AbortSignal): Promise<{ raw: NativeDetectResult; backend: 'native' | 'js' }> {
  const addon = nativeAddon();
  if (addon) {
    // The addon polls this flag between stages; the worker thread reads the same memory.
    const cancel = new Int32Array(1);
    const onAbort = () => { cancel[0] = 1; };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return { raw: await addon.detect(image.luminance, image.width, image.height, params, cancel), backend: 'native' };
    } catch (e) {
      throw fromNativeError(e);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }
  return { raw: detectStarsJs(image.luminance, image.width, image.height, params, () => signal?.aborted ?? false), backend: 'js' };
}

/**
 * Finds the stars in an image: background flattening, noise from pixel pairs, a matched filter,
 * peaks with saddle deblending, and 3×3 Gaussian centroids.
 *
 * @param image - a decoded {@link Image}, a file path, or the bytes of an encoded image (FITS, JPEG, PNG, TIFF, WebP, GIF).
 * @param options - detection tuning, pixel limit and an AbortSignal; see {@link DetectOptions}.
 * @returns the stars, brightest first, with the noise and background levels it measured.
 * @throws AsterismError `E_IMAGE_*` for unreadable images, `E_IMAGE_EMPTY` when no pixel is valid,
 *   `E_INVALID_ARGUMENT` for bad options, `E_ABORTED` when the signal fires.
 *
 * @example
 * ```ts
 * import { detect } from 'asterism';
 * const { stars, noise } = await detect('m42.fits', { maxStars: 200 });
 * console.log(stars[0]); // { x: 1021.37, y: 877.02, flux: 5.1e5, peak: 9.8e3, background: 1203, snr: 412 }
 * ```
 */
export async function detect(image: Image | string | Uint8Array, options: DetectOptions = {}): Promise<DetectResult> {
  const params = nativeParams(options);
  const { signal } = options;
  if (signal?.aborted) throw new AsterismError('E_ABORTED', 'detection was aborted before it started');
  const decoded = isImage(image) ? image : await loadImage(image, { maxPixels: options.maxPixels, signal });
  if (signal?.aborted) throw new AsterismError('E_ABORTED', 'detection was aborted');
  const started = performance.now();
  const { raw, backend } = await runDetection(decoded, params, signal);
  const timeMs = performance.now() - started;
  return {
    stars: toStars(raw),
    width: decoded.width,
    height: decoded.height,
    noise: raw.stats.noise,
    smoothedNoise: raw.stats.smoothedNoise,
    backgroundMedian: raw.stats.backgroundMedian,
    maskedPixels: raw.stats.maskedPixels,
    hotPixels: raw.stats.hotPixels,
    lowContrast: raw.stats.lowContrast,
    backend,
    timeMs,
  };
}

function isImage(value: unknown): value is Image {
  return typeof value === 'object' && value !== null && (value as Image).luminance instanceof Float32Array &&
    Number.isInteger((value as Image).width) && Number.isInteger((value as Image).height);
}
