/**
 * Loads the C++ addon once: a matching prebuild from prebuilds/<platform>-<arch>/ first, then
 * the node-gyp build. When neither loads (or ASTERISM_FORCE_JS=1), callers get `null` and use
 * the TypeScript twins; the reason is written once to stderr.
 */
import { createRequire } from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import type { DetectOptions } from '../detect/types.js';

/** Raw detect result from C++: one Float64Array per column, brightest first. */
export interface NativeDetectResult {
  x: Float64Array;
  y: Float64Array;
  flux: Float64Array;
  peak: Float64Array;
  background: Float64Array;
  snr: Float64Array;
  stats: NativeDetectStats;
}

export interface NativeDetectStats {
  noise: number;
  smoothedNoise: number;
  backgroundMedian: number;
  maskedPixels: number;
  significantPixels: number;
  peaks: number;
  hotPixels: number;
  lowContrast: number;
}

/** The detection tuning the addon reads: the numeric fields of DetectOptions, nothing else. */
export type NativeDetectParams = Pick<DetectOptions, 'backgroundBox' | 'psfSigma' | 'threshold' | 'saddle' | 'hotPixelRatio' | 'contrast' | 'apertureRadius' | 'maxStars'>;

/** Raw FITS decode result from C++ (see native/fits/fits.h). */
export interface NativeFitsResult {
  width: number;
  height: number;
  bitpix: number;
  /** Index of the HDU the image came from (0 = primary). */
  hdu: number;
  /** Physical values (BZERO/BSCALE applied), NaN for BLANK; Float64Array for BITPIX -64, Float32Array otherwise. */
  pixels: Float32Array | Float64Array;
  /** [keyword, rawValue, comment] per card, in file order. */
  cards: Array<[string, string, string]>;
}

/** Coordinates of a kd-tree: doubles, or integers quantised as astrometry.net stores its trees. */
export type NativeKdPointArray = Float64Array | Uint32Array | Uint16Array;

/** A kd-tree as the addon reads it (see native/kdtree/kdtree.h); the arrays are borrowed. */
export interface NativeKdTree {
  dim: number;
  count: number;
  levels: number;
  /** count × dim coordinates in tree order, in tree units. */
  points: NativeKdPointArray;
  /** Original index of each point in tree order; absent means the tree positions. */
  ids?: Uint32Array;
  /** Per node (2^levels − 1 of them): dim minima, then dim maxima; same type as `points`. */
  bounds: NativeKdPointArray;
  /** Integer trees only: real_d = offset[d] + scale × stored_d. */
  quantisation?: { offset: Float64Array; scale: number };
}

/**
 * A tree checked once by kdtreeOpen, accepted by the searches in place of the tree; it keeps the
 * tree's arrays alive until it is garbage-collected. Opaque.
 */
export interface NativeKdTreeHandle {
  readonly __kdTreeHandle: unique symbol;
}

/** What kdtreeBuild returns: the tree's arrays, newly allocated and owned by JavaScript. */
export interface NativeKdTreeBuild {
  points: Float64Array;
  ids: Uint32Array;
  bounds: Float64Array;
  levels: number;
}

/** Results of a batch range search: the ids of query i are ids[offsets[i] .. offsets[i + 1]). */
export interface NativeRangeSearchBatch {
  ids: Uint32Array;
  offsets: Uint32Array;
}

