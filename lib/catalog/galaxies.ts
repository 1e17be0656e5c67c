/**
 * The galaxy catalogue: the galaxies of OpenNGC (embedded), optionally Stellarium's PGC
 * galaxies (when Debian's stellarium-data is installed) and the user's HyperLEDA-style tables,
 * with lookups by PGC number, by name, by position and by image; and IncliNET's framing of a
 * galaxy (field of view 1.5 × D25, turned by PA + 90°).
 *
 * Sources, merged in this order:
 * 1. OpenNGC (catalogs/openngc.json.gz, via ./objects.ts): its 10 724 objects of type 'galaxy'
 *    (OpenNGC's G, GPair and GTrpl, which KStars' conversion does not tell apart). Its 14 galaxy
 *    groups are left out: a group has no disk and no inclination. OpenNGC's duplicate entries
 *    (type 'unknown' without magnitude or size, at exactly the position of a galaxy) lend their
 *    name to that galaxy, so 'IC 26' finds NGC 135.
 * 2. Stellarium (./stellarium.ts): a galaxy with the PGC number, or else an NGC/IC designation,
 *    of an OpenNGC galaxy adds its designations and common names to it (and its PGC number when
 *    OpenNGC has none) but not its measurements, so the values of OpenNGC's galaxies do not
 *    depend on whether stellarium-data is installed; the others (about 69 600 in version 3.16,
 *    11 700 of them with a size) are added after OpenNGC's, in Stellarium's order.
 * 3. User catalogues (./hyperleda-csv.ts), in order: an entry with the PGC number of an earlier
 *    one replaces it in place, keeps its names after its own, and takes the values it leaves
 *    empty (size, angle, magnitude) from it; the others are added.
 *
 * Names: a name is looked up by {@link nameKey} (case, spaces, zero padding). When several
 * galaxies answer to one name, user entries win (a later file over an earlier one), then
 * OpenNGC's names, then common names without 'Galaxy', then Stellarium's names, then OpenNGC's
 * duplicate entries; within a tier the first galaxy in catalogue order.
 *
 * @example
 * ```ts
 * const catalog = await loadGalaxyCatalog();
 * const m31 = findGalaxy(catalog, 'Andromeda');      // { pgc: 2557, name: 'M 31', ra: 10.684792, … }
 * inclinetFraming(m31);                              // { pgc: 2557, objname: 'M 31', fov: 266.745, pa: 35, … }
 * const here = catalog.inField(wcs, 4000, 3000);     // galaxies in a solved image, largest first
 * ```
 */
import { existsSync } from 'node:fs';
import { AsterismError } from '../errors.js';
import { wcsPixelToSky, wcsSkyToPixel, type Wcs } from '../sky/wcs.js';
import { cross, radecToVec, separationDeg, type Vec3 } from '../sky/vector.js';
import { createConeSearch } from './cone-index.js';
import { commonNameVariants, isDesignation, nameKey, nameRank, pgcOfQuery } from './galaxy-names.js';
import type { Galaxy, GalaxyCatalog, GalaxyInField, InclinetGalaxy, LoadGalaxyCatalogOptions } from './galaxy-types.js';
import { readHyperledaCsv } from './hyperleda-csv.js';
import { loadObjectCatalog, type SkyObject } from './objects.js';
import { DEBIAN_STELLARIUM_CATALOG, readStellariumGalaxies } from './stellarium.js';

export type { Galaxy, GalaxyCatalog, GalaxyInField, GalaxySource, InclinetGalaxy, LoadGalaxyCatalogOptions } from './galaxy-types.js';
export { parseHyperledaCsv, readHyperledaCsv } from './hyperleda-csv.js';
export { DEBIAN_STELLARIUM_CATALOG, readStellariumGalaxies } from './stellarium.js';

/** IncliNET's field of view in units of D25: the cutout spans 1.5 × the major axis. */
export const INCLINET_FOV_PER_D25 = 1.5;

