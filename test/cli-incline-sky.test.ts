/**
 * `asterism incline --pgc / --name / --at` as a user runs it (a child process), with the image
 * source pointed at a cutout server on 127.0.0.1 (test/helpers/cutout-server.ts) or at a local
 * directory, and a user catalogue holding the test galaxy.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inclineByPgc, type InclinetResponse } from '../lib/cutout/incline-sky.js';
import { closeIncline } from '../lib/incline/incline.js';
import { writeWcsHeaderFile } from '../lib/sky/wcs.js';
import { renderGalaxy } from '../scripts/synth/galaxy.js';
import { buildIfStale, runCli, type Run } from './helpers/cli.js';
import { closedPort, startCutoutServer, type CutoutServer } from './helpers/cutout-server.js';

const GALAXY = { pgc: 999002, name: 'Clitest 7', ra: 201.25, dec: -3.5, pa: 120, d25Arcmin: 2 };
const dir = mkdtempSync(join(tmpdir(), 'asterism-cli-sky-'));
const csv = join(dir, 'galaxies.csv');
let server: CutoutServer;
let template: string;
let raster: { data: Uint8Array; width: number; height: number };

function asterism(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  // The default source must not be whatever the machine running the tests has configured.
  return runCli(args, dir, { env: { ASTERISM_IMAGE_SOURCE: '', ...env } });
}

beforeAll(async () => {
  buildIfStale();
  raster = renderGalaxy({ width: 600, height: 600, pa: GALAXY.pa, scale: 26, axisRatio: 0.35, noise: 3, seed: 4 });
  server = await startCutoutServer({ ra: GALAXY.ra, dec: GALAXY.dec, scaleArcsec: 0.5, width: 600, height: 600, data: raster.data });
  template = `${server.url}/getjpeg?ra={ra}&dec={dec}&scale={scale}&width={width}&height={height}`;
  writeFileSync(csv, `pgc,objname,ra,dec,logd25,pa\n${GALAXY.pgc},${GALAXY.name},${GALAXY.ra},${GALAXY.dec},${Math.log10(GALAXY.d25Arcmin * 10)},${GALAXY.pa}\n`);
});

afterAll(async () => {
  await server?.close();
  await closeIncline();
  rmSync(dir, { recursive: true, force: true });
});

describe('asterism incline by PGC number, name and position', () => {
  it('--pgc --json prints IncliNET\'s web answer, the library\'s numbers', async () => {
    const run = await asterism(['incline', '--pgc', String(GALAXY.pgc), '--catalog', csv, '--image-source', template, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const response = JSON.parse(run.stdout) as InclinetResponse;
    expect(response.status).toBe('success');
    expect(response.galaxy).toEqual({ pgc: GALAXY.pgc, ra: '201.2500 deg', dec: '-3.5000 deg', fov: '3.00 arcmin', pa: '120.0 deg', objname: GALAXY.name });
    const library = await inclineByPgc(GALAXY.pgc, { catalogs: [csv], imageSource: template });
    expect(response.inclinations).toEqual(library.result.inclinations);
    expect(response.rejection_likelihood).toEqual(library.result.rejection_likelihood);
  });

  it('--name prints a summary with the image\'s origin and saves the cutout with --cutout', async () => {
    const png = join(dir, 'cutout.png');
    const run = await asterism(['incline', '--name', 'clitest 7', '--catalog', csv, '--image-source', template, '--cutout', png]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^PGC 999002 \(Clitest 7\) at RA 201\.2500°, Dec -3\.5000°, field 3\.00′, PA 120\.0°: inclination \d+(\.\d+)?° ± [\d.]+°/);
    expect(run.stdout).toMatch(/rejection likelihood [\d.]+ %/);
    expect(run.stdout).toContain(`image: ${server.url}/getjpeg?ra=201.25&dec=-3.5&scale=0.25&width=720&height=720`);
    const meta = await sharp(png).metadata();
    expect(meta).toMatchObject({ width: 128, height: 128, format: 'png', channels: 3 });
  });

  it('--at RA,DEC --fov --pa, with the image source from ASTERISM_IMAGE_SOURCE', async () => {
    const run = await asterism(['incline', '--at', `${GALAXY.ra},${GALAXY.dec}`, '--fov', '3', '--pa', String(GALAXY.pa), '--json'], { ASTERISM_IMAGE_SOURCE: template });
    expect(run.code, run.stderr).toBe(0);
    const response = JSON.parse(run.stdout) as InclinetResponse;
    expect(response.galaxy).toEqual({ pgc: null, ra: '201.2500 deg', dec: '-3.5000 deg', fov: '3.00 arcmin', pa: '120.0 deg', objname: 'J132500.00-033000.0' });
    expect(Object.keys(response.inclinations)).toContain('summary');
  });

  it('--image-source DIR: a local image with a .wcs file beside it', async () => {
    const plates = join(dir, 'plates');
    mkdirSync(plates, { recursive: true });
    await sharp(raster.data, { raw: { width: 600, height: 600, channels: 3 } }).jpeg().toFile(join(plates, 'field.jpg'));
    const s = 0.5 / 3600;
    writeFileSync(join(plates, 'field.wcs'), writeWcsHeaderFile({ crval: [GALAXY.ra, GALAXY.dec], crpix: [299.5, 299.5], cd: [[-s, 0], [0, -s]] }));
    const run = await asterism(['incline', '--name', GALAXY.name, '--catalog', csv, '--image-source', plates]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`image: ${join(plates, 'field.jpg')}`);
  });
});

describe('asterism incline by PGC number, name and position: errors', () => {
  it('exits 1 for a galaxy the catalogue does not have', async () => {
    const run = await asterism(['incline', '--name', 'Nonesuch 999', '--catalog', csv, '--image-source', template]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no galaxy named 'Nonesuch 999'.*E_NOT_FOUND/);
    expect(run.stdout).toBe('');
  });

  it('exits 2 when the image source cannot be reached, saying how to configure another', async () => {
    const port = await closedPort();
    const run = await asterism(['incline', '--at', '10,20', '--fov', '2', '--image-source', `http://127.0.0.1:${port}/getjpeg?ra={ra}&dec={dec}&scale={scale}&width={width}&height={height}`]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/connection refused/);
    expect(run.stderr).toMatch(/--image-source URL\|DIR/);
    expect(run.stderr).toContain('E_IMAGE_SOURCE');
  });

  it('exits 2 for a blank answer: no image at this position', async () => {
    const run = await asterism(['incline', '--at', '10,20', '--fov', '2', '--image-source', `${server.url}/blank?ra={ra}&dec={dec}&width={width}&height={height}`]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no image at this position.*E_IMAGE_SOURCE/);
  });

  it.each([
    [['incline', '--pgc', '5', '--name', 'M 31'], /one of --pgc, --name and --at/],
    [['incline', 'galaxy.png', '--pgc', '5'], /an image or --pgc, not both/],
    [['incline', '--at', '10,20'], /--at needs --fov/],
    [['incline', '--at', '10;20;30', '--fov', '2'], /--at expects RA,DEC in degrees/],
    [['incline', '--at', '10,95', '--fov', '2'], /--at expects RA,DEC/],
    [['incline', '--pgc', '5', '--pa', '30'], /--pa goes with an image or --at/],
    [['incline', '--pgc', '5', '--fov', '3'], /--fov goes with --at/],
    [['incline', '--pgc', 'x'], /--pgc expects a whole number/],
    [['incline', '--at', '10,20', '--fov', '0'], /--fov expects a number > 0/],
    [['incline', '--at', '10,20', '--fov', '2', '--image-source', 'http://host/x?ra={ra}&dec={dec}&z={zoom}'], /unknown placeholder \{zoom\}/],
    [['incline', '--at', '10,20', '--fov', '2', '--image-source', '/no/such/dir'], /neither 'sdss', a URL template .* nor an existing directory/],
    [['incline', 'galaxy.png', '--image-source', 'sdss'], /--image-source goes with --pgc, --name or --at/],
    [['incline'], /missing <image> \(or --pgc N, --name NAME or --at RA,DEC --fov ARCMIN/],
  ])('exits 2 for %j', async (args, message) => {
    const run = await asterism(args as string[]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('documents the new options', async () => {
    const run = await asterism(['incline', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: asterism incline [<image>] [options]');
    for (const option of ['--pgc <n>', '--name <name>', '--at <ra,dec>', '--fov <arcmin>', '--image-source <url|dir>', '--catalog <file.csv>', '--cutout <out.png>']) {
      expect(run.stdout).toContain(option);
    }
  });
});
