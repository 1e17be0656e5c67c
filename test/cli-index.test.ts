/**
 * `asterism index build|info` as a user runs them: node bin/asterism.js in a child process,
 * compiled first when dist/ is stale (test/helpers/cli.ts).
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIfStale, runCli, type Run } from './helpers/cli.js';
import { binTableExtension, fitsTableFile } from './helpers/fits-table-fixture.js';
import { createRng } from '../scripts/synth/random.js';

const dir = mkdtempSync(join(tmpdir(), 'asterism-cli-index-'));


function asterism(args: string[]): Promise<Run> {
  return runCli(args, dir);
}

/** 8000 stars uniform on the sphere, as a CSV with the column names Tycho-2 extracts use. */
function writeCatalog(path: string): void {
  const rng = createRng(21);
  const lines = ['RAJ2000,DEJ2000,VTmag'];
  for (let i = 0; i < 8000; i++) {
    const dec = (Math.asin(rng.uniform(-1, 1)) * 180) / Math.PI;
    lines.push(`${rng.uniform(0, 360).toFixed(5)},${dec.toFixed(5)},${(12 - 2.5 * Math.log10(1 + 1000 * rng.next())).toFixed(2)}`);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

/**
 * 8000 stars uniform on the sphere as a FITS file: an unrelated table first, then the stars in
 * a table named STARS with Gaia's column names, one row with a NaN magnitude.
 */
function writeFitsCatalog(path: string): void {
  const rng = createRng(22);
  const n = 8001;
  const ra = new Float64Array(n), dec = new Float64Array(n), mag = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    ra[i] = rng.uniform(0, 360);
    dec[i] = (Math.asin(rng.uniform(-1, 1)) * 180) / Math.PI;
    mag[i] = i === 100 ? NaN : 12 - 2.5 * Math.log10(1 + 1000 * rng.next());
  }
  writeFileSync(path, fitsTableFile([
    binTableExtension([{ name: 'X', form: 'E', values: [1] }], 'OTHER'),
    binTableExtension([
      { name: 'source_id', form: 'K', values: Array.from({ length: n }, (_, i) => i) },
      { name: 'ra', form: 'D', values: ra }, { name: 'dec', form: 'D', values: dec }, { name: 'phot_g_mean_mag', form: 'E', values: mag },
    ], 'STARS'),
  ]));
}

beforeAll(() => {
  buildIfStale();
  writeCatalog(join(dir, 'stars.csv'));
  writeFitsCatalog(join(dir, 'stars.fits'));
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('asterism index', () => {
  it('builds a series of sub-indices and describes them', async () => {
    const out = join(dir, 'indexes');
    const build = await asterism(['index', 'build', '--catalog', 'stars.csv', '--scale-min', '10', '--scale-max', '20', '--out', out]);
    expect(build.code, build.stderr).toBe(0);
    const files = readdirSync(out).sort();
    // 10 → 14.1 → 20: two steps of √2.
    expect(files).toEqual(['asterism-00-600-849arcmin.idx', 'asterism-01-849-1200arcmin.idx']);
    expect(build.stdout).toMatch(/8000 stars read/);
    for (const f of files) expect(build.stdout).toContain(f);

    const info = await asterism(['index', 'info', out, '--json']);
    expect(info.code, info.stderr).toBe(0);
    const described = JSON.parse(info.stdout) as Array<{ path: string; format: string; quadDiameterArcmin: { low: number; high: number }; imageWidthArcmin: { low: number; high: number }; quads: number; dimQuads: number }>;
    expect(described.map((d) => d.format)).toEqual(['asterism', 'asterism']);
    expect(described[0].quadDiameterArcmin.low).toBeCloseTo(600, 6);
    expect(described[1].quadDiameterArcmin.high).toBeCloseTo(1200, 6);
    expect(described[1].imageWidthArcmin.high).toBeCloseTo(12000, 6);
    for (const d of described) {
      expect(d.quads).toBeGreaterThan(0);
      expect(d.dimQuads).toBe(4);
    }

    const text = await asterism(['index', 'info', join(out, files[0])]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/quad diameters 600–849 arcmin/);
  }, 120_000);

  it('builds from a FITS table catalogue', async () => {
    for (const hdu of [[], ['--hdu', '2'], ['--hdu', 'stars']]) {
      const out = join(dir, `indexes-fits-${hdu.join('')}`);
      const build = await asterism(['index', 'build', '--catalog', 'stars.fits', ...hdu, '--scale-min', '10', '--scale-max', '14', '--out', out]);
      expect(build.code, build.stderr).toBe(0);
      expect(build.stdout).toMatch(/8000 stars read from stars\.fits \(1 rows skipped\)/);
      expect(readdirSync(out)).toEqual(['asterism-00-600-840arcmin.idx']);
    }
  }, 120_000);

  it('prints help for the group and each action', async () => {
    const group = await asterism(['index', '--help']);
    expect(group.code).toBe(0);
    expect(group.stdout).toMatch(/info/);
    expect(group.stdout).toMatch(/build/);
    for (const args of [['index', 'build', '--help'], ['help', 'index', 'build']]) {
      const r = await asterism(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Usage: asterism index build/);
      expect(r.stdout).toMatch(/--scale-min/);
    }
    const main = await asterism(['--help']);
    expect(main.stdout).toMatch(/index/);
  });

  it('exits 2 on usage errors', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['index'], /missing action/],
      [['index', 'frobnicate'], /unknown action 'frobnicate'/],
      [['index', 'info'], /missing <file\|dir>/],
      [['index', 'info', join(dir, 'nowhere')], /E_IO/],
      [['index', 'info', join(dir, 'stars.csv')], /E_INDEX_FORMAT/],
      [['index', 'build', '--catalog', 'stars.csv'], /--scale-min/],
      [['index', 'build', '--catalog', 'stars.csv', '--scale-min', 'x', '--scale-max', '2', '--out', 'o'], /--scale-min expects a number/],
      [['index', 'build', '--catalog', 'stars.csv', '--scale-min', '3', '--scale-max', '2', '--out', 'o'], /must be larger/],
      [['index', 'build', '--bogus'], /unknown option --bogus/],
      [['index', 'build', '--catalog', 'stars.fits', '--hdu', '1', '--scale-min', '10', '--scale-max', '14', '--out', 'o'], /HDU 1 \(OTHER\) of stars.fits has no right ascension column.*E_INVALID_ARGUMENT/],
      [['index', 'build', '--catalog', 'stars.fits', '--mag-col', 'vtmag', '--scale-min', '10', '--scale-max', '14', '--out', 'o'], /'vtmag'.*E_INVALID_ARGUMENT/],
    ];
    for (const [args, message] of cases) {
      const r = await asterism(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });
});