/** Smallest D25 in pixels for {@link GalaxyCatalog.inField} by default: below this the models' 128-pixel input would be mostly upsampled blur. */
export const DEFAULT_MIN_D25_PIXELS = 24;

/**
 * Precedence tiers of names, smaller wins (see the module comment). Tier 0 is the user's, where
 * a later entry beats an earlier one; in the others the first galaxy in catalogue order wins.
 */
const TIER = { user: 0, openngc: 1, openngcVariant: 2, stellarium: 3, stellariumVariant: 4, duplicate: 5 } as const;

/**
 * Names that came from one source entry, with their precedence tier; user names also carry
 * their row's place among all user rows, since a later row wins. Keys are computed when needed
 * (finishing a merged galaxy, the first name lookup), not per source entry: most of the 80 000
 * entries are never merged, and a catalogue used only by position never needs them.
 */
interface NameGroup {
  names: readonly string[];
  tier: number;
  userRow: number;
}

/** A galaxy being assembled from the sources: its values and the groups of names it answers to. */
interface Draft {
  galaxy: Omit<Galaxy, 'names'>;
  groups: NameGroup[];
  /**
   * The finished galaxy while the draft is unchanged: a Stellarium galaxy that nothing merges
   * into is used as read, so a build does not copy 70 000 entries.
   */
  finished?: Galaxy;
}

/** Largest offset, degrees, at which an OpenNGC duplicate entry counts as the same position as a galaxy: the rounding of its 6-decimal coordinates, with room. */
const DUPLICATE_MATCH_DEG = 1e-5;

/** OpenNGC's galaxies as drafts, with the names of its duplicate entries, and a name → description map of its other objects. */
interface OpenNgcPart {
  drafts: Draft[];
  others: Map<string, string>;
}

let openNgcPart: Promise<OpenNgcPart> | undefined;

function loadOpenNgcPart(): Promise<OpenNgcPart> {
  openNgcPart ??= loadObjectCatalog().then(buildOpenNgcPart).catch((e: unknown) => {
    openNgcPart = undefined;
    throw e;
  });
  return openNgcPart;
}

function isDuplicateEntry(o: SkyObject): boolean {
  return o.type === 'unknown' && o.mag === null && o.majorArcmin === null;
}

function buildOpenNgcPart(catalog: { objects: readonly SkyObject[] }): OpenNgcPart {
  const galaxies = catalog.objects.filter((o) => o.type === 'galaxy');
  const drafts: Draft[] = galaxies.map((o) => ({
    galaxy: {
      pgc: o.pgc, name: o.name, ra: o.ra, dec: o.dec, majorArcmin: o.majorArcmin, minorArcmin: o.minorArcmin,
      positionAngle: o.positionAngle, mag: o.mag, type: 'galaxy', source: 'openngc',
    },
    groups: [{ names: [o.name, ...o.aliases, o.id], tier: TIER.openngc, userRow: -1 }],
  }));
  const cone = createConeSearch(galaxies);
  const draftOf = new Map(galaxies.map((g, i) => [g, drafts[i]]));
  const others = new Map<string, string>();
  for (const o of catalog.objects) {
    if (o.type === 'galaxy') continue;
    const twin = isDuplicateEntry(o) ? cone(o.ra, o.dec, DUPLICATE_MATCH_DEG)[0] : undefined;
    if (twin) {
      draftOf.get(twin)!.groups.push({ names: [o.name], tier: TIER.duplicate, userRow: -1 });
      continue;
    }
    const description = `${o.name} is in OpenNGC as ${o.type === 'unknown' ? 'a duplicate or nonexistent entry' : `a${/^[aeiou]/.test(o.type) ? 'n' : ''} ${o.type}`}, not a galaxy`;
    for (const name of [o.name, o.id, ...o.aliases]) {
      const key = nameKey(name);
      if (!others.has(key)) others.set(key, description);
    }
  }
  return { drafts, others };
}

