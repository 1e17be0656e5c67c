import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AsterismError } from '../lib/errors.js';
import { binTable, listFitsHdus, readColumn, readColumnBytes } from '../lib/image/fits-table.js';
import { concatBytes } from '../lib/image/fits-write.js';
import { readAnetIndex, type AnetIndex } from '../lib/skyindex/anet.js';
import { binTableHdu, writeAnetFixture, type AnetFixtureOptions } from './helpers/anet-fixture.js';

function codeOf(e: unknown): string | undefined {
  return e instanceof AsterismError ? e.code : undefined;
}

function expectCode(fn: () => unknown, code: AsterismError['code']): AsterismError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(codeOf(caught), String(caught)).toBe(code);
  return caught as AsterismError;
}

// A fixed pseudo-random sequence (mulberry32), so fixtures are the same on every run.
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function syntheticOptions(dimQuads: 3 | 4, littleEndian: boolean, seed = 1): AnetFixtureOptions {
  const random = rng(seed);
  const starCount = 9;
  const stars = new Float64Array(starCount * 3);
  for (let i = 0; i < starCount; i++) {
    const z = 2 * random() - 1;
    const phi = 2 * Math.PI * random();
    const r = Math.sqrt(1 - z * z);
    stars.set([r * Math.cos(phi), r * Math.sin(phi), z], i * 3);
  }
  const quadCount = 5;
  const quads = new Uint32Array(quadCount * dimQuads);
  for (let i = 0; i < quads.length; i++) quads[i] = Math.floor(random() * starCount);
  const codes = new Float64Array(quadCount * 2 * (dimQuads - 2));
  for (let i = 0; i < codes.length; i++) codes[i] = random() - 0.2;
  const mags = Float32Array.from({ length: starCount }, () => 5 + 7 * random());
  const sweep = Uint8Array.from({ length: starCount }, (_, i) => i % 4);
  return { dimQuads, littleEndian, stars, quads, codes, mags, sweep };
}

