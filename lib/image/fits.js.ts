/**
 * The TypeScript twin of native/fits/fits.cpp: the same FITS image reader, step for step, used
 * when the addon is not available and as the reference the native reader is tested against. It
 * returns the same result shape and throws the same codes with the same messages. Change both
 * together.
 *
 * Sizes that can exceed 2^53 (NAXISn, data-unit lengths) are BigInts, so hostile headers are
 * refused by exact arithmetic, never by overflow.
 */
import { AsterismError } from '../errors.js';
import type { NativeFitsResult } from '../native/addon.js';

/**
 * Cards one header may hold before the reader stops looking for END: 1000 blocks of 36 cards.
 * Real headers have at most a few thousand cards (see native/fits/fits.h).
 */
export const MAX_HEADER_CARDS = 36000;

const BLOCK = 2880;
const CARD = 80;
const MAX_AXES = 999;
// No real data unit is 2^62 bytes long; refusing larger ones keeps offsets inside 64 bits.
const MAX_DATA_BYTES = 1n << 62n;
// The pixel limit is clamped to 2^48: no typed array can hold more.
const PIXEL_CEILING = 2n ** 48n;
const MAX_SIDE = 2147483647n;
const INT64_MAX = (1n << 63n) - 1n;

interface Card {
  keyword: string;
  value: string;
  comment: string;
  isString: boolean;
}

function fail(code: AsterismError['code'], message: string): never {
  throw new AsterismError(code, message);
}

function trimSpaces(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) === 32) a++;
  while (b > a && s.charCodeAt(b - 1) === 32) b--;
  return s.slice(a, b);
}

function parseValueField(field: string, card: Card): void {
  let i = 0;
  while (i < field.length && field[i] === ' ') i++;
  if (i < field.length && field[i] === "'") {
    card.isString = true;
    let value = '';
    let j = i + 1;
    while (j < field.length) {
      if (field[j] === "'") {
        if (j + 1 < field.length && field[j + 1] === "'") {
          value += "'";
          j += 2;
          continue;
        }
        j++;
        break;
      }
      value += field[j++];
    }
    // Trailing spaces inside a FITS string are not significant; leading ones are.
    card.value = value.replace(/ +$/, '');
    const slash = field.indexOf('/', j);
    if (slash >= 0) card.comment = trimSpaces(field.slice(slash + 1));
    return;
  }
  const slash = field.indexOf('/', i);
  if (slash < 0) {
    card.value = trimSpaces(field.slice(i));
  } else {
    card.value = trimSpaces(field.slice(i, slash));
    card.comment = trimSpaces(field.slice(slash + 1));
  }
}

function parseCard(text: string): Card {
  const card: Card = { keyword: trimSpaces(text.slice(0, 8)), value: '', comment: '', isString: false };
  const commentary = card.keyword === '' || card.keyword === 'COMMENT' || card.keyword === 'HISTORY';
  if (!commentary && text[8] === '=') {
    parseValueField(text.slice(9), card);
  } else if (card.keyword === 'CONTINUE') {
    // Long-string continuation: a value without the "= " indicator.
    parseValueField(text.slice(8), card);
  } else {
    card.comment = trimSpaces(text.slice(8));
  }
  return card;
}

function cardText(bytes: Uint8Array, at: number): string | null {
  const codes = new Array<number>(CARD);
  for (let k = 0; k < CARD; k++) {
    const b = bytes[at + k];
    if (b < 0x20) return null;
    codes[k] = b > 0x7e ? 0x3f : b;
  }
  return String.fromCharCode(...codes);
}

interface Header {
  cards: Card[];
  /** Absolute; may lie beyond the end of the file. */
  dataOffset: number;
}

function readHeader(bytes: Uint8Array, start: number, hdu: number): Header {
  const cards: Card[] = [];
  const available = Math.floor((bytes.length - start) / CARD);
  for (let i = 0; ; i++) {
    if (i >= MAX_HEADER_CARDS) {
      fail('E_FITS_HEADER', `FITS header of HDU ${hdu} has no END card within ${MAX_HEADER_CARDS} cards`);
    }
    if (i >= available) {
      fail('E_IMAGE_TRUNCATED', `FITS file is truncated: the header of HDU ${hdu} ends after ${i} cards without an END card`);
    }
    const text = cardText(bytes, start + i * CARD);
    if (text === null) {
      // Headers are ASCII text; a control byte means we are reading binary data.
      fail('E_FITS_HEADER', `FITS header of HDU ${hdu}: card ${i + 1} holds control bytes, not text (is the END card missing?)`);
    }
    if (trimSpaces(text.slice(0, 8)) === 'END') {
      const blocks = Math.ceil((i + 1) / (BLOCK / CARD));
      return { cards, dataOffset: start + blocks * BLOCK };
    }
    cards.push(parseCard(text));
  }
}

