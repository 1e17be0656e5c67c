/**
 * loadImage(): one entry point from a path, encoded bytes or raw pixels to an {@link Image}.
 * FITS goes to our own reader (./fits.ts); JPEG, PNG, TIFF, WebP and GIF go to sharp, decoded
 * at their stored depth and without colour management, because detection wants the values the
 * sensor wrote, not a display rendering.
 */
import { readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { AsterismError, isAsterismError, type AsterismErrorCode } from '../errors.js';
import { decodeFits, isFits } from './fits.js';
import type { Image, ImageFormat, PixelArray } from './image.js';

/**
 * Default pixel limit (width × height) for {@link loadImage}: 250 million pixels, a 16k × 15k
 * mosaic, whose luminance plane alone takes 1 GB as float32. Just under sharp's own default
 * (0x3FFF² = 268,402,689) so both decoders refuse the same decompression bombs.
 */
export const DEFAULT_MAX_PIXELS = 250_000_000;

/** Decoded pixels supplied by the caller, interleaved by channel, row-major. */
export interface RawPixels {
  data: PixelArray;
  width: number;
  height: number;
  /** 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA. */
  channels: number;
}

/** Options for {@link loadImage}. */
export interface LoadImageOptions {
  /** Refuse images with more pixels (width × height) than this, before decoding. Default {@link DEFAULT_MAX_PIXELS}. */
  maxPixels?: number;
  /** Rejects the load with `E_ABORTED` when it fires. A decode already running finishes in the background and is discarded. */
  signal?: AbortSignal;
}

// Node's fs.readFile refuses files above 2 GiB; say so before trying.
const MAX_FILE_BYTES = 2 ** 31 - 1;

type SharpFormat = Exclude<ImageFormat, 'fits' | 'raw'>;

function fail(code: AsterismErrorCode, message: string, cause?: unknown): never {
  throw new AsterismError(code, message, cause === undefined ? undefined : { cause });
}

function abortError(signal: AbortSignal): AsterismError {
  return new AsterismError('E_ABORTED', 'loading the image was aborted', { cause: signal.reason });
}

/** Settles with `work`, or rejects with E_ABORTED as soon as the signal fires. */
function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => { signal.removeEventListener('abort', onAbort); resolve(value); },
      (error) => { signal.removeEventListener('abort', onAbort); reject(error); },
    );
  });
}

let sharpConfigured = false;

function configureSharp(): void {
  if (sharpConfigured) return;
  sharpConfigured = true;
  // libvips detects a single CPU in many containers (this machine included) and then decodes
  // with one thread; use what the process may actually run on, within reason.
  sharp.concurrency(Math.max(1, Math.min(availableParallelism(), 8)));
}

function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return (e as Error)?.message ?? String(e);
}

async function readImageFile(path: string, signal: AbortSignal | undefined): Promise<Uint8Array> {
  let info;
  try {
    info = await stat(path);
  } catch (e) {
    fail('E_IO', `cannot read image file '${path}': ${fsReason(e)}`, e);
  }
  if (info.isDirectory()) fail('E_IO', `cannot read image file '${path}': it is a directory`);
  // Devices and FIFOs could stream for ever.
  if (!info.isFile()) fail('E_IO', `cannot read image file '${path}': not a regular file`);
  if (info.size > MAX_FILE_BYTES) {
    fail('E_IMAGE_TOO_LARGE', `image file '${path}' is ${info.size} bytes; asterism reads files of up to 2 GiB`);
  }
  try {
    return await readFile(path, { signal });
  } catch (e) {
    if ((e as Error)?.name === 'AbortError' && signal) throw abortError(signal);
    fail('E_IO', `cannot read image file '${path}': ${fsReason(e)}`, e);
  }
}

const startsWith = (bytes: Uint8Array, magic: number[], at = 0) =>
  bytes.length >= at + magic.length && magic.every((b, i) => bytes[at + i] === b);
const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

/** The container, from its magic bytes; null for anything asterism does not read. */
function sniffFormat(bytes: Uint8Array): SharpFormat | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'gif';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'webp';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]) ||
      startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b])) return 'tiff';
  return null;
}

function describeStart(bytes: Uint8Array): string {
  const head = bytes.subarray(0, 16);
  const printable = head.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d);
  if (printable) return `text ("${String.fromCharCode(...head).replace(/\s+/g, ' ')}${bytes.length > 16 ? '…' : ''}")`;
  return `bytes ${Array.from(head.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ')}`;
}

