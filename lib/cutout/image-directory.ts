/**
 * A local directory of images with WCS as an image source: plates, survey tiles or the user's
 * own solved frames. Each image is placed by the WCS in its FITS header or by a sidecar `.wcs`
 * header file beside it (as solve-field writes one), and the one that shows the requested field
 * best is returned whole; the caller cuts from it.
 */
import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import sharp from 'sharp';
import { AsterismError, isAsterismError } from '../errors.js';
import type { Image } from '../image/image.js';
import { fitsCardValue, listFitsHdus, openFitsFile, type FitsHdu } from '../image/fits-table.js';
import { DEFAULT_MAX_PIXELS, loadImage } from '../image/load.js';
import { tanDeproject } from '../sky/tan.js';
import { vecToRadec } from '../sky/vector.js';
import { wcsFromFitsCards, wcsPixelScaleArcsec, wcsSkyToPixel, type Wcs } from '../sky/wcs.js';
import { checkLimit, DEFAULT_IMAGE_TIMEOUT_MS, imageSourceError, startDeadline, type Deadline } from './fetch-image.js';
import { checkSkyRequest } from './sdss.js';
import type { ImageSource, ImageSourceFetchOptions, SkyImage } from './types.js';

/** Options for {@link imageDirectorySource}. */
export interface ImageDirectorySourceOptions {
  /** Refuse images with more pixels than this (default 250 million). */
  maxPixels?: number;
  /** Default time limit per fetch, milliseconds (default 30 000). */
  timeoutMs?: number;
  /** How deep subdirectories are searched (default 8; 0: the directory itself only). */
  maxDepth?: number;
}

const FITS_EXTENSIONS = new Set(['.fits', '.fit', '.fts']);
const RASTER_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.webp', '.gif']);
const DEFAULT_MAX_DEPTH = 8;
/** Points per side of the grid over the requested field that measures an image's coverage. */
const COVERAGE_GRID = 9;
/**
 * Coverage is compared in steps of 5 %: between images that show the field about equally well
 * the finer scale wins, rather than whichever covers a sliver more.
 */
const COVERAGE_STEP = 0.05;

/** One indexed image: where it is, its size and the WCS that places it. */
interface IndexedImage {
  /** Resolved path, inside the directory. */
  path: string;
  width: number;
  height: number;
  wcs: Wcs;
  scaleArcsec: number;
}

interface DirectoryIndex {
  images: IndexedImage[];
  /** Image files left out: no WCS, unreadable header, unreadable size. */
  skipped: string[];
}

/** True when `path` (resolved) is `root` or inside it. */
function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** The first HDU holding an image, as decodeFits chooses it: the primary if it has 2+ axes, else the first IMAGE extension. */
function imageHdu(hdus: FitsHdu[]): FitsHdu | undefined {
  return hdus.find((h) => (h.kind === 'primary' || h.kind === 'image') && Number(fitsCardValue(h.cards, 'NAXIS') ?? 0) >= 2);
}

function readHeaders(path: string): FitsHdu[] {
  const file = openFitsFile(path);
  try {
    return listFitsHdus(file);
  } finally {
    file.close();
  }
}

/** The WCS of a sidecar `.wcs` header file next to `path` (`name.wcs`, then `name.ext.wcs`), or undefined. */
async function sidecarWcs(root: string, path: string): Promise<Wcs | undefined> {
  const base = join(dirname(path), basename(path, extname(path)));
  for (const candidate of [`${base}.wcs`, `${path}.wcs`]) {
    let real: string;
    try {
      real = await realpath(candidate);
    } catch {
      continue;
    }
    if (!inside(root, real) || !(await stat(real)).isFile()) continue;
    const hdus = readHeaders(real);
    return wcsFromFitsCards(hdus[0].cards);
  }
  return undefined;
}

