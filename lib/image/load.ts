/**
 * loadImage(): any supported input → one {@link Image}. FITS goes through asterism's own reader;
 * JPEG, PNG, TIFF, WebP and GIF through sharp. Pixel limits are checked against the header before
 * anything is decoded.
 */
import { readFile, stat } from 'node:fs/promises';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { AsterismError, isAsterismError } from '../errors.js';
import { decodeFits, isFits } from './fits.js';
import type { Image, ImageFormat, PixelArray } from './image.js';

/** Default pixel limit: 250 megapixels, far above any camera frame, far below a decompression bomb's claim. */
export const DEFAULT_MAX_PIXELS = 250_000_000;

/** Undecoded pixels handed in by a caller. */
export interface RawPixels {
  data: PixelArray;
  width: number;
  height: number;
  /** Interleaved channels: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA. */
  channels: number;
}

/** Options of {@link loadImage}. */
export interface LoadImageOptions {
  /** Refuse images with more pixels than this (default {@link DEFAULT_MAX_PIXELS}). */
  maxPixels?: number;
  signal?: AbortSignal;
}

// sharp defaults to one libvips thread here; decoding large frames benefits from both cores.
sharp.concurrency(Math.max(1, Math.min(4, (await import('node:os')).availableParallelism())));

const SHARP_FORMATS: Record<string, ImageFormat> = { jpeg: 'jpeg', png: 'png', tiff: 'tiff', webp: 'webp', gif: 'gif' };

/** Luminance for detection: grey as is, RGB as Rec. 709 luma; pixels with alpha 0 become NaN. */
export function toLuminance(data: PixelArray, width: number, height: number, channels: number): Float32Array {
  const n = width * height;
  const out = new Float32Array(n);
  const colour = channels >= 3;
  const alpha = channels === 2 || channels === 4 ? channels - 1 : -1;
  for (let i = 0, p = 0; i < n; i++, p += channels) {
    if (alpha >= 0 && data[p + alpha] === 0) {
      out[i] = NaN;
      continue;
    }
    out[i] = colour ? 0.2126 * data[p] + 0.7152 * data[p + 1] + 0.0722 * data[p + 2] : data[p];
  }
  return out;
}

function checkSize(width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw new AsterismError('E_IMAGE_TOO_LARGE', `the image is ${width} × ${height} pixels, over the limit of ${maxPixels} (raise maxPixels to allow it)`);
  }
}

function sharpError(e: unknown): AsterismError {
  const message = (e as Error)?.message ?? String(e);
  if (/unsupported image format|Input buffer contains unsupported/i.test(message)) {
    return new AsterismError('E_IMAGE_FORMAT', 'not an image asterism can read (expected FITS, JPEG, PNG, TIFF, WebP or GIF)', { cause: e });
  }
  if (/pixel limit/i.test(message)) return new AsterismError('E_IMAGE_TOO_LARGE', `the image exceeds the pixel limit: ${message}`, { cause: e });
  if (/truncat|premature|end of|corrupt|invalid|bad |error/i.test(message)) {
    return new AsterismError('E_IMAGE_TRUNCATED', `the image data is damaged or incomplete: ${message}`, { cause: e });
  }
  return new AsterismError('E_IMAGE_FORMAT', `the image could not be decoded: ${message}`, { cause: e });
}

async function decodeWithSharp(bytes: Uint8Array, maxPixels: number): Promise<Image> {
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false, failOn: 'truncated' }).metadata();
  } catch (e) {
    throw sharpError(e);
  }
  const format = meta.format ? SHARP_FORMATS[meta.format] : undefined;
  if (!format || !meta.width || !meta.height) {
    throw new AsterismError('E_IMAGE_FORMAT', `not an image asterism can read (found ${meta.format ?? 'unknown data'}; expected FITS, JPEG, PNG, TIFF, WebP or GIF)`);
  }
  checkSize(meta.width, meta.height, maxPixels);
  const depth = meta.depth ?? 'uchar';
  const outDepth = depth === 'float' || depth === 'double' ? 'float' : depth === 'ushort' || depth === 'short' || (meta.bitsPerSample ?? 8) > 8 ? 'ushort' : 'uchar';
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    let pipeline = sharp(bytes, { limitInputPixels: maxPixels, failOn: 'truncated', pages: 1, sequentialRead: true });
    // Without an explicit colourspace libvips converts to 8-bit sRGB on the way out (grey becomes
    // three channels, 16-bit values are scaled down); naming the source's own space keeps both
    // the channel count and the depth. Float data is passed through untouched.
    if (outDepth !== 'float') {
      const grey = (meta.channels ?? 3) <= 2;
      pipeline = pipeline.toColourspace(grey ? (outDepth === 'ushort' ? 'grey16' : 'b-w') : outDepth === 'ushort' ? 'rgb16' : 'srgb');
    } else if (meta.channels === 1) {
      pipeline = pipeline.extractChannel(0);
    }
    decoded = await pipeline.raw({ depth: outDepth }).toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw sharpError(e);
  }
  const { data, info } = decoded;
  const copy = new Uint8Array(data.byteLength);
  copy.set(data);
  const pixels: PixelArray = outDepth === 'float' ? new Float32Array(copy.buffer) : outDepth === 'ushort' ? new Uint16Array(copy.buffer) : copy;
  return {
    width: info.width,
    height: info.height,
    luminance: toLuminance(pixels, info.width, info.height, info.channels),
    pixels,
    channels: info.channels,
    bitDepth: outDepth === 'float' ? 32 : outDepth === 'ushort' ? 16 : 8,
    format,
  };
}

