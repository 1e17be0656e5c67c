/**
 * Star catalogues as index input: positions in degrees and a brightness, column-oriented.
 * Three kinds are read, so catalogues of millions of rows need no more memory than their columns:
 *
 * - CSV and TSV with a header line, streamed line by line ({@link readCsvCatalog});
 * - FITS binary tables (Tycho-2, Gaia or other exports), read a slab of rows at a time
 *   ({@link readFitsCatalog});
 * - the star lists inside astrometry.net index files ({@link readAnetCatalog}).
 *
 * {@link readCatalog} tells them apart by content.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { AsterismError } from '../errors.js';
import { isFits } from '../image/fits.js';
import {
  binTable, fitsBytesSource, fitsCardValue, listFitsHdus, openFitsFile, readColumn,
  type BinTable, type BinTableColumn, type BinTableValues, type FitsByteSource, type FitsHdu,
} from '../image/fits-table.js';
import { readAnetIndex } from './anet.js';

/** A star catalogue: one entry per star in each column. */
export interface StarCatalog {
  /** Right ascension, degrees in [0, 360). */
  ra: Float64Array;
  /** Declination, degrees in [−90, 90]. */
  dec: Float64Array;
  /** Magnitude (smaller is brighter). */
  mag: Float32Array;
  /** Where the stars came from (file name, table, selection), for the index's provenance. */
  source: string;
  /** Rows skipped for a missing or out-of-range value. */
  skippedRows: number;
}

/**
 * Which columns hold the position and the brightness, for every table kind. Names are matched
 * case-insensitively; without one, the first default name the table has is used.
 */
export interface CatalogColumnOptions {
  /** Right ascension column, degrees (default: the first of ra, raj2000, ra_icrs, _raj2000, ra_deg, radeg, ramdeg). */
  raColumn?: string;
  /** Declination column, degrees (default: the first of dec, dej2000, de_icrs, _dej2000, dec_deg, dedeg, decj2000, demdeg). */
  decColumn?: string;
  /** Magnitude column (default: the first of mag, vmag, vtmag, gmag, phot_g_mean_mag, btmag, rmag). */
  magColumn?: string;
  /** Aborts a long read. */
  signal?: AbortSignal;
}

/** Options of {@link readCsvCatalog}. Column names are matched case-insensitively. */
export interface CsvCatalogOptions extends CatalogColumnOptions {
  /** Field separator; by default a tab when the header line has one, a comma otherwise. */
  delimiter?: string;
}

/** Options of {@link readFitsCatalog}. Column names are matched case-insensitively. */
export interface FitsCatalogOptions extends CatalogColumnOptions {
  /**
   * The binary table to read: its HDU number (0 is the primary HDU, 1 the first extension) or
   * its EXTNAME (case-insensitive). By default the first binary table holding all three columns.
   */
  hdu?: number | string;
}

/** Options of {@link readCatalog}: those of every kind; each reader uses the ones that apply to it. */
export interface CatalogOptions extends CsvCatalogOptions, FitsCatalogOptions {}

/**
 * Default column names, lower case, in order of preference. They cover VizieR exports (RAJ2000,
 * _RAJ2000, RA_ICRS), Tycho-2's main table (RAmdeg/DEmdeg, VTmag/BTmag) and Gaia's archive
 * (ra, dec, phot_g_mean_mag).
 */
const DEFAULT_RA = ['ra', 'raj2000', 'ra_icrs', '_raj2000', 'ra_deg', 'radeg', 'ramdeg'];
const DEFAULT_DEC = ['dec', 'dej2000', 'de_icrs', '_dej2000', 'dec_deg', 'dedeg', 'decj2000', 'demdeg'];
const DEFAULT_MAG = ['mag', 'vmag', 'vtmag', 'gmag', 'phot_g_mean_mag', 'btmag', 'rmag'];

/** True when a star's values can go into an index: finite, Dec in [−90, 90], RA in [−360, 720]. */
function usable(r: number, d: number, m: number): boolean {
  return Number.isFinite(r) && Number.isFinite(d) && Number.isFinite(m) && r >= -360 && r <= 720 && d >= -90 && d <= 90;
}

