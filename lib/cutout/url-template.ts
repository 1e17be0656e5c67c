/**
 * Any cutout service addressed by a URL template: SDSS-style ones that take a pixel scale and a
 * size (Legacy Survey, SDSS mirrors) and HiPS-style ones that take a field of view (CDS's
 * hips2fits, SkyView).
 */
import { AsterismError } from '../errors.js';
import { formatUrlNumber, type HttpImageSourceOptions, type RasterRequest } from './fetch-image.js';
import { rasterImageSource } from './sdss.js';
import type { ImageSource } from './types.js';

/**
 * The placeholders a template may use and what each becomes. The raster is chosen as for SDSS
 * (0.25″ per pixel, doubled until at most 2048 pixels), and the field of view is that of the
 * raster, width × scale, so that both styles describe the same image.
 */
const PLACEHOLDERS: Record<string, (r: RasterRequest) => string> = {
  /** Right ascension of the centre, degrees [0, 360). */
  ra: (r) => formatUrlNumber(r.ra, 7),
  /** Declination of the centre, degrees. */
  dec: (r) => formatUrlNumber(r.dec, 7),
  /** Pixel scale, arcseconds per pixel. */
  scale: (r) => formatUrlNumber(r.scaleArcsec, 6),
  /** Image width and height, pixels. */
  width: (r) => String(r.width),
  height: (r) => String(r.height),
  /** Field of view (the width), degrees, as hips2fits's `fov`. */
  fov: (r) => formatUrlNumber((r.width * r.scaleArcsec) / 3600, 9),
  fovdeg: (r) => formatUrlNumber((r.width * r.scaleArcsec) / 3600, 9),
  /** The same in arcminutes and arcseconds, for services that want those. */
  fovarcmin: (r) => formatUrlNumber((r.width * r.scaleArcsec) / 60, 7),
  fovarcsec: (r) => formatUrlNumber(r.width * r.scaleArcsec, 5),
};

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** The template with every placeholder replaced. */
function fill(template: string, raster: RasterRequest): string {
  return template.replace(PLACEHOLDER, (_, name: string) => PLACEHOLDERS[name.toLowerCase()](raster));
}

/**
 * A cutout service addressed by a URL template as an {@link ImageSource}. Placeholders
 * (case-insensitive): SDSS-style `{ra}` `{dec}` (degrees), `{scale}` (arcseconds per pixel),
 * `{width}` `{height}` (pixels); HiPS-style `{fov}` or `{fovdeg}` (degrees), also `{fovarcmin}`
 * and `{fovarcsec}`. The raster is chosen as for SDSS (see {@link cutoutRaster}).
 *
 * The answer may be JPEG, PNG, GIF, TIFF, WebP or FITS. A FITS answer with a WCS in its header
 * is placed by that WCS; anything else is taken to be north up and east left, centred on the
 * request, at the scale asked (row 0 at the top for JPEG and the others, at the bottom for FITS).
 *
 * @param template - an http(s) URL containing at least `{ra}` and `{dec}`.
 * @throws AsterismError `E_INVALID_ARGUMENT` for an unknown placeholder, a template without
 *   `{ra}` and `{dec}`, or one that is not an http(s) URL.
 *
 * @example
 * ```ts
 * const hips = urlTemplateImageSource('https://alasky.cds.unistra.fr/hips-image-services/hips2fits' +
 *   '?hips=CDS/P/SDSS9/color&width={width}&height={height}&fov={fovdeg}&ra={ra}&dec={dec}&projection=TAN&format=jpg');
 * const result = await inclineByName('NGC 7331', { imageSource: hips });
 * ```
 */
export function urlTemplateImageSource(template: string, options: HttpImageSourceOptions = {}): ImageSource {
  if (typeof template !== 'string') throw new AsterismError('E_INVALID_ARGUMENT', `an image URL template must be a string, got ${String(template)}`);
  const names = [...template.matchAll(PLACEHOLDER)].map((m) => m[1]);
  const unknown = names.filter((n) => PLACEHOLDERS[n.toLowerCase()] === undefined);
  if (unknown.length) {
    throw new AsterismError('E_INVALID_ARGUMENT',
      `unknown placeholder${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `{${n}}`).join(', ')} in the image URL template '${template}' ` +
      `(known: ${Object.keys(PLACEHOLDERS).map((n) => `{${n}}`).join(' ')})`);
  }
  for (const needed of ['ra', 'dec']) {
    if (!names.some((n) => n.toLowerCase() === needed)) {
      throw new AsterismError('E_INVALID_ARGUMENT', `the image URL template '${template}' has no {${needed}} placeholder, so every request would get the same image`);
    }
  }
  const sample = fill(template, { ra: 1, dec: 1, scaleArcsec: 1, width: 64, height: 64 });
  let protocol: string;
  try {
    protocol = new URL(sample).protocol;
  } catch {
    throw new AsterismError('E_INVALID_ARGUMENT', `the image URL template '${template}' does not make a valid URL`);
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new AsterismError('E_INVALID_ARGUMENT', `the image URL template must be an http or https URL, got '${template}'`);
  }
  return rasterImageSource(template, (raster) => new URL(fill(template, raster)), options);
}
