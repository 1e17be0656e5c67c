import { describe, expect, it } from 'vitest';
import { INDEX_CONTAINER_VERSION, readContainer, writeContainer } from '../lib/skyindex/container.js';

const sample = () => ({
  meta: { kind: 'test', scale: [0.5, 0.7], provenance: { catalog: 'synthetic' } },
  sections: {
    stars: Float64Array.from([1, 2, 3, 4.5, -6, 7e300]),
    codes: Float32Array.from([0.25, 0.5, 0.75]),
    quads: Uint32Array.from([0, 1, 2, 3, 4294967295]),
    flags: Uint8Array.from([1, 0, 1]),
    empty: new Uint16Array(0),
    signed: Int32Array.from([-1, 2]),
  },
});

describe('index container', () => {
  it('round-trips metadata and typed sections, as views of the file bytes', () => {
    const bytes = writeContainer(sample());
    const back = readContainer<{ kind: string }>(bytes);
    expect(back.meta).toEqual(sample().meta);
    for (const [name, array] of Object.entries(sample().sections)) {
      expect(back.sections[name]).toBeInstanceOf(array.constructor);
      expect(Array.from(back.sections[name])).toEqual(Array.from(array));
      expect(back.sections[name].buffer).toBe(bytes.buffer);
      expect(back.sections[name].byteOffset % 8).toBe(0);
    }
  });

  it('copies once when the bytes are not 8-byte aligned', () => {
    const bytes = writeContainer(sample());
    const shifted = new Uint8Array(bytes.length + 3).subarray(3);
    shifted.set(bytes);
    expect(Array.from(readContainer(shifted).sections.stars)).toEqual(Array.from(sample().sections.stars));
  });

  it('refuses truncated, corrupt, foreign and future files with the right code', () => {
    const bytes = writeContainer(sample());
    expect(() => readContainer(bytes.subarray(0, bytes.length - 8))).toThrow(expect.objectContaining({ code: 'E_INDEX_TRUNCATED' }));
    expect(() => readContainer(bytes.subarray(0, 10))).toThrow(expect.objectContaining({ code: 'E_INDEX_TRUNCATED' }));
    expect(() => readContainer(new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'E_INDEX_FORMAT' }));
    const corrupt = bytes.slice();
    corrupt[corrupt.length - 20] ^= 0x40;
    expect(() => readContainer(corrupt)).toThrow(expect.objectContaining({ code: 'E_INDEX_FORMAT', message: expect.stringContaining('checksum') }));
    const foreign = bytes.slice();
    foreign[0] = 0x53;
    expect(() => readContainer(foreign)).toThrow(expect.objectContaining({ code: 'E_INDEX_FORMAT' }));
    const future = bytes.slice();
    new DataView(future.buffer).setUint32(8, INDEX_CONTAINER_VERSION + 1, true);
    expect(() => readContainer(future)).toThrow(expect.objectContaining({ code: 'E_INDEX_VERSION' }));
    const longer = new Uint8Array(bytes.length + 8);
    longer.set(bytes);
    expect(() => readContainer(longer)).toThrow(expect.objectContaining({ code: 'E_INDEX_FORMAT' }));
  });

  it('refuses a section table pointing outside the file even when the checksum is skipped', () => {
    const bytes = writeContainer(sample());
    const bad = bytes.slice();
    new DataView(bad.buffer).setBigUint64(32 + 24 + 16, 10n ** 12n, true);
    expect(() => readContainer(bad, 'bad.idx', { verifyChecksum: false })).toThrow(expect.objectContaining({ code: 'E_INDEX_FORMAT', message: expect.stringContaining('bad.idx') }));
  });

  it('survives random corruption without anything but typed errors', () => {
    const bytes = writeContainer(sample());
    let seed = 1;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let t = 0; t < 500; t++) {
      const b = bytes.slice(0, t % 3 === 0 ? Math.floor(next() * bytes.length) : bytes.length);
      for (let k = 0; k < 3; k++) b[Math.floor(next() * b.length)] ^= 1 << Math.floor(next() * 8);
      try {
        readContainer(b, 'x', { verifyChecksum: t % 2 === 0 });
      } catch (e) {
        expect((e as { code?: string }).code).toMatch(/^E_INDEX_/);
      }
    }
  });
});
