/**
 * The TypeScript twin of native/kdtree: the same canonical build, byte for byte, and the same
 * range search, used when the addon is unavailable and as the baseline the native code is tested
 * and benchmarked against. The layout is described in native/kdtree/kdtree.h and on
 * {@link KdTree} in ./kdtree.ts. Arguments are checked by ./kdtree.ts; these functions only
 * refuse non-finite points, as the C++ core does.
 */
import { AsterismError } from '../errors.js';
import type { NativeKdTree, NativeKdTreeBuild, NativeRangeSearchBatch } from '../native/addon.js';

/** max(1, ceil(log2(ceil(count / leafSize)))): the number of levels of the implicit tree. */
export function kdTreeLevels(count: number, leafSize: number): number {
  const leavesNeeded = Math.ceil(count / leafSize);
  let levels = 0;
  while (2 ** levels < leavesNeeded) levels++;
  return Math.max(1, levels);
}

/** 2^levels − 1, the number of nodes of a tree with `levels` levels. */
export function kdTreeNodeCount(levels: number): number {
  return 2 ** levels - 1;
}

/** Key order: value, then original id (so all keys differ and the split is canonical). */
function keyLess(va: number, ia: number, vb: number, ib: number): boolean {
  return va < vb || (va === vb && ia < ib);
}

/**
 * Rearranges keys [0, n) (parallel arrays) so that position k holds the k-th smallest key, those
 * before it are smaller and those after it larger: quickselect with a median-of-three pivot.
 */
