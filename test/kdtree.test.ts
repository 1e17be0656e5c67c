import { describe, expect, it } from 'vitest';
import { AsterismError } from '../lib/errors.js';
import { nativeAddon } from '../lib/native/addon.js';
import { buildKdTree, buildKdTreeAsync, kdTreeLevels, kdTreeNodeCount, quantiseKdTree, rangeSearch, rangeSearchBatch, rangeSearchBatchAsync, type Float64KdTree, type KdTree } from '../lib/skyindex/kdtree.js';
import { buildKdTreeJs, rangeSearchBatchJs, rangeSearchJs } from '../lib/skyindex/kdtree.js.js';
import { requireNative, withBackend } from './helpers/backend.js';
import { createRng } from '../scripts/synth/random.js';

const addon = nativeAddon();
const backends = ['native', 'js'] as const;



/**
 * Random points with many ties: a third of the coordinates on a coarse grid (including −0 and +0),
 * and a tenth of the points exact copies of earlier ones.
 */
function randomPoints(count: number, dim: number, seed: number): Float64Array {
  const random = createRng(seed).next;
  const points = new Float64Array(count * dim);
  for (let i = 0; i < count; i++) {
    if (i > 0 && random() < 0.1) {
      const j = Math.floor(random() * i);
      points.copyWithin(i * dim, j * dim, (j + 1) * dim);
      continue;
    }
    for (let d = 0; d < dim; d++) {
      const u = random();
      points[i * dim + d] = u < 0.3 ? Math.round(random() * 8) / 8 : u < 0.35 ? (random() < 0.5 ? -0 : 0) : random();
    }
  }
  return points;
}

function bytes(a: Float64Array | Uint32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * Ids of tree points within radius, in tree order, by testing every point the same way the
 * search does: in tree units, so for a quantised tree against the stored integers.
 */
function bruteForce(tree: KdTree, query: Float64Array, radius: number): number[] {
  const q = tree.quantisation;
  const units = q ? query.map((x, d) => (x - q.offset[d]) / q.scale) : query;
  const r = q ? radius / q.scale : radius;
  const r2 = r * r;
  const out: number[] = [];
  for (let i = 0; i < tree.count; i++) {
    let sum = 0;
    for (let d = 0; d < tree.dim; d++) {
      const diff = tree.points[i * tree.dim + d] - units[d];
      sum += diff * diff;
    }
    if (sum <= r2) out.push(tree.ids ? tree.ids[i] : i);
  }
  return out;
}

/** Checks the layout invariants of a built tree against its input. */
function checkInvariants(tree: Float64KdTree, input: Float64Array, leafSize: number): void {
  const { dim, count, levels } = tree;
  expect(levels).toBe(kdTreeLevels(count, leafSize));
  expect(tree.bounds.length).toBe(kdTreeNodeCount(levels) * 2 * dim);
  const seen = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const id = tree.ids[i];
    expect(seen[id]).toBe(0);
    seen[id] = 1;
    for (let d = 0; d < dim; d++) expect(Object.is(tree.points[i * dim + d], input[id * dim + d])).toBe(true);
  }
  const firstLeaf = kdTreeNodeCount(levels - 1);
  const visit = (k: number, lo: number, hi: number) => {
    for (let d = 0; d < dim; d++) {
      let mn = Infinity;
      let mx = -Infinity;
      for (let i = lo; i < hi; i++) {
        mn = Math.min(mn, tree.points[i * dim + d]);
        mx = Math.max(mx, tree.points[i * dim + d]);
      }
      expect(tree.bounds[k * 2 * dim + d]).toBe(mn + 0);
      expect(tree.bounds[k * 2 * dim + dim + d]).toBe(mx + 0);
    }
    if (k >= firstLeaf) {
      for (let i = lo + 1; i < hi; i++) expect(tree.ids[i]).toBeGreaterThan(tree.ids[i - 1]);
      return;
    }
    const mid = lo + Math.floor((hi - lo) / 2);
    visit(2 * k + 1, lo, mid);
    visit(2 * k + 2, mid, hi);
  };
  visit(0, 0, count);
}

describe('native addon', () => {
  it('loads and exports the kd-tree functions (required in CI)', () => {
    if (requireNative) expect(addon).not.toBeNull();
    if (addon) expect(typeof addon.kdtreeRangeSearchBatch).toBe('function');
  });
});

