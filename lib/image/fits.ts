/**
 * FITS decoding into an {@link Image}: the native reader (native/fits) on the libuv pool when the
 * addon loads, its TypeScript twin (./fits.js.ts) otherwise. Both return the same raw result.
 */
import { fromNativeError } from '../errors.js';
import { nativeAddon, type NativeFitsResult } from '../native/addon.js';
import { decodeFitsJs } from './fits.js.js';
import type { FitsCard, Image } from './image.js';

const MAGIC = 'SIMPLE  =';

/**
 * True when `bytes` start like a FITS file (`SIMPLE  =` in columns 1–9). A cheap sniff: the
 * reader still checks that SIMPLE is T.
 *
 * @example
 * ```ts
 * if (isFits(bytes)) image = await decodeFits(bytes, { maxPixels: 1e8 });
 * ```
 */
export function isFits(bytes: Uint8Array): boolean {
  if (bytes.length < MAGIC.length) return false;
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC.charCodeAt(i)) return false;
  }
  return true;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([EeDd][+-]?\d+)?$/;

/**
 * Parses a card's raw value text as the readers return it: a quoted string (with `''` escapes)
 * becomes a string, T/F a boolean, a FITS number (Fortran `D` exponents too) a number, an empty
 * value null. Anything else (complex numbers, malformed text) stays as its raw text.
 *
 * @example
 * ```ts
 * parseFitsValue("'NGC 891 '"); // 'NGC 891 '
 * parseFitsValue('1.5D3');     // 1500
 * ```
 */
export function parseFitsValue(raw: string): FitsCard['value'] {
  if (raw === '') return null;
  if (raw.length >= 2 && raw.startsWith("'") && raw.endsWith("'")) return raw.slice(1, -1).replace(/''/g, "'");
  if (raw === 'T') return true;
  if (raw === 'F') return false;
  if (NUMBER.test(raw)) {
    const n = Number(raw.replace(/[Dd]/, 'e'));
    if (Number.isFinite(n)) return n;
  }
  return raw;
}

function toImage(raw: NativeFitsResult): Image {
  const luminance = raw.pixels instanceof Float32Array ? raw.pixels : Float32Array.from(raw.pixels);
  return {
    width: raw.width,
    height: raw.height,
    luminance,
    pixels: raw.pixels,
    channels: 1,
    bitDepth: Math.abs(raw.bitpix),
    format: 'fits',
    header: raw.cards.map(([keyword, value, comment]) => ({ keyword, value: parseFitsValue(value), comment })),
  };
}

/**
 * Decodes the first image of a FITS file: the primary HDU when it holds one, else the first
 * IMAGE extension; the first plane of a cube. Pixels are physical values (BZERO/BSCALE
 * applied), BLANK and NaN are NaN, rows stay in file order (row 0 is the first stored row).
 *
 * @param bytes - the whole file. The native reader borrows it: do not modify it until the promise settles.
 * @param options.maxPixels - refuse larger images before allocating (decompression-bomb guard).
 * @returns an {@link Image} with `format: 'fits'`, one channel, `bitDepth` = |BITPIX|,
 *   `pixels` a Float32Array (Float64Array for BITPIX -64) and the HDU's cards in `header`.
 * @throws AsterismError `E_IMAGE_FORMAT` (not FITS), `E_IMAGE_TRUNCATED`, `E_FITS_HEADER`,
 *   `E_IMAGE_EMPTY` (no image HDU, or only a tile-compressed one), `E_IMAGE_TOO_LARGE`.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * const image = await decodeFits(await readFile('ngc891.fits'), { maxPixels: 1e8 });
 * console.log(image.width, image.height, image.header?.find((c) => c.keyword === 'EXPTIME')?.value);
 * ```
 */
export async function decodeFits(bytes: Uint8Array, options: { maxPixels: number }): Promise<Image> {
  const addon = nativeAddon();
  if (!addon) return toImage(decodeFitsJs(bytes, options.maxPixels));
  // Captured before the await so a rejection's stack points at the caller, not at the addon.
  const callSite: { stack?: string } = {};
  Error.captureStackTrace(callSite, decodeFits);
  try {
    return toImage(await addon.fitsRead(bytes, options.maxPixels));
  } catch (e) {
    throw fromNativeError(e, callSite.stack);
  }
}