function selectKth(values: Float64Array, ids: Uint32Array, slots: Uint32Array, n: number, k: number): void {
  const swap = (a: number, b: number) => {
    const v = values[a]; values[a] = values[b]; values[b] = v;
    const i = ids[a]; ids[a] = ids[b]; ids[b] = i;
    const s = slots[a]; slots[a] = slots[b]; slots[b] = s;
  };
  const less = (a: number, b: number) => keyLess(values[a], ids[a], values[b], ids[b]);
  let left = 0;
  let right = n - 1;
  while (right > left) {
    const mid = (left + right) >>> 1;
    if (less(mid, left)) swap(mid, left);
    if (less(right, left)) swap(right, left);
    if (less(right, mid)) swap(right, mid);
    const pivotValue = values[mid];
    const pivotId = ids[mid];
    let i = left;
    let j = right;
    while (i <= j) {
      while (keyLess(values[i], ids[i], pivotValue, pivotId)) i++;
      while (keyLess(pivotValue, pivotId, values[j], ids[j])) j--;
      if (i <= j) {
        swap(i, j);
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return;
  }
}

/**
 * Builds the tree of `points.length / dim` points (row-major). Returns new arrays; `points` is
 * only read. Same result, bit for bit, as the addon's kdtreeBuild.
 */
export function buildKdTreeJs(points: Float64Array, dim: number, leafSize: number): NativeKdTreeBuild {
  const count = points.length / dim;
  for (let i = 0; i < points.length; i++) {
    if (!Number.isFinite(points[i])) throw new AsterismError('E_INVALID_ARGUMENT', 'kd-tree points must be finite (no NaN or Infinity)');
  }
  const levels = kdTreeLevels(count, leafSize);
  const firstLeaf = kdTreeNodeCount(levels - 1);
  const treePoints = Float64Array.from(points);
  const ids = new Uint32Array(count);
  for (let i = 0; i < count; i++) ids[i] = i;
  const bounds = new Float64Array(kdTreeNodeCount(levels) * 2 * dim);
  const keyValues = new Float64Array(count);
  const keyIds = new Uint32Array(count);
  const keySlots = new Uint32Array(count);
  const scratch = new Float64Array(count * dim);

  // Minima then maxima of points [lo, hi); +0 added so −0 is stored as +0 (order-independent bytes).
  const writeBounds = (k: number, lo: number, hi: number) => {
    const mn = k * 2 * dim;
    const mx = mn + dim;
    for (let d = 0; d < dim; d++) {
      bounds[mn + d] = Infinity;
      bounds[mx + d] = -Infinity;
    }
    for (let i = lo; i < hi; i++) {
      const p = i * dim;
      for (let d = 0; d < dim; d++) {
        const v = treePoints[p + d];
        if (v < bounds[mn + d]) bounds[mn + d] = v;
        if (v > bounds[mx + d]) bounds[mx + d] = v;
      }
    }
    for (let d = 0; d < dim; d++) {
      bounds[mn + d] += 0;
      bounds[mx + d] += 0;
    }
  };

  const splitDimension = (k: number) => {
    const mn = k * 2 * dim;
    const mx = mn + dim;
    let best = 0;
    let bestSpread = bounds[mx] - bounds[mn];
    for (let d = 1; d < dim; d++) {
      const spread = bounds[mx + d] - bounds[mn + d];
      if (spread > bestSpread) {
        bestSpread = spread;
        best = d;
      }
    }
    return best;
  };

  // Rewrites points and ids of [lo, lo + n) in the order of keySlots / keyIds [0, n).
  const reorder = (lo: number, n: number) => {
    scratch.set(treePoints.subarray(lo * dim, (lo + n) * dim));
    for (let j = 0; j < n; j++) {
      const from = keySlots[j] * dim;
      const to = (lo + j) * dim;
      for (let d = 0; d < dim; d++) treePoints[to + d] = scratch[from + d];
      ids[lo + j] = keyIds[j];
    }
  };

  const buildNode = (k: number, lo: number, hi: number): void => {
    writeBounds(k, lo, hi);
    const n = hi - lo;
    if (k >= firstLeaf) {
      // Leaves list their points by original id, which makes the byte layout canonical.
      const order = new Uint32Array(n);
      for (let j = 0; j < n; j++) order[j] = j;
      order.sort((a, b) => ids[lo + a] - ids[lo + b]);
      for (let j = 0; j < n; j++) {
        keySlots[j] = order[j];
        keyIds[j] = ids[lo + order[j]];
      }
      reorder(lo, n);
      return;
    }
    const d = splitDimension(k);
    const mid = lo + Math.floor(n / 2);
    for (let j = 0; j < n; j++) {
      keyValues[j] = treePoints[(lo + j) * dim + d];
      keyIds[j] = ids[lo + j];
      keySlots[j] = j;
    }
    if (n > 0) selectKth(keyValues, keyIds, keySlots, n, mid - lo);
    reorder(lo, n);
    buildNode(2 * k + 1, lo, mid);
    buildNode(2 * k + 2, mid, hi);
  };

  buildNode(0, 0, count);
  return { points: treePoints, ids, bounds, levels };
}

/**
 * Appends to `out` the ids of points p with Σ (p_d − q_d)² ≤ radius2, in ascending tree order,
 * where q is `dim` coordinates at offset `q` of `queries`, already in tree units.
 */
function searchInto(tree: NativeKdTree, queries: Float64Array, q: number, radius2: number, out: number[]): void {
  const { dim, points, ids, bounds } = tree;
  const firstLeaf = kdTreeNodeCount(tree.levels - 1);
  const visit = (k: number, lo: number, hi: number): void => {
    if (lo === hi) return;
    const mn = k * 2 * dim;
    const mx = mn + dim;
    // Squared distance to the box, then (only when the box is in reach) to its farthest corner;
    // see native/kdtree/kdtree.cpp for why pruning and whole-node acceptance never disagree
    // with the per-point test.
    let nearest = 0;
    for (let d = 0; d < dim; d++) {
      const x = queries[q + d];
      const lower = bounds[mn + d];
      const upper = bounds[mx + d];
      const gap = x < lower ? lower - x : x > upper ? x - upper : 0;
      nearest += gap * gap;
    }
    if (!(nearest <= radius2)) return;
    let farthest = 0;
    for (let d = 0; d < dim; d++) {
      const x = queries[q + d];
      const below = x - bounds[mn + d];
      const above = bounds[mx + d] - x;
      const reach = below > above ? below : above;
      farthest += reach * reach;
    }
    if (farthest <= radius2) {
      for (let i = lo; i < hi; i++) out.push(ids ? ids[i] : i);
      return;
    }
    if (k >= firstLeaf) {
      for (let i = lo; i < hi; i++) {
        const p = i * dim;
        let sum = 0;
        for (let d = 0; d < dim; d++) {
          const diff = points[p + d] - queries[q + d];
          sum += diff * diff;
        }
        if (sum <= radius2) out.push(ids ? ids[i] : i);
      }
      return;
    }
    const mid = lo + Math.floor((hi - lo) / 2);
    visit(2 * k + 1, lo, mid);
    visit(2 * k + 2, mid, hi);
  };
  if (tree.count > 0) visit(0, 0, tree.count);
}

/**
 * The queries in tree units: (query_d − offset_d) / scale for a quantised tree, the queries
 * themselves otherwise (the same arithmetic as toTreeUnits in native/kdtree/kdtree.cpp).
 */
function toTreeUnits(tree: NativeKdTree, queries: Float64Array): Float64Array {
  const quantisation = tree.quantisation;
  if (!quantisation) return queries;
  const { offset, scale } = quantisation;
  const mapped = new Float64Array(queries.length);
  for (let i = 0; i < queries.length; i++) mapped[i] = (queries[i] - offset[i % tree.dim]) / scale;
  return mapped;
}

/** The squared radius in tree units. */
function radius2InTreeUnits(tree: NativeKdTree, radius: number): number {
  const r = tree.quantisation ? radius / tree.quantisation.scale : radius;
  return r * r;
}

/**
 * Ids of all points within `radius` of `query` in ascending tree order (for a quantised tree,
 * measured in tree units: see {@link KdTree}); the same ids as the addon's kdtreeRangeSearch.
 */
export function rangeSearchJs(tree: NativeKdTree, query: Float64Array, radius: number): Uint32Array {
  const out: number[] = [];
  searchInto(tree, toTreeUnits(tree, query), 0, radius2InTreeUnits(tree, radius), out);
  return Uint32Array.from(out);
}

/** rangeSearchJs for each of `queries.length / tree.dim` queries, flattened with offsets. */
export function rangeSearchBatchJs(tree: NativeKdTree, queries: Float64Array, radius: number): NativeRangeSearchBatch {
  const queryCount = queries.length / tree.dim;
  const mapped = toTreeUnits(tree, queries);
  const radius2 = radius2InTreeUnits(tree, radius);
  const out: number[] = [];
  const offsets = new Uint32Array(queryCount + 1);
  for (let i = 0; i < queryCount; i++) {
    searchInto(tree, mapped, i * tree.dim, radius2, out);
    offsets[i + 1] = out.length;
  }
  return { ids: Uint32Array.from(out), offsets };
}
