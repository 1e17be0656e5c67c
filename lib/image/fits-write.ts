/** A small FITS writer: single-HDU (or primary + one IMAGE extension) files for fixtures and exports. */

type FitsData = Uint8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** Options of {@link writeFits}. */
export interface WriteFitsOptions {
  /** BITPIX to store: 8, 16, 32, -32 or -64 (default from the array type). */
  bitpix?: 8 | 16 | 32 | -32 | -64;
  bzero?: number;
  bscale?: number;
  /** Integer value marking undefined pixels (integer BITPIX only). */
  blank?: number;
  /** Extra axes after NAXIS1/NAXIS2 (for cubes; `data` must hold all planes). */
  extraAxes?: number[];
  /** Extra header cards as [keyword, value, comment]; strings are quoted. */
  extraCards?: Array<[string, string | number | boolean, string?]>;
  /** Put the image in an IMAGE extension after an empty primary HDU. */
  asExtension?: boolean;
}

function card(keyword: string, value?: string | number | boolean, comment = ''): string {
  if (value === undefined) return keyword.padEnd(80).slice(0, 80);
  let text: string;
  if (typeof value === 'boolean') text = (value ? 'T' : 'F').padStart(20);
  else if (typeof value === 'number') text = (Number.isInteger(value) ? String(value) : value.toExponential(12).replace('e', 'E')).padStart(20);
  else text = `'${value.replace(/'/g, "''").padEnd(8)}'`;
  return `${keyword.padEnd(8)}= ${text}${comment ? ` / ${comment}` : ''}`.padEnd(80).slice(0, 80);
}

function block(cards: string[]): Uint8Array {
  const text = [...cards, card('END')].join('');
  const size = Math.ceil(text.length / 2880) * 2880;
  const out = new Uint8Array(size).fill(32);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function defaultBitpix(data: FitsData): 8 | 16 | 32 | -32 | -64 {
  if (data instanceof Uint8Array) return 8;
  if (data instanceof Int16Array) return 16;
  if (data instanceof Int32Array) return 32;
  if (data instanceof Float32Array) return -32;
  return -64;
}

/**
 * Encodes an image as FITS (values are written as given: raw stored values, not physical ones).
 * Rows are stored in the order given (row 0 first).
 */
export function writeFits(width: number, height: number, data: FitsData, options: WriteFitsOptions = {}): Uint8Array {
  const bitpix = options.bitpix ?? defaultBitpix(data);
  const axes = [width, height, ...(options.extraAxes ?? [])];
  const count = axes.reduce((a, b) => a * b, 1);
  const cards: string[] = [];
  const parts: Uint8Array[] = [];
  if (options.asExtension) {
    parts.push(block([card('SIMPLE', true), card('BITPIX', 8), card('NAXIS', 0), card('EXTEND', true)]));
    cards.push(card('XTENSION', 'IMAGE'));
  } else {
    cards.push(card('SIMPLE', true));
  }
  cards.push(card('BITPIX', bitpix), card('NAXIS', axes.length));
  axes.forEach((n, i) => cards.push(card(`NAXIS${i + 1}`, n)));
  if (options.asExtension) cards.push(card('PCOUNT', 0), card('GCOUNT', 1));
  if (options.bzero !== undefined) cards.push(card('BZERO', options.bzero));
  if (options.bscale !== undefined) cards.push(card('BSCALE', options.bscale));
  if (options.blank !== undefined) cards.push(card('BLANK', options.blank));
  for (const [k, v, c] of options.extraCards ?? []) cards.push(card(k, v, c));
  parts.push(block(cards));
  const size = Math.abs(bitpix) / 8;
  const body = new Uint8Array(Math.ceil((count * size) / 2880) * 2880);
  const view = new DataView(body.buffer);
  for (let i = 0; i < count; i++) {
    const v = Number(data[i]);
    switch (bitpix) {
      case 8: view.setUint8(i, v); break;
      case 16: view.setInt16(i * 2, v); break;
      case 32: view.setInt32(i * 4, v); break;
      case -32: view.setFloat32(i * 4, v); break;
      default: view.setFloat64(i * 8, v); break;
    }
  }
  parts.push(body);
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