/** Parsed Stellarium catalogues by path, as drafts; a failed read is forgotten so the next load retries. */
const stellariumCache = new Map<string, Promise<Draft[]>>();

function loadStellarium(path: string): Promise<Draft[]> {
  let loading = stellariumCache.get(path);
  if (!loading) {
    loading = readStellariumGalaxies(path).then((galaxies) => galaxies.map((g) => toDraft(g, TIER.stellarium, -1, true))).catch((e: unknown) => {
      stellariumCache.delete(path);
      throw e;
    });
    stellariumCache.set(path, loading);
  }
  return loading;
}

/** A single-source galaxy as a draft; `asRead` when its names are already unique and in display order (Stellarium's). */
function toDraft(g: Galaxy, tier: number, userRow: number, asRead = false): Draft {
  return { galaxy: g, groups: [{ names: g.names, tier, userRow }], finished: asRead ? g : undefined };
}

/** The NGC and IC designations of a galaxy, by which a Stellarium galaxy is matched to an OpenNGC one whose PGC number differs or is missing. */
function ngcIcKeys(groups: readonly NameGroup[]): string[] {
  const keys: string[] = [];
  for (const { names } of groups) {
    for (const name of names) if (/^(?:NGC|IC)\s*\d/i.test(name)) keys.push(nameKey(name));
  }
  return keys;
}

/**
 * Adds Stellarium's galaxies: merged into the OpenNGC galaxy with the same PGC number, else
 * with the same NGC/IC designation (233 of them carry another PGC number than OpenNGC gives,
 * as HyperLEDA has several entries for some objects: NGC 735 is PGC 7275 in OpenNGC, 7282 in
 * Stellarium; their 'PGC n' name then finds the merged galaxy too), else appended.
 */
function mergeStellarium(drafts: Draft[], stellarium: readonly Draft[]): void {
  const byPgc = new Map<number, Draft>();
  const byDesignation = new Map<string, Draft>();
  for (const d of drafts) {
    if (d.galaxy.pgc !== null) byPgc.set(d.galaxy.pgc, d);
    for (const key of ngcIcKeys(d.groups)) if (!byDesignation.has(key)) byDesignation.set(key, d);
  }
  for (const s of stellarium) {
    const pgc = s.galaxy.pgc!;
    const twin = byPgc.get(pgc) ?? ngcIcKeys(s.groups).map((k) => byDesignation.get(k)).find((d) => d !== undefined);
    if (twin) {
      if (twin.galaxy.pgc === null) {
        twin.galaxy = { ...twin.galaxy, pgc };
        twin.finished = undefined;
        byPgc.set(pgc, twin);
      }
      twin.groups.push(...s.groups);
      twin.finished = undefined;
    } else {
      // A copy, so that a later record merging into this one leaves the cached draft alone.
      const draft = { ...s, groups: [...s.groups] };
      drafts.push(draft);
      byPgc.set(pgc, draft);
    }
  }
}

/**
 * How far a user row without a PGC number may lie from the built-in galaxy of the same name to
 * be taken as that galaxy, degrees (2′: catalogues disagree on centres by seconds of arc, while
 * two different galaxies sharing a name are rarely this close).
 */
const SAME_GALAXY_BY_NAME_DEG = 2 / 60;

/**
 * The built-in galaxy a user row without a PGC number names and sits on (see
 * {@link SAME_GALAXY_BY_NAME_DEG}), as an index into `drafts`, or undefined. The name index over
 * the built-in entries is made on first need: most user tables give PGC numbers.
 */
function builtInTwinFinder(drafts: readonly Draft[]): (g: Galaxy) => number | undefined {
  let byName: Map<string, number[]> | undefined;
  return (g) => {
    if (!byName) {
      byName = new Map();
      drafts.forEach((d, i) => {
        for (const { names, tier } of d.groups) {
          if (tier === TIER.user) continue;
          for (const name of names) {
            const key = nameKey(name);
            if (key === '') continue;
            const list = byName!.get(key);
            if (!list) byName!.set(key, [i]);
            else if (!list.includes(i)) list.push(i);
          }
        }
      });
    }
    for (const name of g.names) {
      for (const i of byName.get(nameKey(name)) ?? []) {
        if (separationDeg(drafts[i].galaxy, g) <= SAME_GALAXY_BY_NAME_DEG) return i;
      }
    }
    return undefined;
  };
}

