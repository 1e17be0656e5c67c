/**
 * The sky index's kd-tree (Lang et al. 2010, section 2.3): a pointer-free balanced tree over quad
 * codes (4-D) or star unit vectors (3-D), answering "all points within r of this one". Chooses
 * the native addon when it loads and the TypeScript twin (./kdtree.js.ts) otherwise; both build
 * the same bytes and return the same ids.
 */
import { AsterismError, fromNativeError } from '../errors.js';
import { nativeAddon, type NativeKdTreeBuild } from '../native/addon.js';
import { buildKdTreeJs, kdTreeLevels, kdTreeNodeCount, rangeSearchBatchJs, rangeSearchJs } from './kdtree.js.js';

/**
 * Points per leaf the tree aims for (leaves end up with between leafSize and 2 × leafSize points);
 * 16 is a few cache lines of 4-D codes, small enough that testing a leaf costs little more than
 * deciding whether to descend into it.
 */
export const DEFAULT_KD_LEAF_SIZE = 16;

/** Most coordinates per point; matches kMaxDim in native/kdtree/kdtree.h. */
const MAX_DIM = 64;
/** Ids are uint32 (kMaxPoints in native/kdtree/kdtree.h). */
const MAX_POINTS = 0xffffffff;
/** Matches kMaxLevels in native/kdtree/kdtree.h. */
const MAX_LEVELS = 31;

/**
 * A balanced kd-tree in its on-disk layout, so a tree read from an index file is used in place.
 *
 * It is an implicit complete binary tree: node 0 is the root, node k has children 2k+1 and 2k+2,
 * there are `levels` levels (2^levels − 1 nodes) and the last level's nodes are the leaves. A
 * node's point range is computed, not stored: the root holds [0, count) and a node [lo, hi)
 * splits at mid = lo + ⌊(hi − lo) / 2⌋ into [lo, mid) and [mid, hi).
 */
export interface KdTree {
  /** Coordinates per point (4 for quad codes, 3 for unit vectors). */
  readonly dim: number;
  /** Number of points. */
  readonly count: number;
  /** Levels of the implicit tree: max(1, ⌈log2(⌈count / leafSize⌉)⌉). */
  readonly levels: number;
  /** count × dim coordinates, in tree order. */
  readonly points: Float64Array;
  /** ids[i] is the original index (in the array given to {@link buildKdTree}) of tree point i. */
  readonly ids: Uint32Array;
  /** Per node, dim minima then dim maxima of its points: (2^levels − 1) × 2 × dim values. */
  readonly bounds: Float64Array;
}

/** Options of {@link buildKdTree}. */
export interface BuildKdTreeOptions {
  /** Target points per leaf, an integer ≥ 1; default {@link DEFAULT_KD_LEAF_SIZE}. */
  leafSize?: number;
}

/** Results of {@link rangeSearchBatch}: the ids found for query i are `ids[offsets[i] .. offsets[i + 1])`. */
export interface RangeSearchBatchResult {
  /** Original ids, query after query, each query's in ascending tree order. */
  ids: Uint32Array;
  /** queryCount + 1 offsets into `ids`. */
  offsets: Uint32Array;
}

function invalid(message: string): AsterismError {
  return new AsterismError('E_INVALID_ARGUMENT', message);
}