/** RA folded into [0, 360). */
function wrapRa(r: number): number {
  return ((r % 360) + 360) % 360;
}

function aborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AsterismError('E_ABORTED', 'reading the catalogue was aborted');
}

/** Splits one delimited line, honouring double quotes ("" inside quotes is a quote). */
export function splitDelimited(line: string, delimiter: string): string[] {
  if (!line.includes('"')) return line.split(delimiter);
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        field += ch;
      }
    } else if (ch === '"') {
      quoted = true;
    } else if (line.startsWith(delimiter, i)) {
      fields.push(field);
      field = '';
      i += delimiter.length - 1;
    } else {
      field += ch;
    }
  }
  fields.push(field);
  return fields;
}

/** Position in `header` of the wanted column (or of the first default one), −1 when there is none. */
function columnAt(header: readonly string[], wanted: string | undefined, defaults: readonly string[]): number {
  const names = header.map((h) => h.trim().toLowerCase());
  const candidates = wanted ? [wanted.trim().toLowerCase()] : defaults;
  for (const c of candidates) {
    const i = names.indexOf(c);
    if (i >= 0) return i;
  }
  return -1;
}

/** Like {@link columnAt}, but a missing column is an error naming `where` and the columns there are. */
function findColumn(header: string[], wanted: string | undefined, defaults: string[], what: string, where: string): number {
  const i = columnAt(header, wanted, defaults);
  if (i >= 0) return i;
  throw new AsterismError('E_INVALID_ARGUMENT', `${where} has no ${what} column ${wanted ? `'${wanted}'` : `(looked for ${defaults.join(', ')})`}; its columns are: ${header.map((h) => h.trim()).join(', ')}`);
}

/** Growable typed column. */
class Column<T extends Float64Array | Float32Array> {
  length = 0;
  constructor(private data: T, private readonly make: (n: number) => T) {}
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = this.make(Math.max(1024, this.data.length * 2));
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
  done(): T {
    return this.data.slice(0, this.length) as T;
  }
}

/**
 * Reads a CSV or TSV star catalogue with a header line. Rows whose position or magnitude is
 * missing, not a number, or out of range are skipped and counted.
 *
 * @param input - a file path, or `{ text }` with the catalogue's contents.
 * @throws AsterismError `E_IO` for an unreadable file, `E_INVALID_ARGUMENT` for a missing column
 *   or an empty catalogue, `E_ABORTED`.
 */
export async function readCsvCatalog(input: string | { text: string }, options: CsvCatalogOptions = {}): Promise<StarCatalog> {
  const stream = typeof input === 'string' ? createReadStream(input, { encoding: 'utf8' }) : Readable.from([input.text]);
  const source = typeof input === 'string' ? input : 'inline CSV';
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let header: string[] | null = null;
  let delimiter = options.delimiter ?? ',';
  let raAt = 0, decAt = 0, magAt = 0;
  const ra = new Column(new Float64Array(1024), (n) => new Float64Array(n));
  const dec = new Column(new Float64Array(1024), (n) => new Float64Array(n));
  const mag = new Column(new Float32Array(1024), (n) => new Float32Array(n));
  let skipped = 0;
  let lineNumber = 0;
  try {
    for await (const raw of lines) {
      lineNumber++;
      if ((lineNumber & 0xffff) === 0) aborted(options.signal);
      const line = raw.trimEnd();
      if (line === '' || line.startsWith('#')) continue;
      if (!header) {
        if (!options.delimiter && line.includes('\t')) delimiter = '\t';
        header = splitDelimited(line, delimiter);
        raAt = findColumn(header, options.raColumn, DEFAULT_RA, 'right ascension', `the catalogue ${source}`);
        decAt = findColumn(header, options.decColumn, DEFAULT_DEC, 'declination', `the catalogue ${source}`);
        magAt = findColumn(header, options.magColumn, DEFAULT_MAG, 'magnitude', `the catalogue ${source}`);
        continue;
      }
      const fields = splitDelimited(line, delimiter);
      const r = Number(fields[raAt]);
      const d = Number(fields[decAt]);
      const m = Number(fields[magAt]);
      if (fields[raAt]?.trim() === '' || fields[decAt]?.trim() === '' || fields[magAt]?.trim() === '' || !usable(r, d, m)) {
        skipped++;
        continue;
      }
      ra.push(wrapRa(r));
      dec.push(d);
      mag.push(m);
    }
  } catch (e) {
    if (e instanceof AsterismError) throw e;
    throw new AsterismError('E_IO', `cannot read the catalogue ${source}: ${(e as Error).message}`, { cause: e });
  } finally {
    lines.close();
    stream.destroy();
  }
  if (!header) throw new AsterismError('E_INVALID_ARGUMENT', `the catalogue ${source} is empty`);
  if (ra.length === 0) throw new AsterismError('E_INVALID_ARGUMENT', `the catalogue ${source} has no usable rows (${skipped} skipped)`);
  return { ra: ra.done(), dec: dec.done(), mag: mag.done(), source, skippedRows: skipped };
}

