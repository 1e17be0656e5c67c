/**
 * A small FITS writer: one image, primary HDU or IMAGE extension, fixed-format cards. Enough for
 * test fixtures and for writing results (masks, solved frames) that other tools open.
 */
import { AsterismError } from '../errors.js';

/**
 * A header card to write: `[keyword, value, comment]`. A value of null or undefined writes a card
 * without one; COMMENT and HISTORY take the comment as their text.
 */
export type FitsHeaderCard = [keyword: string, value?: string | number | boolean | null, comment?: string];

/** The BITPIX values FITS defines: unsigned 8-bit, signed 16/32/64-bit, IEEE float32/float64. */
export type Bitpix = 8 | 16 | 32 | 64 | -32 | -64;

/** Pixel arrays {@link writeFits} accepts. Values are the stored values, before BZERO/BSCALE. */
export type FitsWriteData = Float32Array | Float64Array | Int16Array | Int32Array | Uint8Array;

/** Options for {@link writeFits}. */
export interface WriteFitsOptions {
  /** Sample type written to the file; by default the one matching `data` (Float64Array → -64). */
  bitpix?: Bitpix;
  /** Written as BZERO; readers compute physical = BZERO + BSCALE × stored. */
  bzero?: number;
  /** Written as BSCALE. */
  bscale?: number;
  /** Written as BLANK (integer BITPIX only): the stored value that marks a missing pixel. */
  blank?: number;
  /** Axes after NAXIS1 and NAXIS2 (NAXIS3, …) for a cube; `data` then holds every plane. */
  extraAxes?: number[];
  /** Cards written after the structural ones, in order. */
  extraCards?: FitsHeaderCard[];
  /** Write an empty primary HDU and put the image in an `XTENSION= 'IMAGE'` extension. */
  asExtension?: boolean;
}

const BLOCK = 2880;
const CARD = 80;

const INTEGER_RANGE: Record<number, [number, number]> = {
  8: [0, 255],
  16: [-32768, 32767],
  32: [-2147483648, 2147483647],
  64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

function invalid(message: string): never {
  throw new AsterismError('E_INVALID_ARGUMENT', message);
}

function formatNumber(keyword: string, n: number): string {
  if (!Number.isFinite(n)) invalid(`FITS card ${keyword}: ${n} cannot be written`);
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  // FITS wants an upper-case exponent and a decimal point in reals.
  const s = String(n).toUpperCase();
  return s.includes('.') || s.includes('E') ? s : `${s}.0`;
}

/**
 * Formats one 80-character header card in the FITS fixed format (numbers and logicals
 * right-aligned to column 30, strings from column 11).
 *
 * @param keyword - up to 8 characters.
 * @param value - string (quoted, with `'` doubled), number, boolean (T/F), or null/undefined for none.
 * @param comment - text after ` / `, or the text of a COMMENT/HISTORY card.
 * @returns exactly 80 ASCII characters.
 * @throws AsterismError `E_INVALID_ARGUMENT` when the card does not fit in 80 characters or
 *   holds non-printable characters.
 *
 * @example
 * ```ts
 * formatFitsCard('EXPTIME', 30, 'seconds'); // "EXPTIME =                   30 / seconds" padded to 80
 * ```
 */
export function formatFitsCard(keyword: string, value?: string | number | boolean | null, comment?: string): string {
  if (!/^[A-Z0-9_-]{0,8}$/.test(keyword)) invalid(`FITS keyword '${keyword}' must be up to 8 characters of A-Z, 0-9, - and _`);
  const key = keyword.padEnd(8, ' ');
  let text: string;
  if (keyword === 'COMMENT' || keyword === 'HISTORY' || keyword === '' || value === undefined || value === null) {
    text = comment === undefined ? key : `${key}  ${comment}`;
  } else {
    let field: string;
    if (typeof value === 'string') field = `'${value.replace(/'/g, "''").padEnd(8, ' ')}'`;
    else if (typeof value === 'boolean') field = (value ? 'T' : 'F').padStart(20, ' ');
    else field = formatNumber(keyword, value).padStart(20, ' ');
    text = `${key}= ${field}`;
    if (comment !== undefined && comment !== '') text += ` / ${comment}`;
  }
  if (text.length > CARD) invalid(`FITS card ${keyword} is longer than 80 characters`);
  if (!/^[\x20-\x7e]*$/.test(text)) invalid(`FITS card ${keyword} contains characters other than printable ASCII`);
  return text.padEnd(CARD, ' ');
}

/** Header cards (from {@link formatFitsCard}) plus END, padded with spaces to whole 2880-byte blocks. */
export function fitsHeaderBytes(cards: string[]): Uint8Array {
  const all = [...cards, 'END'.padEnd(CARD, ' ')];
  const length = Math.ceil((all.length * CARD) / BLOCK) * BLOCK;
  const out = new Uint8Array(length).fill(0x20);
  for (let i = 0; i < all.length; i++) {
    for (let k = 0; k < CARD; k++) out[i * CARD + k] = all[i].charCodeAt(k);
  }
  return out;
}

function dataBytes(data: FitsWriteData, bitpix: Bitpix): Uint8Array {
  const size = Math.abs(bitpix) / 8;
  const out = new Uint8Array(Math.ceil((data.length * size) / BLOCK) * BLOCK);
  const view = new DataView(out.buffer);
  const range = INTEGER_RANGE[bitpix];
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (range !== undefined && !(Number.isInteger(v) && v >= range[0] && v <= range[1])) {
      invalid(`value ${v} at index ${i} cannot be stored with BITPIX ${bitpix}`);
    }
    switch (bitpix) {
      case 8: view.setUint8(i, v); break;
      case 16: view.setInt16(i * 2, v); break;
      case 32: view.setInt32(i * 4, v); break;
      case 64: view.setBigInt64(i * 8, BigInt(v)); break;
      case -32: view.setFloat32(i * 4, v); break;
      case -64: view.setFloat64(i * 8, v); break;
    }
  }
  return out;
}