/**
 * Adds a user catalogue's entries: an entry with a known PGC number replaces that galaxy in
 * place (see the module comment), and so does one without a PGC number that names a built-in
 * galaxy at its position (keeping that galaxy's PGC number), so the same galaxy is never listed
 * twice in a field.
 */
function mergeUser(drafts: Draft[], user: readonly Galaxy[], firstRow: number): void {
  const byPgc = new Map<number, number>();
  drafts.forEach((d, i) => {
    if (d.galaxy.pgc !== null) byPgc.set(d.galaxy.pgc, i);
  });
  const builtInTwin = builtInTwinFinder(drafts);
  for (const [row, g] of user.entries()) {
    const draft = toDraft(g, TIER.user, firstRow + row);
    const at = g.pgc === null ? builtInTwin(g) : byPgc.get(g.pgc);
    if (at === undefined) {
      if (g.pgc !== null) byPgc.set(g.pgc, drafts.length);
      drafts.push(draft);
      continue;
    }
    const old = drafts[at];
    drafts[at] = {
      galaxy: {
        ...g,
        pgc: g.pgc ?? old.galaxy.pgc,
        majorArcmin: g.majorArcmin ?? old.galaxy.majorArcmin,
        minorArcmin: g.minorArcmin ?? (g.majorArcmin === null ? old.galaxy.minorArcmin : null),
        positionAngle: g.positionAngle ?? old.galaxy.positionAngle,
        mag: g.mag ?? old.galaxy.mag,
      },
      groups: [...draft.groups, ...old.groups],
    };
  }
}

/**
 * The final galaxy of a draft: names deduplicated by key (the first spelling kept), the display
 * name first, then Messier/NGC/IC, common names, PGC and other catalogues ({@link nameRank}).
 */
function finish(draft: Draft): Galaxy {
  draft.finished ??= finishNames(draft);
  return draft.finished;
}

function finishNames(draft: Draft): Galaxy {
  const seen = new Set<string>();
  const names: string[] = [];
  for (const { names: group } of draft.groups) {
    for (const name of group) {
      const key = nameKey(name);
      if (key === '' || seen.has(key)) continue;
      seen.add(key);
      names.push(name);
    }
  }
  const rest = names.slice(1).map((name) => ({ name, rank: nameRank(name) }));
  // Array.prototype.sort is stable, so each rank keeps source order.
  rest.sort((a, b) => a.rank - b.rank);
  // A draft's values may still carry its source's `names` (single-source drafts keep the source
  // object); the finished list replaces them.
  return { ...draft.galaxy, names: [names[0], ...rest.map((n) => n.name)] };
}

/** What a catalogue built here knows beyond the {@link GalaxyCatalog} interface, for findGalaxy's messages. */
interface CatalogExtras {
  others: ReadonlyMap<string, string>;
  sources: string;
}
const extras = new WeakMap<GalaxyCatalog, CatalogExtras>();

/** Pixel scale at (x, y), arcseconds per pixel: the square root of the sky area of one pixel there (SIP and projection included). */
function localPixelScaleArcsec(wcs: Wcs, x: number, y: number): number {
  const at = (px: number, py: number): Vec3 => {
    const s = wcsPixelToSky(wcs, px, py);
    return radecToVec(s.ra, s.dec);
  };
  const c = at(x, y), ex = at(x + 1, y), ey = at(x, y + 1);
  const a: Vec3 = [ex[0] - c[0], ex[1] - c[1], ex[2] - c[2]];
  const b: Vec3 = [ey[0] - c[0], ey[1] - c[1], ey[2] - c[2]];
  const n = cross(a, b);
  return Math.sqrt(Math.hypot(n[0], n[1], n[2])) * (180 / Math.PI) * 3600;
}

