/**
 * The galaxies of Stellarium's deep-sky catalogue (the `catalog.dat` of Debian's
 * stellarium-data package, GPL), read by our own decoder of its binary layout.
 *
 * Layout (checked against the file of stellarium-data 0.22.2, catalogue version 3.16 'standard',
 * 94 663 records; the field list is the one the Stellarium User Guide gives for `catalog.txt`,
 * extended by the designations added since): the file is a gzip stream of a Qt `QDataStream`,
 * big-endian. It starts with two QStrings, the version ('3.16') and the edition ('standard');
 * records follow until the end. A QString is a quint32 byte length (0xFFFFFFFF for a null
 * string) then that many bytes of UTF-16BE. Each record holds, in order:
 *
 * ```
 * quint32 id
 * double  ra, dec                 radians, J2000 (float precision, stored as double)
 * double  bMag, vMag              99 when unknown
 * quint32 type                    Stellarium's object type code; 0–3 are galaxies (below)
 * QString morphological type      'SA(s)b', …
 * double  major, minor axis       DEGREES in the binary (arcmin in catalog.txt); 0 when unknown
 * qint32  orientation angle       degrees east of north; 0 both for 0° and for unknown
 * double  redshift, its error, parallax, its error, distance, its error
 * quint32 NGC IC M C B Sh2 VdB RCW LDN LBN Cr Mel PGC UGC     0 when none
 * QString Ced
 * quint32 Arp VV
 * QString PK, PN G, SNR G, ACO, HCG, ESO, vdBH
 * quint32 DWB Tr St Ru vdB-Ha
 * ```
 *
 * Type codes 0–3 are galaxy, active galaxy, radio galaxy and interacting galaxy; compared with
 * OpenNGC over the records with an NGC or IC number, codes 0–3 hold 9 129 of OpenNGC's
 * galaxies against about 290 objects OpenNGC types otherwise (mostly its duplicate entries and
 * stars); code 33, galaxy clusters, is the Abell catalogue.
 *
 * Only galaxies with a PGC number are kept (79 069 in version 3.16, 20 901 of them with axes).
 * Their designations become names ('M 31', 'NGC 224', 'PGC 2557', 'UGC 454', 'Arp 85',
 * 'ESO 56-115', …), and the common names of `names.dat` beside the catalogue are added
 * ('Andromeda Nebula', 'Pinwheel Galaxy'): a common name given to several objects goes to the
 * one whose entry cites the most sources (M 101 rather than M 33 or M 99 for 'Pinwheel Galaxy').
 *
 * The reader checks the structure rather than trusting the version string: every record must
 * be complete, numbered one more than the previous, with a position on the sphere, and the last
 * must end exactly at the end of the data. A layout from another catalogue version fails these
 * checks and is reported as `E_CATALOG_FORMAT`, never read as shifted garbage.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { AsterismError } from '../errors.js';
import { normalizeRa } from '../sky/vector.js';
import type { Galaxy } from './galaxy-types.js';

/** Where Debian's stellarium-data package installs the catalogue. */
export const DEBIAN_STELLARIUM_CATALOG = '/usr/share/stellarium/nebulae/default/catalog.dat';

/** Stellarium's type codes that are galaxies, with the kind used when a record has no morphological type. */
const GALAXY_KINDS: ReadonlyMap<number, string> = new Map([
  [0, 'galaxy'], [1, 'active galaxy'], [2, 'radio galaxy'], [3, 'interacting galaxy'],
]);

/** Magnitude Stellarium writes when it has none. */
const NO_MAGNITUDE = 99;

/** Longest QString accepted, bytes: the longest in version 3.16 is a few dozen; anything near this is a misread length. */
const MAX_STRING_BYTES = 4096;

/** Cursor over the decompressed QDataStream, failing with the record number on a short read. */
class Reader {
  offset = 0;
  record = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array, private readonly origin: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  fail(detail: string): never {
    const where = this.record > 0 ? `record ${this.record} (byte ${this.offset})` : `header (byte ${this.offset})`;
    throw new AsterismError('E_CATALOG_FORMAT', `${this.origin} is not a Stellarium DSO catalogue this reader knows: ${where}: ${detail}`);
  }

  /** Fails unless `n` more bytes remain; the typed reads below rely on it. */
  need(n: number): void {
    if (this.offset + n > this.bytes.length) this.fail('the data ends inside it');
  }

  u32(): number {
    const v = this.view.getUint32(this.offset);
    this.offset += 4;
    return v;
  }

  i32(): number {
    const v = this.view.getInt32(this.offset);
    this.offset += 4;
    return v;
  }

  f64(): number {
    const v = this.view.getFloat64(this.offset);
    this.offset += 8;
    return v;
  }

