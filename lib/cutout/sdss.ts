/**
 * The SDSS DR16 image cutout service (SkyServer's ImgCutout getjpeg), the default image source
 * and the one IncliNET uses: a colour JPEG of any position in the SDSS footprint, north up and
 * east left, at the pixel scale asked for.
 */
import { AsterismError } from '../errors.js';
import { checkLimit, fetchSkyImage, formatUrlNumber, type HttpImageSourceOptions, type RasterRequest } from './fetch-image.js';
import type { ImageSource, ImageSourceFetchOptions, SkyImage } from './types.js';

/** SDSS DR16's getjpeg endpoint. */
export const SDSS_GETJPEG_URL = 'https://skyserver.sdss.org/dr16/SkyServerWS/ImgCutout/getjpeg';

/**
 * First pixel scale tried, arcseconds per pixel. Finer than SDSS's native 0.396″ so a small
 * galaxy is drawn on more pixels than the survey has rather than fewer; larger fields double it
 * (0.5″, 1″, …) until the image fits the service's 2048 pixels.
 */
export const CUTOUT_START_SCALE_ARCSEC = 0.25;
/** Largest side getjpeg draws, pixels. */
export const CUTOUT_MAX_PIXELS = 2048;
/** Smallest side getjpeg draws, pixels: a smaller request gets an error, not an image. */
export const CUTOUT_MIN_PIXELS = 64;

/**
 * The raster to ask a cutout service for to cover `fovArcmin`: IncliNET's rule, starting at
 * 0.25″ per pixel and doubling the scale until the side is at most 2048 pixels; then at least 64
 * (the image then covers more than asked, which the cutout crops).
 *
 * @example
 * ```ts
 * cutoutRaster(14); // { scaleArcsec: 0.5, pixels: 1680 }: 14′ at 0.25″ would be 3360 px
 * ```
 */
export function cutoutRaster(fovArcmin: number): { scaleArcsec: number; pixels: number } {
  let scaleArcsec = CUTOUT_START_SCALE_ARCSEC;
  let pixels = Math.ceil((fovArcmin * 60) / scaleArcsec - 1e-9);
  while (pixels > CUTOUT_MAX_PIXELS) {
    scaleArcsec *= 2;
    pixels = Math.ceil((fovArcmin * 60) / scaleArcsec - 1e-9);
  }
  return { scaleArcsec, pixels: Math.max(CUTOUT_MIN_PIXELS, pixels) };
}

/** Checks a fetch request and returns it with RA in [0, 360). */
export function checkSkyRequest(request: { ra: number; dec: number; fovArcmin: number }): { ra: number; dec: number; fovArcmin: number } {
  if (typeof request !== 'object' || request === null) throw new AsterismError('E_INVALID_ARGUMENT', 'an image request must be { ra, dec, fovArcmin }');
  const { ra, dec, fovArcmin } = request;
  if (typeof ra !== 'number' || !Number.isFinite(ra)) throw new AsterismError('E_INVALID_ARGUMENT', `ra must be a finite number of degrees, got ${String(ra)}`);
  if (typeof dec !== 'number' || !(dec >= -90 && dec <= 90)) throw new AsterismError('E_INVALID_ARGUMENT', `dec must be a number of degrees in [-90, 90], got ${String(dec)}`);
  // 30°: already 4 × 10⁶ times SDSS's coarsest 2048-px image area; no galaxy needs more.
  if (typeof fovArcmin !== 'number' || !(fovArcmin > 0) || !(fovArcmin <= 1800)) {
    throw new AsterismError('E_INVALID_ARGUMENT', `fovArcmin must be a number of arcminutes > 0 and at most 1800 (30°), got ${String(fovArcmin)}`);
  }
  // Only RA outside [0, 360) is wrapped: (ra % 360 + 360) % 360 would turn 150.1 into 150.10000000000002.
  return { ra: ra >= 0 && ra < 360 ? ra : ((ra % 360) + 360) % 360, dec, fovArcmin };
}

/** The raster for a request, as {@link fetchSkyImage} wants it. */
export function rasterFor(request: { ra: number; dec: number; fovArcmin: number }): RasterRequest {
  const { scaleArcsec, pixels } = cutoutRaster(request.fovArcmin);
  return { ra: request.ra, dec: request.dec, scaleArcsec, width: pixels, height: pixels };
}

/** Options for {@link sdssImageSource}. */
export interface SdssImageSourceOptions extends HttpImageSourceOptions {
  /**
   * The getjpeg endpoint (default {@link SDSS_GETJPEG_URL}): a mirror, another data release
   * (`…/dr17/…`), or a test server. Query parameters ra, dec, scale, width and height are added.
   */
  baseUrl?: string;
}

/**
 * The SDSS DR16 image cutout service as an {@link ImageSource}, as IncliNET uses it:
 * `getjpeg?ra=…&dec=…&scale=…&width=…&height=…`, the scale chosen by {@link cutoutRaster}. The
 * JPEG is placed by a TAN WCS centred on the request, north up and east left, row 0 at the top.
 * Positions outside SDSS's footprint (most of the southern sky) get a blank image, reported as
 * `E_IMAGE_SOURCE` 'no image at this position'.
 *
 * @throws AsterismError `E_INVALID_ARGUMENT` for a `baseUrl` that is not an http(s) URL or
 *   limits that are not positive numbers.
 *
 * @example
 * ```ts
 * import { sdssImageSource, skyCutout } from 'asterism';
 * const sky = await sdssImageSource().fetch({ ra: 339.2673, dec: 34.4156, fovArcmin: 14 });
 * const cutout = skyCutout(sky, { ra: 339.2673, dec: 34.4156, fovArcmin: 14, majorAxisPa: 169 });
 * ```
 */
export function sdssImageSource(options: SdssImageSourceOptions = {}): ImageSource {
  const base = options.baseUrl ?? SDSS_GETJPEG_URL;
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new AsterismError('E_INVALID_ARGUMENT', `baseUrl must be an http(s) URL, got '${base}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AsterismError('E_INVALID_ARGUMENT', `baseUrl must be an http(s) URL, got '${base}'`);
  const description = options.baseUrl === undefined ? 'SDSS DR16 image cutout service' : `SDSS-style image cutout service at ${url.origin}${url.pathname}`;
  return rasterImageSource(description, (raster) => {
    const target = new URL(url);
    target.searchParams.set('ra', formatUrlNumber(raster.ra, 7));
    target.searchParams.set('dec', formatUrlNumber(raster.dec, 7));
    target.searchParams.set('scale', formatUrlNumber(raster.scaleArcsec, 6));
    target.searchParams.set('width', String(raster.width));
    target.searchParams.set('height', String(raster.height));
    return target;
  }, options);
}

/**
 * An HTTP {@link ImageSource} that asks for the raster {@link rasterFor} chooses at the URL
 * `urlFor` builds (the SDSS service, a URL template). Checks the limit options once, here.
 */
export function rasterImageSource(description: string, urlFor: (raster: RasterRequest) => URL, options: HttpImageSourceOptions): ImageSource {
  checkLimit('timeoutMs', options.timeoutMs, 1);
  checkLimit('maxBytes', options.maxBytes, 1);
  checkLimit('maxPixels', options.maxPixels, 1);
  return {
    description,
    fetch(request, fetchOptions?: ImageSourceFetchOptions): Promise<SkyImage> {
      let raster: RasterRequest;
      try {
        raster = rasterFor(checkSkyRequest(request));
      } catch (e) {
        return Promise.reject(e);
      }
      return fetchSkyImage(urlFor(raster), description, raster, options, fetchOptions);
    },
  };
}