/**
 * Radius, degrees, of a cone around the image centre that holds the whole image: the farthest of
 * points along its edges (SIP can bow them), widened by 1 % and a pixel.
 */
function fieldRadiusDeg(wcs: Wcs, width: number, height: number): { ra: number; dec: number; radiusDeg: number } {
  const centre = wcsPixelToSky(wcs, (width - 1) / 2, (height - 1) / 2);
  const STEPS = 8;
  let farthest = 0;
  for (let k = 0; k <= STEPS; k++) {
    const fx = -0.5 + (width * k) / STEPS, fy = -0.5 + (height * k) / STEPS;
    for (const [x, y] of [[fx, -0.5], [fx, height - 0.5], [-0.5, fy], [width - 0.5, fy]]) {
      farthest = Math.max(farthest, separationDeg(centre, wcsPixelToSky(wcs, x, y)));
    }
  }
  const pixelDeg = localPixelScaleArcsec(wcs, (width - 1) / 2, (height - 1) / 2) / 3600;
  return { ...centre, radiusDeg: Math.min(180, farthest * 1.01 + pixelDeg) };
}

/** Which galaxy holds a name key, and with what precedence. */
interface NameClaim {
  galaxy: Galaxy;
  tier: number;
  userRow: number;
}

/** Every name key of every galaxy, resolved by precedence (see the module comment). */
function buildNameIndex(galaxies: readonly Galaxy[], drafts: readonly Draft[]): Map<string, NameClaim> {
  const byKey = new Map<string, NameClaim>();
  const claim = (key: string, galaxy: Galaxy, tier: number, userRow: number) => {
    if (key === '') return;
    const held = byKey.get(key);
    // Lower tier wins; among user names the later row, elsewhere the earlier galaxy.
    if (!held || tier < held.tier || (tier === TIER.user && held.tier === TIER.user && userRow > held.userRow)) byKey.set(key, { galaxy, tier, userRow });
  };
  galaxies.forEach((galaxy, i) => {
    for (const { names, tier, userRow } of drafts[i].groups) {
      const variantTier = tier === TIER.openngc ? TIER.openngcVariant : tier === TIER.stellarium ? TIER.stellariumVariant : tier;
      for (const name of names) {
        claim(nameKey(name), galaxy, tier, userRow);
        if (!isDesignation(name)) for (const variant of commonNameVariants(name)) claim(variant, galaxy, variantTier, userRow);
      }
    }
  });
  return byKey;
}

