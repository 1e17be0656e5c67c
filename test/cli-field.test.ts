/**
 * `asterism field` as a user runs it (`node bin/asterism.js` in a child process, compiled from
 * lib/ by beforeAll when stale; see ./helpers/cli.ts), on the synthetic galaxy field of
 * test/evaluate-field.test.ts written as a float FITS file.
 *
 * These runs use the built-in catalogues as well as --catalog (the command has no way to leave
 * them out); the fixture's sky has no real galaxy of 2′ or more, so only the synthetic ones are
 * found. Loading the built-in catalogues takes a few seconds per run, so the runs are few.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFits } from '../lib/image/fits-write.js';
import { renderFixtureField, type GalaxyField } from '../scripts/synth/galaxy-field.js';
import { nonSkyImage } from '../scripts/synth/sky-frame.js';
import { buildIfStale, runCli, type Run } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'asterism-cli-field-'));
let field: GalaxyField;
/** The galaxies the command must report: those of 24 px and more. */
let expected: number[];

function asterism(args: string[]): Promise<Run> {
  return runCli(args, dir);
}

beforeAll(async () => {
  buildIfStale();
  field = await renderFixtureField({ rotationDeg: -40, parity: 'flipped', pgcBase: 90000010 });
  expected = field.galaxies.filter((g) => g.d25Pixels >= 24).map((g) => g.pgc).sort();
  writeFileSync(join(dir, 'field.fits'), writeFits(field.width, field.height, field.image.luminance));
  writeFileSync(join(dir, 'synthetic.csv'), field.catalogCsv);
  const noise = nonSkyImage('noise', 300, 200, 4);
  writeFileSync(join(dir, 'noise.fits'), writeFits(noise.width, noise.height, noise.luminance));
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('asterism field', () => {
  it('prints JSON with every galaxy of the field and writes the overlay and the cutouts', async () => {
    const run = await asterism(['field', 'field.fits', '--catalog', 'synthetic.csv', '--json', '--overlay', 'galaxies.png', '--cutouts', 'cutouts']);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.solved).toBe(true);
    expect(result.solution.parity).toBe('flipped');
    expect(result.galaxies.map((g: { pgc: number }) => g.pgc).sort()).toEqual(expected);
    for (const g of result.galaxies) {
      expect(g.inclinations.summary.median).toBeGreaterThanOrEqual(45);
      expect(g.rejection_likelihood.summary.median).toBeGreaterThanOrEqual(0);
      expect(g.cutoutPng).toBeUndefined();
    }
    expect(result.overlayPng).toBeUndefined();
    const overlay = await sharp(join(dir, 'galaxies.png')).metadata();
    expect([overlay.width, overlay.height]).toEqual([1400, 1050]);
    const files = readdirSync(join(dir, 'cutouts')).sort();
    expect(files).toEqual(expected.map((pgc) => `pgc${pgc}.png`).sort());
    const cutout = await sharp(join(dir, 'cutouts', files[0])).metadata();
    expect([cutout.width, cutout.height]).toEqual([128, 128]);
  });

  it('prints a table, takes the solve command\'s hints and the size limit', async () => {
    const run = await asterism(['field', 'field.fits', '--catalog', 'synthetic.csv', '--scale-low', '2', '--scale-high', '3', '--min-d25-pixels', '60']);
    expect(run.code, run.stderr).toBe(0);
    const centre = /field\.fits: solved, centre RA ([\d.]+)° Dec ([\d.]+)°/.exec(run.stdout);
    expect(Number(centre?.[1])).toBeCloseTo(field.truth.center.ra, 3);
    expect(Number(centre?.[2])).toBeCloseTo(field.truth.center.dec, 3);
    expect(run.stdout).toMatch(/^name\s+PGC\s+RA\s+Dec/m);
    const big = field.galaxies.filter((g) => g.d25Pixels >= 60);
    expect(run.stdout).toMatch(/^2 galaxies/m);
    for (const g of big) expect(run.stdout).toMatch(new RegExp(`^${g.name}\\s+${g.pgc}\\s`, 'm'));
  });

  it('exits 1 when the image does not solve', async () => {
    const run = await asterism(['field', 'noise.fits', '--time-limit', '5']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/noise\.fits: not solved/);
  });

  it('lists the solve hints and its own options in its help', async () => {
    const run = await asterism(['field', '--help']);
    expect(run.code).toBe(0);
    for (const option of ['--scale-low', '--scale-high', '--ra', '--radius', '--parity', '--time-limit', '--index', '--catalog', '--min-d25-pixels', '--json', '--overlay', '--cutouts']) {
      expect(run.stdout).toContain(option);
    }
    const list = await asterism(['--help']);
    expect(list.stdout).toMatch(/^\s+field\s/m);
  });

  it.each([
    [['field', 'field.fits', '--min-d25-pixels=-3'], /--min-d25-pixels expects a number > 0/],
    [['field', 'field.fits', '--scale-low', '2'], /--scale-low and --scale-high go together/],
    [['field'], /missing <image>/],
  ])('exits 2 on bad usage: %j', async (args, message) => {
    const run = await asterism(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
  });
});
