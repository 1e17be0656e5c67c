import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSubIndex } from '../lib/skyindex/build.js';
import { writeContainer, readContainer } from '../lib/skyindex/container.js';
import { rangeSearch } from '../lib/skyindex/kdtree.js';
import { quadCodeOf } from '../lib/skyindex/subindex.js';
import { loadSubIndex, readSubIndex, writeSubIndex } from '../lib/skyindex/subindex-file.js';
import { syntheticCatalog } from '../scripts/synth/catalog.js';


describe('sub-index files', () => {
  const built = buildSubIndex(syntheticCatalog(20000, 3), { scaleLowerDeg: 10, scaleUpperDeg: 14, indexId: 42 });
  const bytes = writeSubIndex(built);

  it('round-trip: same metadata and arrays, searchable in place', async () => {
    const back = readSubIndex(bytes);
    expect(back.meta).toEqual(built.meta);
    expect(Array.from(back.quads)).toEqual(Array.from(built.quads));
    expect(Array.from(back.codes.points)).toEqual(Array.from(built.codes.points));
    expect(Array.from(back.stars.points)).toEqual(Array.from(built.stars.points));
    expect(Array.from(back.stars.bounds)).toEqual(Array.from(built.stars.bounds));
    expect(back.codes.quantisation).toEqual(built.codes.quantisation);
    expect(back.stars.quantisation).toEqual(built.stars.quantisation);
    // Views of the file's bytes: no copy beyond the one read.
    for (const array of [back.codes.points, back.codes.bounds, back.stars.points, back.stars.bounds, back.quads, back.mags]) {
      expect(array.buffer).toBe(bytes.buffer);
    }
    const q = 5;
    expect(Array.from(rangeSearch(back.codes, quadCodeOf(back, q), 1e-9))).toContain(q);
    const dir = mkdtempSync(join(tmpdir(), 'asterism-idx-'));
    writeFileSync(join(dir, 'a.idx'), bytes);
    expect((await loadSubIndex(join(dir, 'a.idx'))).meta.indexId).toBe(42);
    await expect(loadSubIndex(join(dir, 'missing.idx'))).rejects.toMatchObject({ code: 'E_IO' });
  });

  it('refuses corrupt, truncated and inconsistent files', () => {
    expect(() => readSubIndex(bytes.subarray(0, bytes.length - 100))).toThrow(expect.objectContaining({ code: 'E_INDEX_TRUNCATED' }));
    const flipped = bytes.slice();
    flipped[bytes.length - 1000] ^= 1;
    expect(() => readSubIndex(flipped)).toThrow(expect.objectContaining({ code: 'E_INDEX_FORMAT' }));
    // A well-formed container whose contents disagree with its metadata.
    const { meta, sections } = readContainer<Record<string, unknown>>(bytes);
    const tamper = (m: Record<string, unknown>, s: Record<string, unknown> = {}) => writeContainer({ meta: { ...meta, ...m }, sections: { ...sections, ...s } as never });
    expect(() => readSubIndex(tamper({ quadCount: (meta.quadCount as number) + 1 }))).toThrow(expect.objectContaining({ code: 'E_INDEX_FORMAT' }));
    expect(() => readSubIndex(tamper({ kind: 'something else' }))).toThrow(expect.objectContaining({ code: 'E_INDEX_FORMAT' }));
    expect(() => readSubIndex(tamper({ layoutVersion: 99 }))).toThrow(expect.objectContaining({ code: 'E_INDEX_VERSION' }));
    const quads = Uint32Array.from(sections.quads as Uint32Array);
    quads[3] = 10 ** 9;
    expect(() => readSubIndex(tamper({}, { quads }))).toThrow(expect.objectContaining({ code: 'E_INDEX_FORMAT', message: expect.stringContaining('names star') }));
    expect(() => readSubIndex(tamper({}, { starMags: new Float32Array(3) }))).toThrow(expect.objectContaining({ code: 'E_INDEX_FORMAT' }));
    expect(() => readSubIndex(tamper({}, { codePoints: new Float64Array((sections.codePoints as Uint16Array).length) }))).toThrow(expect.objectContaining({ code: 'E_INDEX_FORMAT', message: expect.stringContaining('codePoints') }));
    const codeTree = meta.codeTree as Record<string, unknown>;
    expect(() => readSubIndex(tamper({ codeTree: { ...codeTree, scale: 0 } }))).toThrow(expect.objectContaining({ code: 'E_INDEX_FORMAT', message: expect.stringContaining('quantisation') }));
    expect(() => readSubIndex(tamper({ codeTree: { ...codeTree, offset: [0, 0] } }))).toThrow(expect.objectContaining({ code: 'E_INDEX_FORMAT', message: expect.stringContaining('quantisation') }));
  });
});
