/**
 * The galaxy catalogue's data types, shared by the catalogue (lib/catalog/galaxies.ts), the
 * image sources (lib/cutout/) and the pipeline (lib/pipeline/).
 */
import type { Wcs } from '../sky/wcs.js';

/** Where a catalogue entry came from; a user catalogue takes precedence over the others. */
export type GalaxySource = 'user' | 'openngc' | 'stellarium';

/** One catalogued galaxy. Positions are J2000 degrees; null where the catalogue has no value. */
export interface Galaxy {
  /** Number in the Principal Galaxies Catalogue (HyperLEDA's PGC), or null when unknown. */
  pgc: number | null;
  /** Display name: 'M 31', 'NGC 4594', 'IC 2', a user catalogue's objname, or 'PGC 12345'. */
  name: string;
  /** Every name the galaxy answers to, display form, `name` first: ['M 31', 'NGC 224', 'Andromeda Galaxy', 'PGC 2557', 'UGC 454']. */
  names: string[];
  /** Right ascension, degrees in [0, 360). */
  ra: number;
  /** Declination, degrees. */
  dec: number;
  /** Major axis (D25 where the source gives it), arcminutes, or null. */
  majorArcmin: number | null;
  /** Minor axis, arcminutes, or null. */
  minorArcmin: number | null;
  /** Position angle of the major axis, degrees east of north in [0, 180), or null. */
  positionAngle: number | null;
  /** Magnitude (B where known), or null. */
  mag: number | null;
  /** Kind or morphological type as the source gives it: 'galaxy', 'galaxy group', 'SAb', … */
  type: string;
  /** Which catalogue the entry came from. */
  source: GalaxySource;
}

/** A galaxy whose centre falls in an image, with its place there. */
export interface GalaxyInField {
  galaxy: Galaxy;
  /** Pixel position of the catalogue centre (asterism convention: first pixel centre = 0, 0). */
  x: number;
  y: number;
  /** D25 (the major axis) in pixels at that position. */
  d25Pixels: number;
}

/** Options for `loadGalaxyCatalog`. */
export interface LoadGalaxyCatalogOptions {
  /**
   * HyperLEDA-style CSV files (columns pgc, objname, ra or al2000, dec or de2000, logd25, pa),
   * read in order; their entries take precedence over the built-in catalogues (a later file
   * over an earlier one).
   */
  userCatalogs?: readonly string[];
  /** Include OpenNGC's galaxies, embedded in the package (default true). */
  openngc?: boolean;
  /**
   * Stellarium's DSO catalogue: true to use Debian's stellarium-data copy when it is installed
   * (default: used when present), false never, or a path to a `catalog.dat`.
   */
  stellarium?: boolean | string;
}

/** A galaxy catalogue with its lookups. */
export interface GalaxyCatalog {
  /** Every galaxy, after user entries replaced built-in ones with the same PGC number. */
  readonly galaxies: readonly Galaxy[];
  /** The galaxy with this PGC number, or undefined. */
  byPgc(pgc: number): Galaxy | undefined;
  /**
   * The galaxy with this name, insensitive to case, spaces and zero padding: 'M31', 'm 31',
   * 'NGC 224', 'NGC0224', 'PGC 2557', 'Andromeda' all find M 31. Undefined when none.
   */
  byName(name: string): Galaxy | undefined;
  /** Galaxies within `radiusDeg` of (`ra`, `dec`), degrees. */
  cone(ra: number, dec: number, radiusDeg: number): Galaxy[];
  /**
   * Galaxies whose centre lies in a `width` × `height` image with this WCS and whose D25 spans
   * at least `minD25Pixels` pixels (default 24); galaxies without a size are left out.
   */
  inField(wcs: Wcs, width: number, height: number, options?: { minD25Pixels?: number }): GalaxyInField[];
}

/**
 * IncliNET's framing of a galaxy (its getPGC / getObj records): the field of view is
 * 1.5 × D25 in arcminutes, and `pa` the position angle in degrees east of north by which the
 * cutout is turned (PA + 90°) so that the major axis lies horizontal.
 */
export interface InclinetGalaxy {
  pgc: number | null;
  objname: string;
  ra: number;
  dec: number;
  /** 1.5 × D25, arcminutes. */
  fov: number;
  /** Position angle of the major axis, degrees east of north (0 when the catalogue has none). */
  pa: number;
}
