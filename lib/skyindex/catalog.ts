/**
 * Star catalogues as index input: positions in degrees and a brightness, column-oriented.
 * CSV and TSV are read here, streaming, so catalogues of millions of rows need no more memory
 * than their columns.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { AsterismError } from '../errors.js';

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

/** Options of {@link readCsvCatalog}. Column names are matched case-insensitively. */
export interface CsvCatalogOptions {
  /** Right ascension column, degrees (default: the first of ra, raj2000, ra_icrs, _raj2000, ra_deg, radeg). */
  raColumn?: string;
  /** Declination column, degrees (default: the first of dec, dej2000, de_icrs, _dej2000, dec_deg, dedeg, decj2000). */
  decColumn?: string;
  /** Magnitude column (default: the first of mag, vmag, vtmag, gmag, phot_g_mean_mag, btmag, rmag). */
  magColumn?: string;
  /** Field separator; by default a tab when the header line has one, a comma otherwise. */
  delimiter?: string;
  /** Aborts a long read. */
  signal?: AbortSignal;
}

const DEFAULT_RA = ['ra', 'raj2000', 'ra_icrs', '_raj2000', 'ra_deg', 'radeg'];
const DEFAULT_DEC = ['dec', 'dej2000', 'de_icrs', '_dej2000', 'dec_deg', 'dedeg', 'decj2000'];
const DEFAULT_MAG = ['mag', 'vmag', 'vtmag', 'gmag', 'phot_g_mean_mag', 'btmag', 'rmag'];

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

function findColumn(header: string[], wanted: string | undefined, defaults: string[], what: string): number {
  const names = header.map((h) => h.trim().toLowerCase());
  const candidates = wanted ? [wanted.toLowerCase()] : defaults;
  for (const c of candidates) {
    const i = names.indexOf(c);
    if (i >= 0) return i;
  }
  throw new AsterismError('E_INVALID_ARGUMENT', `the catalogue has no ${what} column ${wanted ? `'${wanted}'` : `(looked for ${defaults.join(', ')})`}; its columns are: ${header.map((h) => h.trim()).join(', ')}`);
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
      if ((lineNumber & 0xffff) === 0 && options.signal?.aborted) throw new AsterismError('E_ABORTED', 'reading the catalogue was aborted');
      const line = raw.trimEnd();
      if (line === '' || line.startsWith('#')) continue;
      if (!header) {
        if (!options.delimiter && line.includes('\t')) delimiter = '\t';
        header = splitDelimited(line, delimiter);
        raAt = findColumn(header, options.raColumn, DEFAULT_RA, 'right ascension');
        decAt = findColumn(header, options.decColumn, DEFAULT_DEC, 'declination');
        magAt = findColumn(header, options.magColumn, DEFAULT_MAG, 'magnitude');
        continue;
      }
      const fields = splitDelimited(line, delimiter);
      const r = Number(fields[raAt]);
      const d = Number(fields[decAt]);
      const m = Number(fields[magAt]);
      if (fields[raAt]?.trim() === '' || fields[decAt]?.trim() === '' || fields[magAt]?.trim() === '' ||
          !Number.isFinite(r) || !Number.isFinite(d) || !Number.isFinite(m) || r < -360 || r > 720 || d < -90 || d > 90) {
        skipped++;
        continue;
      }
      ra.push(((r % 360) + 360) % 360);
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
