import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsvCatalog, splitDelimited } from '../lib/skyindex/catalog.js';
import { createRng } from '../scripts/synth/random.js';

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