function defaultBitpix(data: FitsWriteData): Bitpix {
  if (data instanceof Uint8Array) return 8;
  if (data instanceof Int16Array) return 16;
  if (data instanceof Int32Array) return 32;
  if (data instanceof Float32Array) return -32;
  return -64;
}

/**
 * Writes a single-image FITS file. `data` holds the stored values, row-major in file order (row
 * 0 first), one per pixel of every plane; integer BITPIX values must be integers in range.
 *
 * @param width - NAXIS1.
 * @param height - NAXIS2.
 * @param data - stored values (before BZERO/BSCALE).
 * @param options - BITPIX (default from the array type), scaling, BLANK, cube axes, extra cards, extension.
 * @returns the file, a whole number of 2880-byte blocks.
 * @throws AsterismError `E_INVALID_ARGUMENT` for inconsistent sizes, unrepresentable values or
 *   cards that do not fit.
 *
 * @example
 * ```ts
 * // Unsigned 16-bit camera frame stored the FITS way: signed values with BZERO = 32768.
 * const stored = Int16Array.from(adu, (v) => v - 32768);
 * writeFileSync('frame.fits', writeFits(w, h, stored, { bzero: 32768, extraCards: [['EXPTIME', 30, 's']] }));
 * ```
 */
export function writeFits(width: number, height: number, data: FitsWriteData, options: WriteFitsOptions = {}): Uint8Array {
  const { bzero, bscale, blank, extraAxes = [], extraCards = [], asExtension = false } = options;
  const bitpix = options.bitpix ?? defaultBitpix(data);
  if (![8, 16, 32, 64, -32, -64].includes(bitpix)) invalid(`BITPIX ${bitpix} is not one of 8, 16, 32, 64, -32, -64`);
  const axes = [width, height, ...extraAxes];
  for (const n of axes) {
    if (!Number.isInteger(n) || n < 1) invalid(`image axes must be positive integers, got ${axes.join(' × ')}`);
  }
  const count = axes.reduce((a, b) => a * b, 1);
  if (data.length !== count) invalid(`data has ${data.length} values, expected ${axes.join(' × ')} = ${count}`);
  if (blank !== undefined && bitpix < 0) invalid('BLANK is only defined for integer BITPIX');

  const structural: string[] = [];
  if (asExtension) {
    structural.push(formatFitsCard('XTENSION', 'IMAGE', 'image extension'));
  } else {
    structural.push(formatFitsCard('SIMPLE', true, 'conforms to FITS standard'));
  }
  structural.push(formatFitsCard('BITPIX', bitpix));
  structural.push(formatFitsCard('NAXIS', axes.length));
  axes.forEach((n, i) => structural.push(formatFitsCard(`NAXIS${i + 1}`, n)));
  if (asExtension) {
    structural.push(formatFitsCard('PCOUNT', 0));
    structural.push(formatFitsCard('GCOUNT', 1));
  }
  if (bzero !== undefined) structural.push(formatFitsCard('BZERO', bzero));
  if (bscale !== undefined) structural.push(formatFitsCard('BSCALE', bscale));
  if (blank !== undefined) structural.push(formatFitsCard('BLANK', blank));
  const cards = [...structural, ...extraCards.map(([keyword, value, comment]) => formatFitsCard(keyword, value, comment))];

  const parts: Uint8Array[] = [];
  if (asExtension) {
    parts.push(fitsHeaderBytes([
      formatFitsCard('SIMPLE', true, 'conforms to FITS standard'),
      formatFitsCard('BITPIX', 8),
      formatFitsCard('NAXIS', 0),
      formatFitsCard('EXTEND', true, 'the image is in extension 1'),
    ]));
  }
  parts.push(fitsHeaderBytes(cards), dataBytes(data, bitpix));
  return concatBytes(parts);
}

/** The parts one after another in a new array (FITS files are assembled from header and data blocks). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
