/**
 * Reader for astrometry.net index files (index-*.fits; Lang et al. 2010), so that their quads,
 * codes and stars can be used by asterism or converted to its own index format.
 *
 * Layout (as written by build-astrometry-index, checked on the Debian Tycho-2 indexes): a
 * primary header with DIMQUADS, NQUADS, NSTARS, SCALE_L/SCALE_U (radians), INDEXID, HEALPIX,
 * HPNSIDE and ENDIAN, then one-column BINTABLE extensions named by their column (TTYPE1):
 *
 * - `quads`: DIMQUADS unsigned 32-bit star indices per row (an `A` column of raw bytes).
 * - `kdtree_header_codes`, `kdtree_lr_codes`, `kdtree_split_codes`, `kdtree_range_codes`,
 *   `kdtree_data_codes`: the code kd-tree. Its header card KDT_DATA gives the stored type
 *   (u16, u32 or double), KDT_NDIM the dimension (2 × (DIMQUADS − 2)), KDT_NDAT the count.
 *   The range table is NDIM minima, NDIM maxima and one scale (doubles); an integer x stands
 *   for min[d] + x / scale. The files were "unpermuted": row i of the data table is the code
 *   of quad i.
 * - the same five tables for `stars` (3-D unit vectors; row j is star j).
 * - tag-along columns such as `sweep` (1B) and a magnitude (`MAG_VT`, 1E): ordinary FITS
 *   (big-endian) columns, one row per star.
 *
 * Everything in the `A` columns is in the byte order the ENDIAN card describes: '04:03:02:01'
 * for little-endian, '01:02:03:04' for big-endian (the u32 0x01020304 as stored in memory).
 *
 * Memory: given a path, the file is never read whole. Headers are read first, then only the
 * tables used (quads, code and star data and ranges, sweep, magnitudes) are read once each with
 * positioned reads; the kd-tree node tables (lr, split) are skipped. Integer codes and stars
 * are dequantised into new Float64Arrays and the raw table is dropped, so the peak is the
 * result plus the largest single table. Given bytes, tables are views of those bytes (no
 * copy); `quads` may then share memory with the input (when little-endian and 4-byte aligned).
 */
import { AsterismError } from '../errors.js';
import {
  binTable, fitsBytesSource, fitsCardValue, listFitsHdus, openFitsFile, readColumn, readColumnBytes,
  type BinTable, type FitsByteSource, type FitsHdu,
} from '../image/fits-table.js';
import type { FitsCard } from '../image/image.js';

/** An astrometry.net index, dequantised. */
export interface AnetIndex {
  /** INDEXID (for example 4112 for index-tycho2-12). */
  indexId: number;
  /** HEALPIX the index covers, −1 for all-sky. */
  healpix: number;
  /** HPNSIDE of that healpix. */
  hpNside: number;
  /** SCALE_L: smallest quad diameter (A–B distance) in radians. */
  scaleLowerRad: number;
  /** SCALE_U: largest quad diameter in radians. */
  scaleUpperRad: number;
  /** Stars per quad: 3, 4 or 5. */
  dimQuads: number;
  /** Numbers per code: 2 × (dimQuads − 2). */
  codeDim: number;
  quadCount: number;
  starCount: number;
  /** quadCount × dimQuads star indices; A, B (the most widely separated pair) first. */
  quads: Uint32Array;
  /** quadCount × codeDim code values; row i is the code of quad i. */
  codes: Float64Array;
  /** Quantisation step of the stored codes (1 / range scale); 0 when they are stored as doubles. */
  codeStep: number;
  /** starCount × 3 unit vectors (x, y, z) with x towards RA 0, z towards the north pole. */
  stars: Float64Array;
  /** Quantisation step of the stored star coordinates; 0 when they are stored as doubles. */
  starStep: number;
  /** One magnitude per star, when the file has a magnitude column. */
  mags?: Float32Array;
  /** Name of the column `mags` came from. */
  magColumn?: string;
  /** The uniformization sweep of each star, when present. */
  sweep?: Uint8Array;
  /** True when the binary tables are little-endian (ENDIAN = '04:03:02:01'). */
  littleEndian: boolean;
  /** Primary header cards. */
  cards: FitsCard[];
}

function bad(message: string): never {
  throw new AsterismError('E_INDEX_FORMAT', `not a readable astrometry.net index: ${message}`);
}

function intCard(cards: FitsCard[], keyword: string, fallback?: number): number {
  const v = fitsCardValue(cards, keyword);
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) bad(`${keyword} is ${v === undefined ? 'missing' : `'${String(v)}', not an integer`}`);
  return v;
}

function realCard(cards: FitsCard[], keyword: string): number {
  const v = fitsCardValue(cards, keyword);
  if (typeof v !== 'number' || !Number.isFinite(v)) bad(`${keyword} is ${v === undefined ? 'missing' : `'${String(v)}', not a number`}`);
  return v;
}