interface KeyIndex {
  xtension: number;
  bitpix: number;
  naxis: number;
  pcount: number;
  gcount: number;
  bzero: number;
  bscale: number;
  blank: number;
  groups: number;
  zimage: number;
  naxisN: Int32Array;
}

function axisNumber(keyword: string): number {
  return /^NAXIS[1-9]\d{0,2}$/.test(keyword) ? Number(keyword.slice(5)) : 0;
}

function indexKeys(cards: Card[]): KeyIndex {
  const k: KeyIndex = {
    xtension: -1, bitpix: -1, naxis: -1, pcount: -1, gcount: -1,
    bzero: -1, bscale: -1, blank: -1, groups: -1, zimage: -1,
    naxisN: new Int32Array(MAX_AXES + 1).fill(-1),
  };
  const named: Record<string, Exclude<keyof KeyIndex, 'naxisN'>> = {
    XTENSION: 'xtension', BITPIX: 'bitpix', NAXIS: 'naxis', PCOUNT: 'pcount', GCOUNT: 'gcount',
    BZERO: 'bzero', BSCALE: 'bscale', BLANK: 'blank', GROUPS: 'groups', ZIMAGE: 'zimage',
  };
  for (let i = 0; i < cards.length; i++) {
    const key = cards[i].keyword;
    const slot = Object.prototype.hasOwnProperty.call(named, key) ? named[key] : undefined;
    if (slot !== undefined) {
      if (k[slot] < 0) k[slot] = i;
      continue;
    }
    const n = axisNumber(key);
    if (n > 0 && k.naxisN[n] < 0) k.naxisN[n] = i;
  }
  return k;
}

function isLogicalTrue(cards: Card[], index: number): boolean {
  return index >= 0 && !cards[index].isString && cards[index].value === 'T';
}

function isStringValue(cards: Card[], index: number, expected: string): boolean {
  return index >= 0 && cards[index].isString && cards[index].value === expected;
}

const headerPrefix = (hdu: number) => `FITS header of HDU ${hdu}`;

function integerValue(cards: Card[], index: number, key: string, hdu: number): bigint {
  if (index < 0) fail('E_FITS_HEADER', `${headerPrefix(hdu)} is missing the required keyword ${key}`);
  const { value: text, isString } = cards[index];
  if (isString || !/^[+-]?\d+$/.test(text)) {
    fail('E_FITS_HEADER', `${headerPrefix(hdu)}: ${key} = '${text}' is not an integer`);
  }
  const v = BigInt(text);
  if (v > INT64_MAX || v < -INT64_MAX) fail('E_FITS_HEADER', `${headerPrefix(hdu)}: ${key} = '${text}' is out of range`);
  return v;
}

const REAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[EeDd]([+-]?\d+))?$/;

function realValue(cards: Card[], index: number, key: string, hdu: number): number {
  const { value: text, isString } = cards[index];
  const m = isString ? null : REAL.exec(text);
  if (m === null || (m[2] ?? '').length + (m[3] ?? '').length === 0) {
    fail('E_FITS_HEADER', `${headerPrefix(hdu)}: ${key} = '${text}' is not a number`);
  }
  const normal = `${m[1] === '-' ? '-' : ''}${m[2]}${m[3] !== undefined ? `.${m[3]}` : ''}${m[4] !== undefined ? `e${m[4]}` : ''}`;
  const v = Number(normal);
  // C++'s from_chars reports a result that rounds to infinity, or to zero from a non-zero
  // mantissa, as out of range; Number() quietly returns Infinity or 0.
  if (!Number.isFinite(v) || (v === 0 && /[1-9]/.test(`${m[2]}${m[3] ?? ''}`))) {
    fail('E_FITS_HEADER', `${headerPrefix(hdu)}: ${key} = '${text}' is out of range`);
  }
  return v;
}

interface Geometry {
  bitpix: number;
  naxis: number;
  /** axes[0] = NAXIS1. */
  axes: bigint[];
  pcount: bigint;
  gcount: bigint;
}