/** TFORM types a catalogue column may have (one value per row): floats E, D and integers B, I, J, K. */
const NUMERIC_TYPES: ReadonlySet<string> = new Set(['E', 'D', 'B', 'I', 'J', 'K']);

/**
 * Rows of a FITS table decoded at a time: the memory needed beyond the result is three columns
 * of this many rows (24 MB at most) plus fits-table.ts's 16 MB read slab.
 */
const FITS_CHUNK_ROWS = 1 << 20;

/** A binary table and the three columns a catalogue is read from. */
interface CatalogTable {
  table: BinTable;
  ra: BinTableColumn;
  dec: BinTableColumn;
  mag: BinTableColumn;
}

function hduLabel(hdu: FitsHdu): string {
  return hdu.name ? `HDU ${hdu.index} (${hdu.name})` : `HDU ${hdu.index}`;
}

function checkNumeric(table: BinTable, c: BinTableColumn): BinTableColumn {
  if (!NUMERIC_TYPES.has(c.type) || c.repeat !== 1) {
    throw new AsterismError('E_INVALID_ARGUMENT', `column ${c.name} in ${hduLabel(table.hdu)} has TFORM ${c.form.trim()}; a catalogue column must hold one number per row (TFORM E, D, B, I, J or K)`);
  }
  return c;
}

/** The table's RA, Dec and magnitude columns, or undefined when one is missing. */
function catalogColumns(table: BinTable, options: CatalogColumnOptions): CatalogTable | undefined {
  const names = table.columns.map((c) => c.name);
  const at = [columnAt(names, options.raColumn, DEFAULT_RA), columnAt(names, options.decColumn, DEFAULT_DEC), columnAt(names, options.magColumn, DEFAULT_MAG)];
  if (at.some((i) => i < 0)) return undefined;
  const [ra, dec, mag] = at.map((i) => checkNumeric(table, table.columns[i]));
  return { table, ra, dec, mag };
}

