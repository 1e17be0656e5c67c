/**
 * Writes small FITS files holding binary tables, for catalogue tests: an empty primary HDU,
 * then BINTABLE extensions with any number of scalar columns (big-endian, as FITS stores them).
 */
import { concatBytes, fitsHeaderBytes, formatFitsCard } from '../../lib/image/fits-write.js';

/** One column: its TFORM type letter (or `nA` for text) and the stored values, one per row. */
export interface FixtureColumn {
  name: string;
  form: 'B' | 'I' | 'J' | 'K' | 'E' | 'D' | `${number}A`;
  /** Stored values (before TSCAL/TZERO), or strings for an `A` column. */
  values: ArrayLike<number> | string[];
  scale?: number;
  zero?: number;
  /** TNULLn, for integer columns. */
  nullValue?: number;
}

const BLOCK = 2880;
const WIDTH: Record<string, number> = { B: 1, I: 2, J: 4, K: 8, E: 4, D: 8 };

function widthOf(form: FixtureColumn['form']): number {
  return form.endsWith('A') ? Number(form.slice(0, -1)) : WIDTH[form];
}

/** One BINTABLE HDU (header and data padded to whole blocks). */
export function binTableExtension(columns: FixtureColumn[], extname?: string): Uint8Array {
  const rows = columns[0].values.length;
  const rowBytes = columns.reduce((n, c) => n + widthOf(c.form), 0);
  const cards = [
    formatFitsCard('XTENSION', 'BINTABLE'), formatFitsCard('BITPIX', 8), formatFitsCard('NAXIS', 2),
    formatFitsCard('NAXIS1', rowBytes), formatFitsCard('NAXIS2', rows), formatFitsCard('PCOUNT', 0),
    formatFitsCard('GCOUNT', 1), formatFitsCard('TFIELDS', columns.length),
  ];
  columns.forEach((c, i) => {
    const n = i + 1;
    cards.push(formatFitsCard(`TTYPE${n}`, c.name), formatFitsCard(`TFORM${n}`, c.form));
    if (c.scale !== undefined) cards.push(formatFitsCard(`TSCAL${n}`, c.scale));
    if (c.zero !== undefined) cards.push(formatFitsCard(`TZERO${n}`, c.zero));
    if (c.nullValue !== undefined) cards.push(formatFitsCard(`TNULL${n}`, c.nullValue));
  });
  if (extname !== undefined) cards.push(formatFitsCard('EXTNAME', extname));
  const data = new Uint8Array(Math.ceil((rows * rowBytes) / BLOCK) * BLOCK);
  const view = new DataView(data.buffer);
  let offset = 0;
  for (const c of columns) {
    const width = widthOf(c.form);
    for (let r = 0; r < rows; r++) {
      const at = r * rowBytes + offset;
      const v = c.values[r];
      if (typeof v === 'string') {
        for (let k = 0; k < width; k++) data[at + k] = k < v.length ? v.charCodeAt(k) : 0x20;
        continue;
      }
      switch (c.form) {
        case 'B': view.setUint8(at, v); break;
        case 'I': view.setInt16(at, v); break;
        case 'J': view.setInt32(at, v); break;
        case 'K': view.setBigInt64(at, BigInt(v)); break;
        case 'E': view.setFloat32(at, v); break;
        case 'D': view.setFloat64(at, v); break;
      }
    }
    offset += width;
  }
  return concatBytes([fitsHeaderBytes(cards), data]);
}

/**
 * A FITS file: an empty primary HDU followed by `extensions` (from {@link binTableExtension}).
 *
 * @example
 * ```ts
 * const bytes = fitsTableFile([binTableExtension([{ name: 'RA', form: 'D', values: [10] }, …])]);
 * ```
 */
export function fitsTableFile(extensions: Uint8Array[]): Uint8Array {
  const primary = fitsHeaderBytes([
    formatFitsCard('SIMPLE', true), formatFitsCard('BITPIX', 8), formatFitsCard('NAXIS', 0), formatFitsCard('EXTEND', true),
  ]);
  return concatBytes([primary, ...extensions]);
}