  /**
   * Skips a QString and returns where its characters are, so that strings are decoded only for
   * the records kept (a fifth of them) rather than for all.
   */
  stringSpan(): number {
    this.need(4);
    const at = this.offset;
    const n = this.u32();
    if (n === 0xffffffff || n === 0) return at;
    if (n % 2 !== 0 || n > MAX_STRING_BYTES) this.fail(`a string length of ${n} bytes`);
    this.need(n);
    this.offset += n;
    return at;
  }

  /** The QString at a span from {@link stringSpan}; null and empty strings both come back as ''. */
  stringAt(at: number): string {
    const n = this.view.getUint32(at);
    if (n === 0xffffffff || n === 0) return '';
    let s = '';
    for (let i = 0; i < n; i += 2) s += String.fromCharCode(this.view.getUint16(at + 4 + i));
    return s;
  }

  skip(n: number): void {
    this.offset += n;
  }
}

/** Rounds to a multiple of 1/`scale`, dropping the float-to-double noise of the stored values (189.1000019 → 189.1). */
function round(value: number, scale: number): number {
  return Math.round(value * scale) / scale;
}

const DEG_PER_RAD = 180 / Math.PI;

/**
 * Bytes of a record's fixed part before its first string (id, position, magnitudes, type), and
 * between the morphological type and the Ced string (axes, angle, distances, 14 numbers).
 */
const HEAD_BYTES = 4 + 4 * 8 + 4;
const MIDDLE_BYTES = 2 * 8 + 4 + 6 * 8 + 14 * 4;

/**
 * Decodes the records of a decompressed catalogue (see the module comment) and keeps the
 * galaxies with a PGC number.
 */
function decode(bytes: Uint8Array, origin: string): Galaxy[] {
  const r = new Reader(bytes, origin);
  const version = r.stringAt(r.stringSpan());
  r.stringSpan(); // edition: 'standard' or 'extended', same layout
  if (!/^\d+\.\d+$/.test(version)) r.fail(`the version string is '${version.slice(0, 20)}', not a number like 3.16`);
  const galaxies: Galaxy[] = [];
  let previousId = 0;
  while (!r.done) {
    r.record++;
    r.need(HEAD_BYTES);
    const id = r.u32();
    const ra = r.f64(), dec = r.f64();
    const bMag = r.f64(), vMag = r.f64();
    const type = r.u32();
    const morphology = r.stringSpan();
    r.need(MIDDLE_BYTES);
    const major = r.f64(), minor = r.f64();
    const orientation = r.i32();
    r.skip(6 * 8); // redshift, parallax and distance with their errors
    const ngc = r.u32(), ic = r.u32(), m = r.u32(), c = r.u32();
    r.skip(8 * 4); // B, Sh2, VdB, RCW, LDN, LBN, Cr, Mel
    const pgc = r.u32(), ugc = r.u32();
    r.stringSpan(); // Ced
    r.need(8);
    const arp = r.u32(), vv = r.u32();
    for (let k = 0; k < 4; k++) r.stringSpan(); // PK, PN G, SNR G, ACO
    const hcg = r.stringSpan(), eso = r.stringSpan();
    r.stringSpan(); // vdBH
    r.need(5 * 4);
    r.skip(5 * 4); // DWB, Tr, St, Ru, vdB-Ha
    if (id !== previousId + 1) r.fail(`its number is ${id} after ${previousId}; the layout is not version 3.16's (the file says ${version})`);
    if (!(ra >= 0 && ra <= 2 * Math.PI + 1e-6 && Math.abs(dec) <= Math.PI / 2 + 1e-6)) r.fail(`its position (${ra}, ${dec}) rad is not on the sky`);
    previousId = id;

    const kind = GALAXY_KINDS.get(type);
    if (kind === undefined || pgc === 0) continue;
    const mag = bMag < NO_MAGNITUDE && Number.isFinite(bMag) ? bMag : vMag < NO_MAGNITUDE && Number.isFinite(vMag) ? vMag : null;
    const names: string[] = [];
    if (m) names.push(`M ${m}`);
    if (ngc) names.push(`NGC ${ngc}`);
    if (ic) names.push(`IC ${ic}`);
    if (c) names.push(`C ${c}`);
    names.push(`PGC ${pgc}`);
    if (ugc) names.push(`UGC ${ugc}`);
    if (arp) names.push(`Arp ${arp}`);
    if (vv) names.push(`VV ${vv}`);
    const esoName = r.stringAt(eso), hcgName = r.stringAt(hcg);
    if (esoName) names.push(`ESO ${esoName}`);
    if (hcgName) names.push(`HCG ${hcgName}`);
    galaxies.push({
      pgc,
      name: names[0],
      names,
      ra: round(normalizeRa(ra * DEG_PER_RAD), 1e6),
      dec: round(Math.max(-90, Math.min(90, dec * DEG_PER_RAD)), 1e6),
      majorArcmin: major > 0 && Number.isFinite(major) ? round(major * 60, 100) : null,
      minorArcmin: minor > 0 && Number.isFinite(minor) ? round(minor * 60, 100) : null,
      // 0 stands for both 0° and "unknown" (a fifth of the sized galaxies have 0, against ~0.6 %
      // for any other degree), so it is read as unknown; IncliNET's framing uses 0 for that anyway.
      positionAngle: orientation > 0 ? orientation % 180 : null,
      mag: mag === null ? null : round(mag, 100),
      type: r.stringAt(morphology).trim() || kind,
      source: 'stellarium',
    });
  }
  return galaxies;
}

