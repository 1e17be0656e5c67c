/**
 * Catalogued deep-sky objects: the NGC and IC objects of OpenNGC (13 960 entries, M 40 and M 45
 * among them), for labelling a solved field and for looking galaxies up by position.
 *
 * The data is `catalogs/openngc.json.gz`, made by `scripts/data/build-openngc.py` from KStars'
 * copy of OpenNGC release v20210306 (Mattia Verga, CC-BY-SA-4.0; see `catalogs/NOTICE`).
 * It is read once per process, on first use.
 *
 * @example
 * ```ts
 * const catalog = await loadObjectCatalog();
 * const m31 = catalog.objects.find((o) => o.name === 'M 31');          // galaxy at 10.68°, +41.27°
 * const near = catalog.cone(10.68, 41.27, 1).map((o) => o.name);      // ['M 110', 'NGC 206', 'M 32', 'M 31']
 * const labels = await overlayObjects({ ra: 10.68, dec: 41.27 }, 2); // [{ name: 'M 31', … }, …]
 * ```
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { AsterismError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import type { OverlayObject } from '../render/solved-overlay.js';
import { createConeSearch } from './cone-index.js';

/**
 * Kind of object. The KStars type codes of the source map to these names (the OpenNGC types
 * each holds are listed in `scripts/data/build-openngc.py`): 'nebula' covers HII regions,
 * emission and reflection nebulae and clusters with nebulosity; 'galaxy' includes galaxy pairs
 * and triplets; 'unknown' holds OpenNGC's duplicate entries ('Dup'), nonexistent objects
 * ('NonEx') and 'Other', most of them without magnitude or size.
 */
export type ObjectType =
  | 'star'
  | 'multiple star'
  | 'asterism'
  | 'open cluster'
  | 'globular cluster'
  | 'nebula'
  | 'planetary nebula'
  | 'supernova remnant'
  | 'galaxy'
  | 'galaxy group'
  | 'unknown';

const OBJECT_TYPES: ReadonlySet<string> = new Set<ObjectType>([
  'star', 'multiple star', 'asterism', 'open cluster', 'globular cluster', 'nebula',
  'planetary nebula', 'supernova remnant', 'galaxy', 'galaxy group', 'unknown',
]);

/** One catalogued object. Positions are J2000 degrees; null where OpenNGC has no value. */
export interface SkyObject {
  /** OpenNGC identifier, unique: 'NGC0224', 'IC0002', or 'M 40' / 'M 45' for the two outside NGC/IC. */
  id: string;
  /** Display name: the Messier name for Messier objects ('M 31'), else 'NGC 4594' / 'IC 2'. */
  name: string;
  /** Common names and cross-identifications in source order, e.g. ['Andromeda Galaxy', 'PGC 2557', 'UGC 454', 'NGC 224']. */
  aliases: string[];
  /** Kind of object. */
  type: ObjectType;
  /** Right ascension, degrees in [0, 360). */
  ra: number;
  /** Declination, degrees. */
  dec: number;
  /** Magnitude (OpenNGC's B magnitude, else V), or null. */
  mag: number | null;
  /** Major axis, arcminutes, or null. */
  majorArcmin: number | null;
  /** Minor axis, arcminutes, or null. */
  minorArcmin: number | null;
  /** Position angle of the major axis, degrees east of north, or null. */
  positionAngle: number | null;
  /** Number in the Principal Galaxies Catalogue (HyperLEDA's PGC), from the 'PGC n' alias, or null. */
  pgc: number | null;
}

/** The loaded catalogue: every object, and a position search. */
export interface ObjectCatalog {
  /** All objects, sorted by {@link SkyObject.id}. */
  readonly objects: readonly SkyObject[];
  /**
   * Objects within `radiusDeg` of (`ra`, `dec`) (all in degrees; the radius is clamped to
   * 180), in catalogue order. The declination must lie in [−90, 90]. Uses declination bands sorted by
   * right ascension (./cone-index.ts), so a field-sized cone costs a few microseconds rather
   * than a scan of the whole catalogue. Non-finite or negative arguments throw `E_INVALID_ARGUMENT`.
   */
  cone(ra: number, dec: number, radiusDeg: number): SkyObject[];
}

/** Where the catalogue lives inside the package. */
const CATALOG_PATH = join('catalogs', 'openngc.json.gz');

/** The JSON written by scripts/data/build-openngc.py. */
interface CatalogFile {
  count: number;
  columns: {
    type: string[]; ra: number[]; dec: number[]; mag: (number | null)[]; id: string[]; name: string[];
    aliases: string[][]; pgc: (number | null)[]; major: (number | null)[]; minor: (number | null)[]; pa: (number | null)[];
  };
}

function formatError(path: string, detail: string): AsterismError {
  return new AsterismError('E_IO', `object catalogue ${path} is not usable: ${detail}`);
}

