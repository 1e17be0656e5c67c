/** FITS decoding into an {@link Image}: the native reader when the addon loads, its TypeScript twin otherwise. */
import { AsterismError, isAsterismError, type AsterismErrorCode } from '../errors.js';
import { nativeAddon, type NativeFitsResult } from '../native/addon.js';
import { decodeFitsJs } from './fits.js.js';
import type { FitsCard, Image } from './image.js';

/** True when the bytes start like a FITS file. */
export function isFits(bytes: Uint8Array): boolean {
  return bytes.length >= 9 && String.fromCharCode(...bytes.subarray(0, 9)) === 'SIMPLE  =';
}

function cardValue(raw: string, quoted: boolean): FitsCard['value'] {
  if (quoted) return raw;
  if (raw === '') return null;
  if (raw === 'T') return true;
  if (raw === 'F') return false;
  const n = Number(raw.replace(/[dD]/, 'E'));
  return Number.isFinite(n) ? n : raw;
}

function toImage(raw: NativeFitsResult): Image {
  const luminance = raw.pixels instanceof Float32Array ? raw.pixels : Float32Array.from(raw.pixels);
  // The readers return raw value text; anything that is not T, F or a number is a string.
  const header: FitsCard[] = raw.cards.map(([keyword, value, comment]) => {
    const quoted = value !== '' && !/^[-+.\dTFEDed ]+$/.test(value);
    return { keyword, value: cardValue(value, quoted), comment };
  });
  return {
    width: raw.width,
    height: raw.height,
    luminance,
    pixels: raw.pixels,
    channels: 1,
    bitDepth: Math.abs(raw.bitpix),
    format: 'fits',
    header,
  };
}

/**
 * Decodes a FITS image (primary HDU or first IMAGE extension, first plane of a cube).
 * @throws AsterismError E_IMAGE_FORMAT, E_IMAGE_TRUNCATED, E_FITS_HEADER, E_IMAGE_EMPTY or E_IMAGE_TOO_LARGE.
 */
export async function decodeFits(bytes: Uint8Array, options: { maxPixels: number }): Promise<Image> {
  const addon = nativeAddon();
  let raw: NativeFitsResult;
  if (addon) {
    try {
      raw = await addon.fitsRead(bytes, options.maxPixels);
    } catch (e) {
      if (isAsterismError(e)) throw e;
      const code = (e as { code?: string }).code;
      throw new AsterismError((code?.startsWith('E_') ? code : 'E_NATIVE') as AsterismErrorCode, (e as Error).message, { cause: e });
    }
  } else {
    raw = decodeFitsJs(bytes, options.maxPixels);
  }
  return toImage(raw);
}
