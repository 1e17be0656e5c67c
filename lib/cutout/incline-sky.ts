/**
 * Inclination of a galaxy named by PGC number, by name or by position, as IncliNET's web
 * service answers it: the catalogue gives the position, 1.5 × D25 and the PA; an image source
 * gives an image of that sky; skyCutout() turns it so the major axis is horizontal at 128 × 128;
 * incline() runs the models on that cutout as it is.
 */
import { findGalaxy, inclinetFraming, loadGalaxyCatalog } from '../catalog/galaxies.js';
import type { GalaxyCatalog, InclinetGalaxy } from '../catalog/galaxy-types.js';
import { AsterismError } from '../errors.js';
import type { RawPixels } from '../image/load.js';
import { incline } from '../incline/incline.js';
import { MODEL_INPUT_SIZE } from '../incline/manifest.js';
import type { InclineEngineOptions, InclineResult } from '../incline/types.js';
import { resolveImageSource } from './image-sources.js';
import { skyCutout } from './sky-cutout.js';
import { checkSkyRequest } from './sdss.js';
import type { ImageSource } from './types.js';

/** Options shared by {@link inclineAt}, {@link inclineByPgc}, {@link inclineByName} and {@link inclineGalaxy}. */
export interface InclineSkyOptions extends InclineEngineOptions {
  /**
   * Where the image comes from: an {@link ImageSource}, or a string for
   * {@link imageSourceFrom} ('sdss', a URL template, a directory). Default: the
   * `ASTERISM_IMAGE_SOURCE` environment variable, else SDSS DR16's cutout service.
   */
  imageSource?: ImageSource | string;
  /** Rejects with `E_ABORTED` when it fires, during the fetch or the inference. */
  signal?: AbortSignal;
  /** Time limit of the image fetch, milliseconds (default 30 000): `E_TIMEOUT` after it. */
  timeoutMs?: number;
  /** Return the 128 × 128 RGB cutout the models saw as `cutout` (default false). */
  keepCutout?: boolean;
}

/** Options for {@link inclineAt}. */
export interface InclineAtOptions extends InclineSkyOptions {
  /**
   * Position angle of the major axis, degrees east of north (default 0, as IncliNET when it has
   * none): the cutout is turned so that it lies horizontal.
   */
  pa?: number;
}

/** Options for {@link inclineByPgc} and {@link inclineByName}. */
export interface InclineByCatalogOptions extends InclineSkyOptions {
  /** The galaxy catalogue to look in (from `loadGalaxyCatalog`); default the built-in one with `catalogs`. */
  catalog?: GalaxyCatalog;
  /**
   * HyperLEDA-style CSV files whose entries take precedence over the built-in catalogues
   * (see `loadGalaxyCatalog`'s `userCatalogs`); ignored when `catalog` is given.
   */
  catalogs?: readonly string[];
}

/** The inclination of one galaxy, with what it was measured on. */
export interface InclineSkyResult {
  /** IncliNET's record of the galaxy: PGC, name, position (degrees), fov (arcmin), PA (degrees). */
  galaxy: InclinetGalaxy;
  /** The models' answer, as {@link incline} gives it. */
  result: InclineResult;
  /** Where the image came from: the URL fetched or the file read. */
  origin: string;
  /** The 128 × 128 RGB cutout the models saw, when `keepCutout` was set. */
  cutout?: RawPixels;
}

/**
 * IncliNET's JSON answer (its REST API's `status: 'success'` response), with the galaxy's
 * numbers as the strings it writes: `"339.2673 deg"`, `"14.00 arcmin"`, `"169.0 deg"`.
 */
export interface InclinetResponse {
  status: 'success';
  galaxy: { pgc: number | null; ra: string; dec: string; fov: string; pa: string; objname: string };
  inclinations: InclineResult['inclinations'];
  rejection_likelihood: InclineResult['rejection_likelihood'];
}

function checkOptions(options: InclineSkyOptions): void {
  if (typeof options !== 'object' || options === null) throw new AsterismError('E_INVALID_ARGUMENT', 'options must be an object');
}

/**
 * An IAU-style name for a position, 'J221704.15+342456.2', for positions without a catalogue
 * name. Rounded as a whole so that 59.999 s never prints as 60.00.
 */