function readGeometry(cards: Card[], k: KeyIndex, hdu: number): Geometry {
  const bitpix = integerValue(cards, k.bitpix, 'BITPIX', hdu);
  if (![8n, 16n, 32n, 64n, -32n, -64n].includes(bitpix)) {
    fail('E_FITS_HEADER', `${headerPrefix(hdu)}: BITPIX = ${bitpix} is not one of 8, 16, 32, 64, -32, -64`);
  }
  const naxis = integerValue(cards, k.naxis, 'NAXIS', hdu);
  if (naxis < 0n || naxis > BigInt(MAX_AXES)) fail('E_FITS_HEADER', `${headerPrefix(hdu)}: NAXIS = ${naxis} is outside 0..999`);
  const axes: bigint[] = [];
  for (let n = 1; n <= Number(naxis); n++) {
    const key = `NAXIS${n}`;
    const length = integerValue(cards, k.naxisN[n], key, hdu);
    if (length < 0n) fail('E_FITS_HEADER', `${headerPrefix(hdu)}: ${key} = ${length} is negative`);
    axes.push(length);
  }
  let pcount = 0n;
  let gcount = 1n;
  if (k.pcount >= 0) {
    pcount = integerValue(cards, k.pcount, 'PCOUNT', hdu);
    if (pcount < 0n) fail('E_FITS_HEADER', `${headerPrefix(hdu)}: PCOUNT = ${pcount} is negative`);
  }
  if (k.gcount >= 0) {
    gcount = integerValue(cards, k.gcount, 'GCOUNT', hdu);
    if (gcount < 0n) fail('E_FITS_HEADER', `${headerPrefix(hdu)}: GCOUNT = ${gcount} is negative`);
  }
  return { bitpix: Number(bitpix), naxis: Number(naxis), axes, pcount, gcount };
}

/** Unpadded data bytes of an HDU, or null above MAX_DATA_BYTES; the same steps as the C++ reader. */
function dataBytes(g: Geometry, randomGroups: boolean): bigint | null {
  const first = randomGroups ? 1 : 0;
  let count = g.naxis === 0 ? 0n : 1n;
  // A zero axis empties the data unit whatever the other axes say; test for it first so the
  // product below only grows and can stop at the cap (hostile headers must not build huge BigInts).
  if (g.axes.slice(first).includes(0n)) count = 0n;
  if (count !== 0n) {
    for (let i = first; i < g.axes.length; i++) {
      count *= g.axes[i];
      if (count > MAX_DATA_BYTES) return null;
    }
  }
  if (g.gcount === 0n) return 0n;
  const bytes = BigInt(Math.abs(g.bitpix) / 8) * g.gcount * (g.pcount + count);
  return bytes > MAX_DATA_BYTES ? null : bytes;
}

interface Scaling {
  bzero: number;
  bscale: number;
  blank: bigint | null;
}

function readScaling(cards: Card[], k: KeyIndex, g: Geometry, hdu: number): Scaling {
  const s: Scaling = { bzero: 0, bscale: 1, blank: null };
  if (k.bzero >= 0) s.bzero = realValue(cards, k.bzero, 'BZERO', hdu);
  if (k.bscale >= 0) s.bscale = realValue(cards, k.bscale, 'BSCALE', hdu);
  // BLANK only has a meaning for integer data; float images mark gaps with NaN.
  if (k.blank >= 0 && g.bitpix > 0) s.blank = integerValue(cards, k.blank, 'BLANK', hdu);
  return s;
}

function decodePixels(bytes: Uint8Array, offset: number, count: number, bitpix: number, s: Scaling): Float32Array | Float64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * (Math.abs(bitpix) / 8));
  const identity = s.bzero === 0 && s.bscale === 1;
  const { bzero, bscale } = s;
  if (bitpix === -64) {
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const v = view.getFloat64(i * 8);
      out[i] = identity ? v : bzero + bscale * v;
    }
    return out;
  }
  const out = new Float32Array(count);
  if (bitpix === -32) {
    for (let i = 0; i < count; i++) {
      const v = view.getFloat32(i * 4);
      out[i] = identity ? v : bzero + bscale * v;
    }
    return out;
  }
  if (bitpix === 64) {
    for (let i = 0; i < count; i++) {
      const raw = view.getBigInt64(i * 8);
      // BigInt -> Number rounds to nearest like C++'s int64 -> double; the store rounds to float.
      const v = Number(raw);
      out[i] = s.blank !== null && raw === s.blank ? NaN : identity ? v : bzero + bscale * v;
    }
    return out;
  }
  // 8/16/32-bit values are exact Numbers; a BLANK outside their range can never match.
  const blank = s.blank !== null && s.blank >= -(2n ** 31n) && s.blank < 2n ** 32n ? Number(s.blank) : null;
  const read = bitpix === 8 ? (i: number) => view.getUint8(i) : bitpix === 16 ? (i: number) => view.getInt16(i * 2) : (i: number) => view.getInt32(i * 4);
  for (let i = 0; i < count; i++) {
    const v = read(i);
    out[i] = v === blank ? NaN : identity ? v : bzero + bscale * v;
  }
  return out;
}

