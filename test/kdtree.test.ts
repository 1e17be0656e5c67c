import { describe, expect, it } from 'vitest';
import { AsterismError } from '../lib/errors.js';
import { nativeAddon } from '../lib/native/addon.js';
import { buildKdTree, buildKdTreeAsync, kdTreeLevels, kdTreeNodeCount, rangeSearch, rangeSearchBatch, type KdTree } from '../lib/skyindex/kdtree.js';
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

/** Ids of tree points within radius, in tree order, by testing every point the same way the search does. */
function bruteForce(tree: KdTree, query: Float64Array, radius: number): number[] {
  const r2 = radius * radius;
  const out: number[] = [];
  for (let i = 0; i < tree.count; i++) {
    let sum = 0;
    for (let d = 0; d < tree.dim; d++) {
      const diff = tree.points[i * tree.dim + d] - query[d];
      sum += diff * diff;
    }
    if (sum <= r2) out.push(tree.ids[i]);
  }
  return out;
}

/** Checks the layout invariants of a built tree against its input. */
function checkInvariants(tree: KdTree, input: Float64Array, leafSize: number): void {
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