export function coordinateName(ra: number, dec: number): string {
  const raCs = Math.round((((ra % 360) + 360) % 360) / 15 * 360000) % (24 * 360000);
  const decDs = Math.round(Math.abs(dec) * 36000);
  const two = (n: number) => String(n).padStart(2, '0');
  const h = Math.floor(raCs / 360000), m = Math.floor(raCs / 6000) % 60, s = (raCs % 6000) / 100;
  const d = Math.floor(decDs / 36000), dm = Math.floor(decDs / 600) % 60, ds = (decDs % 600) / 10;
  return `J${two(h)}${two(m)}${s.toFixed(2).padStart(5, '0')}${dec < 0 ? '-' : '+'}${two(d)}${two(dm)}${ds.toFixed(1).padStart(4, '0')}`;
}

/**
 * The inclination of a galaxy framed as IncliNET frames it: an image of `fov` arcminutes around
 * (`ra`, `dec`) from the image source, cut to 128 × 128 and turned so the position angle `pa`
 * lies horizontal ({@link skyCutout}), then {@link incline} on that cutout without further turning.
 *
 * @throws AsterismError `E_IMAGE_SOURCE` (the source is unreachable or has no image there; the
 *   message says how to configure another), `E_TIMEOUT`, `E_ABORTED`, `E_MODEL`,
 *   `E_INVALID_ARGUMENT`.
 *
 * @example
 * ```ts
 * import { findGalaxy, inclinetFraming, inclineGalaxy, loadGalaxyCatalog } from 'asterism';
 * const framing = inclinetFraming(findGalaxy(await loadGalaxyCatalog(), 'NGC 7331'));
 * const { result } = await inclineGalaxy(framing, { imageSource: '/data/plates' });
 * ```
 */
export async function inclineGalaxy(galaxy: InclinetGalaxy, options: InclineSkyOptions = {}): Promise<InclineSkyResult> {
  checkOptions(options);
  if (typeof galaxy !== 'object' || galaxy === null) throw new AsterismError('E_INVALID_ARGUMENT', 'galaxy must be { pgc, objname, ra, dec, fov, pa }');
  const { ra, dec, fovArcmin } = checkSkyRequest({ ra: galaxy.ra, dec: galaxy.dec, fovArcmin: galaxy.fov });
  if (typeof galaxy.pa !== 'number' || !Number.isFinite(galaxy.pa)) throw new AsterismError('E_INVALID_ARGUMENT', `pa must be a finite number of degrees, got ${String(galaxy.pa)}`);
  const source = resolveImageSource(options.imageSource);
  const { signal, timeoutMs, modelsDir, intraOpThreads } = options;
  const sky = await source.fetch({ ra, dec, fovArcmin }, { signal, timeoutMs });
  const cutout = skyCutout(sky, { ra, dec, fovArcmin, majorAxisPa: galaxy.pa, size: MODEL_INPUT_SIZE });
  // The cutout is already turned: incline() must not turn it again, so no pa here.
  const result = await incline(cutout, { signal, modelsDir, intraOpThreads });
  return { galaxy, result, origin: sky.origin, ...(options.keepCutout ? { cutout } : {}) };
}

/**
 * The inclination of the galaxy at (`ra`, `dec`), degrees, in a field of `fovArcmin`
 * (IncliNET: 1.5 × D25) with its major axis at position angle `pa`, as IncliNET's getFOV.
 * The galaxy record has no PGC number and an IAU-style coordinate name.
 *
 * @throws AsterismError as {@link inclineGalaxy}.
 *
 * @example
 * ```ts
 * import { inclineAt } from 'asterism';
 * const { result, origin } = await inclineAt(339.2673, 34.4156, 14, { pa: 169 });
 * console.log(result.inclinations.summary.median, origin);
 * ```
 */
export function inclineAt(ra: number, dec: number, fovArcmin: number, options: InclineAtOptions = {}): Promise<InclineSkyResult> {
  try {
    checkOptions(options);
    const pa = options.pa ?? 0;
    if (typeof pa !== 'number' || !Number.isFinite(pa)) throw new AsterismError('E_INVALID_ARGUMENT', `pa must be a finite number of degrees, got ${String(pa)}`);
    const request = checkSkyRequest({ ra, dec, fovArcmin });
    return inclineGalaxy({ pgc: null, objname: coordinateName(request.ra, request.dec), ra: request.ra, dec: request.dec, fov: request.fovArcmin, pa }, options);
  } catch (e) {
    return Promise.reject(e);
  }
}