function makeCatalog(galaxies: readonly Galaxy[], drafts: readonly Draft[], others: ReadonlyMap<string, string>, sources: string): GalaxyCatalog {
  const byPgcMap = new Map<number, Galaxy>();
  for (const g of galaxies) if (g.pgc !== null && !byPgcMap.has(g.pgc)) byPgcMap.set(g.pgc, g);
  // Then the other 'PGC n' names of merged galaxies (a Stellarium entry's, a replaced entry's).
  galaxies.forEach((g, i) => {
    if (drafts[i].groups.length < 2) return;
    for (const name of g.names) {
      const pgc = /^PGC\s*\d+$/i.test(name) ? pgcOfQuery(name) : null;
      if (pgc !== null && !byPgcMap.has(pgc)) byPgcMap.set(pgc, g);
    }
  });

  // The name index is built on the first name lookup: inField and cone, which the pipeline
  // uses, do not need it, and over 80 000 galaxies it is the costliest part of a build.
  let byKey: Map<string, NameClaim> | undefined;

  const cone = createConeSearch(galaxies);

  const catalog: GalaxyCatalog = {
    galaxies,
    byPgc(pgc: number): Galaxy | undefined {
      return byPgcMap.get(pgc);
    },
    byName(name: string): Galaxy | undefined {
      if (typeof name !== 'string') return undefined;
      byKey ??= buildNameIndex(galaxies, drafts);
      const hit = byKey.get(nameKey(name));
      if (hit) return hit.galaxy;
      // 'PGC 2557' for a galaxy whose names lack it (a user entry with an objname and a pgc column).
      const pgc = /^\s*(?:PGC|LEDA)/i.test(name) ? pgcOfQuery(name) : null;
      return pgc === null ? undefined : byPgcMap.get(pgc);
    },
    cone,
    inField(wcs: Wcs, width: number, height: number, options: { minD25Pixels?: number } = {}): GalaxyInField[] {
      if (!(Number.isFinite(width) && width > 0 && Number.isFinite(height) && height > 0)) {
        throw new AsterismError('E_INVALID_ARGUMENT', `image size must be positive, got ${width} × ${height}`);
      }
      if (!Array.isArray(wcs?.cd) || !Array.isArray(wcs.cd[0]) || !Array.isArray(wcs.cd[1]) || !Array.isArray(wcs.crval) || !Array.isArray(wcs.crpix)) {
        throw new AsterismError('E_INVALID_ARGUMENT', 'inField needs a WCS with crval, crpix and cd');
      }
      const [[a, b], [c, d]] = wcs.cd;
      const det = a * d - b * c;
      if (!(Number.isFinite(det) && det !== 0)) throw new AsterismError('E_INVALID_ARGUMENT', 'the WCS CD matrix is singular or not finite');
      const minD25Pixels = options.minD25Pixels ?? DEFAULT_MIN_D25_PIXELS;
      if (!(Number.isFinite(minD25Pixels) && minD25Pixels >= 0)) {
        throw new AsterismError('E_INVALID_ARGUMENT', `minD25Pixels must be a number ≥ 0, got ${minD25Pixels}`);
      }
      const { ra, dec, radiusDeg } = fieldRadiusDeg(wcs, width, height);
      if (!(Number.isFinite(ra) && Number.isFinite(dec) && Number.isFinite(radiusDeg))) {
        throw new AsterismError('E_INVALID_ARGUMENT', 'the WCS gives no sky position for the image (non-finite CRVAL, CRPIX or CD?)');
      }
      const found: GalaxyInField[] = [];
      for (const galaxy of cone(ra, dec, radiusDeg)) {
        if (galaxy.majorArcmin === null || !(galaxy.majorArcmin > 0)) continue;
        const p = wcsSkyToPixel(wcs, galaxy.ra, galaxy.dec);
        if (p === null || !(p.x >= -0.5 && p.x < width - 0.5 && p.y >= -0.5 && p.y < height - 0.5)) continue;
        const d25Pixels = (galaxy.majorArcmin * 60) / localPixelScaleArcsec(wcs, p.x, p.y);
        if (d25Pixels >= minD25Pixels) found.push({ galaxy, x: p.x, y: p.y, d25Pixels });
      }
      // Largest first: the galaxies the models read best, and the natural order to cap a crowded field.
      return found.sort((a, b) => b.d25Pixels - a.d25Pixels);
    },
  };
  extras.set(catalog, { others, sources });
  return catalog;
}

const warned = new Set<string>();

/** A process warning (printed once by Node, on stderr), for a degraded but working catalogue. */
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.emitWarning(message, { code: 'ASTERISM_CATALOG' });
}

/** True when the options ask for the default catalogue, which is built once per process. */
function isDefault(options: LoadGalaxyCatalogOptions): boolean {
  return (options.userCatalogs === undefined || options.userCatalogs.length === 0) &&
    (options.openngc === undefined || options.openngc === true) &&
    (options.stellarium === undefined || options.stellarium === true);
}

let defaultCatalog: Promise<GalaxyCatalog> | undefined;

