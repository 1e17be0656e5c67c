/**
 * The TypeScript twin of native/fits: the same FITS image reader, used when the addon is not
 * available and as the reference the native reader is tested against.
 */
import { AsterismError } from '../errors.js';
import type { NativeFitsResult } from '../native/addon.js';

const BLOCK = 2880;
const CARD = 80;
const MAX_HEADER_CARDS = 100000;
const MAX_HDUS = 1000;

type Card = [string, string, string];

function parseCard(text: string): Card {
  const keyword = text.slice(0, 8).trim();
  if (text[8] !== '=' || text[9] !== ' ') return [keyword, '', text.slice(8).trim()];
  const rest = text.slice(10);
  let i = 0;
  while (i < rest.length && rest[i] === ' ') i++;
  if (rest[i] === "'") {
    let value = '';
    i++;
    while (i < rest.length) {
      if (rest[i] === "'") {
        if (rest[i + 1] === "'") {
          value += "'";
          i += 2;
          continue;
        }
        i++;
        break;
      }
      value += rest[i++];
    }
    value = value.replace(/ +$/, '');
    const slash = rest.indexOf('/', i);
    return [keyword, value, slash >= 0 ? rest.slice(slash + 1).trim() : ''];
  }
  const slash = rest.indexOf('/', i);
  return [keyword, (slash >= 0 ? rest.slice(i, slash) : rest.slice(i)).trim(), slash >= 0 ? rest.slice(slash + 1).trim() : ''];
}

function fail(code: AsterismError['code'], message: string): never {
  throw new AsterismError(code, message);
}

function readHeader(bytes: Uint8Array, offset: number): { cards: Card[]; dataOffset: number } {
  const cards: Card[] = [];
  let pos = offset;
  for (let n = 0; n < MAX_HEADER_CARDS; n++) {
    if (pos + CARD > bytes.length) fail('E_IMAGE_TRUNCATED', 'the FITS header ends before its END card (file truncated?)');
    for (let k = 0; k < CARD; k++) {
      const ch = bytes[pos + k];
      if (ch < 32 || ch > 126) fail('E_FITS_HEADER', `the FITS header contains a non-ASCII byte at offset ${pos + k}`);
    }
    const text = String.fromCharCode(...bytes.subarray(pos, pos + CARD));
    pos += CARD;
    if (text.startsWith('END     ')) {
      return { cards, dataOffset: offset + Math.ceil((pos - offset) / BLOCK) * BLOCK };
    }
    cards.push(parseCard(text));
  }
  fail('E_FITS_HEADER', `the FITS header has no END card within ${MAX_HEADER_CARDS} cards`);
}

function find(cards: Card[], key: string): Card | undefined {
  return cards.find((c) => c[0] === key);
}

function parseInteger(text: string): bigint | null {
  if (!/^[+-]?\d{1,18}$/.test(text)) return null;
  return BigInt(text);
}

function parseReal(text: string): number | null {
  if (text.length === 0 || text.length > 70) return null;
  const t = text.replace(/[dD]/g, 'E');
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return null;
  const v = Number(t);
  return Number.isFinite(v) ? v : null;
}

function integerKey(cards: Card[], key: string): number {
  const c = find(cards, key);
  if (!c) fail('E_FITS_HEADER', `the FITS header has no ${key} keyword`);
  const v = parseInteger(c[1]);
  if (v === null) fail('E_FITS_HEADER', `the FITS keyword ${key} is not an integer: '${c[1]}'`);
  return Number(v);
}

/**
 * Reads the primary HDU when it holds an image of two or more axes, otherwise the first IMAGE
 * extension; cubes give their first plane; BZERO/BSCALE applied; BLANK → NaN.
 */
