/**
 * The sky index's kd-tree (Lang et al. 2010, section 2.3): a pointer-free balanced tree over quad
 * codes (4-D) or star unit vectors (3-D), answering "all points within r of this one". Chooses
 * the native addon when it loads and the TypeScript twin (./kdtree.js.ts) otherwise; both build
 * the same bytes and return the same ids.
 */
import { markAsUntransferable } from 'node:worker_threads';
import { AsterismError, fromNativeError } from '../errors.js';
import { nativeAddon, type NativeAddon, type NativeKdTreeBuild, type NativeKdTreeHandle } from '../native/addon.js';
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
 * The coordinates of a kd-tree: doubles, or unsigned integers quantised as astrometry.net stores
 * its trees (see {@link KdTree.quantisation}).
 */
export type KdPointArray = Float64Array | Uint32Array | Uint16Array;

/** How an integer tree maps its stored coordinates back to real ones. */
export interface KdQuantisation {
  /** Per dimension, the real value of stored 0: `dim` finite values. */
  readonly offset: Float64Array;
  /** Real units per stored unit, one for every dimension: finite and > 0. */
  readonly scale: number;
}

/**
 * A balanced kd-tree in its on-disk layout, so a tree read from an index file is used in place.
 *
 * It is an implicit complete binary tree: node 0 is the root, node k has children 2k+1 and 2k+2,
 * there are `levels` levels (2^levels − 1 nodes) and the last level's nodes are the leaves. A
 * node's point range is computed, not stored: the root holds [0, count) and a node [lo, hi)
 * splits at mid = lo + ⌊(hi − lo) / 2⌋ into [lo, mid) and [mid, hi).
 *
 * Coordinates are in tree units: real units for a Float64Array tree; for an integer tree (from
 * {@link quantiseKdTree} or an index file) real_d = offset[d] + scale × stored_d. Searches treat
 * the arrays as read-only and, through the addon, remember a checked tree by its array objects:
 * replace an array rather than resizing its buffer in place.
 */
export interface KdTree {
  /** Coordinates per point (4 for quad codes, 3 for unit vectors). */
  readonly dim: number;
  /** Number of points. */
  readonly count: number;
  /** Levels of the implicit tree: max(1, ⌈log2(⌈count / leafSize⌉)⌉). */
  readonly levels: number;
  /** count × dim coordinates in tree units, in tree order. */
  readonly points: KdPointArray;
  /** Per node, dim minima then dim maxima of its points: (2^levels − 1) × 2 × dim values, the same array type as `points`, in tree units. */
  readonly bounds: KdPointArray;
  /**
   * ids[i] is the original index (in the array given to {@link buildKdTree}) of tree point i.
   * Omitted: the identity, as for trees stored in tree order in index files (no array is made).
   */
  readonly ids?: Uint32Array;
  /** Required iff `points` are integers; absent for Float64Array trees. */
  readonly quantisation?: KdQuantisation;
}