function isInteger(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function checkBuildArgs(points: unknown, dim: unknown, options: BuildKdTreeOptions): { points: Float64Array; dim: number; leafSize: number } {
  if (!(points instanceof Float64Array)) throw invalid('points must be a Float64Array');
  if (!isInteger(dim, 1, MAX_DIM)) throw invalid(`dim must be an integer in [1, ${MAX_DIM}], got ${String(dim)}`);
  const leafSize = options.leafSize ?? DEFAULT_KD_LEAF_SIZE;
  if (!isInteger(leafSize, 1, 2 ** 30)) throw invalid(`leafSize must be an integer ≥ 1, got ${String(leafSize)}`);
  if (points.length % dim !== 0) throw invalid(`points.length (${points.length}) must be a multiple of dim (${dim})`);
  if (points.length / dim > MAX_POINTS) throw invalid('a kd-tree holds at most 2^32 − 1 points');
  return { points, dim, leafSize };
}

function asTree(dim: number, count: number, built: NativeKdTreeBuild): KdTree {
  return { dim, count, levels: built.levels, points: built.points, ids: built.ids, bounds: built.bounds };
}

/**
 * Builds a balanced kd-tree over `points.length / dim` points. The build is canonical: each
 * internal node splits its points in half along the dimension of largest spread (ties: lowest
 * dimension; equal values ordered by original index), so the native and TypeScript builds give
 * identical bytes. Synchronous; for millions of points prefer {@link buildKdTreeAsync}.
 *
 * @param points - row-major coordinates, `dim` per point; only read, never kept.
 * @param dim - coordinates per point (1–64).
 * @param options - `leafSize` (default 16).
 * @returns a new {@link KdTree} owning new arrays.
 * @throws AsterismError `E_INVALID_ARGUMENT` for a bad dim or leafSize, a length that is not a
 *   multiple of dim, or a NaN/infinite coordinate.
 *
 * @example
 * ```ts
 * import { buildKdTree, rangeSearch } from './kdtree.js';
 * const codes = new Float64Array([0.1, 0.2, 0.3, 0.4, 0.5, 0.5, 0.5, 0.5]);
 * const tree = buildKdTree(codes, 4);
 * rangeSearch(tree, new Float64Array([0.1, 0.2, 0.3, 0.41]), 0.02); // Uint32Array [0]
 * ```
 */
export function buildKdTree(points: Float64Array, dim: number, options: BuildKdTreeOptions = {}): KdTree {
  const args = checkBuildArgs(points, dim, options);
  const count = args.points.length / args.dim;
  const addon = nativeAddon();
  if (!addon) return asTree(args.dim, count, buildKdTreeJs(args.points, args.dim, args.leafSize));
  try {
    return asTree(args.dim, count, addon.kdtreeBuild(args.points, args.dim, args.leafSize));
  } catch (e) {
    throw fromNativeError(e);
  }
}

/**
 * {@link buildKdTree} off the event loop: the native build runs on the libuv thread pool (do not
 * write to `points` until the promise settles). Without the addon it runs the TypeScript build,
 * which does block.
 *
 * @example
 * ```ts
 * const tree = await buildKdTreeAsync(codes, 4, { leafSize: 16 });
 * ```
 */
export async function buildKdTreeAsync(points: Float64Array, dim: number, options: BuildKdTreeOptions = {}): Promise<KdTree> {
  const args = checkBuildArgs(points, dim, options);
  const count = args.points.length / args.dim;
  const addon = nativeAddon();
  if (!addon) return asTree(args.dim, count, buildKdTreeJs(args.points, args.dim, args.leafSize));
  try {
    return asTree(args.dim, count, await addon.kdtreeBuildAsync(args.points, args.dim, args.leafSize));
  } catch (e) {
    throw fromNativeError(e);
  }
}

/** Checks a tree's shape so every read a search makes is in bounds (the addon checks the same). */
function checkTree(tree: unknown): KdTree {
  if (typeof tree !== 'object' || tree === null) throw invalid('tree must be a KdTree object');
  const t = tree as KdTree;
  if (!isInteger(t.dim, 1, MAX_DIM)) throw invalid('tree.dim must be an integer in [1, 64]');
  if (!isInteger(t.count, 0, MAX_POINTS)) throw invalid('tree.count must be an integer ≥ 0');
  if (!isInteger(t.levels, 1, MAX_LEVELS)) throw invalid('tree.levels must be an integer in [1, 31]');
  if (!(t.points instanceof Float64Array) || t.points.length !== t.count * t.dim) throw invalid('tree.points must be a Float64Array of count × dim values');
  if (!(t.ids instanceof Uint32Array) || t.ids.length !== t.count) throw invalid('tree.ids must be a Uint32Array of count values');
  if (!(t.bounds instanceof Float64Array) || t.bounds.length !== kdTreeNodeCount(t.levels) * 2 * t.dim) throw invalid('tree.bounds must be a Float64Array of (2^levels − 1) × 2 × dim values');
  return t;
}

function checkRadius(radius: unknown): number {
  if (typeof radius !== 'number' || !Number.isFinite(radius) || radius < 0) throw invalid(`radius must be a finite number ≥ 0, got ${String(radius)}`);
  return radius;
}

function checkQueries(queries: unknown, dim: number, name: string, single: boolean): Float64Array {
  if (!(queries instanceof Float64Array)) throw invalid(`${name} must be a Float64Array`);
  if (single ? queries.length !== dim : queries.length % dim !== 0) {
    throw invalid(`${name}.length (${queries.length}) must ${single ? 'equal' : 'be a multiple of'} tree.dim (${dim})`);
  }
  for (let i = 0; i < queries.length; i++) {
    if (!Number.isFinite(queries[i])) throw invalid(`${name} must be finite (no NaN or Infinity)`);
  }
  return queries;
}

/**
 * All points within Euclidean distance `radius` of `query`: the ids (original indices) of the
 * points p with Σ (p_d − query_d)² ≤ radius², in ascending tree order.
 *
 * @param tree - a tree from {@link buildKdTree} or read from an index; borrowed for the call.
 * @param query - `tree.dim` finite coordinates.
 * @param radius - finite, ≥ 0, in the points' units (code-space distance for quad codes).
 * @throws AsterismError `E_INVALID_ARGUMENT` for a malformed tree, query or radius.
 *
 * @example
 * ```ts
 * const near = rangeSearch(tree, new Float64Array([0.1, 0.2, 0.3, 0.4]), 0.01);
 * for (const id of near) console.log(id);
 * ```
 */
export function rangeSearch(tree: KdTree, query: Float64Array, radius: number): Uint32Array {
  const t = checkTree(tree);
  const q = checkQueries(query, t.dim, 'query', true);
  const r = checkRadius(radius);
  const addon = nativeAddon();
  if (!addon) return rangeSearchJs(t, q, r);
  try {
    return addon.kdtreeRangeSearch(t, q, r);
  } catch (e) {
    throw fromNativeError(e);
  }
}

/**
 * {@link rangeSearch} for many queries with one radius, in one call.
 *
 * @param queries - row-major, `tree.dim` coordinates per query.
 * @returns flat ids plus offsets: query i found `ids.subarray(offsets[i], offsets[i + 1])`.
 * @throws AsterismError `E_INVALID_ARGUMENT` as {@link rangeSearch}.
 *
 * @example
 * ```ts
 * const { ids, offsets } = rangeSearchBatch(tree, queries, 0.01);
 * const firstQueryHits = ids.subarray(offsets[0], offsets[1]);
 * ```
 */
export function rangeSearchBatch(tree: KdTree, queries: Float64Array, radius: number): RangeSearchBatchResult {
  const t = checkTree(tree);
  const q = checkQueries(queries, t.dim, 'queries', false);
  const r = checkRadius(radius);
  const addon = nativeAddon();
  if (!addon) return rangeSearchBatchJs(t, q, r);
  try {
    return addon.kdtreeRangeSearchBatch(t, q, r);
  } catch (e) {
    throw fromNativeError(e);
  }
}

export { kdTreeLevels, kdTreeNodeCount };

/** ids 0 … n − 1: the ids of a tree whose points are already stored in tree order. */
export function identityIds(n: number): Uint32Array {
  const ids = new Uint32Array(n);
  for (let i = 0; i < n; i++) ids[i] = i;
  return ids;
}