/**
 * The galaxy catalogue: OpenNGC's galaxies, Stellarium's PGC galaxies when its catalogue is
 * installed (or at the path given), and the user's catalogues, merged as the module comment
 * describes. With default options the catalogue is built once per process and shared (a
 * failed build is retried on the next call); other options build a new one each call, reusing
 * the parsed built-in sources.
 *
 * The installed Stellarium catalogue (`stellarium: true`, the default) is skipped silently when
 * absent, and with a process warning when it cannot be read (another catalogue version, say),
 * so the catalogue keeps working with OpenNGC alone.
 *
 * @throws AsterismError `E_IO` when a catalogue file the caller named cannot be read (a
 *   Stellarium path or a user catalogue), `E_CATALOG_FORMAT` when one is malformed,
 *   `E_INVALID_ARGUMENT` for options of the wrong type.
 * @example
 * ```ts
 * const catalog = await loadGalaxyCatalog({ userCatalogs: ['my-galaxies.csv'], stellarium: false });
 * catalog.byPgc(2557)?.name;     // 'M 31', or the objname of a user row with pgc 2557
 * ```
 */
export function loadGalaxyCatalog(options: LoadGalaxyCatalogOptions = {}): Promise<GalaxyCatalog> {
  if (isDefault(options ?? {})) {
    defaultCatalog ??= buildCatalog({}).catch((e: unknown) => {
      defaultCatalog = undefined;
      throw e;
    });
    return defaultCatalog;
  }
  return buildCatalog(options);
}

async function buildCatalog(options: LoadGalaxyCatalogOptions): Promise<GalaxyCatalog> {
  const { userCatalogs = [], openngc = true, stellarium = true } = options;
  if (!Array.isArray(userCatalogs) || !userCatalogs.every((p) => typeof p === 'string')) {
    throw new AsterismError('E_INVALID_ARGUMENT', 'userCatalogs must be an array of file paths');
  }
  if (typeof openngc !== 'boolean') throw new AsterismError('E_INVALID_ARGUMENT', `openngc must be true or false, got ${String(openngc)}`);
  if (typeof stellarium !== 'boolean' && typeof stellarium !== 'string') {
    throw new AsterismError('E_INVALID_ARGUMENT', `stellarium must be true, false or a path, got ${String(stellarium)}`);
  }
  const stellariumPath = stellarium === true ? (existsSync(DEBIAN_STELLARIUM_CATALOG) ? DEBIAN_STELLARIUM_CATALOG : undefined)
    : stellarium === false ? undefined : stellarium;

  const [openNgc, stellariumDrafts, userTables] = await Promise.all([
    openngc ? loadOpenNgcPart() : undefined,
    stellariumPath === undefined ? undefined : loadStellarium(stellariumPath).catch((e: unknown) => {
      // The installed copy is an optional extra: a version this reader does not know must not
      // take the whole catalogue down. A path the caller named is a different matter.
      if (stellarium !== true) throw e;
      warnOnce(`asterism: leaving out Stellarium's catalogue: ${(e as Error).message}`);
      return undefined;
    }),
    Promise.all(userCatalogs.map((path) => readHyperledaCsv(path))),
  ]);

  // Drafts are copied so the cached sources stay untouched by merging.
  const drafts: Draft[] = (openNgc?.drafts ?? []).map((d) => ({ galaxy: d.galaxy, groups: [...d.groups], finished: d.finished }));
  if (stellariumDrafts) mergeStellarium(drafts, stellariumDrafts);
  let userRows = 0;
  for (const table of userTables) {
    mergeUser(drafts, table, userRows);
    userRows += table.length;
  }

  const sources = [
    openngc ? 'OpenNGC' : undefined,
    stellariumDrafts === undefined ? undefined : `Stellarium (${stellariumPath})`,
    ...userCatalogs,
  ].filter((s): s is string => s !== undefined).join(', ');
  return makeCatalog(drafts.map(finish), drafts, openNgc?.others ?? new Map(), sources || 'no catalogues');
}

