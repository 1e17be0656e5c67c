/**
 * User galaxy catalogues in HyperLEDA's column names, as IncliNET's tables and HyperLEDA's own
 * ASCII output use them.
 *
 * Format:
 * - The first line that is not blank, not a comment ('#') and not a table rule ('----', '+--+')
 *   is the header; a commented header ('# pgc | objname | …', as some exports write it) is
 *   accepted when no other header came first. Column names are case-insensitive, surrounding
 *   spaces are ignored, and columns not listed here are ignored.
 * - Separator: '|' when the header has one (HyperLEDA's ASCII output, padded with spaces, with
 *   or without a leading and trailing '|'), else tab, else ';', else ','. Fields separated by
 *   ',', ';' or tab may be double-quoted ("NGC 4038, NED01").
 * - `pgc` (a number, 'PGC 2557' also read) and `objname` (or `name`): each optional, at least
 *   one per row. The display name is `objname`, else 'PGC n'.
 * - Right ascension: `ra` or `raj2000` in DEGREES (IncliNET's tables), or `al2000` in HOURS
 *   (HyperLEDA's column). Sexagesimal values ('00:42:44.3', '00 42 44.3', '00h42m44.3s') are
 *   hours in either column. When several are present the first of ra, raj2000, al2000 is used.
 * - Declination: `dec`, `dej2000` or `de2000`, degrees, decimal or sexagesimal ('+41:16:09').
 * - `logd25`: log10 of D25 in units of 0.1 arcmin (HyperLEDA), so D25 = 0.1 × 10^logd25
 *   arcmin; `logr25`: log10 of the axis ratio (minor = D25 / 10^logr25); `pa`: position angle
 *   of the major axis, degrees east of north (taken modulo 180); `bt`: total B magnitude;
 *   `type`: morphological type. All optional; empty, 'nan', 'null', 'na' and '--' mean none.
 *
 * A value that cannot be read is an `E_CATALOG_FORMAT` error naming the file and line: a
 * catalogue with silently dropped rows would make the pipeline skip galaxies without saying so.
 *
 * @example
 * ```ts
 * const galaxies = parseHyperledaCsv('pgc,objname,al2000,de2000,logd25,pa\n2557,NGC0224,0.712306,41.26904,3.28,35\n', 'mine.csv');
 * galaxies[0].ra; // 10.68459 (degrees)
 * ```
 */
import { readFile } from 'node:fs/promises';
import { AsterismError } from '../errors.js';
import { splitDelimited } from '../skyindex/catalog.js';
import type { Galaxy } from './galaxy-types.js';

/** Column names read for each field, in order of preference (lower case). */
const COLUMNS = {
  pgc: ['pgc'],
  objname: ['objname', 'name'],
  raDeg: ['ra', 'raj2000'],
  raHours: ['al2000'],
  dec: ['dec', 'dej2000', 'de2000'],
  logd25: ['logd25'],
  logr25: ['logr25'],
  pa: ['pa'],
  bt: ['bt'],
  type: ['type'],
} as const;

/** Values that mean "no value". */
const MISSING = new Set(['', 'nan', 'null', 'na', '--']);

/** Largest logd25 accepted: 10^4 × 0.1′ = 1000′ (about 17°; the LMC's D25 is 646′, logd25 3.81). */
const MAX_LOGD25 = 4;

type Separator = '|' | '\t' | ';' | ',';

function formatError(origin: string, line: number, detail: string): AsterismError {
  return new AsterismError('E_CATALOG_FORMAT', `${origin}:${line}: ${detail}`);
}

/**
 * Fields of one line, trimmed; double quotes group a field for ',', ';' and tab (the star
 * catalogue reader's splitter). An odd number of quotes means one was left open.
 */