async function catalogFor(options: InclineByCatalogOptions): Promise<GalaxyCatalog> {
  checkOptions(options);
  if (options.catalog !== undefined) {
    if (typeof options.catalog?.byPgc !== 'function') throw new AsterismError('E_INVALID_ARGUMENT', 'catalog must be a GalaxyCatalog from loadGalaxyCatalog()');
    return options.catalog;
  }
  return loadGalaxyCatalog(options.catalogs?.length ? { userCatalogs: options.catalogs } : {});
}

/**
 * The inclination of the galaxy with this PGC number, framed by the catalogue (1.5 × D25, its
 * PA), as IncliNET's getPGC.
 *
 * @throws AsterismError `E_NOT_FOUND` when the catalogue has no such galaxy or no size for it;
 *   otherwise as {@link inclineGalaxy}.
 *
 * @example
 * ```ts
 * import { inclineByPgc, inclinetResponse } from 'asterism';
 * const r = await inclineByPgc(69327, { catalogs: ['my-galaxies.csv'] });
 * console.log(JSON.stringify(inclinetResponse(r)));
 * ```
 */
export async function inclineByPgc(pgc: number, options: InclineByCatalogOptions = {}): Promise<InclineSkyResult> {
  if (typeof pgc !== 'number' || !Number.isSafeInteger(pgc) || pgc <= 0) {
    throw new AsterismError('E_INVALID_ARGUMENT', `a PGC number must be a positive whole number, got ${String(pgc)}`);
  }
  const catalog = await catalogFor(options);
  return inclineGalaxy(inclinetFraming(findGalaxy(catalog, pgc)), options);
}

/**
 * The inclination of the galaxy with this name ('NGC 7331', 'M31', 'Sombrero', 'PGC 2557'),
 * framed by the catalogue (1.5 × D25, its PA), as IncliNET's getObj.
 *
 * @throws AsterismError `E_NOT_FOUND` when the catalogue knows no galaxy of that name or no size
 *   for it; otherwise as {@link inclineGalaxy}.
 *
 * @example
 * ```ts
 * import { inclineByName } from 'asterism';
 * const { galaxy, result } = await inclineByName('NGC 4565', { imageSource: 'sdss' });
 * console.log(galaxy.pgc, galaxy.fov, result.inclinations.summary.median);
 * ```
 */
export async function inclineByName(name: string, options: InclineByCatalogOptions = {}): Promise<InclineSkyResult> {
  if (typeof name !== 'string' || name.trim() === '') throw new AsterismError('E_INVALID_ARGUMENT', `a galaxy name must be a non-empty string, got ${JSON.stringify(name)}`);
  const catalog = await catalogFor(options);
  return inclineGalaxy(inclinetFraming(findGalaxy(catalog, name)), options);
}

/**
 * IncliNET's JSON answer for a result: `{"status": "success", "galaxy": {"pgc", "ra":
 * "339.2673 deg", "dec": "34.4156 deg", "fov": "14.00 arcmin", "pa": "169.0 deg", "objname"},
 * "inclinations": {…}, "rejection_likelihood": {…}}`.
 *
 * @example
 * ```ts
 * res.json(inclinetResponse(await inclineByPgc(Number(req.query.pgc))));
 * ```
 */
export function inclinetResponse(r: InclineSkyResult): InclinetResponse {
  const { galaxy, result } = r;
  return {
    status: 'success',
    galaxy: {
      pgc: galaxy.pgc,
      ra: `${galaxy.ra.toFixed(4)} deg`,
      dec: `${galaxy.dec.toFixed(4)} deg`,
      fov: `${galaxy.fov.toFixed(2)} arcmin`,
      pa: `${galaxy.pa.toFixed(1)} deg`,
      objname: galaxy.objname,
    },
    inclinations: result.inclinations,
    rejection_likelihood: result.rejection_likelihood,
  };
}
