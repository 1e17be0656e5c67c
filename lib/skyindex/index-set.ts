/**
 * A set of sub-indices loaded together: asterism's own files (`*.idx`, container magic
 * `ASTERIDX`) and astrometry.net index files (`*.fits`) side by side, each turned into the same
 * in-memory {@link SubIndex}, plus the choice of which ones can solve an image of a given width.
 *
 * astrometry.net files keep their own kd-tree layout, so their trees are rebuilt here (as
 * doubles) and their stars, magnitudes and quads put into the new trees' order: afterwards a
 * sub-index from either kind of file is used the same way (./subindex.ts).
 */
import { open, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { AsterismError } from '../errors.js';
import { radToDeg } from '../sky/vector.js';
import type { QuadSize } from '../solve/quad-code.js';
import { readAnetIndex } from './anet.js';
import { INDEX_MAGIC } from './container.js';
import { buildKdTree, DEFAULT_KD_LEAF_SIZE } from './kdtree.js';
import type { SubIndex } from './subindex.js';
import { loadSubIndex } from './subindex-file.js';

/**
 * Smallest quad diameter, as a fraction of the image width, that the solver looks for. Quads
 * span from this fraction up to the whole width: astrometry.net's solve-field uses the same
 * defaults (--quad-size-min 0.1, --quad-size-max 1.0), since smaller quads have too few pixels
 * between their stars for a precise code and larger ones rarely fit in the frame.
 */
export const QUAD_MIN_FRACTION_OF_WIDTH = 0.1;

/** Where a sub-index came from. */
export type IndexFileFormat = 'asterism' | 'astrometry.net';

/** One loaded sub-index. */
export interface IndexSetEntry {
  /** The file it was read from. */
  path: string;
  format: IndexFileFormat;
  index: SubIndex;
  /** For astrometry.net files: the HEALPix the file covers (−1 all-sky) and its nside. */
  healpix?: { pixel: number; nside: number };
}

/** Sub-indices loaded by {@link loadIndex}. */
export interface IndexSet {
  /** In the order the paths were given; a directory's files sorted by name. */
  subIndices: IndexSetEntry[];
  /**
   * The sub-indices whose quads can appear in images between `widthDegLow` and `widthDegHigh`
   * degrees wide: a quad fits when its diameter is at most the width and at least
   * {@link QUAD_MIN_FRACTION_OF_WIDTH} of it, so a sub-index with diameters [lo, hi] serves
   * widths [lo, hi / 0.1] and is chosen when that interval meets the requested one.
   */
  select(widthDegLow: number, widthDegHigh: number): IndexSetEntry[];
}

/** Options of {@link loadIndex}. */
export interface LoadIndexOptions {
  signal?: AbortSignal;
}

/** Image widths, degrees, that a sub-index with quad diameters [lo, hi] degrees serves (see {@link IndexSet.select}). */
export function servedWidthsDeg(index: SubIndex): { low: number; high: number } {
  return { low: index.meta.scaleLowerDeg, high: index.meta.scaleUpperDeg / QUAD_MIN_FRACTION_OF_WIDTH };
}

const FITS_MAGIC = 'SIMPLE  =';

async function leadingBytes(path: string, n: number): Promise<string> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(n);
    const { bytesRead } = await file.read(buffer, 0, n, 0);
    return buffer.subarray(0, bytesRead).toString('latin1');
  } finally {
    await file.close();
  }
}

function ioError(path: string, e: unknown): AsterismError {
  return new AsterismError('E_IO', `cannot read the index ${path}: ${(e as Error).message}`, { cause: e });
}