describe('kd-tree build', () => {
  it('computes levels as max(1, ceil(log2(ceil(count / leafSize))))', () => {
    expect(kdTreeLevels(0, 16)).toBe(1);
    expect(kdTreeLevels(1, 16)).toBe(1);
    expect(kdTreeLevels(16, 16)).toBe(1);
    expect(kdTreeLevels(32, 16)).toBe(1);
    expect(kdTreeLevels(33, 16)).toBe(2);
    expect(kdTreeLevels(64, 16)).toBe(2);
    expect(kdTreeLevels(65, 16)).toBe(3);
    expect(kdTreeLevels(2_000_000, 16)).toBe(17);
  });

  const cases: Array<[number, number, number]> = [];
  for (const dim of [2, 3, 4]) for (const [count, leafSize] of [[0, 16], [1, 16], [7, 16], [33, 16], [500, 1], [1000, 3], [5000, 16], [4099, 7]]) cases.push([dim, count, leafSize]);

  it.each(cases)('TypeScript build keeps the layout invariants (dim %i, %i points, leafSize %i)', (dim, count, leafSize) => {
    const input = randomPoints(count, dim, 100 * dim + count);
    const built = buildKdTreeJs(input, dim, leafSize);
    checkInvariants({ dim, count, ...built }, input, leafSize);
  });

  it.skipIf(!addon).each(cases)('native and TypeScript build the same bytes (dim %i, %i points, leafSize %i)', (dim, count, leafSize) => {
    const input = randomPoints(count, dim, 100 * dim + count);
    const copy = Float64Array.from(input);
    const native = addon!.kdtreeBuild(input, dim, leafSize);
    const js = buildKdTreeJs(input, dim, leafSize);
    expect(native.levels).toBe(js.levels);
    expect(Buffer.compare(bytes(native.points), bytes(js.points))).toBe(0);
    expect(Buffer.compare(bytes(native.ids), bytes(js.ids))).toBe(0);
    expect(Buffer.compare(bytes(native.bounds), bytes(js.bounds))).toBe(0);
    expect(Buffer.compare(bytes(input), bytes(copy))).toBe(0);
  });

  it.skipIf(!addon)('the async native build equals the sync one', async () => {
    const input = randomPoints(20000, 4, 7);
    const tree = await buildKdTreeAsync(input, 4);
    const sync = addon!.kdtreeBuild(input, 4, 16);
    expect(tree.count).toBe(20000);
    expect(Buffer.compare(bytes(tree.points), bytes(sync.points))).toBe(0);
    expect(Buffer.compare(bytes(tree.ids), bytes(sync.ids))).toBe(0);
    expect(Buffer.compare(bytes(tree.bounds), bytes(sync.bounds))).toBe(0);
  });

  it('builds sorted and reverse-sorted input without trouble', () => {
    const n = 3000;
    const up = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) { up[2 * i] = i; up[2 * i + 1] = n - i; }
    for (const backend of backends) {
      const tree = withBackend(backend, () => buildKdTree(up, 2));
      checkInvariants(tree, up, 16);
      expect(Array.from(rangeSearch(tree, new Float64Array([10, n - 10]), 3))).toEqual([8, 9, 10, 11, 12]);
    }
  });
});

