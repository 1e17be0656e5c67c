import { describe, expect, it } from 'vitest';
import { buildSubIndex, buildSubIndexAsync, selectUniformStars } from '../lib/skyindex/build.js';
import { rangeSearch } from '../lib/skyindex/kdtree.js';
import { quadCodeOf, quadDiameterDeg, starVector } from '../lib/skyindex/subindex.js';
import { tanProject } from '../lib/sky/tan.js';
import { midpoint } from '../lib/sky/vector.js';
import { quadCode } from '../lib/solve/quad-code.js';
import { vecToPixel } from '../lib/sky/healpix.js';
import { syntheticCatalog } from '../scripts/synth/catalog.js';


describe('sub-index builder', () => {
  const catalog = syntheticCatalog(30000, 11);
  const index = buildSubIndex(catalog, { scaleLowerDeg: 8, scaleUpperDeg: 8 * Math.SQRT2, indexId: 7 });

  it('keeps the brightest stars per cell, brightest ranks first', () => {
    const chosen = selectUniformStars(catalog, 4, 3);
    const perCell = new Map<number, number[]>();
    for (const s of chosen) {
      const cell = vecToPixel(4, [Math.cos((catalog.dec[s] * Math.PI) / 180) * Math.cos((catalog.ra[s] * Math.PI) / 180), Math.cos((catalog.dec[s] * Math.PI) / 180) * Math.sin((catalog.ra[s] * Math.PI) / 180), Math.sin((catalog.dec[s] * Math.PI) / 180)]);
      perCell.set(cell, [...(perCell.get(cell) ?? []), s]);
    }
    expect(perCell.size).toBe(192);
    for (const members of perCell.values()) expect(members.length).toBe(3);
    // the first 192 chosen are each cell's brightest
    const firstRound = new Set(chosen.slice(0, 192));
    for (const members of perCell.values()) {
      const brightest = members.reduce((a, b) => (catalog.mag[a] <= catalog.mag[b] ? a : b));
      expect(firstRound.has(brightest)).toBe(true);
    }
  });

  it('places quads with diameters in the scale range over nearly every cell', () => {
    expect(index.meta.quadCount).toBeGreaterThan(0);
    expect(index.meta.cellCoverage).toBeGreaterThan(0.97);
    for (let q = 0; q < index.meta.quadCount; q++) {
      const d = quadDiameterDeg(index, q);
      expect(d).toBeGreaterThanOrEqual(8 - 1e-9);
      expect(d).toBeLessThanOrEqual(8 * Math.SQRT2 + 1e-9);
    }
    expect(index.meta.indexId).toBe(7);
  });

  it('stores each quad with the code its stars give, in (north, east) tangent coordinates', () => {
    const { dimQuads: k, codeDim } = index.meta;
    // Codes are stored as u16 steps: the stored code is within half a step (plus the stars' own
    // u32 rounding, ~1e-9) of the code recomputed from the stored stars.
    const halfStep = index.codes.quantisation!.scale / 2 + 1e-7;
    for (let q = 0; q < index.meta.quadCount; q += 7) {
      const members = Array.from(index.quads.subarray(q * k, q * k + k));
      const mid = midpoint(starVector(index, members[0]), starVector(index, members[1]));
      const xy: number[] = [];
      for (const t of members) {
        const p = tanProject(mid, starVector(index, t))!;
        xy.push(p.y, p.x);
      }
      const recomputed = quadCode(xy, k)!;
      expect(recomputed.order.slice(0, 2).sort()).toEqual([0, 1]);
      const stored = quadCodeOf(index, q);
      for (let z = 0; z < codeDim; z++) expect(Math.abs(stored[z] - recomputed.code[z])).toBeLessThanOrEqual(halfStep);
    }
  });

  it('stores stars as u32 and codes as u16, in tree order without ids', () => {
    expect(index.stars.points).toBeInstanceOf(Uint32Array);
    expect(index.codes.points).toBeInstanceOf(Uint16Array);
    expect(index.stars.ids).toBeUndefined();
    expect(index.codes.ids).toBeUndefined();
    expect(index.stars.quantisation!.scale).toBeLessThan(1e-9);
    expect(index.codes.quantisation!.scale).toBeLessThan(3e-5);
    for (let t = 0; t < index.meta.starCount; t += 13) {
      const v = starVector(index, t);
      expect(Math.hypot(...v)).toBeCloseTo(1, 12);
    }
  });

  it('finds every quad through the code tree by its own code', () => {
    for (let q = 0; q < index.meta.quadCount; q += 11) {
      const hits = rangeSearch(index.codes, quadCodeOf(index, q), 1e-9);
      expect(Array.from(hits)).toContain(q);
    }
  });

  it('never uses a star index outside the star list, nor the same star set twice', () => {
    const k = index.meta.dimQuads;
    const keys = new Set<string>();
    for (let q = 0; q < index.meta.quadCount; q++) {
      const members = Array.from(index.quads.subarray(q * k, q * k + k));
      for (const t of members) expect(t).toBeLessThan(index.meta.starCount);
      expect(new Set(members).size).toBe(k);
      const key = [...members].sort((a, b) => a - b).join(',');
      expect(keys.has(key)).toBe(false);
      keys.add(key);
    }
  });

  it('builds the same sub-index asynchronously, and stops when aborted mid-way', async () => {
    const again = await buildSubIndexAsync(catalog, { scaleLowerDeg: 8, scaleUpperDeg: 8 * Math.SQRT2, indexId: 7 });
    expect(Array.from(again.quads)).toEqual(Array.from(index.quads));
    const controller = new AbortController();
    const big = buildSubIndexAsync(catalog, { scaleLowerDeg: 2, scaleUpperDeg: 2.8, signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    await expect(big).rejects.toMatchObject({ code: 'E_ABORTED' });
  });

  it('refuses bad options and honours an abort signal', () => {
    expect(() => buildSubIndex(catalog, { scaleLowerDeg: 2, scaleUpperDeg: 1 })).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
    expect(() => buildSubIndex(catalog, { scaleLowerDeg: 1, scaleUpperDeg: 2, dimQuads: 6 as never })).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
    const controller = new AbortController();
    controller.abort();
    expect(() => buildSubIndex(catalog, { scaleLowerDeg: 8, scaleUpperDeg: 11, signal: controller.signal })).toThrow(expect.objectContaining({ code: 'E_ABORTED' }));
  });
});

describe('index series', () => {
  it('splits a diameter range into steps of √2, the last ending at the maximum', async () => {
    const { indexScaleSeries } = await import('../lib/skyindex/build.js');
    const series = indexScaleSeries(1, 8);
    expect(series.length).toBe(6);
    expect(series[0][0]).toBe(1);
    expect(series[series.length - 1][1]).toBe(8);
    for (let i = 1; i < series.length; i++) expect(series[i][0]).toBeCloseTo(series[i - 1][1], 12);
    expect(() => indexScaleSeries(2, 1)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
  });

  it('buildIndex builds one sub-index per step, numbered in order', async () => {
    const { buildIndex } = await import('../lib/skyindex/build.js');
    const fractions: number[] = [];
    const built = await buildIndex(syntheticCatalog(8000, 5), { scaleMinDeg: 12, scaleMaxDeg: 24, onProgress: (f) => fractions.push(f) });
    expect(built.map((b) => b.meta.indexId)).toEqual([0, 1]);
    expect(built[1].meta.scaleUpperDeg).toBe(24);
    expect(Math.max(...fractions)).toBeLessThanOrEqual(1);
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]).toBeGreaterThanOrEqual(fractions[i - 1]);
  });
});