export function decodeFitsJs(bytes: Uint8Array, maxPixels: number): NativeFitsResult {
  const magic = 'SIMPLE  =';
  if (bytes.length < CARD || String.fromCharCode(...bytes.subarray(0, 9)) !== magic) {
    fail('E_IMAGE_FORMAT', 'not a FITS file (it does not start with SIMPLE  =)');
  }
  let offset = 0;
  for (let hdu = 0; hdu < MAX_HDUS && offset < bytes.length; hdu++) {
    const { cards, dataOffset } = readHeader(bytes, offset);
    if (hdu === 0 && find(cards, 'SIMPLE')?.[1] !== 'T') fail('E_IMAGE_FORMAT', 'not a standard FITS file (SIMPLE is not T)');
    const bitpix = integerKey(cards, 'BITPIX');
    if (![8, 16, 32, 64, -32, -64].includes(bitpix)) fail('E_FITS_HEADER', `unsupported FITS BITPIX ${bitpix} (expected 8, 16, 32, 64, -32 or -64)`);
    const naxis = integerKey(cards, 'NAXIS');
    if (naxis < 0 || naxis > 999) fail('E_FITS_HEADER', `FITS NAXIS must be between 0 and 999, not ${naxis}`);
    const axes: number[] = [];
    let count = naxis > 0 ? 1 : 0;
    for (let i = 1; i <= naxis; i++) {
      const n = integerKey(cards, `NAXIS${i}`);
      if (n < 0) fail('E_FITS_HEADER', `FITS NAXIS${i} is negative (${n})`);
      axes.push(n);
      count *= n;
    }
    const pcount = find(cards, 'PCOUNT') ? integerKey(cards, 'PCOUNT') : 0;
    const gcount = find(cards, 'GCOUNT') ? integerKey(cards, 'GCOUNT') : 1;
    if (pcount < 0 || gcount < 0) fail('E_FITS_HEADER', 'FITS PCOUNT and GCOUNT must not be negative');
    const dataBytesRaw = (Math.abs(bitpix) / 8) * gcount * (pcount + count);
    if (dataBytesRaw > 1e18) fail('E_FITS_HEADER', 'the FITS header declares an impossibly large data unit');
    const dataBytes = Math.ceil(dataBytesRaw / BLOCK) * BLOCK;
    const xtension = find(cards, 'XTENSION')?.[1];
    const isImage = hdu === 0 || xtension === 'IMAGE';
    if (isImage && naxis >= 2 && axes[0] > 0 && axes[1] > 0) {
      const [width, height] = axes;
      if (width > 2147483647 || height > 2147483647 || width * height > maxPixels) {
        fail('E_IMAGE_TOO_LARGE', `the FITS image is ${width} x ${height} pixels, over the limit of ${Math.floor(maxPixels)}`);
      }
      const n = width * height;
      const size = Math.abs(bitpix) / 8;
      const need = n * size;
      if (dataOffset > bytes.length || bytes.length - dataOffset < need) {
        fail('E_IMAGE_TRUNCATED', `the FITS data is truncated: the header declares ${need} bytes of pixels but only ${dataOffset > bytes.length ? 0 : bytes.length - dataOffset} follow`);
      }
      const real = (key: string, fallback: number) => {
        const c = find(cards, key);
        if (!c) return fallback;
        const v = parseReal(c[1]);
        if (v === null) fail('E_FITS_HEADER', `the FITS keyword ${key} is not a number: '${c[1]}'`);
        return v;
      };
      const bzero = real('BZERO', 0);
      const bscale = real('BSCALE', 1);
      let blank: bigint | null = null;
      const blankCard = find(cards, 'BLANK');
      if (blankCard && bitpix > 0) {
        blank = parseInteger(blankCard[1]);
        if (blank === null) fail('E_FITS_HEADER', `the FITS keyword BLANK is not an integer: '${blankCard[1]}'`);
      }
      const view = new DataView(bytes.buffer, bytes.byteOffset + dataOffset, need);
      const pixels = bitpix === -64 ? new Float64Array(n) : new Float32Array(n);
      const identity = bzero === 0 && bscale === 1;
      const blankNumber = blank === null ? null : Number(blank);
      for (let i = 0; i < n; i++) {
        let v: number;
        switch (bitpix) {
          case 8: v = view.getUint8(i); break;
          case 16: v = view.getInt16(i * 2); break;
          case 32: v = view.getInt32(i * 4); break;
          case 64: {
            const big = view.getBigInt64(i * 8);
            if (blank !== null && big === blank) { pixels[i] = NaN; continue; }
            v = Number(big);
            break;
          }
          case -32: v = view.getFloat32(i * 4); break;
          default: v = view.getFloat64(i * 8); break;
        }
        if (bitpix !== 64 && blankNumber !== null && bitpix > 0 && v === blankNumber) {
          pixels[i] = NaN;
          continue;
        }
        pixels[i] = identity ? v : bzero + bscale * v;
      }
      return { width, height, bitpix, hdu, pixels, cards };
    }
    if (xtension === 'BINTABLE' && find(cards, 'ZIMAGE')) {
      fail('E_IMAGE_EMPTY', 'tile-compressed FITS (fpack) is not supported; decompress it with funpack first');
    }
    if (dataOffset > bytes.length || dataBytes > bytes.length - dataOffset) break;
    offset = dataOffset + dataBytes;
  }
  fail('E_IMAGE_EMPTY', 'the FITS file holds no image with two or more axes');
}