/**
 * Whether the container ends before its own structure says it should. Used only to classify a
 * sharp failure, whose messages do not say "truncated" reliably (a TIFF cut before its IFD is
 * "unsupported image format").
 */
function looksTruncated(format: SharpFormat, bytes: Uint8Array): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (format) {
    case 'png':
      // A complete PNG ends with its IEND chunk (some writers append a few bytes after it).
      return !bytes.subarray(Math.max(0, bytes.length - 64)).some((_, i, tail) => startsWith(tail, ascii('IEND'), i));
    case 'jpeg': {
      // In entropy-coded data 0xFF is always followed by 0x00 or a restart marker, so FF D9 near
      // the end can only be the end-of-image marker.
      for (let i = bytes.length - 2; i >= Math.max(0, bytes.length - 64); i--) {
        if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return false;
      }
      return true;
    }
    case 'gif':
      return bytes[bytes.length - 1] !== 0x3b;
    case 'webp':
      return bytes.length < 12 || view.getUint32(4, true) + 8 > bytes.length;
    case 'tiff': {
      const little = bytes[0] === 0x49;
      if (bytes[2] === 0x2b || bytes[3] === 0x2b) {
        return bytes.length < 16 || view.getBigUint64(8, little) + 8n > BigInt(bytes.length);
      }
      return bytes.length < 8 || view.getUint32(4, little) + 2 > bytes.length;
    }
  }
}

function sharpError(e: unknown, format: SharpFormat, bytes: Uint8Array): never {
  if (isAsterismError(e)) throw e;
  const message = ((e as Error)?.message ?? String(e)).split('\n')[0].trim();
  const name = format.toUpperCase();
  if (/pixel limit/i.test(message)) fail('E_IMAGE_TOO_LARGE', `${name} image is larger than the pixel limit (${message})`, e);
  if (looksTruncated(format, bytes)) fail('E_IMAGE_TRUNCATED', `${name} data is truncated: ${message}`, e);
  fail('E_IMAGE_FORMAT', `not an image asterism can read: corrupt ${name} data (${message})`, e);
}

type SharpDepth = 'uchar' | 'char' | 'ushort' | 'int' | 'uint' | 'float';

const SUPPORTED_DEPTHS: Record<string, { bits: number; array: (bytes: Uint8Array) => PixelArray }> = {
  uchar: { bits: 8, array: (b) => b },
  // Int8Array is not a PixelArray; widening keeps the values.
  char: { bits: 8, array: (b) => Int16Array.from(new Int8Array(b.buffer, b.byteOffset, b.byteLength)) },
  ushort: { bits: 16, array: (b) => view(b, Uint16Array) },
  int: { bits: 32, array: (b) => view(b, Int32Array) },
  uint: { bits: 32, array: (b) => view(b, Uint32Array) },
  float: { bits: 32, array: (b) => view(b, Float32Array) },
};

function view<T extends Uint16Array | Int32Array | Uint32Array | Float32Array>(
  bytes: Uint8Array,
  Type: { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; new (length: number): T; BYTES_PER_ELEMENT: number },
): T {
  const length = bytes.byteLength / Type.BYTES_PER_ELEMENT;
  if (bytes.byteOffset % Type.BYTES_PER_ELEMENT === 0) return new Type(bytes.buffer, bytes.byteOffset, length);
  const copy = new Type(length);
  new Uint8Array(copy.buffer).set(bytes);
  return copy;
}

// Interpretations sharp can output unchanged; anything else (CMYK, Lab, …) is converted to sRGB.
const KEPT_SPACES = new Set(['b-w', 'grey16', 'srgb', 'rgb', 'rgb16', 'scrgb']);