function hasValidPixel(luminance: Float32Array): boolean {
  for (let i = 0; i < luminance.length; i++) if (Number.isFinite(luminance[i])) return true;
  return false;
}

/**
 * Decodes an image from a path, the bytes of an encoded file, or raw pixels.
 *
 * @throws AsterismError `E_IO` (unreadable path), `E_IMAGE_FORMAT`, `E_IMAGE_TRUNCATED`,
 *   `E_FITS_HEADER`, `E_IMAGE_TOO_LARGE`, `E_IMAGE_EMPTY` (no valid pixel), `E_ABORTED`.
 *
 * @example
 * ```ts
 * const image = await loadImage('m31.fits');
 * console.log(image.width, image.height, image.format); // 4096 4096 'fits'
 * ```
 */
export async function loadImage(input: string | Uint8Array | RawPixels, options: LoadImageOptions = {}): Promise<Image> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!(maxPixels > 0)) throw new AsterismError('E_INVALID_ARGUMENT', 'maxPixels must be a positive number');
  if (options.signal?.aborted) throw new AsterismError('E_ABORTED', 'loading was aborted');
  let image: Image;
  if (typeof input === 'string') {
    let bytes: Uint8Array;
    try {
      const info = await stat(input);
      if (!info.isFile()) throw new AsterismError('E_IO', `${input} is not a file`);
      bytes = await readFile(input, { signal: options.signal });
    } catch (e) {
      if (isAsterismError(e)) throw e;
      if ((e as Error).name === 'AbortError') throw new AsterismError('E_ABORTED', 'loading was aborted');
      throw new AsterismError('E_IO', `cannot read ${input}: ${(e as Error).message}`, { cause: e });
    }
    image = await decodeBytes(bytes, maxPixels);
  } else if (input instanceof Uint8Array) {
    image = await decodeBytes(input, maxPixels);
  } else if (input && typeof input === 'object' && 'data' in input) {
    image = fromRaw(input, maxPixels);
  } else {
    throw new AsterismError('E_INVALID_ARGUMENT', 'loadImage expects a path, a Uint8Array/Buffer, or {data, width, height, channels}');
  }
  if (options.signal?.aborted) throw new AsterismError('E_ABORTED', 'loading was aborted');
  if (!hasValidPixel(image.luminance)) throw new AsterismError('E_IMAGE_EMPTY', 'the image has no valid pixels (all NaN, blank or transparent)');
  return image;
}

async function decodeBytes(bytes: Uint8Array, maxPixels: number): Promise<Image> {
  if (bytes.length === 0) throw new AsterismError('E_IMAGE_FORMAT', 'the file is empty');
  return isFits(bytes) ? decodeFits(bytes, { maxPixels }) : decodeWithSharp(bytes, maxPixels);
}

function fromRaw(raw: RawPixels, maxPixels: number): Image {
  const { data, width, height, channels } = raw;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || ![1, 2, 3, 4].includes(channels)) {
    throw new AsterismError('E_INVALID_ARGUMENT', 'raw pixels need positive integer width and height and 1–4 channels');
  }
  checkSize(width, height, maxPixels);
  if (data.length !== width * height * channels) {
    throw new AsterismError('E_INVALID_ARGUMENT', `raw pixels: expected ${width * height * channels} values, got ${data.length}`);
  }
  const bitDepth = data instanceof Uint8Array ? 8 : data instanceof Uint16Array || data instanceof Int16Array ? 16 : data instanceof Float64Array ? 64 : 32;
  const luminance = channels === 1 && data instanceof Float32Array ? data : toLuminance(data, width, height, channels);
  return { width, height, luminance, pixels: data, channels, bitDepth, format: 'raw' };
}