/** Indexes one image file, or says why not. */
async function indexImage(root: string, path: string): Promise<IndexedImage | string> {
  const name = path.slice(root.length + 1) || basename(path);
  try {
    let width: number, height: number;
    let wcs: Wcs | undefined;
    if (FITS_EXTENSIONS.has(extname(path).toLowerCase())) {
      const hdu = imageHdu(readHeaders(path));
      if (!hdu) return `${name}: no image in the FITS file`;
      width = Number(fitsCardValue(hdu.cards, 'NAXIS1'));
      height = Number(fitsCardValue(hdu.cards, 'NAXIS2'));
      try {
        wcs = wcsFromFitsCards(hdu.cards);
      } catch {
        wcs = undefined;
      }
    } else {
      const meta = await sharp(path, { limitInputPixels: false }).metadata();
      width = meta.width ?? 0;
      height = meta.pageHeight ?? meta.height ?? 0;
    }
    if (!(width > 0 && height > 0)) return `${name}: no size`;
    wcs ??= await sidecarWcs(root, path);
    if (!wcs) return `${name}: no WCS (neither in a FITS header nor in a .wcs file beside it)`;
    return { path, width, height, wcs, scaleArcsec: wcsPixelScaleArcsec(wcs) };
  } catch (e) {
    return `${name}: ${(e as Error)?.message ?? String(e)}`;
  }
}

/** Every image file under `root` (resolved), depth first, in name order; symbolic links leading outside are ignored. */
async function listImages(root: string, maxDepth: number): Promise<string[]> {
  const found: string[] = [];
  const visited = new Set<string>();
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (visited.has(dir)) return;
    visited.add(dir);
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      let path = join(dir, entry.name);
      let isDirectory = entry.isDirectory(), isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          path = await realpath(path);
          const info = await stat(path);
          isDirectory = info.isDirectory();
          isFile = info.isFile();
        } catch {
          continue;
        }
        // A link may point anywhere; only what stays inside the directory is read.
        if (!inside(root, path)) continue;
      }
      if (isDirectory && depth < maxDepth) await walk(path, depth + 1);
      const ext = extname(entry.name).toLowerCase();
      if (isFile && (FITS_EXTENSIONS.has(ext) || RASTER_EXTENSIONS.has(ext))) found.push(path);
    }
  };
  await walk(root, 0);
  return found;
}

/** The fraction of the requested square (on its own tangent plane) that falls on the image. */
function coverage(image: IndexedImage, ra: number, dec: number, fovArcmin: number): number {
  let hits = 0;
  const half = fovArcmin / 120;
  for (let i = 0; i < COVERAGE_GRID; i++) {
    for (let j = 0; j < COVERAGE_GRID; j++) {
      const east = -half + (2 * half * i) / (COVERAGE_GRID - 1);
      const north = -half + (2 * half * j) / (COVERAGE_GRID - 1);
      const sky = vecToRadec(tanDeproject({ ra, dec }, east, north));
      if (onImage(image, sky.ra, sky.dec)) hits++;
    }
  }
  return hits / (COVERAGE_GRID * COVERAGE_GRID);
}

function onImage(image: IndexedImage, ra: number, dec: number): boolean {
  let p: { x: number; y: number } | null;
  try {
    p = wcsSkyToPixel(image.wcs, ra, dec);
  } catch {
    return false;
  }
  return p !== null && p.x >= -0.5 && p.x <= image.width - 0.5 && p.y >= -0.5 && p.y <= image.height - 0.5;
}

/**
 * A local directory of images with WCS as an {@link ImageSource}. FITS files (.fits, .fit, .fts)
 * are placed by the WCS in their header; those without one, and JPEG, PNG, TIFF, WebP and GIF
 * files, by a sidecar FITS header file `<name>.wcs` (or `<name>.<ext>.wcs`) beside them, as
 * solve-field writes. Subdirectories are searched; symbolic links leading out of the directory
 * are ignored, and nothing outside it is read.
 *
 * The directory is indexed (headers only) at the first fetch and not again: make a new source
 * to see files added later. A fetch returns, whole, the image whose pixels contain the requested
 * centre and that covers most of the requested field (in steps of 5 %), at the finest scale
 * among those, and keeps the last image loaded for the next fetch.
 *
 * @param dir - the directory.
 * @throws AsterismError `E_INVALID_ARGUMENT` for options of the wrong type. Fetches reject with
 *   `E_IMAGE_SOURCE` when the directory cannot be read or no image covers the position.
 *
 * @example
 * ```ts
 * const plates = imageDirectorySource('/data/plates');
 * const sky = await plates.fetch({ ra: 10.6848, dec: 41.2690, fovArcmin: 270 });
 * console.log(sky.origin); // '/data/plates/m31-mosaic.fits'
 * ```
 */