function endianOf(cards: FitsCard[], fallback: boolean): boolean {
  const v = fitsCardValue(cards, 'ENDIAN');
  if (v === undefined) return fallback;
  if (v === '04:03:02:01') return true;
  if (v === '01:02:03:04') return false;
  return bad(`ENDIAN = '${String(v)}' is neither '04:03:02:01' nor '01:02:03:04'`);
}

const HOST_LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type Tables = Map<string, BinTable>;

function tableOf(tables: Tables, name: string): BinTable {
  const t = tables.get(name);
  if (t === undefined) bad(`it has no '${name}' table`);
  return t;
}

/** Raw bytes of a one-column table with `rows` rows of `width` bytes. */
function rawTable(source: FitsByteSource, tables: Tables, name: string, rows: number, width: number): Uint8Array {
  const t = tableOf(tables, name);
  if (t.rowCount !== rows) bad(`table '${name}' has ${t.rowCount} rows, expected ${rows}`);
  if (t.rowBytes !== width) bad(`table '${name}' has ${t.rowBytes} bytes per row, expected ${width}`);
  return readColumnBytes(source, t, 0);
}

function readU32(raw: Uint8Array, count: number, little: boolean): Uint32Array {
  if (little === HOST_LITTLE && raw.byteOffset % 4 === 0) return new Uint32Array(raw.buffer, raw.byteOffset, count);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getUint32(i * 4, little);
  return out;
}

const KDT_TYPE_BYTES: Record<string, number> = { u16: 2, u32: 4, double: 8 };

/**
 * Reads one kd-tree's points (`codes` or `stars`) as doubles: `count` × `dim` values.
 * The tree's own header table says the stored type and its byte order.
 */
function readTreePoints(source: FitsByteSource, tables: Tables, tree: string, count: number, dim: number, little: boolean): { points: Float64Array; step: number } {
  const header = tableOf(tables, `kdtree_header_${tree}`).hdu.cards;
  const ndat = intCard(header, 'KDT_NDAT');
  const ndim = intCard(header, 'KDT_NDIM');
  if (ndat !== count) bad(`the ${tree} kd-tree holds ${ndat} points (KDT_NDAT), the primary header says ${count}`);
  if (ndim !== dim) bad(`the ${tree} kd-tree has ${ndim} dimensions (KDT_NDIM), expected ${dim}`);
  const dataType = fitsCardValue(header, 'KDT_DATA');
  const bytes = typeof dataType === 'string' ? KDT_TYPE_BYTES[dataType.trim()] : undefined;
  if (bytes === undefined) bad(`the ${tree} kd-tree stores KDT_DATA = '${String(dataType)}'; u16, u32 and double are supported`);
  const treeLittle = endianOf(header, little);
  const raw = rawTable(source, tables, `kdtree_data_${tree}`, count, dim * bytes);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = count * dim;
  const out = new Float64Array(n);
  if (bytes === 8) {
    for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, treeLittle);
    return { points: out, step: 0 };
  }
  const rangeRaw = readColumnBytes(source, tableOf(tables, `kdtree_range_${tree}`), 0);
  if (rangeRaw.length < (2 * dim + 1) * 8) bad(`the ${tree} range table holds ${rangeRaw.length} bytes, expected ${2 * dim + 1} doubles`);
  const rv = new DataView(rangeRaw.buffer, rangeRaw.byteOffset, rangeRaw.byteLength);
  const mins = Array.from({ length: dim }, (_, d) => rv.getFloat64(d * 8, treeLittle));
  const scale = rv.getFloat64(2 * dim * 8, treeLittle);
  if (!(scale > 0) || !Number.isFinite(scale) || mins.some((m) => !Number.isFinite(m))) {
    bad(`the ${tree} range table has a bad minimum or scale (${mins.join(', ')}; ${scale})`);
  }
  const inv = 1 / scale;
  for (let i = 0; i < n; i++) {
    const q = bytes === 2 ? view.getUint16(i * 2, treeLittle) : view.getUint32(i * 4, treeLittle);
    out[i] = mins[i % dim] + q * inv;
  }
  return { points: out, step: inv };
}

/** The magnitude column: MAG_VT, else the first other one-element float column with a row per star. */
function findMagnitudes(tables: BinTable[], starCount: number): { table: BinTable; name: string } | undefined {
  const candidates: { table: BinTable; name: string }[] = [];
  for (const table of tables) {
    if (table.rowCount !== starCount) continue;
    for (const c of table.columns) {
      if (c.repeat === 1 && (c.type === 'E' || c.type === 'D') && c.name.toLowerCase() !== 'sweep') candidates.push({ table, name: c.name });
    }
  }
  return candidates.find((c) => c.name.toUpperCase() === 'MAG_VT') ??
    candidates.find((c) => /mag/i.test(c.name)) ?? candidates[0];
}