function decodeImage(bytes: Uint8Array, maxPixels: number, header: Header, k: KeyIndex, g: Geometry, hdu: number): NativeFitsResult {
  const width = g.axes[0];
  const height = g.axes[1];
  const requested = Number.isFinite(maxPixels) ? BigInt(Math.floor(maxPixels)) : PIXEL_CEILING;
  const limit = requested < 0n ? 0n : requested > PIXEL_CEILING ? PIXEL_CEILING : requested;
  if (width > limit / height) {
    fail('E_IMAGE_TOO_LARGE', `FITS image in HDU ${hdu} is ${width}x${height} pixels, more than the limit of ${limit}`);
  }
  if (width > MAX_SIDE || height > MAX_SIDE) {
    fail('E_IMAGE_TOO_LARGE', `FITS image in HDU ${hdu} is ${width}x${height} pixels; each side must be at most ${MAX_SIDE}`);
  }
  const scaling = readScaling(header.cards, k, g, hdu);
  const count = Number(width * height);
  const need = count * (Math.abs(g.bitpix) / 8);
  const present = Math.max(0, bytes.length - header.dataOffset);
  // Only the first plane is read, so only it has to be present.
  if (need > present) {
    fail('E_IMAGE_TRUNCATED', `FITS file is truncated: the image in HDU ${hdu} needs ${need} bytes of data, only ${present} are present`);
  }
  return {
    width: Number(width),
    height: Number(height),
    bitpix: g.bitpix,
    hdu,
    pixels: decodePixels(bytes, header.dataOffset, count, g.bitpix, scaling),
    cards: header.cards.map((c) => [c.keyword, rawValue(c), c.comment]),
  };
}

/** Strings go out quoted (with '' escapes), as the binding does, so '42' and 42 stay apart. */
function rawValue(card: Card): string {
  return card.isString ? `'${card.value.replace(/'/g, "''")}'` : card.value;
}

function read(bytes: Uint8Array, maxPixels: number): NativeFitsResult {
  if (bytes.length < 9 || String.fromCharCode(...bytes.subarray(0, 9)) !== 'SIMPLE  =') {
    fail('E_IMAGE_FORMAT', 'not a FITS file: it does not start with SIMPLE  =');
  }
  if (bytes.length >= CARD) {
    const simple = parseCard(String.fromCharCode(...Array.from(bytes.subarray(0, CARD), (b) => (b > 0x7e ? 0x3f : b))));
    if (simple.isString || simple.value !== 'T') {
      fail('E_IMAGE_FORMAT', `not a standard FITS file: SIMPLE = '${simple.value}' (expected T)`);
    }
  }
  let offset = 0;
  let sawCompressed = false;
  // Each pass consumes at least one 2880-byte header block, so the loop ends with the input.
  for (let hdu = 0; ; hdu++) {
    if (hdu > 0) {
      // Bytes after the last HDU that do not start an extension are ignored ("special records").
      if (offset >= bytes.length || bytes.length - offset < 8 || String.fromCharCode(...bytes.subarray(offset, offset + 8)) !== 'XTENSION') break;
    }
    const header = readHeader(bytes, offset, hdu);
    const keys = indexKeys(header.cards);
    const g = readGeometry(header.cards, keys, hdu);
    const imageHdu = hdu === 0 || isStringValue(header.cards, keys.xtension, 'IMAGE');
    const nonZeroAxes = g.naxis >= 2 && g.axes.every((n) => n > 0n);
    if (imageHdu && nonZeroAxes) return decodeImage(bytes, maxPixels, header, keys, g, hdu);
    if (isStringValue(header.cards, keys.xtension, 'BINTABLE') && isLogicalTrue(header.cards, keys.zimage)) sawCompressed = true;
    const randomGroups = hdu === 0 && g.naxis >= 2 && g.axes[0] === 0n && isLogicalTrue(header.cards, keys.groups);
    const size = dataBytes(g, randomGroups);
    if (size === null) fail('E_FITS_HEADER', `${headerPrefix(hdu)} declares more than ${MAX_DATA_BYTES} bytes of data`);
    const present = Math.max(0, bytes.length - header.dataOffset);
    if (size > BigInt(present)) {
      fail('E_IMAGE_TRUNCATED', `FITS file is truncated: HDU ${hdu} declares ${size} bytes of data, only ${present} are present`);
    }
    offset = header.dataOffset + Math.ceil(Number(size) / BLOCK) * BLOCK;
  }
  fail('E_IMAGE_EMPTY', sawCompressed
    ? 'compressed FITS (fpack, tile-compressed BINTABLE) is not supported; funpack it first'
    : 'FITS file has no image: no HDU has NAXIS >= 2 with non-zero axes');
}