async function decodeWithSharp(bytes: Uint8Array, maxPixels: number): Promise<Image> {
  const format = sniffFormat(bytes);
  if (format === null) {
    fail('E_IMAGE_FORMAT', `not an image asterism can read: the data starts with ${describeStart(bytes)}, not FITS, JPEG, PNG, TIFF, WebP or GIF`);
  }
  configureSharp();
  // failOn 'error' rejects truncated and corrupt data but tolerates the harmless warnings many
  // cameras' JPEGs trigger. ICC profiles are ignored: we want stored values, not display colour.
  const input = { failOn: 'error', sequentialRead: true, ignoreIcc: true, pages: 1, page: 0 } as const;
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { ...input, limitInputPixels: false }).metadata();
  } catch (e) {
    sharpError(e, format, bytes);
  }
  if (meta.format !== format) fail('E_IMAGE_FORMAT', `not an image asterism can read: ${format.toUpperCase()} magic but sharp sees ${meta.format}`);
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (width < 1 || height < 1) fail('E_IMAGE_EMPTY', `${format.toUpperCase()} image has no pixels`);
  if (width * height > maxPixels) {
    fail('E_IMAGE_TOO_LARGE', `${format.toUpperCase()} image is ${width}x${height} pixels, more than the limit of ${maxPixels}`);
  }
  let depth = meta.depth as string;
  if (SUPPORTED_DEPTHS[depth] === undefined) {
    // 'short': sharp casts 16-bit data to unsigned before output, clamping negative values to 0.
    fail('E_IMAGE_FORMAT', `not an image asterism can read: ${format.toUpperCase()} samples of type '${depth}' are not supported`);
  }
  const space = meta.space as string;
  // For 'b-w' images sharp's raw output keeps only the first band, dropping alpha; decoding to
  // sRGB replicates the grey band losslessly and keeps alpha, which we then pick back out.
  const greyAlpha = space === 'b-w' && meta.hasAlpha;
  const kept = KEPT_SPACES.has(space);
  const target = greyAlpha ? 'srgb' : kept ? space : depth === 'ushort' ? 'rgb16' : 'srgb';
  if (!kept && depth !== 'ushort') depth = 'uchar';
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await sharp(bytes, { ...input, limitInputPixels: Math.min(Math.floor(maxPixels), Number.MAX_SAFE_INTEGER) })
      .toColourspace(target)
      .raw({ depth: depth as SharpDepth })
      .toBuffer({ resolveWithObject: true });
  } catch (e) {
    sharpError(e, format, bytes);
  }
  const { info } = decoded;
  const samples = SUPPORTED_DEPTHS[depth];
  let pixels = samples.array(new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength));
  let channels = info.channels;
  if (pixels.length !== info.width * info.height * channels) {
    fail('E_IMAGE_FORMAT', `not an image asterism can read: sharp returned ${pixels.length} samples for ${info.width}x${info.height}x${channels}`);
  }
  if (greyAlpha && channels === 4) {
    pixels = pickChannels(pixels, info.width * info.height, 4, [0, 3]);
    channels = 2;
  }
  return {
    width: info.width,
    height: info.height,
    luminance: luminanceOf(pixels, info.width * info.height, channels),
    pixels,
    channels,
    bitDepth: samples.bits,
    format,
  };
}

function pickChannels(pixels: PixelArray, count: number, from: number, keep: number[]): PixelArray {
  const out = new (pixels.constructor as { new (length: number): PixelArray })(count * keep.length);
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < keep.length; k++) out[i * keep.length + k] = pixels[i * from + keep[k]];
  }
  return out;
}

/**
 * The detection plane: grey as is, RGB as Rec. 709 luminance (0.2126 R + 0.7152 G + 0.0722 B)
 * in the source's units, NaN where alpha is 0.
 */
function luminanceOf(pixels: PixelArray, count: number, channels: number): Float32Array {
  if (channels === 1) return pixels instanceof Float32Array ? pixels : Float32Array.from(pixels);
  const out = new Float32Array(count);
  const alpha = channels === 2 || channels === 4 ? channels - 1 : -1;
  for (let i = 0; i < count; i++) {
    const at = i * channels;
    if (alpha >= 0 && pixels[at + alpha] === 0) {
      out[i] = NaN;
    } else {
      out[i] = channels <= 2 ? pixels[at] : 0.2126 * pixels[at] + 0.7152 * pixels[at + 1] + 0.0722 * pixels[at + 2];
    }
  }
  return out;
}

const PIXEL_ARRAYS = [Uint8Array, Uint16Array, Int16Array, Int32Array, Uint32Array, Float32Array, Float64Array];

function isRawPixels(value: unknown): value is RawPixels {
  return typeof value === 'object' && value !== null && 'data' in value && 'width' in value && 'height' in value;
}