/** A tree as {@link buildKdTree} returns it: doubles, with ids. */
export interface Float64KdTree extends KdTree {
  readonly points: Float64Array;
  readonly bounds: Float64Array;
  readonly ids: Uint32Array;
  readonly quantisation?: undefined;
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

function asTree(dim: number, count: number, built: NativeKdTreeBuild): Float64KdTree {
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
export function buildKdTree(points: Float64Array, dim: number, options: BuildKdTreeOptions = {}): Float64KdTree {
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
export async function buildKdTreeAsync(points: Float64Array, dim: number, options: BuildKdTreeOptions = {}): Promise<Float64KdTree> {
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
  const points = t.points;
  const integer = points instanceof Uint32Array || points instanceof Uint16Array;
  if (!(integer || points instanceof Float64Array) || points.length !== t.count * t.dim) {
    throw invalid('tree.points must be a Float64Array, Uint32Array or Uint16Array of count × dim values');
  }
  if (Object.getPrototypeOf(t.bounds) !== Object.getPrototypeOf(points) || t.bounds.length !== kdTreeNodeCount(t.levels) * 2 * t.dim) {
    throw invalid(`tree.bounds must be a ${points.constructor.name} (like tree.points) of (2^levels − 1) × 2 × dim values`);
  }
  if (t.ids !== undefined && (!(t.ids instanceof Uint32Array) || t.ids.length !== t.count)) throw invalid('tree.ids must be a Uint32Array of count values, or absent');
  const q = t.quantisation;
  if (!integer) {
    if (q !== undefined) throw invalid('a Float64Array tree must have no quantisation');
    return t;
  }
  if (typeof q !== 'object' || q === null) throw invalid('a tree with integer points needs quantisation {offset, scale}');
  if (!(q.offset instanceof Float64Array) || q.offset.length !== t.dim) throw invalid('tree.quantisation.offset must be a Float64Array of dim values');
  for (let d = 0; d < t.dim; d++) {
    if (!Number.isFinite(q.offset[d])) throw invalid('tree.quantisation.offset must be finite');
  }
  if (typeof q.scale !== 'number' || !Number.isFinite(q.scale) || !(q.scale > 0)) throw invalid('tree.quantisation.scale must be finite and > 0');
  return t;
}

/**
 * A tree the addon has checked, with what it was checked with: while the tree object still
 * holds the same arrays with the same lengths (and the same quantisation), the handle is used
 * without checking the tree again. The addon re-checks the arrays' memory on every call, so a
 * detached or resized buffer is an error, never a stale read.
 */
interface OpenedTree {
  readonly handle: NativeKdTreeHandle;
  readonly dim: number;
  readonly count: number;
  readonly levels: number;
  readonly points: KdPointArray;
  readonly pointsLength: number;
  readonly bounds: KdPointArray;
  readonly boundsLength: number;
  readonly ids: Uint32Array | undefined;
  readonly idsLength: number;
  readonly quantisation: KdQuantisation | undefined;
  readonly offset: Float64Array | undefined;
  readonly scale: number | undefined;
}

const openedTrees = new WeakMap<object, OpenedTree>();

function stillOpened(o: OpenedTree | undefined, t: KdTree): o is OpenedTree {
  if (o === undefined) return false;
  const q = t.quantisation;
  return o.points === t.points && o.bounds === t.bounds && o.ids === t.ids && o.quantisation === q &&
    o.dim === t.dim && o.count === t.count && o.levels === t.levels &&
    o.pointsLength === t.points.length && o.boundsLength === t.bounds.length && o.idsLength === (t.ids?.length ?? 0) &&
    (q === undefined || (o.offset === q.offset && o.scale === q.scale));
}

/** The addon's handle for `tree`, opening (and checking) the tree when it is new or changed. */
function nativeHandle(addon: NativeAddon, tree: KdTree): NativeKdTreeHandle {
  const cached = openedTrees.get(tree);
  if (stillOpened(cached, tree)) return cached.handle;
  const t = checkTree(tree);
  const handle = addon.kdtreeOpen(t);
  openedTrees.set(t, {
    handle, dim: t.dim, count: t.count, levels: t.levels,
    points: t.points, pointsLength: t.points.length, bounds: t.bounds, boundsLength: t.bounds.length,
    ids: t.ids, idsLength: t.ids?.length ?? 0,
    quantisation: t.quantisation, offset: t.quantisation?.offset, scale: t.quantisation?.scale,
  });
  return handle;
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
 * All points within Euclidean distance `radius` of `query`: the ids (original indices, or tree
 * positions when the tree has no ids) of the points p with Σ (p_d − q_d)² ≤ r², in ascending
 * tree order. For a Float64Array tree q = query and r = radius; for a quantised tree the
 * distance is measured in tree units, q_d = (query_d − offset_d) / scale and r = radius / scale,
 * against the stored integers (so a point's real position may be off by up to scale / 2 per
 * coordinate, see {@link quantiseKdTree}).
 *
 * Through the addon, the first search of a tree checks it once and remembers it; later searches
 * of the same tree object with the same arrays skip that check.
 *
 * @param tree - a tree from {@link buildKdTree}, {@link quantiseKdTree} or an index; borrowed for the call.
 * @param query - `tree.dim` finite coordinates, in real units.
 * @param radius - finite, ≥ 0, in real units (code-space distance for quad codes).
 * @throws AsterismError `E_INVALID_ARGUMENT` for a malformed tree (also one whose buffer was
 *   detached), query or radius.
 *
 * @example
 * ```ts
 * const near = rangeSearch(tree, new Float64Array([0.1, 0.2, 0.3, 0.4]), 0.01);
 * for (const id of near) console.log(id);
 * ```
 */
export function rangeSearch(tree: KdTree, query: Float64Array, radius: number): Uint32Array {
  const addon = nativeAddon();
  if (!addon) {
    const t = checkTree(tree);
    return rangeSearchJs(t, checkQueries(query, t.dim, 'query', true), checkRadius(radius));
  }
  try {
    const handle = nativeHandle(addon, tree);
    return addon.kdtreeRangeSearch(handle, checkQueries(query, tree.dim, 'query', true), checkRadius(radius));
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
  const addon = nativeAddon();
  if (!addon) {
    const t = checkTree(tree);
    return rangeSearchBatchJs(t, checkQueries(queries, t.dim, 'queries', false), checkRadius(radius));
  }
  try {
    const handle = nativeHandle(addon, tree);
    return addon.kdtreeRangeSearchBatch(handle, checkQueries(queries, tree.dim, 'queries', false), checkRadius(radius));
  } catch (e) {
    throw fromNativeError(e);
  }
}

/**
 * {@link rangeSearchBatch} off the event loop: the native search runs on the libuv thread pool
 * and splits the queries between up to two threads; the ids are the same as the synchronous
 * search's. The queries are copied, so they may change at once. The tree is read until the
 * promise settles, so its buffers are marked untransferable (`markAsUntransferable` from
 * node:worker_threads: a later transfer copies them instead of detaching them). Without the
 * addon it runs the TypeScript search, which does block.
 *
 * @example
 * ```ts
 * const { ids, offsets } = await rangeSearchBatchAsync(tree, queries, 0.01);
 * ```
 */
export async function rangeSearchBatchAsync(tree: KdTree, queries: Float64Array, radius: number): Promise<RangeSearchBatchResult> {
  const addon = nativeAddon();
  if (!addon) return rangeSearchBatch(tree, queries, radius);
  let pending: Promise<RangeSearchBatchResult>;
  try {
    const handle = nativeHandle(addon, tree);
    const q = checkQueries(queries, tree.dim, 'queries', false);
    const r = checkRadius(radius);
    for (const array of [tree.points, tree.bounds, tree.ids, tree.quantisation?.offset]) {
      if (array !== undefined && array.buffer instanceof ArrayBuffer) markAsUntransferable(array.buffer);
    }
    pending = addon.kdtreeRangeSearchBatchAsync(handle, q, r);
  } catch (e) {
    throw fromNativeError(e);
  }
  try {
    return await pending;
  } catch (e) {
    throw fromNativeError(e);
  }
}

/**
 * Quantises a Float64Array tree into 16- or 32-bit unsigned integers, the way astrometry.net
 * stores its trees: offset[d] is the minimum of dimension d over the points, one scale serves
 * every dimension, scale = max over d of (max_d − min_d) / (2^bits − 1) (1 when all points are
 * equal), and stored = round((real − offset[d]) / scale) clamped to [0, 2^bits − 1]. Each stored
 * coordinate is then within scale / 2 of the real one (up to the rounding of the double
 * arithmetic). The structure (levels, point order, ids) stays as built; every node's bounds are
 * recomputed as the exact minima and maxima of its stored points (an empty node gets
 * min = 2^bits − 1, max = 0). O(count × dim); the input tree is only read.
 *
 * @param tree - a Float64Array tree (from {@link buildKdTree}, say).
 * @param type - `'u16'` (a quarter of the memory of doubles) or `'u32'`.
 * @throws AsterismError `E_INVALID_ARGUMENT` for a malformed or already quantised tree,
 *   non-finite points, or points spanning a range whose scale is not a finite number > 0.
 *
 * @example
 * ```ts
 * const small = quantiseKdTree(buildKdTree(codes, 4), 'u16');
 * rangeSearch(small, code, 0.01); // radius in real units, distances in tree units
 * ```
 */
export function quantiseKdTree(tree: KdTree, type: 'u16' | 'u32'): KdTree {
  const t = checkTree(tree);
  if (type !== 'u16' && type !== 'u32') throw invalid(`type must be 'u16' or 'u32', got ${String(type)}`);
  if (!(t.points instanceof Float64Array) || !(t.bounds instanceof Float64Array)) throw invalid('only a Float64Array tree can be quantised');
  const { dim, count } = t;
  const real = t.points;
  const top = type === 'u16' ? 0xffff : 0xffffffff;
  const offset = new Float64Array(dim);
  let scale = 0;
  for (let d = 0; d < dim; d++) {
    let mn = Infinity;
    let mx = -Infinity;
    for (let i = d; i < real.length; i += dim) {
      const v = real[i];
      if (!Number.isFinite(v)) throw invalid('kd-tree points must be finite (no NaN or Infinity) to be quantised');
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    offset[d] = count > 0 ? mn + 0 : 0;
    if (count > 0) scale = Math.max(scale, (mx - mn) / top);
  }
  if (scale === 0) scale = 1;
  if (!Number.isFinite(scale) || !(scale > 0)) throw invalid('the points span a range too small or too large to quantise');
  const points = type === 'u16' ? new Uint16Array(real.length) : new Uint32Array(real.length);
  for (let i = 0; i < real.length; i++) {
    const stored = Math.floor((real[i] - offset[i % dim]) / scale + 0.5);
    points[i] = stored < 0 ? 0 : stored > top ? top : stored;
  }
  const bounds = type === 'u16' ? new Uint16Array(t.bounds.length) : new Uint32Array(t.bounds.length);
  const firstLeaf = kdTreeNodeCount(t.levels - 1);
  // Leaves from their points, internal nodes from their children (the union of their points).
  const fill = (k: number, lo: number, hi: number): void => {
    const mn = k * 2 * dim;
    const mx = mn + dim;
    if (k >= firstLeaf) {
      for (let d = 0; d < dim; d++) {
        let low = top;
        let high = 0;
        for (let i = lo; i < hi; i++) {
          const v = points[i * dim + d];
          if (v < low) low = v;
          if (v > high) high = v;
        }
        bounds[mn + d] = low;
        bounds[mx + d] = high;
      }
      return;
    }
    const mid = lo + Math.floor((hi - lo) / 2);
    fill(2 * k + 1, lo, mid);
    fill(2 * k + 2, mid, hi);
    const left = (2 * k + 1) * 2 * dim;
    const right = (2 * k + 2) * 2 * dim;
    for (let d = 0; d < dim; d++) {
      bounds[mn + d] = Math.min(bounds[left + d], bounds[right + d]);
      bounds[mx + d] = Math.max(bounds[left + dim + d], bounds[right + dim + d]);
    }
  };
  fill(0, 0, count);
  const quantised: { -readonly [K in keyof KdTree]: KdTree[K] } = { dim, count, levels: t.levels, points, bounds, quantisation: { offset, scale } };
  if (t.ids !== undefined) quantised.ids = t.ids;
  return quantised;
}

export { kdTreeLevels, kdTreeNodeCount };