/**
 * Decodes the first plane of the first image HDU in `bytes`, exactly as the native `fitsRead`
 * does: the primary HDU when it has NAXIS >= 2 and non-zero axes, else the first IMAGE extension.
 *
 * @param bytes - the whole FITS file.
 * @param maxPixels - refuse images with more pixels than this (checked before allocating).
 * @returns physical pixel values (BZERO/BSCALE applied, BLANK as NaN) and the HDU's cards, with
 *   string values quoted as in the file.
 * @throws AsterismError `E_IMAGE_FORMAT` (not FITS), `E_IMAGE_TRUNCATED`, `E_FITS_HEADER`,
 *   `E_IMAGE_EMPTY` (no image HDU, or a compressed one), `E_IMAGE_TOO_LARGE`, and
 *   `E_INVALID_ARGUMENT` for a bad `maxPixels`.
 *
 * @example
 * ```ts
 * const { width, height, pixels } = decodeFitsJs(readFileSync('m31.fits'), 1e8);
 * ```
 */
export function decodeFitsJs(bytes: Uint8Array, maxPixels: number): NativeFitsResult {
  if (!(bytes instanceof Uint8Array)) throw new AsterismError('E_INVALID_ARGUMENT', 'bytes must be a Uint8Array');
  if (typeof maxPixels !== 'number' || !(maxPixels >= 1)) throw new AsterismError('E_INVALID_ARGUMENT', 'maxPixels must be a number >= 1');
  return read(bytes, maxPixels);
}

/** One HDU's header as the table reader (./fits-table.ts) needs it. */
export interface FitsHduHeader {
  /** Cards as [keyword, raw value (strings quoted, '' escapes), comment], END excluded. */
  cards: [string, string, string][];
  /** Absolute offset of the data unit (may lie beyond the end of `bytes`). */
  dataOffset: number;
  /** Unpadded data-unit length in bytes, from BITPIX, NAXISn, PCOUNT and GCOUNT. */
  dataBytes: bigint;
}

/**
 * Parses the header of HDU `hdu` starting at `start` with the same checks as the image reader:
 * END within {@link MAX_HEADER_CARDS} cards, text-only cards, valid BITPIX/NAXIS/NAXISn/PCOUNT/GCOUNT.
 * The data unit is not read and not checked against the input length.
 *
 * @throws AsterismError `E_IMAGE_TRUNCATED` (no END before the end of `bytes`), `E_FITS_HEADER`.
 *
 * @example
 * ```ts
 * const { cards, dataOffset, dataBytes } = readFitsHduHeader(bytes, 0, 0);
 * ```
 */
export function readFitsHduHeader(bytes: Uint8Array, start: number, hdu: number): FitsHduHeader {
  const header = readHeader(bytes, start, hdu);
  const keys = indexKeys(header.cards);
  const g = readGeometry(header.cards, keys, hdu);
  const randomGroups = hdu === 0 && g.naxis >= 2 && g.axes[0] === 0n && isLogicalTrue(header.cards, keys.groups);
  const size = dataBytes(g, randomGroups);
  if (size === null) fail('E_FITS_HEADER', `${headerPrefix(hdu)} declares more than ${MAX_DATA_BYTES} bytes of data`);
  return {
    cards: header.cards.map((c) => [c.keyword, rawValue(c), c.comment]),
    dataOffset: header.dataOffset,
    dataBytes: size,
  };
}
