/**
 * Types of `evaluateField()`: solve an image, find the catalogued galaxies in it, cut each out
 * as IncliNET frames its galaxies, and estimate their inclinations. Angles in degrees, sizes
 * as their names say. Results are plain data: `JSON.stringify` keeps everything but the helper
 * functions of the WCS, and the PNG buffers become byte arrays (drop them first).
 */
import type { GalaxyCatalog, GalaxySource } from '../catalog/galaxy-types.js';
import type { InclineEngineOptions, InclineResult } from '../incline/types.js';
import type { SolveOptions, SolveProgress, SolveResult } from '../solve/types.js';

/** Stages of `evaluateField()`, in the order they run. */
export type FieldStage = 'solve' | 'catalog' | 'cutouts' | 'inference' | 'overlay';

/** A progress report of `evaluateField()`. */
export interface FieldProgress {
  /** The stage running. */
  stage: FieldStage;
  /**
   * Work done and to do in this stage: galaxies for 'cutouts' and 'inference'; 0 of 1 when
   * 'solve', 'catalog' and 'overlay' start and 1 of 1 when they end.
   */
  done: number;
  total: number;
  /** During 'solve': the solver's own report, passed on a few times a second. */
  solve?: SolveProgress;
  /** Milliseconds since `evaluateField()` was called. */
  elapsedMs: number;
}

/** Options of `evaluateField()`. */
export interface EvaluateFieldOptions extends Omit<SolveOptions, 'onProgress' | 'signal' | 'timeLimit'>, InclineEngineOptions {
  /**
   * The galaxies to look for, already loaded (`loadGalaxyCatalog()`); reuse one across calls.
   * Not together with `catalogs`.
   */
  catalog?: GalaxyCatalog;
  /**
   * HyperLEDA-style CSV catalogues (pgc, objname, ra or al2000, dec or de2000, logd25, pa)
   * added to the built-in ones (OpenNGC, and Stellarium's when installed); their entries take
   * precedence. Ignored when `catalog` is given (giving both is an error).
   */
  catalogs?: string[];
  /** Galaxies whose D25 spans fewer pixels than this are left out (default 24, the catalogue's `DEFAULT_MIN_D25_PIXELS`). */
  minD25Pixels?: number;
  /** Return each galaxy's 128 × 128 cutout as PNG bytes (`FieldGalaxy.cutoutPng`; default false). */
  cutouts?: boolean;
  /** Return the field overlay as PNG bytes (`FieldResult.overlayPng`; default false). */
  overlay?: boolean;
  /** Longest side of the overlay PNG, pixels (default 2000; smaller images are not enlarged). */
  overlayMaxSize?: number;
  /** Refuse images with more pixels than this before decoding (default 250 million). */
  maxPixels?: number;
  /**
   * Milliseconds for the whole evaluation. The solve gets what is left of it after decoding
   * and ends `solved: false` (reason 'time limit') when it runs out, as `solve()` does; once
   * solved, running out rejects with `E_TIMEOUT`. Default: `solve()`'s 60 s for the solve and
   * no limit on the stages after it.
   */
  timeLimit?: number;
  /** Rejects with `E_ABORTED` when it fires, at whichever stage is running. */
  signal?: AbortSignal;
  /** Called as stages start and end, as galaxies are cut out and as batches leave the models. */
  onProgress?: (progress: FieldProgress) => void;
}

/**
 * Where a galaxy's position angle came from: the catalogue, or measured on the image (the
 * catalogue has none) from the second moments of its light in a north-up cutout.
 */
export type PaSource = 'catalog' | 'measured';

/**
 * One catalogued galaxy found in the field, with IncliNET's answer for it: `inclinations` and
 * `rejection_likelihood` are the blocks of `incline()`'s result.
 */
export interface FieldGalaxy extends InclineResult {
  /** PGC number, or null when the catalogue has none. */
  pgc: number | null;
  /** Display name, then every other name the catalogue knows it by. */
  name: string;
  names: string[];
  /** The catalogue the entry came from. */
  source: GalaxySource;
  /** Catalogue position, J2000 degrees. */
  ra: number;
  dec: number;
  /** Pixel position of the catalogue position under the solved WCS (first pixel's centre = 0, 0). */
  x: number;
  y: number;
  /** D25 (the catalogue's major axis), arcminutes and pixels. */
  d25Arcmin: number;
  d25Pixels: number;
  /** Catalogue minor axis, arcminutes, or null. */
  minorArcmin: number | null;
  /** Position angle of the major axis used for the cutout, degrees east of north in [0, 180). */
  pa: number;
  /** Whether `pa` is the catalogue's or was measured on the image. */
  paSource: PaSource;
  /** Side of the cutout, arcminutes: IncliNET's 1.5 × D25. */
  cutoutFovArcmin: number;
  /** The 128 × 128 RGB cutout the models saw (major axis horizontal), PNG; only with `cutouts: true`. */
  cutoutPng?: Buffer;
}

/** Milliseconds spent per stage of `evaluateField()`. */
export interface FieldTimings {
  /** Decoding the image, when it came as a path or bytes. */
  decode: number;
  solve: number;
  /** Loading the catalogue (after the solve, and only when solved) and finding the galaxies in the field. */
  catalog: number;
  cutouts: number;
  inference: number;
  overlay: number;
  total: number;
}

/** The answer of `evaluateField()`. */
export interface FieldResult {
  /** Whether the image was solved; when not, `galaxies` is empty and `reason` says why. */
  solved: boolean;
  /** The solver's reason, when not solved. */
  reason?: string;
  /** Image size, pixels. */
  width: number;
  height: number;
  /** `solve()`'s whole result: centre, scale, rotation, parity, WCS, matched stars, timings. */
  solution: SolveResult;
  /** The galaxies in the field at or above the size limit, largest first. */
  galaxies: FieldGalaxy[];
  /** The image with each galaxy's D25 ellipse, name and median inclination; only with `overlay: true`. */
  overlayPng?: Buffer;
  timings: FieldTimings;
}