/**
 * The galaxy a query names. A number, a digits-only string or 'PGC 2557' / 'pgc002557' /
 * 'LEDA 2557' is a PGC number (looked up by {@link GalaxyCatalog.byPgc}, then as a name);
 * anything else a name ({@link GalaxyCatalog.byName}): 'M31', 'm 31', 'NGC 224', 'NGC0224',
 * 'UGC 454', 'Andromeda', 'Sombrero'.
 *
 * @throws AsterismError `E_NOT_FOUND` naming the query when nothing matches (and saying so
 *   when the name is an OpenNGC object that is not a galaxy, such as 'M 42');
 *   `E_INVALID_ARGUMENT` for an empty query or a number that is not a positive integer.
 * @example
 * ```ts
 * findGalaxy(catalog, 'Sombrero').pgc;   // 42407
 * findGalaxy(catalog, 2557).name;        // 'M 31'
 * ```
 */
export function findGalaxy(catalog: GalaxyCatalog, query: string | number): Galaxy {
  const sources = extras.get(catalog)?.sources;
  const inCatalogue = sources ? ` in the galaxy catalogue (${sources})` : ' in the galaxy catalogue';
  if (typeof query === 'number') {
    if (!Number.isSafeInteger(query) || query <= 0) throw new AsterismError('E_INVALID_ARGUMENT', `a PGC number must be a positive whole number, got ${query}`);
    const hit = catalog.byPgc(query);
    if (!hit) throw new AsterismError('E_NOT_FOUND', `no galaxy PGC ${query}${inCatalogue}`);
    return hit;
  }
  if (typeof query !== 'string' || query.trim() === '') {
    throw new AsterismError('E_INVALID_ARGUMENT', `a galaxy query must be a PGC number or a name, got ${JSON.stringify(query)}`);
  }
  const pgc = pgcOfQuery(query);
  const hit = (pgc === null ? undefined : catalog.byPgc(pgc)) ?? catalog.byName(query);
  if (hit) return hit;
  const other = extras.get(catalog)?.others.get(nameKey(query));
  const what = pgc === null ? `named '${query.trim()}'` : `PGC ${pgc}`;
  throw new AsterismError('E_NOT_FOUND', `no galaxy ${what}${inCatalogue}${other ? `: ${other}` : ''}`);
}

/** D25, the major axis, arcminutes; null when the catalogue gives no size. */
export function d25Arcmin(galaxy: Galaxy): number | null {
  const d = galaxy.majorArcmin;
  return d !== null && Number.isFinite(d) && d > 0 ? d : null;
}

/**
 * IncliNET's record for a galaxy (its getPGC / getObj): `fov` = 1.5 × D25 arcminutes, `pa` the
 * position angle (0 when the catalogue has none; the cutout is turned by pa + 90° so the major
 * axis lies horizontal), `objname` the galaxy's display name.
 *
 * @throws AsterismError `E_NOT_FOUND` when the galaxy has no size, so no field of view.
 * @example
 * ```ts
 * inclinetFraming(findGalaxy(catalog, 'M 104')); // { pgc: 42407, objname: 'M 104', ra: 189.997633, dec: -11.623054, fov: 12.675, pa: 90 }
 * ```
 */
export function inclinetFraming(galaxy: Galaxy): InclinetGalaxy {
  const d25 = d25Arcmin(galaxy);
  if (d25 === null) {
    throw new AsterismError('E_NOT_FOUND', `${galaxy.name} has no size (D25) in the catalogue, so its field of view (1.5 × D25) is unknown; give one in a user catalogue (logd25 column)`);
  }
  return {
    pgc: galaxy.pgc,
    objname: galaxy.name,
    ra: galaxy.ra,
    dec: galaxy.dec,
    // Rounded to 1e-6 arcmin (0.06 mas) so 1.5 × 8.45 prints as 12.675, not 12.674999999999999.
    fov: Math.round(INCLINET_FOV_PER_D25 * d25 * 1e6) / 1e6,
    pa: galaxy.positionAngle ?? 0,
  };
}