/** The functions the addon exports. */
export interface NativeAddon {
  abiVersion: number;
  detect(pixels: Float32Array, width: number, height: number, params: NativeDetectParams, cancel?: Int32Array): Promise<NativeDetectResult>;
  detectSync(pixels: Float32Array, width: number, height: number, params: NativeDetectParams): NativeDetectResult;
  fitsRead(bytes: Uint8Array, maxPixels: number): Promise<NativeFitsResult>;
  fitsReadSync(bytes: Uint8Array, maxPixels: number): NativeFitsResult;
  kdtreeBuild(points: Float64Array, dim: number, leafSize: number): NativeKdTreeBuild;
  kdtreeBuildAsync(points: Float64Array, dim: number, leafSize: number): Promise<NativeKdTreeBuild>;
  kdtreeOpen(tree: NativeKdTree): NativeKdTreeHandle;
  kdtreeRangeSearch(tree: NativeKdTree | NativeKdTreeHandle, query: Float64Array, radius: number): Uint32Array;
  kdtreeRangeSearchBatch(tree: NativeKdTree | NativeKdTreeHandle, queries: Float64Array, radius: number): NativeRangeSearchBatch;
  /** The batch search on the libuv pool, split among `threads` threads (default min(2, cores)). */
  kdtreeRangeSearchBatchAsync(tree: NativeKdTree | NativeKdTreeHandle, queries: Float64Array, radius: number, threads?: number): Promise<NativeRangeSearchBatch>;
  /**
   * Bayesian verification of one hypothesis (native/verify/verify.h), synchronous. Writes
   * [logOdds, bestLogOdds, bestAt, evaluated, matched, conflicts] into `summary` (≥ 6 values)
   * and returns the per-field-star matches; maxFieldStars is an integer ≥ 0 or Infinity.
   */
  verifyHypothesis(fieldXY: Float64Array, indexXY: Float64Array, indexSigma2: Float64Array, skipField: Uint32Array, skipIndex: Uint32Array, width: number, height: number, distractorFraction: number, maxFieldStars: number, logOddsBail: number, logOddsStop: number, summary: Float64Array): Int32Array;
}

const EXPECTED_ABI = 1;


let cached: NativeAddon | null | undefined;
let warned = false;

function warnOnce(message: string): void {
  if (warned) return;
  warned = true;
  process.stderr.write(`asterism: ${message}; using the slower TypeScript implementation\n`);
}

function prebuildCandidates(): string[] {
  const dir = join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`);
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir).filter((f) => f.endsWith('.node'));
  // prebuildify names files <name>.<tags>.node; prefer the one tagged with this libc.
  const libc = process.report?.getReport ? (((process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime) ? 'glibc' : 'musl') : 'glibc';
  const rank = (f: string) => (f.includes(libc) ? 0 : f.includes('glibc') || f.includes('musl') ? 2 : 1);
  return files.sort((a, b) => rank(a) - rank(b)).filter((f) => rank(f) < 2).map((f) => join(dir, f));
}

function tryLoad(require: NodeRequire): { addon: NativeAddon | null; errors: string[] } {
  const errors: string[] = [];
  for (const file of prebuildCandidates()) {
    try {
      const addon = require(file) as NativeAddon;
      if (addon.abiVersion === EXPECTED_ABI) return { addon, errors };
      errors.push(`${file}: ABI ${addon.abiVersion}, expected ${EXPECTED_ABI}`);
    } catch (e) {
      errors.push(`${file}: ${(e as Error).message}`);
    }
  }
  try {
    const bindings = require('bindings') as (opts: { bindings: string; module_root: string }) => NativeAddon;
    const addon = bindings({ bindings: 'asterism', module_root: packageRoot });
    if (addon.abiVersion === EXPECTED_ABI) return { addon, errors };
    errors.push(`build: ABI ${addon.abiVersion}, expected ${EXPECTED_ABI}`);
  } catch (e) {
    errors.push(((e as Error).message ?? String(e)).split('\n')[0]);
  }
  return { addon: null, errors };
}

/** True when ASTERISM_FORCE_JS asks for the TypeScript implementations. */
export function forceJs(): boolean {
  const v = process.env.ASTERISM_FORCE_JS;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** The addon, or null when the TypeScript twins must be used. */
export function nativeAddon(): NativeAddon | null {
  if (forceJs()) return null;
  if (cached !== undefined) return cached;
  const { addon, errors } = tryLoad(createRequire(import.meta.url));
  cached = addon;
  if (!addon) warnOnce(`the native addon could not be loaded (${errors.join('; ') || 'not built'})`);
  return cached;
}

/** Which implementation the hot paths use right now. */
export function backend(): 'native' | 'js' {
  return nativeAddon() ? 'native' : 'js';
}