describe('readAnetIndex on synthetic index files', () => {
  for (const dimQuads of [3, 4] as const) {
    for (const littleEndian of [true, false]) {
      it(`reads back DIMQUADS ${dimQuads}, ${littleEndian ? 'little' : 'big'}-endian exactly`, () => {
        const options = syntheticOptions(dimQuads, littleEndian, dimQuads * 10 + Number(littleEndian));
        const fixture = writeAnetFixture(options);
        const index = readAnetIndex(fixture.bytes);
        expect(index.dimQuads).toBe(dimQuads);
        expect(index.codeDim).toBe(2 * (dimQuads - 2));
        expect(index.quadCount).toBe(5);
        expect(index.starCount).toBe(9);
        expect(index.indexId).toBe(4112);
        expect(index.healpix).toBe(-1);
        expect(index.hpNside).toBe(1);
        expect(index.scaleLowerRad).toBeCloseTo(0.0349065850399, 12);
        expect(index.scaleUpperRad).toBeCloseTo(0.0494509954732, 12);
        expect(index.littleEndian).toBe(littleEndian);
        expect(Array.from(index.quads)).toEqual(Array.from(options.quads));
        expect(Array.from(index.codes)).toEqual(Array.from(fixture.codes));
        expect(Array.from(index.stars)).toEqual(Array.from(fixture.stars));
        expect(index.codeStep).toBeGreaterThan(0);
        expect(index.starStep).toBeGreaterThan(0);
        // Quantised values stay within half a step of what was written.
        options.codes.forEach((v, i) => expect(Math.abs(index.codes[i] - v)).toBeLessThanOrEqual(index.codeStep / 2 + 1e-15));
        expect(Array.from(index.mags!)).toEqual(Array.from(options.mags!));
        expect(index.magColumn).toBe('MAG_VT');
        expect(Array.from(index.sweep!)).toEqual(Array.from(options.sweep!));
      });
    }
  }

  it('reads kd-trees stored as doubles, with no range tables', () => {
    const options = { ...syntheticOptions(4, false, 7), codeType: 'double' as const, starType: 'double' as const };
    const index = readAnetIndex(writeAnetFixture(options).bytes);
    expect(Array.from(index.codes)).toEqual(Array.from(options.codes));
    expect(Array.from(index.stars)).toEqual(Array.from(options.stars));
    expect(index.codeStep).toBe(0);
  });

  it('reads u32 codes and the same result from a path as from bytes', () => {
    const fixture = writeAnetFixture({ ...syntheticOptions(3, true, 3), codeType: 'u32' });
    const dir = mkdtempSync(join(tmpdir(), 'asterism-anet-'));
    try {
      const path = join(dir, 'index.fits');
      writeFileSync(path, fixture.bytes);
      const fromPath = readAnetIndex(path);
      const fromBytes = readAnetIndex(fixture.bytes);
      expect(Array.from(fromPath.codes)).toEqual(Array.from(fixture.codes));
      expect(Array.from(fromPath.quads)).toEqual(Array.from(fromBytes.quads));
      expect(Array.from(fromPath.stars)).toEqual(Array.from(fromBytes.stars));
      expect(Array.from(fromPath.mags!)).toEqual(Array.from(fromBytes.mags!));
      expectCode(() => readAnetIndex(join(dir, 'missing.fits')), 'E_IO');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses files that are not indexes with E_INDEX_FORMAT', () => {
    expectCode(() => readAnetIndex(new TextEncoder().encode('hello, this is not FITS')), 'E_INDEX_FORMAT');
    // A valid FITS file with no tables.
    const plain = writeAnetFixture(syntheticOptions(3, true)).bytes.subarray(0, 2880);
    const err = expectCode(() => readAnetIndex(plain), 'E_INDEX_FORMAT');
    expect(err.message).toMatch(/no 'quads' table/);
    // Counts that disagree with the tables.
    expectCode(() => readAnetIndex(writeAnetFixture({ ...syntheticOptions(3, true), nquadsCard: 6 }).bytes), 'E_INDEX_FORMAT');
    expectCode(() => readAnetIndex(writeAnetFixture({ ...syntheticOptions(4, true), ndatCodesCard: 4 }).bytes), 'E_INDEX_FORMAT');
    // A quad that names a star that does not exist.
    const options = syntheticOptions(3, false);
    options.quads[4] = 9;
    expect(() => readAnetIndex(writeAnetFixture(options).bytes)).toThrow(/refers to star 9/);
    // DIMQUADS the codes cannot have, a bad ENDIAN card, missing NSTARS.
    expectCode(() => readAnetIndex(writeAnetFixture({ ...syntheticOptions(3, true), primaryCards: [['DIMQUADS', 4]] }).bytes), 'E_INDEX_FORMAT');
    expectCode(() => readAnetIndex(writeAnetFixture({ ...syntheticOptions(3, true), primaryCards: [['DIMQUADS', 7]] }).bytes), 'E_INDEX_FORMAT');
    expectCode(() => readAnetIndex(writeAnetFixture({ ...syntheticOptions(3, true), primaryCards: [['ENDIAN', 'xx']] }).bytes), 'E_INDEX_FORMAT');
    expectCode(() => readAnetIndex(writeAnetFixture({ ...syntheticOptions(3, true), primaryCards: [['NSTARS', 'many']] }).bytes), 'E_INDEX_FORMAT');
  });

  it('reports truncation and corrupt headers with FITS codes, at every cut', () => {
    const bytes = writeAnetFixture(syntheticOptions(4, true)).bytes;
    for (let cut = 1; cut < bytes.length; cut += 97) {
      let caught: unknown;
      try {
        readAnetIndex(bytes.subarray(0, cut));
      } catch (e) {
        caught = e;
      }
      // A cut that drops only the last table's padding, or whole optional tables (magnitudes,
      // sweep), leaves a readable index; any other cut is a typed error.
      if (caught !== undefined) expect(['E_IMAGE_TRUNCATED', 'E_INDEX_FORMAT'], `cut at ${cut}: ${String(caught)}`).toContain(codeOf(caught));
    }
    // Cutting inside the last table's data is truncation, not a format problem.
    expectCode(() => readAnetIndex(bytes.subarray(0, bytes.length - 2880 - 10)), 'E_IMAGE_TRUNCATED');
    const corrupt = Uint8Array.from(bytes);
    corrupt.set(new TextEncoder().encode('NAXIS2  =                 -5'), 2880 + 4 * 80);
    expectCode(() => readAnetIndex(corrupt), 'E_FITS_HEADER');
    const noEnd = Uint8Array.from(bytes.subarray(0, 2880));
    noEnd.fill(0x20, 14 * 80);
    expectCode(() => readAnetIndex(noEnd), 'E_IMAGE_TRUNCATED');
  });
});

describe('fits-table', () => {

  const primary = writeAnetFixture(syntheticOptions(3, true)).bytes.subarray(0, 2880);

  it('decodes big-endian columns with TSCAL/TZERO conventions', () => {
    const rows = 3;
    const make = (form: string, width: number, fill: (v: DataView, r: number) => void, extra: [string, string | number | boolean][] = []) => {
      const data = new Uint8Array(rows * width);
      const v = new DataView(data.buffer);
      for (let r = 0; r < rows; r++) fill(v, r);
      return binTableHdu('col', form, rows, width, data, extra);
    };
    const file = concatBytes([
      primary,
      ...make('1I', 2, (v, r) => v.setInt16(r * 2, r * 1000 - 32768), [['TZERO1', 32768]]),
      ...make('2J', 8, (v, r) => { v.setInt32(r * 8, -r); v.setInt32(r * 8 + 4, r * 7); }),
      ...make('1K', 8, (v, r) => v.setBigInt64(r * 8, BigInt(r) * 10000000000n)),
      ...make('1E', 4, (v, r) => v.setFloat32(r * 4, r + 0.5)),
      ...make('1D', 8, (v, r) => v.setFloat64(r * 8, r / 3)),
      ...make('1J', 4, (v, r) => v.setInt32(r * 4, r), [['TSCAL1', 0.5], ['TZERO1', 10]]),
      ...make('4A', 4, (v, r) => [0x61 + r, 0x62, 0x20, 0x20].forEach((b, k) => v.setUint8(r * 4 + k, b))),
      ...make('1L', 1, (v, r) => v.setUint8(r, r === 1 ? 0x54 : 0x46)),
      ...make('1B', 1, (v, r) => v.setUint8(r, r), [['TZERO1', -128]]),
      ...make('1I', 2, (v, r) => v.setInt16(r * 2, -r)),
    ]);
    const hdus = listFitsHdus(file);
    expect(hdus.map((h) => h.kind)).toEqual(['primary', ...new Array(10).fill('bintable')]);
    const col = (i: number) => readColumn(file, binTable(hdus[i]), 'col');
    expect(col(1)).toEqual(Uint16Array.from([0, 1000, 2000]));
    expect(col(2)).toEqual(Int32Array.from([0, 0, -1, 7, -2, 14]));
    expect(col(3)).toEqual(BigInt64Array.from([0n, 10000000000n, 20000000000n]));
    expect(col(4)).toEqual(Float32Array.from([0.5, 1.5, 2.5]));
    expect(col(5)).toEqual(Float64Array.from([0, 1 / 3, 2 / 3]));
    expect(col(6)).toEqual(Float64Array.from([10, 10.5, 11]));
    expect(col(7)).toEqual(['ab', 'bb', 'cb']);
    expect(col(8)).toEqual(Uint8Array.from([0, 1, 0]));
    expect(col(9)).toEqual(Int8Array.from([-128, -127, -126]));
    expect(col(10)).toEqual(Int16Array.from([0, -1, -2]));
    expect(Array.from(readColumnBytes(file, binTable(hdus[7]), 0))).toEqual([0x61, 0x62, 0x20, 0x20, 0x62, 0x62, 0x20, 0x20, 0x63, 0x62, 0x20, 0x20]);
  });

  it('refuses bad layouts and unknown columns with typed errors', () => {
    const badWidth = concatBytes([primary, ...binTableHdu('x', '3E', 2, 8, new Uint8Array(16))]);
    expectCode(() => binTable(listFitsHdus(badWidth)[1]), 'E_FITS_HEADER');
    const badForm = concatBytes([primary, ...binTableHdu('x', 'Z9', 2, 8, new Uint8Array(16))]);
    expectCode(() => binTable(listFitsHdus(badForm)[1]), 'E_FITS_HEADER');
    const ok = concatBytes([primary, ...binTableHdu('x', '2E', 2, 8, new Uint8Array(16))]);
    const hdus = listFitsHdus(ok);
    expectCode(() => binTable(hdus[0]), 'E_IMAGE_FORMAT');
    expectCode(() => readColumn(ok, binTable(hdus[1]), 'nope'), 'E_INVALID_ARGUMENT');
    expectCode(() => listFitsHdus(ok.subarray(0, ok.length - 2880 + 3)), 'E_IMAGE_TRUNCATED');
    expectCode(() => listFitsHdus(new Uint8Array(10)), 'E_IMAGE_FORMAT');
  });
});

const REAL_INDEX = '/usr/share/astrometry/index-tycho2-12.littleendian.fits';
const haveReal = existsSync(REAL_INDEX);
if (!haveReal) console.warn(`skipping real-file tests: ${REAL_INDEX} is absent (Debian package astrometry-data-tycho2-10-19-littleendian)`);

/**
 * Tangent-plane coordinates (radians) of unit vector `s` projected at unit vector `r`, as
 * [north, east]: astrometry.net's star_coords gives the component along increasing Dec first
 * and along increasing RA second, and quad_compute_star_code uses them in that order as (x, y).
 */
function tangentNorthEast(s: ArrayLike<number>, r: ArrayLike<number>): [number, number] {
  const dot = s[0] * r[0] + s[1] * r[1] + s[2] * r[2];
  const en = Math.hypot(r[0], r[1]);
  const east = [-r[1] / en, r[0] / en, 0];
  // north = r × east
  const north = [-r[2] * east[1], r[2] * east[0], r[0] * east[1] - r[1] * east[0]];
  return [
    (s[0] * north[0] + s[1] * north[1] + s[2] * north[2]) / dot,
    (s[0] * east[0] + s[1] * east[1]) / dot,
  ];
}

/**
 * The code convention found in astrometry.net (util/quad-utils.c quad_compute_star_code, and
 * the paper, Lang et al. 2010 section 2.2), checked against these files below:
 * - the quad's stars are stored as A, B, C[, D, E]; A–B is the most widely separated pair;
 * - project all stars onto the tangent plane at the normalised midpoint of A and B, taking
 *   (x, y) = (north, east) — the order star_coords returns them in;
 * - the similarity with A → (0, 0), B → (1, 1): as complex numbers z' = (z − zA)/(zB − zA)·(1 + i);
 * - the code is (x, y) of C, then D, ...: 2 × (DIMQUADS − 2) numbers.
 * Stored codes also obey the invariants the code tree's header declares (CXDX, CXDXLT1,
 * CIRCLE): inner stars sorted by x, sum of their x ≤ (DIMQUADS − 2)/2, all inside the circle
 * with diameter AB.
 */
function starCode(index: AnetIndex, q: number): { code: number[]; frame: (z: [number, number]) => [number, number]; mid: number[] } {
  const star = (k: number) => index.stars.subarray(3 * index.quads[q * index.dimQuads + k], 3 * index.quads[q * index.dimQuads + k] + 3);
  const a = star(0);
  const b = star(1);
  const m = [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
  const len = Math.hypot(m[0], m[1], m[2]);
  const mid = m.map((v) => v / len);
  const [ax, ay] = tangentNorthEast(a, mid);
  const [bx, by] = tangentNorthEast(b, mid);
  // (z − a) / (b − a) × (1 + i)
  const dx = bx - ax;
  const dy = by - ay;
  const d2 = dx * dx + dy * dy;
  const cos = (dx + dy) / d2;
  const sin = (dy - dx) / d2;
  const frame = ([x, y]: [number, number]): [number, number] => {
    const px = x - ax;
    const py = y - ay;
    return [px * cos + py * sin, -px * sin + py * cos];
  };
  const code: number[] = [];
  for (let k = 2; k < index.dimQuads; k++) code.push(...frame(tangentNorthEast(star(k), mid)));
  return { code, frame, mid };
}

describe.skipIf(!haveReal)('readAnetIndex on the Debian Tycho-2 index 12', () => {
  const index = haveReal ? readAnetIndex(REAL_INDEX) : (undefined as unknown as AnetIndex);

  it('reads the header values and counts', () => {
    expect(index.indexId).toBe(4112);
    expect(index.dimQuads).toBe(3);
    expect(index.codeDim).toBe(2);
    expect(index.quadCount).toBe(150528);
    expect(index.starCount).toBe(94080);
    expect(index.healpix).toBe(-1);
    expect(index.hpNside).toBe(0);
    expect(index.scaleLowerRad).toBeCloseTo(0.0349065850399, 12);
    expect(index.scaleUpperRad).toBeCloseTo(0.0494509954732, 12);
    expect(index.littleEndian).toBe(true);
    expect(index.quads.length).toBe(150528 * 3);
    expect(index.codes.length).toBe(150528 * 2);
    expect(index.stars.length).toBe(94080 * 3);
    expect(index.magColumn).toBe('MAG_VT');
    expect(index.mags!.length).toBe(94080);
    expect(index.sweep!.length).toBe(94080);
    // 16-bit codes over a range of 1.414: one step is 1/46340.
    expect(index.codeStep).toBeCloseTo(1 / 46340.2429, 10);
  });

  it('holds unit vectors and plausible magnitudes', () => {
    let worst = 0;
    for (let j = 0; j < index.starCount; j++) {
      worst = Math.max(worst, Math.abs(Math.hypot(index.stars[3 * j], index.stars[3 * j + 1], index.stars[3 * j + 2]) - 1));
    }
    // Each component is quantised to 2 / 2^32.
    expect(worst).toBeLessThan(1e-8);
    const mags = Array.from(index.mags!);
    expect(Math.min(...mags)).toBeGreaterThan(-2);
    expect(Math.max(...mags)).toBeLessThan(16);
  });

  it('stores, for each quad, the code of its own stars (A, B the widest pair first)', () => {
    // Errors: half a code step from quantising the code, plus a little from the star positions
    // (each quantised to ~5e-10 rad, over quads at least 0.035 rad wide).
    const tolerance = index.codeStep / 2 + 1e-7;
    const step = 37;
    let checked = 0;
    for (let q = 0; q < index.quadCount; q += step) {
      const { code, frame, mid } = starCode(index, q);
      const stored = index.codes.subarray(q * index.codeDim, (q + 1) * index.codeDim);
      for (let k = 0; k < index.codeDim; k++) expect(Math.abs(code[k] - stored[k]), `quad ${q}[${k}]`).toBeLessThanOrEqual(tolerance);
      // A-B is the diameter: no other pair of the quad's stars is farther apart.
      const ids = Array.from(index.quads.subarray(q * index.dimQuads, (q + 1) * index.dimQuads));
      const dist = (i: number, j: number) => Math.hypot(
        index.stars[3 * ids[i]] - index.stars[3 * ids[j]], index.stars[3 * ids[i] + 1] - index.stars[3 * ids[j] + 1], index.stars[3 * ids[i] + 2] - index.stars[3 * ids[j] + 2]);
      const ab = dist(0, 1);
      for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) expect(dist(i, j)).toBeLessThanOrEqual(ab + 1e-12);
      // The invariants: sum of inner x ≤ (n − 2)/2, inside the AB circle.
      let sumX = 0;
      for (let k = 0; k < index.codeDim; k += 2) {
        sumX += stored[k];
        expect((stored[k] - 0.5) ** 2 + (stored[k + 1] - 0.5) ** 2).toBeLessThanOrEqual(0.5 + 4 * index.codeStep);
      }
      expect(sumX).toBeLessThanOrEqual((index.dimQuads - 2) / 2 + index.codeStep);
      // Inverse: the stored code, mapped back through the similarity, lands on the star.
      const [ax, ay] = tangentNorthEast(index.stars.subarray(3 * ids[0], 3 * ids[0] + 3), mid);
      const [bx, by] = tangentNorthEast(index.stars.subarray(3 * ids[1], 3 * ids[1] + 3), mid);
      for (let k = 2; k < ids.length; k++) {
        // z = zA + code · (zB − zA) / (1 + i)
        const cx = stored[2 * (k - 2)];
        const cy = stored[2 * (k - 2) + 1];
        const ux = ((bx - ax) + (by - ay)) / 2;
        const uy = ((by - ay) - (bx - ax)) / 2;
        const px = ax + cx * ux - cy * uy;
        const py = ay + cx * uy + cy * ux;
        const [sx, sy] = tangentNorthEast(index.stars.subarray(3 * ids[k], 3 * ids[k] + 3), mid);
        expect(Math.hypot(px - sx, py - sy), `quad ${q} star ${k}`).toBeLessThanOrEqual(Math.hypot(bx - ax, by - ay) * tolerance * 1.5);
        const back = frame([px, py]);
        expect(Math.abs(back[0] - cx) + Math.abs(back[1] - cy)).toBeLessThan(1e-9);
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(4000);
  });

  it('lists the tables build-astrometry-index writes', () => {
    const names = listFitsHdus(readFileSync(REAL_INDEX)).slice(1).map((h) => String(h.cards.find((c) => c.keyword === 'TTYPE1')?.value));
    expect(names).toEqual([
      'quads', 'kdtree_header_codes', 'kdtree_lr_codes', 'kdtree_split_codes', 'kdtree_range_codes', 'kdtree_data_codes',
      'kdtree_header_stars', 'kdtree_lr_stars', 'kdtree_split_stars', 'kdtree_range_stars', 'kdtree_data_stars', 'sweep', 'MAG_VT',
    ]);
  });
});