function toObjects(data: CatalogFile, path: string): SkyObject[] {
  const c = data?.columns;
  if (!c || !Number.isInteger(data.count)) throw formatError(path, 'no count or columns');
  const n = data.count;
  for (const key of ['type', 'ra', 'dec', 'mag', 'id', 'name', 'aliases', 'pgc', 'major', 'minor', 'pa'] as const) {
    if (!Array.isArray(c[key]) || c[key].length !== n) throw formatError(path, `column '${key}' does not have ${n} entries`);
  }
  const objects: SkyObject[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const type = c.type[i];
    if (!OBJECT_TYPES.has(type)) throw formatError(path, `unknown object type '${type}' for ${c.id[i]}`);
    if (!Number.isFinite(c.ra[i]) || !Number.isFinite(c.dec[i])) throw formatError(path, `no position for ${c.id[i]}`);
    objects[i] = {
      id: c.id[i],
      name: c.name[i],
      aliases: c.aliases[i],
      type: type as ObjectType,
      ra: c.ra[i],
      dec: c.dec[i],
      mag: c.mag[i],
      majorArcmin: c.major[i],
      minorArcmin: c.minor[i],
      positionAngle: c.pa[i],
      pgc: c.pgc[i],
    };
  }
  return objects;
}

/** The catalogue over its objects, with the shared declination-band cone search (./cone-index.ts). */
function makeCatalog(objects: readonly SkyObject[]): ObjectCatalog {
  return { objects, cone: createConeSearch(objects) };
}

let catalogPromise: Promise<ObjectCatalog> | undefined;

/**
 * The object catalogue, read from the package's `catalogs/openngc.json.gz` on the first call;
 * later calls share the same promise. A missing or damaged file rejects with `E_IO` (and the
 * next call tries again).
 *
 * @example
 * ```ts
 * const { objects, cone } = await loadObjectCatalog();
 * const sombrero = objects.find((o) => o.aliases.includes('Sombrero Galaxy'));
 * ```
 */
export function loadObjectCatalog(): Promise<ObjectCatalog> {
  catalogPromise ??= readCatalog(join(packageRoot, CATALOG_PATH)).catch((e: unknown) => {
    catalogPromise = undefined;
    throw e;
  });
  return catalogPromise;
}

async function readCatalog(path: string): Promise<ObjectCatalog> {
  let data: CatalogFile;
  try {
    const json = await promisify(gunzip)(await readFile(path));
    data = JSON.parse(json.toString('utf8')) as CatalogFile;
  } catch (e) {
    throw new AsterismError('E_IO', `cannot read the object catalogue ${path}: ${(e as Error).message}`, { cause: e });
  }
  return makeCatalog(toObjects(data, path));
}

const MESSIER_NAME = /^M \d+$/;
/** Aliases that are catalogue designations rather than common names. */
const DESIGNATION = /^(?:PGC|UGC|UGC A|NGC|IC|M)\s*\d/;

/**
 * The name people know an object by: its Messier name if it has one ('M 31', also 'M 102'
 * for NGC 5866), else its first common name ('Carina Nebula'), else its NGC/IC name ('NGC 7331').
 */
export function bestKnownName(object: SkyObject): string {
  if (MESSIER_NAME.test(object.name)) return object.name;
  const messier = object.aliases.find((a) => MESSIER_NAME.test(a));
  if (messier) return messier;
  return object.aliases.find((a) => !DESIGNATION.test(a)) ?? object.name;
}

/** Magnitude assumed when ranking objects OpenNGC gives none (typical of faint NGC/IC galaxies). */
const RANK_DEFAULT_MAG = 15;
/** Major axis assumed when ranking objects OpenNGC gives none, arcminutes. */
const RANK_DEFAULT_MAJOR_ARCMIN = 0.5;

/**
 * Prominence for labelling, smaller first: magnitude minus 2.5·log10(major axis in arcmin),
 * so a bright object ranks high and a large one higher than a small one of equal magnitude
 * (the total light spread over the size; M 31 scores −1.3, M 32 6.8, a 15th-magnitude
 * 1′ galaxy 15).
 */
function prominence(o: SkyObject): number {
  const major = Math.max(o.majorArcmin ?? RANK_DEFAULT_MAJOR_ARCMIN, 0.1);
  return (o.mag ?? RANK_DEFAULT_MAG) - 2.5 * Math.log10(major);
}

/**
 * Objects worth a label in a field: everything in the cone except entries of type 'unknown'
 * without magnitude or size (OpenNGC's duplicate and nonexistent entries, which would label a
 * position twice), most prominent first (bright and large), named by {@link bestKnownName},
 * at most `limit` of them. Ties keep catalogue order. Shaped for `lib/render/solved-overlay.ts`.
 *
 * @param center field centre, degrees
 * @param radiusDeg search radius, degrees (for a frame, half its diagonal)
 * @param limit most objects to return, a non-negative integer
 * @example
 * ```ts
 * const objects = await overlayObjects({ ra: 10.68, dec: 41.27 }, 1.5, 20);
 * // [{ name: 'M 31', ra: 10.684792, dec: 41.269056, majorArcmin: 177.83 }, { name: 'M 110', … }, …]
 * ```
 */
export async function overlayObjects(center: { ra: number; dec: number }, radiusDeg: number, limit = 40): Promise<OverlayObject[]> {
  if (!Number.isInteger(limit) || limit < 0) throw new AsterismError('E_INVALID_ARGUMENT', `limit must be a non-negative integer, got ${limit}`);
  const catalog = await loadObjectCatalog();
  return catalog
    .cone(center.ra, center.dec, radiusDeg)
    .filter((o) => o.type !== 'unknown' || o.mag !== null || o.majorArcmin !== null)
    .map((o) => ({ o, score: prominence(o) }))
    .sort((a, b) => a.score - b.score)
    .slice(0, limit)
    .map(({ o }) => {
      const label: OverlayObject = { name: bestKnownName(o), ra: o.ra, dec: o.dec };
      if (o.majorArcmin !== null) label.majorArcmin = o.majorArcmin;
      return label;
    });
}