describe.each(backends)('range search through the %s backend', (backend) => {
  const run = <T>(fn: () => T) => withBackend(backend, fn);
  const radii = [0, 1e-9, 0.003, 0.01, 0.05, 0.2, 0.7, 2, 1e6];

  for (const dim of [2, 3, 4]) {
    it(`equals brute force on ${dim}-D points with ties, radii 0 … 1e6`, () => {
      const count = 4000;
      const input = randomPoints(count, dim, 31 + dim);
      const tree = run(() => buildKdTree(input, dim, { leafSize: dim === 3 ? 5 : 16 }));
      const random = createRng(900 + dim).next;
      const queries: Float64Array[] = [];
      for (let i = 0; i < 60; i++) {
        const q = new Float64Array(dim);
        const kind = i % 3;
        const src = Math.floor(random() * count);
        for (let d = 0; d < dim; d++) {
          // On a point (finds its duplicates at radius 0), near one, or anywhere around the cube.
          q[d] = kind === 0 ? input[src * dim + d] : kind === 1 ? input[src * dim + d] + (random() - 0.5) * 0.02 : random() * 1.4 - 0.2;
        }
        queries.push(q);
      }
      let found = 0;
      for (const radius of radii) {
        const flat = new Float64Array(queries.length * dim);
        queries.forEach((q, i) => flat.set(q, i * dim));
        const batch = run(() => rangeSearchBatch(tree, flat, radius));
        expect(batch.offsets.length).toBe(queries.length + 1);
        queries.forEach((q, i) => {
          const expected = bruteForce(tree, q, radius);
          const single = run(() => rangeSearch(tree, q, radius));
          expect(Array.from(single)).toEqual(expected);
          expect(Array.from(batch.ids.subarray(batch.offsets[i], batch.offsets[i + 1]))).toEqual(expected);
          found += expected.length;
        });
        if (radius === 0) for (let i = 0; i < queries.length; i += 3) expect(batch.offsets[i + 1]).toBeGreaterThan(batch.offsets[i]);
        if (radius === 1e6) expect(batch.ids.length).toBe(count * queries.length);
      }
      expect(found).toBeGreaterThan(0);
    });
  }

  it('handles 0 points, 1 point, fewer points than a leaf and all-identical points', () => {
    const empty = run(() => buildKdTree(new Float64Array(0), 4));
    expect(empty).toMatchObject({ dim: 4, count: 0, levels: 1 });
    expect(empty.bounds.length).toBe(8);
    expect(run(() => rangeSearch(empty, new Float64Array(4), 1e6)).length).toBe(0);
    expect(Array.from(run(() => rangeSearchBatch(empty, new Float64Array(8), 1)).offsets)).toEqual([0, 0, 0]);

    const one = run(() => buildKdTree(new Float64Array([0.5, 0.25, 0.125]), 3));
    expect(Array.from(one.bounds)).toEqual([0.5, 0.25, 0.125, 0.5, 0.25, 0.125]);
    expect(Array.from(run(() => rangeSearch(one, new Float64Array([0.5, 0.25, 0.125]), 0)))).toEqual([0]);
    expect(run(() => rangeSearch(one, new Float64Array([0.5, 0.25, 0.2]), 0.07)).length).toBe(0);

    const few = randomPoints(9, 2, 5);
    const small = run(() => buildKdTree(few, 2));
    expect(small.levels).toBe(1);
    expect(Array.from(small.ids)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(run(() => rangeSearch(small, new Float64Array([0.5, 0.5]), 10)))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);

    const same = new Float64Array(300 * 4).fill(0.3);
    const flat = run(() => buildKdTree(same, 4, { leafSize: 4 }));
    checkInvariants(flat, same, 4);
    expect(Array.from(flat.ids)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(run(() => rangeSearch(flat, new Float64Array(4).fill(0.3), 0)).length).toBe(300);
    expect(run(() => rangeSearch(flat, new Float64Array(4).fill(0.31), 0.0201)).length).toBe(300);
    expect(run(() => rangeSearch(flat, new Float64Array(4).fill(0.31), 0.0199)).length).toBe(0);
  });

  it('refuses NaN and infinite points, bad dims and leaf sizes with E_INVALID_ARGUMENT', () => {
    const bad = (fn: () => unknown) => {
      let error: unknown;
      try { run(fn); } catch (e) { error = e; }
      expect(error).toBeInstanceOf(AsterismError);
      expect((error as AsterismError).code).toBe('E_INVALID_ARGUMENT');
    };
    bad(() => buildKdTree(new Float64Array([0, 1, NaN, 2]), 2));
    bad(() => buildKdTree(new Float64Array([0, 1, 2, Infinity]), 2));
    bad(() => buildKdTree(new Float64Array([0, 1, 2]), 2));
    bad(() => buildKdTree(new Float64Array([0, 1]), 0));
    bad(() => buildKdTree(new Float64Array([0, 1]), 1.5));
    bad(() => buildKdTree(new Float64Array([0, 1]), 2, { leafSize: 0 }));
    bad(() => buildKdTree([0, 1] as unknown as Float64Array, 2));
    const tree = run(() => buildKdTree(randomPoints(100, 3, 1), 3));
    bad(() => rangeSearch(tree, new Float64Array([0, 0, NaN]), 1));
    bad(() => rangeSearch(tree, new Float64Array([0, 0]), 1));
    bad(() => rangeSearch(tree, new Float64Array(3), -1));
    bad(() => rangeSearch(tree, new Float64Array(3), NaN));
    bad(() => rangeSearch(tree, new Float64Array(3), Infinity));
    bad(() => rangeSearchBatch(tree, new Float64Array(4), 1));
    bad(() => rangeSearch({ ...tree, bounds: tree.bounds.subarray(1) }, new Float64Array(3), 1));
    bad(() => rangeSearch({ ...tree, count: 99 }, new Float64Array(3), 1));
    bad(() => rangeSearch({ ...tree, levels: tree.levels + 1 }, new Float64Array(3), 1));
    bad(() => rangeSearch({ ...tree, ids: new Int32Array(100) as unknown as Uint32Array }, new Float64Array(3), 1));
  });
});

describe.skipIf(!addon)('the addon checks its own arguments', () => {
  const input = randomPoints(200, 4, 3);
  const built = addon ? addon.kdtreeBuild(input, 4, 16) : null;
  const tree = built ? { dim: 4, count: 200, ...built } : null;
  const code = (fn: () => unknown) => {
    try { fn(); } catch (e) { return (e as { code?: string }).code; }
    return 'no error';
  };

  it('throws E_INVALID_ARGUMENT for malformed trees, queries and radii', () => {
    const q = new Float64Array(4);
    expect(code(() => addon!.kdtreeRangeSearch({ ...tree!, bounds: new Float64Array(3) }, q, 1))).toBe('E_INVALID_ARGUMENT');
    expect(code(() => addon!.kdtreeRangeSearch({ ...tree!, points: new Float32Array(800) as unknown as Float64Array }, q, 1))).toBe('E_INVALID_ARGUMENT');
    expect(code(() => addon!.kdtreeRangeSearch({ ...tree!, levels: 40 }, q, 1))).toBe('E_INVALID_ARGUMENT');
    expect(code(() => addon!.kdtreeRangeSearch(null as unknown as KdTree, q, 1))).toBe('E_INVALID_ARGUMENT');
    expect(code(() => addon!.kdtreeRangeSearch(tree!, new Float64Array(5), 1))).toBe('E_INVALID_ARGUMENT');
    expect(code(() => addon!.kdtreeRangeSearch(tree!, new Float64Array([0, 0, 0, NaN]), 1))).toBe('E_INVALID_ARGUMENT');
    expect(code(() => addon!.kdtreeRangeSearch(tree!, q, -0.5))).toBe('E_INVALID_ARGUMENT');
    expect(code(() => addon!.kdtreeRangeSearchBatch(tree!, new Float64Array(6), 1))).toBe('E_INVALID_ARGUMENT');
    expect(code(() => addon!.kdtreeBuild(new Float64Array([1, NaN]), 2, 16))).toBe('E_INVALID_ARGUMENT');
    expect(code(() => addon!.kdtreeBuild(new Float64Array(4), 65, 16))).toBe('E_INVALID_ARGUMENT');
    expect(code(() => addon!.kdtreeBuild(new Float64Array(4), 2, 0))).toBe('E_INVALID_ARGUMENT');
  });

  it('rejects the async build promise for NaN input', async () => {
    await expect(addon!.kdtreeBuildAsync(new Float64Array([1, NaN]), 2, 16)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
  });

  it('returns the same ids as the TypeScript twin for a batch', () => {
    const random = createRng(77).next;
    const queries = new Float64Array(400 * 4).map(() => random());
    for (const radius of [0, 0.05, 0.3]) {
      const n = addon!.kdtreeRangeSearchBatch(tree!, queries, radius);
      const j = rangeSearchBatchJs(tree!, queries, radius);
      expect(Array.from(n.offsets)).toEqual(Array.from(j.offsets));
      expect(Array.from(n.ids)).toEqual(Array.from(j.ids));
      expect(Array.from(addon!.kdtreeRangeSearch(tree!, queries.subarray(0, 4), radius))).toEqual(Array.from(rangeSearchJs(tree!, queries.subarray(0, 4), radius)));
    }
  });
});

/** Queries on a point, near one, and anywhere around the points' cube (dim coordinates each). */
function randomQueries(input: Float64Array, dim: number, n: number, seed: number): Float64Array {
  const random = createRng(seed).next;
  const count = input.length / dim;
  const queries = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    const src = Math.floor(random() * count);
    for (let d = 0; d < dim; d++) {
      const x = input[src * dim + d];
      queries[i * dim + d] = i % 3 === 0 ? x : i % 3 === 1 ? x + (random() - 0.5) * 0.02 : random() * 1.4 - 0.2;
    }
  }
  return queries;
}

/** Searches every query one call at a time and as a batch under both backends; all must equal brute force. */
function expectSearchesMatchBruteForce(tree: KdTree, queries: Float64Array, radii: number[]): number {
  let found = 0;
  const n = queries.length / tree.dim;
  for (const radius of radii) {
    const batches = backends.map((b) => withBackend(b, () => rangeSearchBatch(tree, queries, radius)));
    for (let i = 0; i < n; i++) {
      const q = queries.subarray(i * tree.dim, (i + 1) * tree.dim);
      const expected = bruteForce(tree, q, radius);
      for (const [j, backend] of backends.entries()) {
        expect(Array.from(withBackend(backend, () => rangeSearch(tree, q, radius)))).toEqual(expected);
        expect(Array.from(batches[j].ids.subarray(batches[j].offsets[i], batches[j].offsets[i + 1]))).toEqual(expected);
      }
      found += expected.length;
    }
  }
  return found;
}

function expectInvalid(fn: () => unknown): void {
  let error: unknown;
  try { fn(); } catch (e) { error = e; }
  expect(error).toBeInstanceOf(AsterismError);
  expect((error as AsterismError).code).toBe('E_INVALID_ARGUMENT');
}

describe('quantised kd-trees', () => {
  const radii = [0, 1e-9, 0.003, 0.01, 0.05, 0.2, 2, 1e6];
  const cases: Array<['u16' | 'u32', number]> = [];
  for (const type of ['u16', 'u32'] as const) for (const dim of [2, 3, 4]) cases.push([type, dim]);

  it.each(cases)('%s, dim %i: stored values within scale / 2, exact bounds, searches equal brute force in tree units', (type, dim) => {
    const count = 3000;
    const input = randomPoints(count, dim, 500 + dim);
    const built = buildKdTree(input, dim, { leafSize: dim === 3 ? 5 : 16 });
    const tree = quantiseKdTree(built, type);
    expect(tree.points).toBeInstanceOf(type === 'u16' ? Uint16Array : Uint32Array);
    expect(tree.bounds).toBeInstanceOf(type === 'u16' ? Uint16Array : Uint32Array);
    expect(tree.ids).toBe(built.ids);
    expect(tree.levels).toBe(built.levels);
    const { offset, scale } = tree.quantisation!;
    const top = type === 'u16' ? 0xffff : 0xffffffff;
    let spread = 0;
    for (let d = 0; d < dim; d++) {
      let mn = Infinity;
      let mx = -Infinity;
      for (let i = 0; i < count; i++) { mn = Math.min(mn, input[i * dim + d]); mx = Math.max(mx, input[i * dim + d]); }
      expect(offset[d]).toBe(mn + 0);
      spread = Math.max(spread, mx - mn);
    }
    expect(scale).toBe(spread / top);
    for (let i = 0; i < count; i++) {
      for (let d = 0; d < dim; d++) {
        const real = input[built.ids[i] * dim + d];
        expect(Math.abs(offset[d] + scale * tree.points[i * dim + d] - real)).toBeLessThanOrEqual(scale / 2 * (1 + 1e-9));
      }
    }
    const firstLeaf = kdTreeNodeCount(tree.levels - 1);
    const visit = (k: number, lo: number, hi: number) => {
      for (let d = 0; d < dim; d++) {
        let mn = Infinity;
        let mx = -Infinity;
        for (let i = lo; i < hi; i++) { mn = Math.min(mn, tree.points[i * dim + d]); mx = Math.max(mx, tree.points[i * dim + d]); }
        expect(tree.bounds[k * 2 * dim + d]).toBe(mn);
        expect(tree.bounds[k * 2 * dim + dim + d]).toBe(mx);
      }
      if (k >= firstLeaf) return;
      const mid = lo + Math.floor((hi - lo) / 2);
      visit(2 * k + 1, lo, mid);
      visit(2 * k + 2, mid, hi);
    };
    visit(0, 0, count);
    const found = expectSearchesMatchBruteForce(tree, randomQueries(input, dim, 45, 60 + dim), radii);
    expect(found).toBeGreaterThan(0);
  });

  it('quantises empty, single-point and all-equal trees (scale 1)', () => {
    const empty = quantiseKdTree(buildKdTree(new Float64Array(0), 3), 'u16');
    expect(empty.quantisation!.scale).toBe(1);
    expect(Array.from(empty.bounds)).toEqual([0xffff, 0xffff, 0xffff, 0, 0, 0]);
    expect(expectSearchesMatchBruteForce(empty, new Float64Array(3), [0, 1e6])).toBe(0);
    const same = quantiseKdTree(buildKdTree(new Float64Array(200 * 4).fill(0.3), 4, { leafSize: 4 }), 'u32');
    expect(same.quantisation!.scale).toBe(1);
    expect(Array.from(same.quantisation!.offset)).toEqual([0.3, 0.3, 0.3, 0.3]);
    expect(same.points.every((v) => v === 0)).toBe(true);
    expect(expectSearchesMatchBruteForce(same, new Float64Array([0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 1.3]), [0, 0.5, 1, 2])).toBe(200 * 6);
  });

  it('refuses to quantise an integer tree, non-finite points or a bad type', () => {
    const tree = buildKdTree(randomPoints(100, 2, 4), 2);
    const q = quantiseKdTree(tree, 'u16');
    expectInvalid(() => quantiseKdTree(q, 'u32'));
    expectInvalid(() => quantiseKdTree(tree, 'u8' as 'u16'));
    const points = Float64Array.from(tree.points);
    points[7] = NaN;
    expectInvalid(() => quantiseKdTree({ ...tree, points }, 'u16'));
    expectInvalid(() => quantiseKdTree(buildKdTree(new Float64Array([-1e308, 0, 1e308, 0]), 2), 'u16'));
  });
});

describe('trees without ids', () => {
  it.each(['f64', 'u16'] as const)('%s: a tree without ids returns tree positions', (type) => {
    const input = randomPoints(2000, 4, 91);
    const built = buildKdTree(input, 4);
    const withIds = type === 'f64' ? built : quantiseKdTree(built, type);
    const { ids: _ids, ...noIds } = withIds;
    expect((noIds as KdTree).ids).toBeUndefined();
    const queries = randomQueries(input, 4, 30, 92);
    const found = expectSearchesMatchBruteForce(noIds, queries, [0, 0.05, 0.3, 1e6]);
    expect(found).toBeGreaterThan(0);
    // The same points as the tree with ids, by tree position.
    for (const radius of [0.05, 0.3]) {
      const a = rangeSearchBatch(withIds, queries, radius);
      const b = rangeSearchBatch(noIds, queries, radius);
      expect(Array.from(b.offsets)).toEqual(Array.from(a.offsets));
      expect(Array.from(b.ids, (p) => built.ids[p])).toEqual(Array.from(a.ids));
    }
  });
});

describe('quantised tree validation', () => {
  const tree = quantiseKdTree(buildKdTree(randomPoints(300, 3, 12), 3), 'u16');
  const q = new Float64Array(3);
  const bad: Array<[string, unknown]> = [
    ['integer points without quantisation', { ...tree, quantisation: undefined }],
    ['bounds of another type', { ...tree, bounds: Uint32Array.from(tree.bounds) }],
    ['Float64 bounds with u16 points', { ...tree, bounds: Float64Array.from(tree.bounds) }],
    ['an offset of the wrong length', { ...tree, quantisation: { offset: new Float64Array(2), scale: 1 } }],
    ['a NaN offset', { ...tree, quantisation: { offset: new Float64Array([0, NaN, 0]), scale: 1 } }],
    ['a Float32 offset', { ...tree, quantisation: { offset: new Float32Array(3), scale: 1 } }],
    ['scale 0', { ...tree, quantisation: { ...tree.quantisation, scale: 0 } }],
    ['a negative scale', { ...tree, quantisation: { ...tree.quantisation, scale: -1 } }],
    ['an infinite scale', { ...tree, quantisation: { ...tree.quantisation, scale: Infinity } }],
    ['a string scale', { ...tree, quantisation: { ...tree.quantisation, scale: '1' } }],
    ['Int16 points', { ...tree, points: new Int16Array(900), bounds: new Int16Array(tree.bounds.length) }],
    ['a Float64 tree with a quantisation', { ...buildKdTree(randomPoints(300, 3, 12), 3), quantisation: tree.quantisation }],
    ['Int32 ids', { ...tree, ids: new Int32Array(300) }],
    ['too few ids', { ...tree, ids: new Uint32Array(299) }],
  ];
  it.each(bad)('refuses %s with E_INVALID_ARGUMENT through both backends', (_name, badTree) => {
    for (const backend of backends) {
      withBackend(backend, () => {
        expectInvalid(() => rangeSearch(badTree as KdTree, q, 1));
        expectInvalid(() => rangeSearchBatch(badTree as KdTree, new Float64Array(6), 1));
      });
    }
  });
  it.skipIf(!addon).each(bad)('the addon refuses %s itself', (_name, badTree) => {
    const code = (fn: () => unknown) => { try { fn(); } catch (e) { return (e as { code?: string }).code; } return 'no error'; };
    expect(code(() => addon!.kdtreeOpen(badTree as KdTree))).toBe('E_INVALID_ARGUMENT');
    expect(code(() => addon!.kdtreeRangeSearch(badTree as KdTree, q, 1))).toBe('E_INVALID_ARGUMENT');
  });
});

describe.skipIf(!addon)('opened-tree handles', () => {
  const input = randomPoints(3000, 4, 41);
  const queries = randomQueries(input, 4, 40, 42);

  it('search, search again, then a replaced points array is checked again', () => {
    const built = buildKdTree(input, 4);
    const tree: { -readonly [K in keyof KdTree]: KdTree[K] } = { ...built };
    const before = rangeSearchBatch(tree, queries, 0.1);
    expect(Array.from(rangeSearchBatch(tree, queries, 0.1).ids)).toEqual(Array.from(before.ids));
    // The same coordinates in a new array, and the old array overwritten: a search that still
    // read the old array would find nothing.
    tree.points = Float64Array.from(built.points);
    built.points.fill(1e9);
    const after = rangeSearchBatch(tree, queries, 0.1);
    expect(after.ids.length).toBeGreaterThan(0);
    expect(Array.from(after.ids)).toEqual(Array.from(before.ids));
    for (let i = 0; i < 40; i++) {
      expect(Array.from(after.ids.subarray(after.offsets[i], after.offsets[i + 1]))).toEqual(bruteForce(tree, queries.subarray(i * 4, i * 4 + 4), 0.1));
    }
    // A replacement of the wrong size, wrong type or a changed quantisation is refused.
    tree.points = new Float64Array(11);
    expectInvalid(() => rangeSearch(tree, queries.subarray(0, 4), 0.1));
    tree.points = Uint16Array.from(built.points);
    expectInvalid(() => rangeSearch(tree, queries.subarray(0, 4), 0.1));
    tree.points = built.points;
    expect(rangeSearch(tree, queries.subarray(0, 4), 0.1).length).toBe(0);
    const small = quantiseKdTree(buildKdTree(input, 4), 'u16');
    const mutable: { -readonly [K in keyof KdTree]: KdTree[K] } = { ...small };
    rangeSearch(mutable, queries.subarray(0, 4), 0.1);
    mutable.quantisation = { offset: small.quantisation!.offset, scale: -1 };
    expectInvalid(() => rangeSearch(mutable, queries.subarray(0, 4), 0.1));
    mutable.quantisation = { offset: small.quantisation!.offset, scale: small.quantisation!.scale * 2 };
    expect(Array.from(rangeSearch(mutable, queries.subarray(0, 4), 0.1))).toEqual(bruteForce(mutable, queries.subarray(0, 4), 0.1));
  });

  it.each(['points', 'bounds', 'ids'] as const)('a detached %s buffer gives an AsterismError, not a read of freed memory', (name) => {
    const tree = buildKdTree(input, 4);
    const q = queries.subarray(0, 4);
    expect(rangeSearch(tree, q, 0.2).length).toBeGreaterThan(0);
    const handle = addon!.kdtreeOpen(tree);
    const buffer = tree[name].buffer;
    structuredClone(buffer, { transfer: [buffer as ArrayBuffer] });
    expect(tree[name].length).toBe(0);
    expectInvalid(() => rangeSearch(tree, q, 0.2));
    expectInvalid(() => rangeSearchBatch(tree, queries, 0.2));
    let code: string | undefined;
    try { addon!.kdtreeRangeSearch(handle, q, 0.2); } catch (e) { code = (e as { code?: string }).code; }
    expect(code).toBe('E_INVALID_ARGUMENT');
    code = undefined;
    try { addon!.kdtreeRangeSearchBatch(handle, queries, 0.2); } catch (e) { code = (e as { code?: string }).code; }
    expect(code).toBe('E_INVALID_ARGUMENT');
    return expect(rangeSearchBatchAsync(tree, queries, 0.2)).rejects.toBeInstanceOf(AsterismError);
  });

  it('a detached quantisation offset gives an AsterismError', () => {
    const tree = quantiseKdTree(buildKdTree(input, 4), 'u16');
    rangeSearch(tree, queries.subarray(0, 4), 0.2);
    const buffer = tree.quantisation!.offset.buffer;
    structuredClone(buffer, { transfer: [buffer as ArrayBuffer] });
    expectInvalid(() => rangeSearch(tree, queries.subarray(0, 4), 0.2));
  });

  it('refuses an External that is not a kd-tree handle', () => {
    const other = addon!.kdtreeOpen(buildKdTree(input, 4));
    expect(() => addon!.kdtreeRangeSearch({} as KdTree, queries.subarray(0, 4), 1)).toThrow();
    expect(typeof other).toBe('object');
  });
});

describe('async batch search', () => {
  const input = randomPoints(20000, 4, 51);
  const queries = randomQueries(input, 4, 3000, 52);

  it.each(['f64', 'u16', 'u32'] as const)('%s: equals the synchronous batch under both backends', async (type) => {
    const built = buildKdTree(input, 4);
    const tree = type === 'f64' ? built : quantiseKdTree(built, type);
    for (const radius of [0, 0.02, 0.1]) {
      const sync = withBackend('js', () => rangeSearchBatch(tree, queries, radius));
      for (const backend of backends) {
        const result = await withBackend(backend, () => rangeSearchBatchAsync(tree, queries, radius));
        expect(Array.from(result.offsets)).toEqual(Array.from(sync.offsets));
        expect(Array.from(result.ids)).toEqual(Array.from(sync.ids));
      }
      if (addon) {
        for (const threads of [1, 2, 3, 8]) {
          const result = await addon.kdtreeRangeSearchBatchAsync(tree, queries, radius, threads);
          expect(Array.from(result.ids)).toEqual(Array.from(sync.ids));
          expect(Array.from(result.offsets)).toEqual(Array.from(sync.offsets));
        }
      }
    }
  });

  it.skipIf(!addon)('marks the tree buffers untransferable, so a transfer during the search copies', async () => {
    const tree = buildKdTree(input, 4);
    const pending = rangeSearchBatchAsync(tree, queries, 0.05);
    structuredClone(tree.points.buffer, { transfer: [tree.points.buffer as ArrayBuffer] });
    expect(tree.points.length).toBe(20000 * 4);
    const result = await pending;
    expect(Array.from(result.ids)).toEqual(Array.from(rangeSearchBatch(tree, queries, 0.05).ids));
  });

  it('rejects bad arguments with an AsterismError', async () => {
    const tree = buildKdTree(input, 4);
    for (const backend of backends) {
      await withBackend(backend, async () => {
        await expect(rangeSearchBatchAsync(tree, new Float64Array(5), 0.1)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
        await expect(rangeSearchBatchAsync(tree, queries, -1)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
        await expect(rangeSearchBatchAsync({ ...tree, count: 3 }, queries, 0.1)).rejects.toBeInstanceOf(AsterismError);
      });
    }
  });
});