/** Turns an astrometry.net index into a SubIndex (trees built here; see the module comment). */
function fromAnet(path: string): Pick<IndexSetEntry, 'index' | 'healpix'> {
  let anet;
  try {
    anet = readAnetIndex(path);
  } catch (e) {
    if (e instanceof AsterismError && (e.code === 'E_INDEX_FORMAT' || e.code === 'E_FITS_HEADER')) {
      throw new AsterismError('E_INDEX_FORMAT', `${path}: ${e.message}`, { cause: e });
    }
    throw e;
  }
  const fileMags = anet.mags ?? new Float32Array(anet.starCount).fill(NaN);
  let magLimit = -Infinity;
  for (const m of fileMags) if (m > magLimit) magLimit = m;
  const starTree = buildKdTree(anet.stars, 3);
  const codeTree = buildKdTree(anet.codes, anet.codeDim);
  const starIds = starTree.ids!, codeIds = codeTree.ids!;
  const treeStarOf = new Uint32Array(anet.starCount);
  const mags = new Float32Array(anet.starCount);
  for (let t = 0; t < anet.starCount; t++) {
    treeStarOf[starIds[t]] = t;
    mags[t] = fileMags[starIds[t]];
  }
  const k = anet.dimQuads;
  const quads = new Uint32Array(anet.quadCount * k);
  for (let q = 0; q < anet.quadCount; q++) {
    for (let s = 0; s < k; s++) quads[q * k + s] = treeStarOf[anet.quads[codeIds[q] * k + s]];
  }
  const index: SubIndex = {
    meta: {
      kind: 'asterism-subindex',
      indexId: anet.indexId,
      dimQuads: anet.dimQuads as QuadSize,
      codeDim: anet.codeDim,
      scaleLowerDeg: radToDeg(anet.scaleLowerRad),
      scaleUpperDeg: radToDeg(anet.scaleUpperRad),
      quadNside: 0,
      starNside: 0,
      starsPerCell: 0,
      passes: 0,
      maxStarUse: 0,
      starCount: anet.starCount,
      quadCount: anet.quadCount,
      kdLeafSize: DEFAULT_KD_LEAF_SIZE,
      cellCoverage: 0,
      catalog: { source: basename(path), stars: anet.starCount, magLimit: Number.isFinite(magLimit) ? magLimit : NaN },
    },
    stars: { ...starTree, ids: undefined },
    mags,
    quads,
    codes: { ...codeTree, ids: undefined },
  };
  return { index, healpix: { pixel: anet.healpix, nside: anet.hpNside } };
}

async function loadFile(path: string): Promise<IndexSetEntry> {
  let head: string;
  try {
    head = await leadingBytes(path, 9);
  } catch (e) {
    throw ioError(path, e);
  }
  if (head.startsWith(INDEX_MAGIC)) {
    const index = await loadSubIndex(path);
    return { path, format: 'asterism', index };
  }
  if (head === FITS_MAGIC) return { path, format: 'astrometry.net', ...fromAnet(path) };
  throw new AsterismError('E_INDEX_FORMAT', `${path} is neither an asterism index (magic ${INDEX_MAGIC}) nor an astrometry.net index (FITS)`);
}

/** The index files of a directory (not its subdirectories), sorted by name. */
async function indexFilesIn(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw ioError(dir, e);
  }
  const files = names.filter((n) => n.endsWith('.idx') || n.endsWith('.fits')).sort().map((n) => join(dir, n));
  if (files.length === 0) throw new AsterismError('E_INVALID_ARGUMENT', `no index files (*.idx, *.fits) were found in ${dir}`);
  return files;
}

/**
 * Loads sub-indices from files and directories. A directory contributes every `*.idx` and
 * `*.fits` file directly inside it. Files are recognised by content, not by name.
 *
 * @example
 * ```ts
 * const set = await loadIndex(['indexes/', '/usr/share/astrometry/index-tycho2-12.littleendian.fits']);
 * for (const { path, index } of set.select(0.5, 2)) console.log(path, index.meta.quadCount);
 * ```
 * @throws AsterismError `E_IO` for a missing or unreadable path, `E_INDEX_FORMAT` for a file of
 *   neither kind (or a corrupt one), `E_INVALID_ARGUMENT` for a directory without index files,
 *   `E_ABORTED`.
 */
export async function loadIndex(paths: string[] | string, options: LoadIndexOptions = {}): Promise<IndexSet> {
  const list = typeof paths === 'string' ? [paths] : paths;
  if (list.length === 0) throw new AsterismError('E_INVALID_ARGUMENT', 'loadIndex needs at least one path');
  const aborted = () => {
    if (options.signal?.aborted) throw new AsterismError('E_ABORTED', 'loading the indexes was aborted');
  };
  const subIndices: IndexSetEntry[] = [];
  for (const path of list) {
    aborted();
    let info;
    try {
      info = await stat(path);
    } catch (e) {
      throw ioError(path, e);
    }
    const files = info.isDirectory() ? await indexFilesIn(path) : [path];
    for (const file of files) {
      aborted();
      subIndices.push(await loadFile(file));
    }
  }
  return {
    subIndices,
    select(widthDegLow, widthDegHigh) {
      if (!(widthDegLow > 0 && widthDegHigh >= widthDegLow)) {
        throw new AsterismError('E_INVALID_ARGUMENT', `image widths must satisfy 0 < low ≤ high degrees, got ${widthDegLow}–${widthDegHigh}`);
      }
      return subIndices.filter((e) => {
        const served = servedWidthsDeg(e.index);
        return served.low <= widthDegHigh && served.high >= widthDegLow;
      });
    },
  };
}