function parse(source: FitsByteSource): AnetIndex {
  let hdus: FitsHdu[];
  try {
    hdus = listFitsHdus(source);
  } catch (e) {
    if (e instanceof AsterismError && e.code === 'E_IMAGE_FORMAT') throw new AsterismError('E_INDEX_FORMAT', `not an astrometry.net index: ${e.message}`, { cause: e });
    throw e;
  }
  const cards = hdus[0].cards;
  const dimQuads = intCard(cards, 'DIMQUADS', 4);
  if (dimQuads < 3 || dimQuads > 5) bad(`DIMQUADS = ${dimQuads}; 3, 4 and 5 are supported`);
  const quadCount = intCard(cards, 'NQUADS');
  const starCount = intCard(cards, 'NSTARS');
  if (quadCount < 0 || starCount < 0) bad(`NQUADS = ${quadCount} and NSTARS = ${starCount} must not be negative`);
  const little = endianOf(cards, true);
  const codeDim = 2 * (dimQuads - 2);

  const tableList: BinTable[] = [];
  const tables: Tables = new Map();
  for (const hdu of hdus) {
    if (hdu.kind !== 'bintable') continue;
    const t = binTable(hdu);
    tableList.push(t);
    for (const c of t.columns) if (c.name !== '' && !tables.has(c.name)) tables.set(c.name, t);
  }

  const quadsTable = tableOf(tables, 'quads');
  const quadsRaw = rawTable(source, tables, 'quads', quadCount, 4 * dimQuads);
  const quads = readU32(quadsRaw, quadCount * dimQuads, endianOf(quadsTable.hdu.cards, little));
  for (let i = 0; i < quads.length; i++) {
    if (quads[i] >= starCount) bad(`quad ${Math.floor(i / dimQuads)} refers to star ${quads[i]}, but there are ${starCount} stars`);
  }
  const codes = readTreePoints(source, tables, 'codes', quadCount, codeDim, little);
  const stars = readTreePoints(source, tables, 'stars', starCount, 3, little);

  const index: AnetIndex = {
    indexId: intCard(cards, 'INDEXID', 0),
    healpix: intCard(cards, 'HEALPIX', -1),
    hpNside: intCard(cards, 'HPNSIDE', 1),
    scaleLowerRad: realCard(cards, 'SCALE_L'),
    scaleUpperRad: realCard(cards, 'SCALE_U'),
    dimQuads,
    codeDim,
    quadCount,
    starCount,
    quads,
    codes: codes.points,
    codeStep: codes.step,
    stars: stars.points,
    starStep: stars.step,
    littleEndian: little,
    cards,
  };
  const mag = findMagnitudes(tableList, starCount);
  if (mag !== undefined) {
    const values = readColumn(source, mag.table, mag.name) as Float32Array | Float64Array;
    index.mags = values instanceof Float32Array ? values : Float32Array.from(values);
    index.magColumn = mag.name;
  }
  const sweepTable = tables.get('sweep');
  if (sweepTable !== undefined && sweepTable.rowCount === starCount) {
    const col = sweepTable.columns.find((c) => c.name === 'sweep');
    if (col !== undefined && col.type === 'B' && col.repeat === 1) index.sweep = readColumn(source, sweepTable, 'sweep') as Uint8Array;
  }
  return index;
}

/**
 * Reads an astrometry.net index file (index-*.fits), little- or big-endian, with DIMQUADS 3–5
 * and u16, u32 or double kd-tree data.
 *
 * @param input - a path (read table by table, never whole) or the file's bytes (tables are
 *   read as views; `quads` may alias `input`).
 * @throws AsterismError `E_INDEX_FORMAT` when the file is FITS but not an index (missing
 *   tables or cards, inconsistent counts, star indices out of range) or not FITS at all;
 *   `E_IMAGE_TRUNCATED` / `E_FITS_HEADER` for a truncated or malformed FITS file; `E_IO`.
 *
 * @example
 * ```ts
 * const index = readAnetIndex('/usr/share/astrometry/index-tycho2-12.littleendian.fits');
 * console.log(index.quadCount, index.codes.subarray(0, index.codeDim));
 * ```
 */
export function readAnetIndex(input: string | Uint8Array): AnetIndex {
  if (typeof input === 'string') {
    const file = openFitsFile(input);
    try {
      return parse(file);
    } finally {
      file.close();
    }
  }
  if (!(input instanceof Uint8Array)) throw new AsterismError('E_INVALID_ARGUMENT', 'readAnetIndex needs a path or a Uint8Array');
  return parse(fitsBytesSource(input));
}