/** The table named by `options.hdu`, or the first binary table holding all three columns. */
function chooseTable(hdus: FitsHdu[], options: FitsCatalogOptions, name: string): CatalogTable {
  const wanted = options.hdu;
  if (wanted !== undefined) {
    const hdu = typeof wanted === 'number'
      ? hdus.find((h) => h.index === wanted)
      : hdus.find((h) => h.name !== undefined && h.name.toLowerCase() === wanted.trim().toLowerCase());
    if (hdu === undefined) {
      throw new AsterismError('E_INVALID_ARGUMENT', `${name} has no HDU ${JSON.stringify(wanted)}; its HDUs are: ${hdus.map((h) => `${hduLabel(h)} ${h.kind}`).join(', ')}`);
    }
    if (hdu.kind !== 'bintable') throw new AsterismError('E_INVALID_ARGUMENT', `${hduLabel(hdu)} of ${name} is not a binary table (${hdu.kind})`);
    const table = binTable(hdu);
    const names = table.columns.map((c) => c.name);
    const where = `${hduLabel(hdu)} of ${name}`;
    const column = (i: number) => checkNumeric(table, table.columns[i]);
    return {
      table,
      ra: column(findColumn(names, options.raColumn, DEFAULT_RA, 'right ascension', where)),
      dec: column(findColumn(names, options.decColumn, DEFAULT_DEC, 'declination', where)),
      mag: column(findColumn(names, options.magColumn, DEFAULT_MAG, 'magnitude', where)),
    };
  }
  const tables = hdus.filter((h) => h.kind === 'bintable').map(binTable);
  for (const table of tables) {
    const found = catalogColumns(table, options);
    if (found !== undefined) return found;
  }
  if (tables.length === 0) throw new AsterismError('E_INVALID_ARGUMENT', `${name} holds no FITS binary table`);
  const looked = (wantedName: string | undefined, defaults: string[]) => (wantedName ? `'${wantedName}'` : `one of ${defaults.join(', ')}`);
  throw new AsterismError('E_INVALID_ARGUMENT',
    `no binary table in ${name} has the right ascension (${looked(options.raColumn, DEFAULT_RA)}), declination (${looked(options.decColumn, DEFAULT_DEC)}) ` +
    `and magnitude (${looked(options.magColumn, DEFAULT_MAG)}) columns; its tables' columns are: ` +
    tables.map((t) => `${hduLabel(t.hdu)}: ${t.columns.map((c) => c.name).join(', ')}`).join('; '));
}

/** Physical value of an integer column's TNULLn (undefined when it has none): such rows are missing values. */
function nullValue(table: BinTable, c: BinTableColumn): number | undefined {
  if (c.type === 'E' || c.type === 'D') return undefined;
  const tnull = fitsCardValue(table.hdu.cards, `TNULL${c.index + 1}`);
  // The same arithmetic as readColumn's, so the decoded null compares equal.
  return typeof tnull === 'number' ? c.zero + c.scale * tnull : undefined;
}

/** A numeric column's values as numbers (64-bit integers converted). */
function numbers(values: BinTableValues): ArrayLike<number> {
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) return Float64Array.from(values, (v) => Number(v));
  return values as Exclude<BinTableValues, string[] | BigInt64Array | BigUint64Array>;
}