function fromRawPixels(raw: RawPixels, maxPixels: number): Image {
  const { data, width, height, channels } = raw;
  if (!PIXEL_ARRAYS.some((T) => data instanceof T)) {
    fail('E_INVALID_ARGUMENT', 'raw pixels: data must be a Uint8Array, Uint16Array, Int16Array, Int32Array, Uint32Array, Float32Array or Float64Array');
  }
  for (const [name, v] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(v) || v < 1) fail('E_INVALID_ARGUMENT', `raw pixels: ${name} must be a positive integer, got ${String(v)}`);
  }
  if (!Number.isInteger(channels) || channels < 1 || channels > 4) {
    fail('E_INVALID_ARGUMENT', `raw pixels: channels must be 1, 2, 3 or 4, got ${String(channels)}`);
  }
  if (width * height > maxPixels) fail('E_IMAGE_TOO_LARGE', `raw image is ${width}x${height} pixels, more than the limit of ${maxPixels}`);
  if (data.length !== width * height * channels) {
    fail('E_INVALID_ARGUMENT', `raw pixels: data has ${data.length} values, expected ${width} × ${height} × ${channels} = ${width * height * channels}`);
  }
  return {
    width,
    height,
    luminance: luminanceOf(data, width * height, channels),
    pixels: data,
    channels,
    bitDepth: data.BYTES_PER_ELEMENT * 8,
    format: 'raw',
  };
}

function assertHasValidPixels(image: Image): void {
  const lum = image.luminance;
  for (let i = 0; i < lum.length; i++) {
    if (!Number.isNaN(lum[i])) return;
  }
  fail('E_IMAGE_EMPTY', `the ${image.width}x${image.height} ${image.format.toUpperCase()} image has no valid pixels (all are NaN, BLANK or transparent)`);
}

/**
 * Loads an image from a file path, encoded bytes or raw pixels. FITS (any BITPIX; the first
 * image HDU) is read by asterism's own reader; JPEG, PNG (8/16-bit), TIFF (8/16-bit, 32-bit
 * integer and float), WebP and GIF (first frame) by sharp, at their stored depth and without
 * colour management. Rows stay in stored order.
 *
 * @param input - a path, the file's bytes, or {@link RawPixels} (used as is, not copied).
 * @param options - pixel limit and AbortSignal; see {@link LoadImageOptions}.
 * @returns the {@link Image}: `pixels` as decoded, `luminance` one float per pixel (Rec. 709
 *   for colour, NaN where masked).
 * @throws AsterismError `E_IO` (unreadable path, directory), `E_IMAGE_FORMAT` (empty, unknown or
 *   corrupt data), `E_IMAGE_TRUNCATED`, `E_FITS_HEADER`, `E_IMAGE_TOO_LARGE`, `E_IMAGE_EMPTY`
 *   (no valid pixel), `E_INVALID_ARGUMENT`, `E_ABORTED`.
 *
 * @example
 * ```ts
 * import { loadImage } from 'asterism';
 * const image = await loadImage('m42.fits', { maxPixels: 100e6 });
 * console.log(image.width, image.height, image.bitDepth, image.header?.length);
 * ```
 */
export async function loadImage(input: string | Uint8Array | RawPixels, options: LoadImageOptions = {}): Promise<Image> {
  const { maxPixels = DEFAULT_MAX_PIXELS, signal } = options;
  if (typeof maxPixels !== 'number' || !(maxPixels >= 1)) {
    fail('E_INVALID_ARGUMENT', `maxPixels must be a number >= 1, got ${String(maxPixels)}`);
  }
  if (signal?.aborted) throw abortError(signal);
  let image: Image;
  if (typeof input === 'string') {
    const bytes = await abortable(readImageFile(input, signal), signal);
    try {
      image = await decodeBytes(bytes, maxPixels, signal);
    } catch (e) {
      // Name the file: a batch job's log line is useless without it.
      if (isAsterismError(e) && e.code !== 'E_ABORTED') fail(e.code, `${input}: ${e.message}`, e);
      throw e;
    }
  } else if (input instanceof Uint8Array) {
    image = await decodeBytes(input, maxPixels, signal);
  } else if (isRawPixels(input)) {
    image = fromRawPixels(input, maxPixels);
  } else {
    fail('E_INVALID_ARGUMENT', 'loadImage expects a path, a Uint8Array of encoded image bytes, or { data, width, height, channels }');
  }
  assertHasValidPixels(image);
  return image;
}

async function decodeBytes(bytes: Uint8Array, maxPixels: number, signal: AbortSignal | undefined): Promise<Image> {
  if (bytes.length === 0) fail('E_IMAGE_FORMAT', 'empty file: there are no bytes to decode');
  const work = isFits(bytes) ? decodeFits(bytes, { maxPixels }) : decodeWithSharp(bytes, maxPixels);
  return abortable(work, signal);
}