/** names.dat's catalogue prefixes, as the designations above write them. */
const NAMES_PREFIXES: ReadonlyMap<string, string> = new Map([
  ['M', 'M'], ['NGC', 'NGC'], ['IC', 'IC'], ['C', 'C'], ['PGC', 'PGC'], ['UGC', 'UGC'], ['ARP', 'Arp'], ['VV', 'VV'], ['ESO', 'ESO'], ['HCG', 'HCG'],
]);

/**
 * Common names from Stellarium's `names.dat` (fixed columns: a 5-character catalogue prefix, a
 * 15-character number, then `_("name")` and an optional `# sources` comment), keyed by the
 * designation they belong to, written as the records' designations are ('NGC 224', 'Arp 85').
 * A name claimed by several designations is kept only for the one citing the most sources (the
 * first on a tie).
 */
function parseNames(text: string): Map<string, string[]> {
  const claims = new Map<string, { designation: string; sources: number }>();
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('#') || line.length < 21) continue;
    const prefix = NAMES_PREFIXES.get(line.slice(0, 5).trim().toUpperCase());
    const id = line.slice(5, 20).trim().replace(/^0+(?=\d)/, '');
    const name = /_\("([^"]+)"\)/.exec(line.slice(20))?.[1]?.trim();
    if (!prefix || !id || !name) continue;
    const comment = line.slice(20).split('#')[1] ?? '';
    const sources = comment.split(',').filter((s) => s.trim() !== '').length;
    const designation = `${prefix} ${id}`;
    const known = claims.get(name);
    if (!known || sources > known.sources) claims.set(name, { designation, sources });
  }
  const byDesignation = new Map<string, string[]>();
  for (const [name, { designation }] of claims) {
    const list = byDesignation.get(designation);
    if (list) list.push(name);
    else byDesignation.set(designation, [name]);
  }
  return byDesignation;
}

/**
 * The galaxies with a PGC number in a Stellarium DSO catalogue (`catalog.dat`, gzip-compressed
 * or not), with the common names of the `names.dat` beside it when there is one.
 *
 * @throws AsterismError `E_IO` when the catalogue cannot be read; `E_CATALOG_FORMAT` when it is
 *   not a catalogue in the layout described in the module comment.
 * @example
 * ```ts
 * const galaxies = await readStellariumGalaxies(DEBIAN_STELLARIUM_CATALOG);
 * galaxies.find((g) => g.pgc === 2557)?.names; // ['M 31', 'NGC 224', 'Andromeda Galaxy', 'Andromeda Nebula', …, 'PGC 2557', 'UGC 454']
 * ```
 */
export async function readStellariumGalaxies(path: string): Promise<Galaxy[]> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new AsterismError('E_IO', `cannot read the Stellarium catalogue ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      // Large output chunks: the default 16 KiB ones cost a noticeable share of the load in copying.
      bytes = await promisify(gunzip)(bytes, { chunkSize: 1 << 20 });
    } catch (e) {
      throw new AsterismError('E_CATALOG_FORMAT', `${path} is not a valid gzip stream: ${(e as Error).message}`, { cause: e });
    }
  }
  const galaxies = decode(bytes, path);

  let namesText: string | undefined;
  try {
    namesText = await readFile(join(dirname(path), 'names.dat'), 'utf8');
  } catch {
    // names.dat is optional: without it the galaxies keep their designations only.
  }
  if (namesText !== undefined) {
    const common = parseNames(namesText);
    for (const g of galaxies) {
      for (const designation of [...g.names]) {
        const extra = common.get(designation)?.filter((n) => !g.names.includes(n));
        // Display order, as the catalogue's merged entries have it: Messier/NGC/IC/Caldwell
        // designations, then common names, then PGC and the rest.
        if (extra?.length) g.names.splice(Math.max(1, g.names.indexOf(`PGC ${g.pgc}`)), 0, ...extra);
      }
    }
  }
  return galaxies;
}
