/**
 * Image sources by name: the SDSS cutout service (./sdss.ts), a URL template (./url-template.ts)
 * or a local directory (./image-directory.ts), picked from one string as the CLI, the
 * environment and the options take it.
 */
import { statSync } from 'node:fs';
import { AsterismError } from '../errors.js';
import { imageDirectorySource } from './image-directory.js';
import { sdssImageSource } from './sdss.js';
import type { ImageSource } from './types.js';
import { urlTemplateImageSource } from './url-template.js';

export { imageDirectorySource, type ImageDirectorySourceOptions } from './image-directory.js';
export { cutoutRaster, sdssImageSource, SDSS_GETJPEG_URL, type SdssImageSourceOptions } from './sdss.js';
export { urlTemplateImageSource } from './url-template.js';
export { IMAGE_SOURCE_ADVICE, type HttpImageSourceOptions } from './fetch-image.js';

/** The environment variable naming the default image source when none is given. */
export const IMAGE_SOURCE_ENV = 'ASTERISM_IMAGE_SOURCE';

/**
 * The image source a string names:
 * - `undefined` (or empty): the `ASTERISM_IMAGE_SOURCE` environment variable when set, else SDSS;
 * - `'sdss'` (any case): SDSS DR16's image cutout service ({@link sdssImageSource});
 * - a string containing `{`: a URL template ({@link urlTemplateImageSource});
 * - anything else: a directory of images with WCS ({@link imageDirectorySource}), which must exist.
 *
 * @throws AsterismError `E_INVALID_ARGUMENT` for a directory that does not exist, a URL without
 *   placeholders, or a bad template.
 *
 * @example
 * ```ts
 * imageSourceFrom(undefined).description;   // 'SDSS DR16 image cutout service' (unless ASTERISM_IMAGE_SOURCE is set)
 * imageSourceFrom('/data/plates');          // a directory source
 * imageSourceFrom('https://example.org/cutout?ra={ra}&dec={dec}&size={width}&pixscale={scale}');
 * ```
 */
export function imageSourceFrom(spec: string | undefined): ImageSource {
  if (spec !== undefined && typeof spec !== 'string') {
    throw new AsterismError('E_INVALID_ARGUMENT', `an image source must be 'sdss', a URL template or a directory, got ${String(spec)}`);
  }
  const fromEnv = spec === undefined || spec.trim() === '';
  const text = (fromEnv ? process.env[IMAGE_SOURCE_ENV] ?? '' : spec).trim();
  const where = fromEnv ? ` (from ${IMAGE_SOURCE_ENV})` : '';
  if (text === '' || text.toLowerCase() === 'sdss') return sdssImageSource();
  if (text.includes('{')) return urlTemplateImageSource(text);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw new AsterismError('E_INVALID_ARGUMENT',
      `image source '${text}'${where} is a URL without placeholders: write it as a template with {ra} and {dec} ` +
      '(and {scale} {width} {height} or {fov}), for example https://host/getjpeg?ra={ra}&dec={dec}&scale={scale}&width={width}&height={height}');
  }
  let isDirectory = false;
  try {
    isDirectory = statSync(text).isDirectory();
  } catch {
    isDirectory = false;
  }
  if (!isDirectory) {
    throw new AsterismError('E_INVALID_ARGUMENT',
      `image source '${text}'${where} is neither 'sdss', a URL template with {ra} and {dec}, nor an existing directory`);
  }
  return imageDirectorySource(text);
}

/** An ImageSource as given, or the one a string (or nothing) names ({@link imageSourceFrom}). */
export function resolveImageSource(source: ImageSource | string | undefined): ImageSource {
  if (typeof source === 'object' && source !== null) {
    if (typeof source.fetch !== 'function') throw new AsterismError('E_INVALID_ARGUMENT', 'imageSource must have a fetch() method, or be a string');
    return source;
  }
  return imageSourceFrom(source);
}
