/**
 * What the HTTP image sources (./sdss.ts, ./url-template.ts) share: fetching an image with a
 * deadline and a size limit, checking that it is one, decoding it, recognising a blank answer,
 * the WCS of a north-up raster, and errors that say what failed and how to configure another
 * source.
 */
import { AsterismError, isAsterismError } from '../errors.js';
import { isFits } from '../image/fits.js';
import type { Image } from '../image/image.js';
import { DEFAULT_MAX_PIXELS, loadImage } from '../image/load.js';
import { packageVersion } from '../package-root.js';
import { wcsFromFitsCards, type Wcs } from '../sky/wcs.js';
import type { ImageSourceFetchOptions, SkyImage } from './types.js';

/** Default time limit of one image fetch (connection, download and decoding), milliseconds. */
export const DEFAULT_IMAGE_TIMEOUT_MS = 30_000;

/**
 * Largest response accepted, bytes: 50 MB. A 2048 × 2048 SDSS JPEG is 1–3 MB and a float FITS
 * of that size 16 MB; anything far larger is a misconfigured URL, not a cutout.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 50 * 1024 * 1024;

/** The sentence every E_IMAGE_SOURCE message ends with. */
export const IMAGE_SOURCE_ADVICE =
  'To use another image source, set the `imageSource` option, `--image-source URL|DIR` on the command line, or the ' +
  'ASTERISM_IMAGE_SOURCE environment variable to a URL template (placeholders {ra} {dec} {scale} {width} {height} ' +
  '{fov} {fovdeg}) or a directory of images with WCS.';

/** Options shared by the HTTP image sources. */
export interface HttpImageSourceOptions {
  /** Default time limit per fetch, milliseconds (default 30 000); a fetch's own `timeoutMs` wins. */
  timeoutMs?: number;
  /** Refuse responses larger than this many bytes (default 50 MB). */
  maxBytes?: number;
  /** Refuse images with more pixels than this (default 250 million). */
  maxPixels?: number;
}

/** An E_IMAGE_SOURCE error: `<source>: <what failed>. <how to configure another source>`. */
export function imageSourceError(source: string, what: string, cause?: unknown): AsterismError {
  return new AsterismError('E_IMAGE_SOURCE', `${source}: ${what}. ${IMAGE_SOURCE_ADVICE}`, cause === undefined ? undefined : { cause });
}

