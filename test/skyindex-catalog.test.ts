import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAnetCatalog, readCatalog, readCsvCatalog, readFitsCatalog, splitDelimited } from '../lib/skyindex/catalog.js';
import { createRng } from '../scripts/synth/random.js';
import { writeAnetFixture } from './helpers/anet-fixture.js';
import { binTableExtension, fitsTableFile, type FixtureColumn } from './helpers/fits-table-fixture.js';

describe('CSV/TSV star catalogues', () => {
  it('reads the default column names, CSV and TSV, from text and from a file', async () => {
    const rng = createRng(7);
    const rows = Array.from({ length: 5000 }, () => [rng.uniform(0, 360), rng.uniform(-90, 90), rng.uniform(2, 12)]);
    const csv = ['id,RAJ2000,DEJ2000,VTmag', ...rows.map((r, i) => `${i},${r[0]},${r[1]},${r[2]}`)].join('\n');
    const fromText = await readCsvCatalog({ text: csv });
    expect(fromText.ra.length).toBe(5000);
    expect(fromText.ra[17]).toBe(rows[17][0]);
    expect(fromText.dec[17]).toBe(rows[17][1]);
    expect(fromText.mag[17]).toBeCloseTo(rows[17][2], 5);
    const dir = mkdtempSync(join(tmpdir(), 'asterism-cat-'));
    const tsvPath = join(dir, 'stars.tsv');
    writeFileSync(tsvPath, csv.replace(/,/g, '\t'));
    const fromFile = await readCsvCatalog(tsvPath);
    expect(Array.from(fromFile.dec.slice(0, 10))).toEqual(Array.from(fromText.dec.slice(0, 10)));
    expect(fromFile.source).toBe(tsvPath);
  });

  it('uses named columns, quotes, comments, and skips bad rows', async () => {
    const text = ['# exported', 'name,"alpha (deg)",delta,"G mag"', '"Vega, the star",279.2347,38.7837,0.03', 'bad,abc,1,2', 'south,10,-91,5', 'wrap,-10,5,6', 'blank,,1,2', ''].join('\n');
    const cat = await readCsvCatalog({ text }, { raColumn: 'alpha (deg)', decColumn: 'DELTA', magColumn: 'g mag' });
    expect(cat.ra.length).toBe(2);
    expect(cat.ra[0]).toBeCloseTo(279.2347, 10);
    expect(cat.ra[1]).toBe(350);
    expect(cat.skippedRows).toBe(3);
  });

  it('says which columns exist when one is missing, and refuses empty input', async () => {
    await expect(readCsvCatalog({ text: 'x,y,z\n1,2,3' })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT', message: expect.stringContaining('x, y, z') });
    await expect(readCsvCatalog({ text: '' })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(readCsvCatalog({ text: 'ra,dec,mag\nx,y,z' })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(readCsvCatalog('/nonexistent/stars.csv')).rejects.toMatchObject({ code: 'E_IO' });
  });

  it('splits quoted fields', () => {
    expect(splitDelimited('a,"b,c","d ""e"""', ',')).toEqual(['a', 'b,c', 'd "e"']);
    expect(splitDelimited('a\tb', '\t')).toEqual(['a', 'b']);
  });
});

/** RA, Dec (degrees) and a magnitude per row, with two bad rows (a NaN magnitude, a Dec of 95). */
const ROWS: Array<[number, number, number]> = [
  [10.5, -20.25, 6.5],
  [359.75, 89.5, 7.25],
  [-5, 0, 8],
  [120, 30, NaN],
  [200, 95, 9],
  [45.125, -89.75, 11.5],
];

function basicTable(extname?: string, names: [string, string, string] = ['RA', 'DEC', 'VMAG']): Uint8Array {
  return binTableExtension([
    { name: 'ID', form: 'J', values: ROWS.map((_, i) => i + 1) },
    { name: names[0], form: 'D', values: ROWS.map((r) => r[0]) },
    { name: names[1], form: 'D', values: ROWS.map((r) => r[1]) },
    { name: names[2], form: 'E', values: ROWS.map((r) => r[2]) },
  ], extname);
}

describe('FITS table star catalogues', () => {
  it('reads RA, Dec and magnitude columns, skipping and counting bad rows', async () => {
    const cat = await readFitsCatalog({ bytes: fitsTableFile([basicTable()]) });
    expect(Array.from(cat.ra)).toEqual([10.5, 359.75, 355, 45.125]);
    expect(Array.from(cat.dec)).toEqual([-20.25, 89.5, 0, -89.75]);
    expect(Array.from(cat.mag)).toEqual([6.5, 7.25, 8, 11.5]);
    expect(cat.skippedRows).toBe(2);
    expect(cat.source).toBe('inline FITS[1]');
  });

  it('applies TSCAL/TZERO to integer columns, honours TNULL, and takes custom column names', async () => {
    // Milliarcseconds in J (RA, with an offset), hundredths of a degree in I, tenths of a magnitude in B, 64-bit K.
    const raMas = [0, 3_600_000, -3_600_000, 123_456_789, -2147483648];
    const decCenti = [-4500, 0, 1234, 8999, 0];
    const magTenths = [35, 120, 0, 255, 80];
    const columns: FixtureColumn[] = [
      { name: 'alpha_mas', form: 'J', values: raMas, scale: 1 / 3_600_000, zero: 180, nullValue: -2147483648 },
      { name: 'Delta', form: 'I', values: decCenti, scale: 0.01 },
      { name: 'Vmag_x10', form: 'B', values: magTenths, scale: 0.1 },
      { name: 'source_id', form: 'K', values: [1, 2, 3, 4, 5] },
    ];
    const bytes = fitsTableFile([binTableExtension(columns, 'STARS')]);
    const cat = await readFitsCatalog({ bytes }, { raColumn: 'ALPHA_MAS', decColumn: 'delta', magColumn: 'vmag_x10' });
    expect(cat.ra.length).toBe(4);
    expect(cat.skippedRows).toBe(1);
    expect(cat.source).toBe('inline FITS[STARS]');
    for (let i = 0; i < 4; i++) {
      expect(cat.ra[i]).toBeCloseTo(180 + raMas[i] / 3_600_000, 9);
      expect(cat.dec[i]).toBeCloseTo(decCenti[i] / 100, 9);
      expect(cat.mag[i]).toBeCloseTo(magTenths[i] / 10, 5);
    }
    // A 64-bit integer column is a number too.
    const k = await readFitsCatalog({ bytes }, { raColumn: 'source_id', decColumn: 'delta', magColumn: 'vmag_x10' });
    expect(Array.from(k.ra)).toEqual([1, 2, 3, 4, 5]);
  });

  it('recognises Gaia and Tycho-2 column names', async () => {
    const gaia = await readFitsCatalog({ bytes: fitsTableFile([basicTable(undefined, ['ra', 'dec', 'phot_g_mean_mag'])]) });
    expect(gaia.ra.length).toBe(4);
    const tycho = binTableExtension([
      { name: 'TYC1', form: 'I', values: [1, 2] },
      { name: 'RAmdeg', form: 'D', values: [1.5, 2.5] },
      { name: 'DEmdeg', form: 'D', values: [-3.5, 4.5] },
      { name: 'BTmag', form: 'E', values: [9.5, 10.5] },
      { name: 'VTmag', form: 'E', values: [9, 10] },
    ]);
    const cat = await readFitsCatalog({ bytes: fitsTableFile([tycho]) });
    expect(Array.from(cat.dec)).toEqual([-3.5, 4.5]);
    expect(Array.from(cat.mag)).toEqual([9, 10]);
    const csv = await readCsvCatalog({ text: 'RAmdeg,DEmdeg,BTmag\n1,2,3' });
    expect([cat.ra[0], csv.ra[0], csv.dec[0], csv.mag[0]]).toEqual([1.5, 1, 2, 3]);
  });

  it('reads the first table with the columns, or the one options.hdu names', async () => {
    const other = binTableExtension([{ name: 'X', form: 'E', values: [1] }, { name: 'Y', form: 'E', values: [2] }], 'PIXELS');
    const second = binTableExtension([
      { name: 'RA', form: 'D', values: [77] }, { name: 'DEC', form: 'D', values: [7] }, { name: 'VMAG', form: 'E', values: [3] },
    ], 'BRIGHT');
    const bytes = fitsTableFile([other, basicTable('MAIN'), second]);
    expect((await readFitsCatalog({ bytes })).source).toBe('inline FITS[MAIN]');
    for (const hdu of [3, 'bright', ' BRIGHT ']) {
      const cat = await readFitsCatalog({ bytes }, { hdu });
      expect(Array.from(cat.ra)).toEqual([77]);
    }
    await expect(readFitsCatalog({ bytes }, { hdu: 1 })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT', message: expect.stringContaining('X, Y') });
    await expect(readFitsCatalog({ bytes }, { hdu: 0 })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT', message: expect.stringMatching(/not a binary table/) });
    await expect(readFitsCatalog({ bytes }, { hdu: 9 })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT', message: expect.stringMatching(/no HDU 9.*BRIGHT/) });
    await expect(readFitsCatalog({ bytes }, { hdu: 'nope' })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
  });

  it('says which columns exist when one is missing, and refuses non-numeric columns and empty tables', async () => {
    const bytes = fitsTableFile([basicTable('MAIN')]);
    await expect(readFitsCatalog({ bytes }, { magColumn: 'gmag' })).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT', message: expect.stringMatching(/'gmag'.*HDU 1 \(MAIN\): ID, RA, DEC, VMAG/),
    });
    await expect(readFitsCatalog({ bytes }, { hdu: 'main', decColumn: 'de' })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT', message: expect.stringContaining('ID, RA, DEC, VMAG') });
    const text = fitsTableFile([binTableExtension([
      { name: 'RA', form: 'D', values: [1] }, { name: 'DEC', form: 'D', values: [2] }, { name: 'MAG', form: '8A', values: ['12.5'] },
    ])]);
    await expect(readFitsCatalog({ bytes: text })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT', message: expect.stringMatching(/column MAG .*8A/) });
    const empty = fitsTableFile([binTableExtension([
      { name: 'RA', form: 'D', values: [] }, { name: 'DEC', form: 'D', values: [] }, { name: 'MAG', form: 'E', values: [] },
    ])]);
    await expect(readFitsCatalog({ bytes: empty })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT', message: expect.stringMatching(/no usable rows/) });
    await expect(readFitsCatalog({ bytes: fitsTableFile([]) })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT', message: expect.stringMatching(/no FITS binary table/) });
    await expect(readFitsCatalog('/nonexistent/stars.fits')).rejects.toMatchObject({ code: 'E_IO' });
  });

  it('reads a file of more than one slab of rows, and stops when aborted', async () => {
    const n = (1 << 20) + 1000;
    const ra = new Float64Array(n), dec = new Float64Array(n), mag = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      ra[i] = (i * 0.001) % 360;
      dec[i] = ((i % 1800) - 900) / 10.5;
      mag[i] = i % 97 === 0 ? NaN : 5 + (i % 10);
    }
    const dir = mkdtempSync(join(tmpdir(), 'asterism-cat-'));
    const path = join(dir, 'big.fits');
    writeFileSync(path, fitsTableFile([binTableExtension([
      { name: 'RA', form: 'D', values: ra }, { name: 'DEC', form: 'D', values: dec }, { name: 'MAG', form: 'E', values: mag },
    ])]));
    const cat = await readFitsCatalog(path);
    const nan = Math.floor((n - 1) / 97) + 1;
    expect(cat.skippedRows).toBe(nan);
    expect(cat.ra.length).toBe(n - nan);
    // The last row is in the second slab: row n − 1 is kept (n − 1 is not a multiple of 97).
    expect(cat.ra[cat.ra.length - 1]).toBe(ra[n - 1]);
    expect(cat.dec[cat.dec.length - 1]).toBe(dec[n - 1]);
    expect(cat.source).toBe(`${path}[1]`);

    const controller = new AbortController();
    const reading = readFitsCatalog(path, { signal: controller.signal });
    controller.abort();
    await expect(reading).rejects.toMatchObject({ code: 'E_ABORTED' });
    await expect(readCatalog(path, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'E_ABORTED' });
  }, 60_000);
});

/** Unit vectors of stars at known RA/Dec (degrees). */
function vectors(radec: Array<[number, number]>): Float64Array {
  const out = new Float64Array(radec.length * 3);
  radec.forEach(([ra, dec], i) => {
    const a = (ra * Math.PI) / 180, d = (dec * Math.PI) / 180;
    out.set([Math.cos(d) * Math.cos(a), Math.cos(d) * Math.sin(a), Math.sin(d)], i * 3);
  });
  return out;
}

function anetFixture(mags?: Float32Array) {
  const radec: Array<[number, number]> = [[0, 0], [90, 45], [180.5, -30], [270, 89], [359.5, -89], [12.25, 10]];
  return {
    radec,
    ...writeAnetFixture({
      dimQuads: 4, littleEndian: true, stars: vectors(radec),
      quads: Uint32Array.from([0, 1, 2, 3, 2, 3, 4, 5]), codes: Float64Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]),
      ...(mags ? { mags } : {}),
    }),
  };
}

describe('astrometry.net index files as catalogues', () => {
  it('turns the stored star vectors into RA/Dec and keeps the magnitudes', async () => {
    const mags = Float32Array.from([5, 6, 7, NaN, 9, 10]);
    const fixture = anetFixture(mags);
    const dir = mkdtempSync(join(tmpdir(), 'asterism-cat-'));
    const path = join(dir, 'index-test.fits');
    writeFileSync(path, fixture.bytes);
    for (const cat of [readAnetCatalog(path), await readCatalog(path), await readCatalog({ bytes: fixture.bytes })]) {
      expect(cat.ra.length).toBe(5);
      expect(cat.skippedRows).toBe(1);
      expect(Array.from(cat.mag)).toEqual([5, 6, 7, 9, 10]);
      const kept = [0, 1, 2, 4, 5];
      kept.forEach((s, i) => {
        // Compare with the fixture's quantised vectors, and with the positions the fixture was made from.
        const [x, y, z] = fixture.stars.subarray(3 * s, 3 * s + 3);
        const ra = ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360;
        expect(cat.ra[i]).toBeCloseTo(ra, 9);
        expect(cat.dec[i]).toBeCloseTo((Math.asin(z / Math.hypot(x, y, z)) * 180) / Math.PI, 9);
        // RA 0 may come back as 359.99999…: compare across the wrap.
        expect(((cat.ra[i] - fixture.radec[s][0] + 540) % 360) - 180).toBeCloseTo(0, 4);
        expect(cat.dec[i]).toBeCloseTo(fixture.radec[s][1], 4);
        expect(cat.ra[i]).toBeGreaterThanOrEqual(0);
        expect(cat.ra[i]).toBeLessThan(360);
      });
      expect(cat.source).toMatch(/astrometry\.net index 4112, MAG_VT/);
    }
  });

  it('refuses an index without magnitudes rather than inventing them', async () => {
    const { bytes } = anetFixture();
    expect(() => readAnetCatalog({ bytes })).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT', message: expect.stringMatching(/magnitude/) }));
    await expect(readCatalog({ bytes })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    // A FITS table is not an index.
    expect(() => readAnetCatalog({ bytes: fitsTableFile([basicTable()]) })).toThrow(expect.objectContaining({ code: 'E_INDEX_FORMAT' }));
  });

  const tycho19 = '/usr/share/astrometry/index-tycho2-19.littleendian.fits';
  it.skipIf(!existsSync(tycho19))('reads the stars of a Debian Tycho-2 index', async () => {
    const cat = await readCatalog(tycho19);
    expect(cat.ra.length).toBeGreaterThan(1000);
    expect(cat.source).toMatch(/MAG_VT/);
    for (let i = 0; i < cat.ra.length; i++) {
      expect(Number.isFinite(cat.mag[i])).toBe(true);
      expect(Math.abs(cat.dec[i])).toBeLessThanOrEqual(90);
      expect(cat.ra[i] >= 0 && cat.ra[i] < 360).toBe(true);
    }
    // The brightest Tycho-2 stars are around magnitude −1 (Sirius); the index keeps bright ones.
    expect(Math.min(...cat.mag)).toBeLessThan(1);
  });
});

describe('readCatalog', () => {
  it('tells CSV, TSV, FITS tables and astrometry.net indexes apart by content', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asterism-cat-'));
    const csvPath = join(dir, 'stars.fits'); // the name does not matter
    writeFileSync(csvPath, 'ra\tdec\tmag\n1\t2\t3\n');
    const tsv = await readCatalog(csvPath);
    expect([tsv.ra[0], tsv.dec[0], tsv.mag[0]]).toEqual([1, 2, 3]);
    const fitsPath = join(dir, 'stars.csv');
    writeFileSync(fitsPath, fitsTableFile([basicTable('MAIN', ['x_ra', 'x_dec', 'x_mag'])]));
    const fits = await readCatalog(fitsPath, { raColumn: 'X_RA', decColumn: 'X_DEC', magColumn: 'X_MAG', delimiter: ';' });
    expect(fits.ra.length).toBe(4);
    expect(fits.source).toBe(`${fitsPath}[MAIN]`);
    const inline = await readCatalog({ bytes: new TextEncoder().encode('RAJ2000,DEJ2000,Vmag\n5,6,7\n') });
    expect(inline.source).toBe('inline CSV');
  });

  it('reports unreadable files, missing columns and empty catalogues with stable codes', async () => {
    await expect(readCatalog('/nonexistent/stars.csv')).rejects.toMatchObject({ code: 'E_IO' });
    await expect(readCatalog({ bytes: new Uint8Array(0) })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(readCatalog({ bytes: fitsTableFile([basicTable()]) }, { magColumn: 'nope' })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
  });
});