export function imageDirectorySource(dir: string, options: ImageDirectorySourceOptions = {}): ImageSource {
  if (typeof dir !== 'string' || dir === '') throw new AsterismError('E_INVALID_ARGUMENT', `an image directory must be a path, got ${String(dir)}`);
  const maxPixels = checkLimit('maxPixels', options.maxPixels, DEFAULT_MAX_PIXELS);
  const defaultTimeout = checkLimit('timeoutMs', options.timeoutMs, DEFAULT_IMAGE_TIMEOUT_MS);
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (!Number.isInteger(maxDepth) || maxDepth < 0) throw new AsterismError('E_INVALID_ARGUMENT', `maxDepth must be a whole number >= 0, got ${String(maxDepth)}`);
  const description = resolve(dir);
  let index: Promise<DirectoryIndex> | undefined;
  let last: { path: string; image: Image } | undefined;

  const buildIndex = async (): Promise<DirectoryIndex> => {
    let root: string;
    try {
      root = await realpath(description);
      if (!(await stat(root)).isDirectory()) throw new Error('not a directory');
    } catch (e) {
      throw imageSourceError(description, `cannot read the image directory: ${(e as NodeJS.ErrnoException)?.code === 'ENOENT' ? 'it does not exist' : (e as Error).message}`, e);
    }
    const images: IndexedImage[] = [];
    const skipped: string[] = [];
    for (const path of await listImages(root, maxDepth)) {
      const entry = await indexImage(root, path);
      if (typeof entry === 'string') skipped.push(entry);
      else images.push(entry);
    }
    return { images, skipped };
  };

  const choose = ({ images, skipped }: DirectoryIndex, ra: number, dec: number, fovArcmin: number): IndexedImage => {
    const candidates = images
      .filter((image) => onImage(image, ra, dec))
      .map((image) => ({ image, covered: Math.floor(coverage(image, ra, dec, fovArcmin) / COVERAGE_STEP + 1e-9) }))
      .sort((a, b) => b.covered - a.covered || a.image.scaleArcsec - b.image.scaleArcsec || (a.image.path < b.image.path ? -1 : 1));
    if (candidates.length > 0) return candidates[0].image;
    const indexed = `${images.length} image${images.length === 1 ? '' : 's'} with a WCS`;
    const left = skipped.length ? `; ${skipped.length} left out: ${skipped.slice(0, 3).join('; ')}${skipped.length > 3 ? '; …' : ''}` : '';
    throw imageSourceError(description, `no image at this position: none of the ${indexed} in the directory contains RA ${ra}°, Dec ${dec}°${left}`);
  };

  return {
    description,
    async fetch(request, fetchOptions: ImageSourceFetchOptions = {}): Promise<SkyImage> {
      const { ra, dec, fovArcmin } = checkSkyRequest(request);
      const timeoutMs = checkLimit('timeoutMs', fetchOptions.timeoutMs, defaultTimeout);
      const deadline: Deadline = startDeadline(fetchOptions.signal, timeoutMs, `reading an image from ${description}`);
      try {
        deadline.check();
        index ??= buildIndex().catch((e: unknown) => {
          // A directory that could not be read may be readable later.
          index = undefined;
          throw e;
        });
        const chosen = choose(await index, ra, dec, fovArcmin);
        deadline.check();
        if (last?.path !== chosen.path) {
          let image: Image;
          try {
            image = await loadImage(chosen.path, { maxPixels, signal: deadline.signal });
          } catch (e) {
            deadline.check();
            // loadImage's messages already name the file.
            throw imageSourceError(description, isAsterismError(e) ? e.message : `cannot read ${chosen.path}: ${String(e)}`, e);
          }
          last = { path: chosen.path, image };
        }
        return { image: last.image, wcs: chosen.wcs, origin: chosen.path };
      } catch (e) {
        deadline.fail(e);
      } finally {
        deadline.dispose();
      }
    },
  };
}
