import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_INDEX_DIR, loadDefaultIndex } from '../lib/skyindex/default-index.js';
import { rangeSearch } from '../lib/skyindex/kdtree.js';
import { quadCodeOf, quadDiameterDeg } from '../lib/skyindex/subindex.js';

interface Manifest {
  totalBytes: number;
  subIndices: Array<{ file: string; bytes: number; sha256: string; quadDiameterDeg: [number, number] }>;
}
const manifest = JSON.parse(readFileSync(join(DEFAULT_INDEX_DIR, 'manifest.json'), 'utf8')) as Manifest;

describe('the shipped default index', () => {
  it('is what its manifest says, byte for byte, and at most 25 MB', () => {
    for (const entry of manifest.subIndices) {
      const bytes = readFileSync(join(DEFAULT_INDEX_DIR, entry.file));
      expect(bytes.length).toBe(entry.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(entry.sha256);
    }
    expect(manifest.totalBytes).toBeLessThanOrEqual(25e6);
  });

  it('loads once per process, each file read into one buffer that every array views', async () => {
    const set = await loadDefaultIndex();
    expect(loadDefaultIndex()).toBe(loadDefaultIndex());
    expect(await loadDefaultIndex()).toBe(set);
    expect(set.subIndices.map((e) => e.path.split('/').pop())).toEqual(manifest.subIndices.map((e) => e.file));
    for (const { path, index } of set.subIndices) {
      const size = statSync(path).size;
      const arrays = [index.stars.points, index.stars.bounds, index.codes.points, index.codes.bounds, index.quads, index.mags];
      const buffers = new Set(arrays.map((a) => a.buffer));
      expect(buffers.size).toBe(1);
      expect(arrays[0].buffer.byteLength).toBe(size);
    }
  });

  it('has sub-indices for images from 1° to 30° wide, each finding its own quads', async () => {
    const set = await loadDefaultIndex();
    for (const width of [1, 2, 5, 10, 30]) expect(set.select(width, width).length).toBeGreaterThan(0);
    for (const { index } of set.subIndices) {
      const { quadCount, scaleLowerDeg, scaleUpperDeg } = index.meta;
      for (const q of [0, Math.floor(quadCount / 2), quadCount - 1]) {
        expect(Array.from(rangeSearch(index.codes, quadCodeOf(index, q), 1e-6))).toContain(q);
        const d = quadDiameterDeg(index, q);
        expect(d).toBeGreaterThanOrEqual(scaleLowerDeg - 1e-6);
        expect(d).toBeLessThanOrEqual(scaleUpperDeg + 1e-6);
      }
    }
  });
});