function splitLine(line: string, separator: Separator, origin: string, lineNo: number): string[] {
  if (separator === '|') {
    const trimmed = line.trim().replace(/^\|/, '').replace(/\|$/, '');
    return trimmed.split('|').map((f) => f.trim());
  }
  if ((line.match(/"/g)?.length ?? 0) % 2 !== 0) throw formatError(origin, lineNo, 'a quoted field is not closed');
  return splitDelimited(line, separator).map((f) => f.trim());
}

function separatorOf(header: string): Separator {
  if (header.includes('|')) return '|';
  if (header.includes('\t')) return '\t';
  if (header.includes(';')) return ';';
  return ',';
}

/** A table rule such as '-----', '|----+----|' or '====': only rule characters and spaces. */
function isRule(line: string): boolean {
  return /^[\s|+=-]+$/.test(line) && /[-=]/.test(line);
}

/**
 * A sexagesimal value ('12:34:56.7', '12 34 56.7', '12h34m56.7s', '-05°06′07″') as a signed
 * number in its first unit, or null when `text` is not sexagesimal.
 */
function sexagesimal(text: string): number | null {
  const t = text.trim();
  if (!/^[+-]?\d/.test(t) || !/[\s:hdmsº°'′"″]/i.test(t.replace(/^[+-]/, ''))) return null;
  const negative = t.startsWith('-');
  const parts = t.replace(/^[+-]/, '').split(/[\s:hdmsº°'′"″]+/i).filter((p) => p !== '');
  if (parts.length < 2 || parts.length > 3 || !parts.every((p) => /^\d+(?:\.\d*)?$/.test(p))) return NaN;
  const [a, b, c = 0] = parts.map(Number);
  // Only the last part may have a fraction, and minutes and seconds stay below 60.
  if (b >= 60 || c >= 60 || (parts.length === 3 && !Number.isInteger(b)) || !Number.isInteger(a)) return NaN;
  const value = a + b / 60 + c / 3600;
  return negative ? -value : value;
}

/** A decimal number, or NaN. Rejects what Number() would accept but a catalogue should not ('', '0x1f', 'Infinity'). */
function decimal(text: string): number {
  return /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text.trim()) ? Number(text) : NaN;
}

function columnIndex(header: readonly string[], names: readonly string[]): number {
  for (const name of names) {
    const i = header.indexOf(name);
    if (i >= 0) return i;
  }
  return -1;
}

/**
 * The galaxies of a HyperLEDA-style table (see the module comment for the format), in file
 * order, with `source: 'user'`.
 *
 * @param text the table
 * @param origin the file name used in error messages
 * @throws AsterismError `E_CATALOG_FORMAT` naming `origin` and the line, for a missing header
 *   or position column, a row without pgc and objname, or a value that cannot be read or is out
 *   of range.
 * @example
 * ```ts
 * parseHyperledaCsv('| pgc | objname | al2000 | de2000 | logd25 | pa |\n| 42407 | NGC4594 | 12.6665 | -11.6230 | 1.94 | 89.5 |', 'leda.txt');
 * ```
 */
export function parseHyperledaCsv(text: string, origin = 'catalogue'): Galaxy[] {
  if (text.includes('\0')) throw new AsterismError('E_CATALOG_FORMAT', `${origin} is not a text table (it holds NUL bytes)`);
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  let header: string[] | undefined;
  let headerLine = 0;
  let separator: Separator = ',';
  let col: Record<keyof typeof COLUMNS, number> | undefined;
  let raInHours = false;
  const galaxies: Galaxy[] = [];

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i];
    const trimmed = raw.trim();
    if (trimmed === '' || isRule(trimmed)) continue;
    if (!header) {
      const commented = trimmed.startsWith('#');
      const candidate = commented ? trimmed.replace(/^#+/, '') : trimmed;
      separator = separatorOf(candidate);
      const names = splitLine(candidate, separator, origin, lineNo).map((h) => h.toLowerCase());
      const indices = Object.fromEntries(Object.entries(COLUMNS).map(([k, v]) => [k, columnIndex(names, v)])) as Record<keyof typeof COLUMNS, number>;
      const hasPosition = (indices.raDeg >= 0 || indices.raHours >= 0) && indices.dec >= 0;
      if (commented && !hasPosition) continue;
      if (!hasPosition) throw formatError(origin, lineNo, `the header needs a right ascension column (ra or al2000) and a declination column (dec or de2000); it has: ${names.join(', ')}`);
      if (indices.pgc < 0 && indices.objname < 0) throw formatError(origin, lineNo, 'the header needs a pgc or an objname column');
      header = names;
      headerLine = lineNo;
      col = indices;
      raInHours = indices.raDeg < 0;
      continue;
    }
    if (trimmed.startsWith('#')) continue;
    const fields = splitLine(raw, separator, origin, lineNo);
    if (fields.length > header.length) throw formatError(origin, lineNo, `${fields.length} fields where the header (line ${headerLine}) has ${header.length}`);
    galaxies.push(rowToGalaxy(fields, col!, raInHours, origin, lineNo));
  }
  if (!header) throw new AsterismError('E_CATALOG_FORMAT', `${origin} has no header row (expected column names such as pgc, objname, al2000, de2000, logd25, pa)`);
  return galaxies;
}

function rowToGalaxy(fields: readonly string[], col: Record<keyof typeof COLUMNS, number>, raInHours: boolean, origin: string, lineNo: number): Galaxy {
  const value = (key: keyof typeof COLUMNS): string | undefined => {
    const i = col[key];
    if (i < 0 || i >= fields.length) return undefined;
    return MISSING.has(fields[i].toLowerCase()) ? undefined : fields[i];
  };
  const number = (key: keyof typeof COLUMNS, label: string): number | null => {
    const text = value(key);
    if (text === undefined) return null;
    const v = decimal(text);
    if (!Number.isFinite(v)) throw formatError(origin, lineNo, `${label} '${text}' is not a number`);
    return v;
  };

  const pgcText = value('pgc');
  let pgc: number | null = null;
  if (pgcText !== undefined) {
    const m = /^(?:PGC|LEDA)?\s*0*(\d+)$/i.exec(pgcText);
    pgc = m ? Number(m[1]) : NaN;
    if (!Number.isSafeInteger(pgc) || pgc <= 0) throw formatError(origin, lineNo, `pgc '${pgcText}' is not a positive whole number`);
  }
  const objname = value('objname');
  if (pgc === null && objname === undefined) throw formatError(origin, lineNo, 'the row has neither a pgc number nor an objname');

  const raText = value(raInHours ? 'raHours' : 'raDeg');
  if (raText === undefined) throw formatError(origin, lineNo, 'no right ascension');
  const raSexagesimal = sexagesimal(raText);
  let ra: number;
  if (raSexagesimal !== null) ra = raSexagesimal * 15;
  else ra = raInHours ? decimal(raText) * 15 : decimal(raText);
  if (!(ra >= 0 && ra <= 360)) {
    throw formatError(origin, lineNo, `right ascension '${raText}' is not ${raSexagesimal !== null || raInHours ? 'in hours in [0, 24]' : 'in degrees in [0, 360]'}`);
  }
  if (ra === 360) ra = 0;

  const decText = value('dec');
  if (decText === undefined) throw formatError(origin, lineNo, 'no declination');
  const dec = sexagesimal(decText) ?? decimal(decText);
  if (!(dec >= -90 && dec <= 90)) throw formatError(origin, lineNo, `declination '${decText}' is not in degrees in [-90, 90]`);

  const logd25 = number('logd25', 'logd25');
  if (logd25 !== null && logd25 > MAX_LOGD25) throw formatError(origin, lineNo, `logd25 ${logd25} is too large (D25 would be ${(0.1 * 10 ** logd25).toPrecision(3)} arcmin; logd25 is log10 of D25 in 0.1 arcmin)`);
  const majorArcmin = logd25 === null ? null : 0.1 * 10 ** logd25;
  const logr25 = number('logr25', 'logr25');
  if (logr25 !== null && logr25 < 0) throw formatError(origin, lineNo, `logr25 ${logr25} is negative (it is log10 of major / minor axis)`);
  const minorArcmin = majorArcmin !== null && logr25 !== null ? majorArcmin / 10 ** logr25 : null;
  const pa = number('pa', 'pa');
  const mag = number('bt', 'bt');

  const name = objname ?? `PGC ${pgc}`;
  const names = [name];
  if (pgc !== null && name.replace(/\s+/g, '').toUpperCase() !== `PGC${pgc}`) names.push(`PGC ${pgc}`);
  return {
    pgc,
    name,
    names,
    ra,
    dec,
    majorArcmin,
    minorArcmin,
    positionAngle: pa === null ? null : ((pa % 180) + 180) % 180,
    mag,
    type: value('type') ?? 'galaxy',
    source: 'user',
  };
}

/**
 * Reads a HyperLEDA-style table from a file (UTF-8); see {@link parseHyperledaCsv}.
 *
 * @throws AsterismError `E_IO` when the file cannot be read, `E_CATALOG_FORMAT` when its
 *   contents are not such a table.
 * @example
 * ```ts
 * const mine = await readHyperledaCsv('my-galaxies.csv');
 * ```
 */
export async function readHyperledaCsv(path: string): Promise<Galaxy[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new AsterismError('E_IO', `cannot read the galaxy catalogue ${path}: ${(e as Error).message}`, { cause: e });
  }
  return parseHyperledaCsv(text, path);
}