async function readFitsTable(source: FitsByteSource, hdus: FitsHdu[], name: string, options: FitsCatalogOptions): Promise<StarCatalog> {
  const chosen = chooseTable(hdus, options, name);
  const { table } = chosen;
  const rowCount = table.rowCount;
  const ra = new Float64Array(rowCount);
  const dec = new Float64Array(rowCount);
  const mag = new Float32Array(rowCount);
  const nulls = [chosen.ra, chosen.dec, chosen.mag].map((c) => nullValue(table, c));
  let kept = 0;
  for (let r0 = 0; r0 < rowCount; r0 += FITS_CHUNK_ROWS) {
    // Between slabs the event loop runs, so an abort (or anything else) is not held up by a big file.
    if (r0 > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    aborted(options.signal);
    const rows = Math.min(FITS_CHUNK_ROWS, rowCount - r0);
    const slab: BinTable = { ...table, rowCount: rows, hdu: { ...table.hdu, dataOffset: table.hdu.dataOffset + r0 * table.rowBytes } };
    const r = numbers(readColumn(source, slab, chosen.ra.index));
    const d = numbers(readColumn(source, slab, chosen.dec.index));
    const m = numbers(readColumn(source, slab, chosen.mag.index));
    for (let i = 0; i < rows; i++) {
      if (r[i] === nulls[0] || d[i] === nulls[1] || m[i] === nulls[2] || !usable(r[i], d[i], m[i])) continue;
      ra[kept] = wrapRa(r[i]);
      dec[kept] = d[i];
      mag[kept] = m[i];
      kept++;
    }
  }
  const skippedRows = rowCount - kept;
  const tableSource = `${name}[${table.hdu.name ?? table.hdu.index}]`;
  if (kept === 0) throw new AsterismError('E_INVALID_ARGUMENT', `the catalogue ${tableSource} has no usable rows (${skippedRows} skipped)`);
  const trim = <T extends Float64Array | Float32Array>(a: T): T => (kept === rowCount ? a : (a.slice(0, kept) as T));
  return { ra: trim(ra), dec: trim(dec), mag: trim(mag), source: tableSource, skippedRows };
}

/** A FITS source over a path (positioned reads) or bytes in memory, and what to call it in messages. */
function fitsSource(input: string | { bytes: Uint8Array }): { source: FitsByteSource; name: string; close(): void } {
  if (typeof input === 'string') {
    const file = openFitsFile(input);
    return { source: file, name: input, close: () => file.close() };
  }
  if (!(input?.bytes instanceof Uint8Array)) throw new AsterismError('E_INVALID_ARGUMENT', 'the catalogue must be a path or { bytes: Uint8Array }');
  return { source: fitsBytesSource(input.bytes), name: 'inline FITS', close: () => undefined };
}

/**
 * Reads a star catalogue from a FITS binary table (a Tycho-2, Gaia or other export): the table
 * named by `options.hdu`, else the first binary table with right ascension, declination and
 * magnitude columns. Columns must hold one number per row (TFORM E, D, B, I, J or K); TSCALn
 * and TZEROn are applied. Rows with a NaN, a TNULLn value or a position out of range are
 * skipped and counted.
 *
 * A file is read a slab of rows at a time with positioned reads, never whole, so a catalogue of
 * millions of rows needs little more memory than the three columns returned.
 *
 * @param input - a file path, or `{ bytes }` with the file's contents.
 * @returns the stars; `source` is the file and table, as in `tyc2.fits[1]`.
 * @throws AsterismError `E_INVALID_ARGUMENT` for a missing or non-numeric column, a missing HDU
 *   or an empty table; `E_IO` for an unreadable file; `E_IMAGE_FORMAT` when the file is not FITS,
 *   `E_FITS_HEADER` / `E_IMAGE_TRUNCATED` for a malformed or truncated one; `E_ABORTED`.
 *
 * @example
 * ```ts
 * const gaia = await readFitsCatalog('gaia-dr3-cone.fits', { magColumn: 'phot_g_mean_mag' });
 * console.log(gaia.ra.length, gaia.skippedRows);
 * ```
 */
export async function readFitsCatalog(input: string | { bytes: Uint8Array }, options: FitsCatalogOptions = {}): Promise<StarCatalog> {
  aborted(options.signal);
  const { source, name, close } = fitsSource(input);
  try {
    return await readFitsTable(source, listFitsHdus(source), name, options);
  } finally {
    close();
  }
}

/**
 * Reads the stars of an astrometry.net index file (index-*.fits) as a catalogue: their unit
 * vectors turned into RA and Dec, with the file's magnitudes (MAG_VT in the Tycho-2 indexes).
 * Stars whose magnitude is NaN are skipped and counted.
 *
 * @param input - a file path, or `{ bytes }` with the file's contents.
 * @throws AsterismError `E_INVALID_ARGUMENT` when the file has no magnitude column (an index
 *   needs each star's brightness; none is made up); `E_INDEX_FORMAT` when it is not an
 *   astrometry.net index; `E_FITS_HEADER` / `E_IMAGE_TRUNCATED`; `E_IO`.
 *
 * @example
 * ```ts
 * const stars = readAnetCatalog('/usr/share/astrometry/index-tycho2-19.littleendian.fits');
 * console.log(stars.ra.length, stars.mag[0]);
 * ```
 */
export function readAnetCatalog(input: string | { bytes: Uint8Array }): StarCatalog {
  const name = typeof input === 'string' ? input : 'inline FITS';
  const index = readAnetIndex(typeof input === 'string' ? input : input?.bytes);
  const { stars, mags, starCount } = index;
  if (mags === undefined) {
    throw new AsterismError('E_INVALID_ARGUMENT', `the astrometry.net index ${name} has no magnitude column; building an index needs each star's magnitude`);
  }
  const ra = new Float64Array(starCount);
  const dec = new Float64Array(starCount);
  const mag = new Float32Array(starCount);
  const toDeg = 180 / Math.PI;
  let kept = 0;
  for (let s = 0; s < starCount; s++) {
    const x = stars[3 * s], y = stars[3 * s + 1], z = stars[3 * s + 2];
    // atan2 of both angles: exact for the slightly non-unit vectors that quantisation leaves.
    const r = Math.atan2(y, x) * toDeg;
    const d = Math.atan2(z, Math.hypot(x, y)) * toDeg;
    if (!usable(r, d, mags[s])) continue;
    ra[kept] = wrapRa(r);
    dec[kept] = d;
    mag[kept] = mags[s];
    kept++;
  }
  const source = `${name} (astrometry.net index ${index.indexId}, ${index.magColumn})`;
  if (kept === 0) throw new AsterismError('E_INVALID_ARGUMENT', `the catalogue ${source} has no usable stars (${starCount} skipped)`);
  return { ra: ra.slice(0, kept), dec: dec.slice(0, kept), mag: mag.slice(0, kept), source, skippedRows: starCount - kept };
}

/** True for the HDUs of an astrometry.net index: NSTARS in the primary header and a `kdtree_data_stars` table. */
function isAnetIndex(hdus: FitsHdu[]): boolean {
  return fitsCardValue(hdus[0].cards, 'NSTARS') !== undefined &&
    hdus.some((h) => h.kind === 'bintable' && fitsCardValue(h.cards, 'TTYPE1') === 'kdtree_data_stars');
}

async function leadingBytes(path: string, n: number): Promise<Uint8Array> {
  try {
    const file = await open(path, 'r');
    try {
      const buffer = new Uint8Array(n);
      const { bytesRead } = await file.read(buffer, 0, n, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  } catch (e) {
    throw new AsterismError('E_IO', `cannot read the catalogue ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Reads a star catalogue of any kind asterism knows, chosen by content (not by file name):
 *
 * - an astrometry.net index file → {@link readAnetCatalog};
 * - any other FITS file → {@link readFitsCatalog} (options `hdu`, `raColumn`, `decColumn`, `magColumn`);
 * - anything else → {@link readCsvCatalog} (CSV or TSV with a header line; the column options and `delimiter`).
 *
 * Options that do not apply to the kind found are ignored.
 *
 * @param input - a file path, or `{ bytes }` with the file's contents.
 * @throws AsterismError `E_IO` for an unreadable file, `E_INVALID_ARGUMENT` for a missing column
 *   or an empty catalogue, `E_ABORTED`, and the format errors of the reader chosen.
 *
 * @example
 * ```ts
 * const stars = await readCatalog('tycho2.fits', { magColumn: 'VTmag' });
 * const subIndices = await buildIndex(stars, { scaleMinDeg: 0.5, scaleMaxDeg: 8 });
 * ```
 */
export async function readCatalog(input: string | { bytes: Uint8Array }, options: CatalogOptions = {}): Promise<StarCatalog> {
  aborted(options.signal);
  if (typeof input !== 'string' && !(input?.bytes instanceof Uint8Array)) {
    throw new AsterismError('E_INVALID_ARGUMENT', 'the catalogue must be a path or { bytes: Uint8Array }');
  }
  const head = typeof input === 'string' ? await leadingBytes(input, 80) : input.bytes;
  if (!isFits(head)) {
    return readCsvCatalog(typeof input === 'string' ? input : { text: new TextDecoder().decode(input.bytes) }, options);
  }
  const { source, name, close } = fitsSource(input);
  try {
    const hdus = listFitsHdus(source);
    if (isAnetIndex(hdus)) return readAnetCatalog(input);
    return await readFitsTable(source, hdus, name, options);
  } finally {
    close();
  }
}
