import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AsterismError } from '../lib/errors.js';
import { buildSubIndex } from '../lib/skyindex/build.js';
import { loadIndex, type IndexSetEntry } from '../lib/skyindex/index-set.js';
import { rangeSearch } from '../lib/skyindex/kdtree.js';
import { quadCodeOf, starVector } from '../lib/skyindex/subindex.js';
import { writeSubIndex } from '../lib/skyindex/subindex-file.js';
import { syntheticCatalog } from '../scripts/synth/catalog.js';
import { createRng } from '../scripts/synth/random.js';
import { writeAnetFixture } from './helpers/anet-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'asterism-set-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


async function expectCode(promise: Promise<unknown>, code: AsterismError['code'], message?: RegExp): Promise<void> {
  const e = await promise.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(AsterismError);
  expect((e as AsterismError).code).toBe(code);
  if (message) expect((e as AsterismError).message).toMatch(message);
}

/** Every quad of the entry is found by a range search on its own code. */
function expectQuadsFindThemselves(entry: IndexSetEntry, sample: number[]): void {
  for (const q of sample) expect(Array.from(rangeSearch(entry.index.codes, quadCodeOf(entry.index, q), 1e-9))).toContain(q);
}

describe('loadIndex', () => {
  const catalog = syntheticCatalog(20000, 5);
  const small = buildSubIndex(catalog, { scaleLowerDeg: 8, scaleUpperDeg: 11, indexId: 1 });
  const large = buildSubIndex(catalog, { scaleLowerDeg: 11, scaleUpperDeg: 16, indexId: 2 });
  const asterismDir = join(dir, 'asterism');
  mkdirSync(asterismDir);
  writeFileSync(join(asterismDir, 'a-small.idx'), writeSubIndex(small));
  writeFileSync(join(asterismDir, 'b-large.idx'), writeSubIndex(large));
  writeFileSync(join(asterismDir, 'notes.txt'), 'not an index, and ignored: wrong extension');

  it('loads every .idx of a directory, in name order', async () => {
    const set = await loadIndex(asterismDir);
    expect(set.subIndices.map((e) => e.format)).toEqual(['asterism', 'asterism']);
    expect(set.subIndices.map((e) => e.index.meta.indexId)).toEqual([1, 2]);
    expect(set.subIndices[0].index.meta.quadCount).toBe(small.meta.quadCount);
    expect(set.subIndices[1].index.meta.starCount).toBe(large.meta.starCount);
  });

  it('selects sub-indices by image width: quads from 0.1 to 1 times the width', async () => {
    const set = await loadIndex(asterismDir);
    const ids = (lo: number, hi: number) => set.select(lo, hi).map((e) => e.index.meta.indexId);
    expect(ids(9, 9)).toEqual([1]); // only the 8–11° quads fit in a 9° image
    expect(ids(12, 12)).toEqual([1, 2]);
    expect(ids(100, 100)).toEqual([1, 2]); // 10% of 100° = 10°: both have quads that large
    expect(ids(130, 150)).toEqual([2]); // 10% of 130° = 13°: only the 11–16° quads
    expect(ids(170, 200)).toEqual([]);
    expect(ids(1, 7)).toEqual([]);
    expect(() => set.select(0, 1)).toThrow(AsterismError);
  });

  it('reads an astrometry.net file next to asterism files, reordering it into tree order', async () => {
    const random = createRng(3);
    const starCount = 40, quadCount = 12;
    const stars = new Float64Array(starCount * 3);
    for (let i = 0; i < starCount; i++) {
      const z = random.uniform(-1, 1), phi = random.uniform(0, 2 * Math.PI), r = Math.sqrt(1 - z * z);
      stars.set([r * Math.cos(phi), r * Math.sin(phi), z], 3 * i);
    }
    const quads = Uint32Array.from({ length: quadCount * 4 }, () => Math.floor(random.uniform(0, starCount)));
    const codes = Float64Array.from({ length: quadCount * 4 }, () => random.uniform(-0.2, 0.8));
    const fixture = writeAnetFixture({ dimQuads: 4, littleEndian: true, stars, quads, codes, codeType: 'double', starType: 'double' });
    const anetPath = join(dir, 'index-fixture.fits');
    writeFileSync(anetPath, fixture.bytes);

    const set = await loadIndex([anetPath, join(asterismDir, 'a-small.idx')]);
    expect(set.subIndices.map((e) => e.format)).toEqual(['astrometry.net', 'asterism']);
    const entry = set.subIndices[0];
    const m = entry.index.meta;
    expect(m.kind).toBe('asterism-subindex');
    expect([m.starCount, m.quadCount, m.dimQuads, m.codeDim]).toEqual([starCount, quadCount, 4, 4]);
    expect(m.catalog.source).toBe('index-fixture.fits');
    expect(m.scaleLowerDeg).toBeCloseTo(2, 9); // the fixture writes SCALE_L 2°, SCALE_U 2.83°
    expectQuadsFindThemselves(entry, Array.from({ length: quadCount }, (_, q) => q));
    // Loaded star t is the file's star fileStar[t] (the nearest vector: the tree keeps them exactly).
    const fileStar = Array.from({ length: starCount }, (_, t) => {
      const v = starVector(entry.index, t);
      let best = -1, bestD = Infinity;
      for (let s = 0; s < starCount; s++) {
        const d = Math.hypot(v[0] - fixture.stars[3 * s], v[1] - fixture.stars[3 * s + 1], v[2] - fixture.stars[3 * s + 2]);
        if (d < bestD) [best, bestD] = [s, d];
      }
      expect(bestD).toBeLessThan(1e-12);
      return best;
    });
    // The same quads, star for star in the same roles, each with the file's code.
    const fileQuad = (q: number) => Array.from(quads.subarray(4 * q, 4 * q + 4)).join();
    const loadedQuad = (q: number) => Array.from(entry.index.quads.subarray(4 * q, 4 * q + 4), (t) => fileStar[t]).join();
    const fileOrder = Array.from({ length: quadCount }, (_, q) => fileQuad(q));
    for (let q = 0; q < quadCount; q++) {
      const f = fileOrder.indexOf(loadedQuad(q));
      expect(f).toBeGreaterThanOrEqual(0);
      expect(Array.from(quadCodeOf(entry.index, q))).toEqual(Array.from(codes.subarray(4 * f, 4 * f + 4)));
    }
    expect(new Set(Array.from({ length: quadCount }, (_, q) => loadedQuad(q))).size).toBe(new Set(fileOrder).size);
  });

  const debian = '/usr/share/astrometry/index-tycho2-12.littleendian.fits';
  it.skipIf(!existsSync(debian))('reads the Debian Tycho-2 index 12 and finds its quads by their codes', async () => {
    const set = await loadIndex(debian);
    const entry = set.subIndices[0];
    expect(entry.format).toBe('astrometry.net');
    expect(entry.index.meta.quadCount).toBeGreaterThan(1000);
    expect(entry.index.meta.scaleLowerDeg * 60).toBeGreaterThan(60);
    const n = entry.index.meta.quadCount;
    expectQuadsFindThemselves(entry, [0, 1, Math.floor(n / 2), n - 1]);
    expect(set.select(10, 10)).toHaveLength(1);
  });

  it('reports missing paths, foreign files and empty directories', async () => {
    await expectCode(loadIndex(join(dir, 'nope.idx')), 'E_IO');
    const foreign = join(dir, 'foreign.idx');
    writeFileSync(foreign, 'hello, this is text');
    await expectCode(loadIndex(foreign), 'E_INDEX_FORMAT', /foreign\.idx/);
    const notIndex = join(dir, 'image.fits');
    writeFileSync(notIndex, `${'SIMPLE  =                    T'.padEnd(80)}${'END'.padEnd(80)}`.padEnd(2880));
    await expectCode(loadIndex(notIndex), 'E_INDEX_FORMAT', /image\.fits/);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    await expectCode(loadIndex(empty), 'E_INVALID_ARGUMENT', /no index files/);
    const aborted = AbortSignal.abort();
    await expectCode(loadIndex(asterismDir, { signal: aborted }), 'E_ABORTED');
  });
});