/** Checks a positive limit option; undefined keeps the default. */
export function checkLimit(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new AsterismError('E_INVALID_ARGUMENT', `${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}

/**
 * The caller's AbortSignal combined with a time limit. `fail(e)` turns whatever a fetch threw
 * into the error to report: E_ABORTED when the caller aborted, E_TIMEOUT when time ran out,
 * `e` otherwise.
 */
export interface Deadline {
  signal: AbortSignal;
  /** Throws E_ABORTED / E_TIMEOUT when either has fired. */
  check(): void;
  fail(e: unknown): never;
  dispose(): void;
}

/** Starts a {@link Deadline} of `timeoutMs` on top of `signal`; `what` names the work in messages. */
export function startDeadline(signal: AbortSignal | undefined, timeoutMs: number, what: string): Deadline {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('timeout'));
  }, timeoutMs);
  // A pending fetch keeps the process alive anyway; the timer alone should not.
  timer.unref?.();
  const onAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  const check = () => {
    if (signal?.aborted) throw new AsterismError('E_ABORTED', `${what} was aborted`, { cause: signal.reason });
    if (timedOut) {
      throw new AsterismError('E_TIMEOUT', `${what} did not finish within ${timeoutMs / 1000} s (the timeoutMs option sets the limit). ${IMAGE_SOURCE_ADVICE}`);
    }
  };
  return {
    signal: controller.signal,
    check,
    fail(e) {
      check();
      throw e;
    },
    dispose() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** Why a connection failed, in words, from undici's error and its cause. */
function networkReason(e: unknown): string {
  const cause = (e as { cause?: unknown })?.cause as { code?: string; message?: string; errors?: Array<{ code?: string }> } | undefined;
  const code = cause?.code ?? cause?.errors?.find((x) => x?.code)?.code;
  switch (code) {
    case 'ECONNREFUSED': return 'connection refused (nothing listens there)';
    case 'ENOTFOUND': case 'EAI_AGAIN': case 'EAI_NONAME': return 'the host name does not resolve (offline, or a wrong host?)';
    case 'ECONNRESET': case 'UND_ERR_SOCKET': return 'the connection was reset';
    case 'ETIMEDOUT': case 'UND_ERR_CONNECT_TIMEOUT': return 'the connection timed out';
    case 'ENETUNREACH': case 'EHOSTUNREACH': return 'the network is unreachable';
    default: return cause?.message ?? (e as Error)?.message ?? String(e);
  }
}

/** Where a URL points, for messages: the whole URL, as the user wrote it into a template. */
function describeUrl(url: URL): string {
  return url.href;
}

const startsWith = (bytes: Uint8Array, magic: readonly number[], at = 0) =>
  bytes.length >= at + magic.length && magic.every((b, i) => bytes[at + i] === b);
const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

/** True when the bytes start like a format loadImage decodes (FITS, JPEG, PNG, GIF, TIFF, WebP). */
function looksLikeImage(bytes: Uint8Array): boolean {
  return isFits(bytes) ||
    startsWith(bytes, [0xff, 0xd8, 0xff]) ||
    startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) ||
    startsWith(bytes, ascii('GIF8')) ||
    startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]) ||
    (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8));
}

/** The start of a non-image answer, for the message: servers explain errors in text or HTML. */
function describeBody(bytes: Uint8Array, contentType: string): string {
  const head = bytes.subarray(0, 200);
  const printable = head.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d || b >= 0x80);
  const text = printable ? Buffer.from(head).toString('utf8').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 120) : '';
  const type = contentType || 'no content type';
  if (bytes.length === 0) return `an empty ${type} response`;
  return text ? `${type}: "${text}${bytes.length > 200 ? '…' : ''}"` : `${bytes.length} bytes of ${type}`;
}

/**
 * GETs `url` and returns its body, within the deadline and the size limit.
 *
 * @throws AsterismError `E_IMAGE_SOURCE` (unreachable, HTTP error, too large, not an image),
 *   `E_ABORTED`, `E_TIMEOUT`.
 */
async function download(url: URL, source: string, deadline: Deadline, maxBytes: number): Promise<{ bytes: Uint8Array; contentType: string }> {
  let response: Response;
  try {
    response = await fetch(url, {
      signal: deadline.signal,
      redirect: 'follow',
      headers: { 'user-agent': `asterism/${packageVersion()}`, accept: 'image/jpeg, image/png, image/gif, application/fits, image/fits, */*;q=0.1' },
    });
  } catch (e) {
    deadline.check();
    throw imageSourceError(source, `cannot reach ${url.host}: ${networkReason(e)}`, e);
  }
  const contentType = (response.headers.get('content-type') ?? '').split(';')[0].trim();
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    const hint = response.status === 404 ? ' (no such page: check the URL, or the service has no image there)' : '';
    throw imageSourceError(source, `${describeUrl(url)} answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${hint}`);
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  const tooLarge = () => imageSourceError(source, `the response from ${describeUrl(url)} is larger than ${maxBytes} bytes, the limit (maxBytes)`);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > maxBytes) {
          await reader.cancel().catch(() => undefined);
          throw tooLarge();
        }
        chunks.push(value);
      }
    }
  } catch (e) {
    if (isAsterismError(e)) throw e;
    deadline.check();
    throw imageSourceError(source, `the connection to ${url.host} broke during the download: ${networkReason(e)}`, e);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return { bytes, contentType };
}

/**
 * True when an image is blank: SDSS answers outside its footprint with a uniform picture, other
 * services with a constant or all-NaN one. Blank means 99.9 % of the valid pixels within a few
 * levels of the median: 3 of 255 for 8-bit images (JPEG blocking adds about that to a flat
 * field, while any real sky has noise well above it), a millionth of the largest value otherwise.
 */
export function isBlankImage(image: Image): boolean {
  const lum = image.luminance;
  // A strided sample is plenty to tell a flat field from the sky, and bounds the cost.
  const stride = Math.max(1, Math.floor(lum.length / 200_000));
  const values: number[] = [];
  for (let i = 0; i < lum.length; i += stride) if (!Number.isNaN(lum[i])) values.push(lum[i]);
  if (values.length === 0) return true;
  values.sort((a, b) => a - b);
  const median = values[values.length >> 1];
  const largest = Math.max(Math.abs(values[0]), Math.abs(values[values.length - 1]));
  const tolerance = image.pixels instanceof Uint8Array ? 3 : 1e-6 * largest;
  let off = 0;
  for (const v of values) if (Math.abs(v - median) > tolerance) off++;
  return off <= 0.001 * values.length;
}

/**
 * The TAN WCS of a north-up, east-left raster centred on (`ra`, `dec`) at `scaleArcsec` per
 * pixel, as cutout services draw them. `rowsDown`: row 0 is the top (JPEG, PNG, GIF), so +y
 * points south and CD = [[−s, 0], [0, −s]] (a det > 0, 'flipped' parity in asterism's
 * terms); otherwise row 0 is the bottom, as FITS viewers draw it, and CD = [[−s, 0], [0, s]].
 * The centre is the middle of the pixel grid, ((width − 1)/2, (height − 1)/2).
 */
export function northUpWcs(ra: number, dec: number, scaleArcsec: number, width: number, height: number, rowsDown: boolean): Wcs {
  const s = scaleArcsec / 3600;
  return {
    crval: [ra, dec],
    crpix: [(width - 1) / 2, (height - 1) / 2],
    cd: [[-s, 0], [0, rowsDown ? -s : s]],
    imageWidth: width,
    imageHeight: height,
  };
}

/** Numbers in URLs: at most `decimals` decimals, no trailing zeros, never exponent notation. */
export function formatUrlNumber(value: number, decimals: number): string {
  const fixed = value.toFixed(decimals);
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

/** What was asked of a service: the field and the raster it was asked to draw it on. */
export interface RasterRequest {
  ra: number;
  dec: number;
  /** Pixel scale asked for, arcseconds per pixel. */
  scaleArcsec: number;
  width: number;
  height: number;
}

/**
 * Fetches and decodes an image from a cutout service, with the WCS that places it: the FITS
 * header's own WCS when the answer is a FITS file that has one, otherwise a north-up east-left
 * raster centred on the request. When the service returns another size than asked, it is taken
 * to show the same field, at a correspondingly different scale.
 *
 * @param source - the source's description, for messages.
 * @throws AsterismError `E_IMAGE_SOURCE` (unreachable, HTTP error, too large, not an image,
 *   unreadable or blank image), `E_ABORTED`, `E_TIMEOUT`.
 */
export async function fetchSkyImage(
  url: URL, source: string, raster: RasterRequest, defaults: HttpImageSourceOptions, options: ImageSourceFetchOptions = {},
): Promise<SkyImage> {
  const timeoutMs = checkLimit('timeoutMs', options.timeoutMs ?? defaults.timeoutMs, DEFAULT_IMAGE_TIMEOUT_MS);
  const maxBytes = checkLimit('maxBytes', defaults.maxBytes, DEFAULT_MAX_RESPONSE_BYTES);
  const maxPixels = checkLimit('maxPixels', defaults.maxPixels, DEFAULT_MAX_PIXELS);
  const deadline: Deadline = startDeadline(options.signal, timeoutMs, `fetching an image from ${source}`);
  try {
    deadline.check();
    const { bytes, contentType } = await download(url, source, deadline, maxBytes);
    if (!looksLikeImage(bytes)) {
      throw imageSourceError(source, `${describeUrl(url)} did not answer with an image but with ${describeBody(bytes, contentType)}`);
    }
    let image: Image;
    try {
      image = await loadImage(bytes, { maxPixels, signal: deadline.signal });
    } catch (e) {
      deadline.check();
      if (isAsterismError(e) && e.code === 'E_IMAGE_EMPTY') throw imageSourceError(source, `no image at this position: ${describeUrl(url)} returned an image without valid pixels`, e);
      throw imageSourceError(source, `the image from ${describeUrl(url)} cannot be read: ${(e as Error).message}`, e);
    }
    if (isBlankImage(image)) {
      throw imageSourceError(source, `no image at this position (RA ${raster.ra}°, Dec ${raster.dec}°): ${describeUrl(url)} returned a blank image, as a survey does outside its footprint`);
    }
    return { image, wcs: rasterWcs(image, raster), origin: url.href };
  } catch (e) {
    deadline.fail(e);
  } finally {
    deadline.dispose();
  }
}

function rasterWcs(image: Image, raster: RasterRequest): Wcs {
  if (image.format === 'fits' && image.header) {
    try {
      return { ...wcsFromFitsCards(image.header), imageWidth: image.width, imageHeight: image.height };
    } catch {
      // No usable WCS in the header: fall back to the raster the service was asked for.
    }
  }
  const wcs = northUpWcs(raster.ra, raster.dec, raster.scaleArcsec, image.width, image.height, image.format !== 'fits');
  // Another size than asked: the same field, so scale each axis by what was asked over what came.
  wcs.cd[0][0] *= raster.width / image.width;
  wcs.cd[1][1] *= raster.height / image.height;
  return wcs;
}
