/**
 * Image sources against a real HTTP cutout server on 127.0.0.1 (test/helpers/cutout-server.ts,
 * which draws from a synthetic galaxy with its own, independent resampling) and a local image
 * directory: the SDSS request and its WCS, URL templates, FITS answers, directory choice and
 * confinement, every failure a user can meet (unreachable, HTTP errors, not an image, blank,
 * too large, timeout, abort), and inclineAt / inclineByPgc / inclineByName end to end with the
 * real models.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGalaxyCatalog } from '../lib/catalog/galaxies.js';
import { fetchSkyImage, isBlankImage } from '../lib/cutout/fetch-image.js';
import { imageDirectorySource } from '../lib/cutout/image-directory.js';
import { imageSourceFrom, resolveImageSource } from '../lib/cutout/image-sources.js';
import { coordinateName, inclineAt, inclineByName, inclineByPgc, inclinetResponse, type InclineSkyResult } from '../lib/cutout/incline-sky.js';
import { cutoutRaster, sdssImageSource } from '../lib/cutout/sdss.js';
import { skyCutout } from '../lib/cutout/sky-cutout.js';
import type { ImageSource, SkyImage } from '../lib/cutout/types.js';
import { urlTemplateImageSource } from '../lib/cutout/url-template.js';
import { AsterismError } from '../lib/errors.js';
import { writeFits } from '../lib/image/fits-write.js';
import type { RawPixels } from '../lib/image/load.js';
import { closeIncline } from '../lib/incline/incline.js';
import { readModelManifest } from '../lib/incline/manifest.js';
import { wcsToFitsCards, writeWcsHeaderFile, type Wcs } from '../lib/sky/wcs.js';
import { renderGalaxy } from '../scripts/synth/galaxy.js';
import { closedPort, startCutoutServer, type CutoutServer, type ServerSky } from './helpers/cutout-server.js';
import { root } from './helpers/cli.js';

/** The test galaxy: PA 35°, at the centre of an 800 × 800 sky raster of 0.5″ pixels (6.7′). */
const GALAXY = { pgc: 999001, name: 'Testgal 1', ra: 150.1, dec: 12.3, pa: 35, d25Arcmin: 2 };
const FOV = 1.5 * GALAXY.d25Arcmin;
const SKY_SCALE = 0.5;

const dir = mkdtempSync(join(tmpdir(), 'asterism-sources-'));
const catalogCsv = join(dir, 'galaxies.csv');
let sky: ServerSky;
let server: CutoutServer;
let sdssTemplate: string;

beforeAll(async () => {
  const raster = renderGalaxy({ width: 800, height: 800, pa: GALAXY.pa, scale: 28, axisRatio: 0.3, noise: 3, seed: 11 });
  sky = { ra: GALAXY.ra, dec: GALAXY.dec, scaleArcsec: SKY_SCALE, width: 800, height: 800, data: raster.data };
  server = await startCutoutServer(sky);
  sdssTemplate = `${server.url}/getjpeg?ra={ra}&dec={dec}&scale={scale}&width={width}&height={height}`;
  // D25 = 0.1 × 10^logd25 arcmin.
  writeFileSync(catalogCsv, `pgc,objname,ra,dec,logd25,pa\n${GALAXY.pgc},${GALAXY.name},${GALAXY.ra},${GALAXY.dec},${Math.log10(GALAXY.d25Arcmin * 10)},${GALAXY.pa}\n`);
});

afterAll(async () => {
  await server?.close();
  await closeIncline();
  rmSync(dir, { recursive: true, force: true });
});

/** Centroid and major-axis angle (degrees counter-clockwise from the right, y up) of the bright part of a cutout. */
function shape(cutout: RawPixels, threshold = 25): { x: number; y: number; angle: number; elongation: number } {
  const { data, width, height } = cutout;
  let m = 0, sx = 0, sy = 0;
  const at = (x: number, y: number) => {
    const v = (data[(y * width + x) * 3] as number) + (data[(y * width + x) * 3 + 1] as number) + (data[(y * width + x) * 3 + 2] as number);
    return v > 3 * threshold ? v : 0;
  };
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) { const v = at(x, y); m += v; sx += v * x; sy += v * y; }
  const cx = sx / m, cy = sy / m;
  let xx = 0, yy = 0, xy = 0;
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const v = at(x, y);
    xx += v * (x - cx) ** 2; yy += v * (y - cy) ** 2; xy += v * (x - cx) * (y - cy);
  }
  const root2 = Math.sqrt(((xx - yy) / 2) ** 2 + xy * xy), mean = (xx + yy) / 2;
  return { x: cx, y: cy, angle: (-0.5 * Math.atan2(2 * xy, xx - yy) * 180) / Math.PI, elongation: Math.sqrt((mean + root2) / (mean - root2)) };
}

function axisDifference(a: number, b: number): number {
  const d = (((a - b) % 180) + 180) % 180;
  return Math.min(d, 180 - d);
}

/** The galaxy, cut from a fetched image as the pipeline does, must sit in the middle with its major axis where asked. */
function expectGalaxyInPlace(fetched: SkyImage, options: { majorAxisPa?: number; offsetArcsec?: [number, number] } = {}): void {
  const [east, north] = options.offsetArcsec ?? [0, 0];
  // Ask for a field whose centre is offset from the galaxy: it must then appear offset the other way.
  const ra = GALAXY.ra + east / 3600 / Math.cos((GALAXY.dec * Math.PI) / 180), dec = GALAXY.dec + north / 3600;
  const cutout = skyCutout(fetched, { ra, dec, fovArcmin: FOV, majorAxisPa: options.majorAxisPa });
  const s = shape(cutout);
  const perPixel = (FOV * 60) / 128;
  // The galaxy lies at (−east, −north) from the centre asked for; on the cutout a direction at
  // position angle θ points right when θ = majorAxisPa (north up, east left: θ = −90°).
  const theta = ((options.majorAxisPa ?? -90) * Math.PI) / 180;
  const right = (-east * Math.sin(theta) - north * Math.cos(theta)) / perPixel;
  const up = (-east * Math.cos(theta) + north * Math.sin(theta)) / perPixel;
  expect(Math.abs(s.x - (63.5 + right))).toBeLessThan(2.56);
  expect(Math.abs(s.y - (63.5 - up))).toBeLessThan(2.56);
  // Axis ratio 0.3 with a round bulge: the bright part is elongated about 1.6 : 1.
  expect(s.elongation).toBeGreaterThan(1.4);
  expect(axisDifference(s.angle, options.majorAxisPa === undefined ? GALAXY.pa + 90 : 0)).toBeLessThan(3);
}

async function rejection(work: Promise<unknown> | (() => unknown)): Promise<AsterismError> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (e) {
    expect(e).toBeInstanceOf(AsterismError);
    return e as AsterismError;
  }
  throw new Error('expected an AsterismError');
}

/** E_IMAGE_SOURCE with the advice on configuring another source. */
function expectSourceError(e: AsterismError, ...phrases: RegExp[]): void {
  expect(e.code).toBe('E_IMAGE_SOURCE');
  for (const p of phrases) expect(e.message).toMatch(p);
  expect(e.message).toMatch(/imageSource/);
  expect(e.message).toMatch(/--image-source/);
  expect(e.message).toMatch(/ASTERISM_IMAGE_SOURCE/);
}

describe('the SDSS request', () => {
  it('starts at 0.25″ per pixel and doubles the scale until at most 2048 pixels, at least 64', () => {
    expect(cutoutRaster(1)).toEqual({ scaleArcsec: 0.25, pixels: 240 });
    expect(cutoutRaster(2048 * 0.25 / 60)).toEqual({ scaleArcsec: 0.25, pixels: 2048 });
    expect(cutoutRaster(14)).toEqual({ scaleArcsec: 0.5, pixels: 1680 });
    expect(cutoutRaster(30)).toEqual({ scaleArcsec: 1, pixels: 1800 });
    expect(cutoutRaster(400)).toEqual({ scaleArcsec: 16, pixels: 1500 });
    expect(cutoutRaster(0.1)).toEqual({ scaleArcsec: 0.25, pixels: 64 });
  });

  it('asks getjpeg for ra, dec, scale, width, height and places the JPEG north up, east left, row 0 at the top', async () => {
    const source = sdssImageSource({ baseUrl: `${server.url}/getjpeg` });
    const before = server.requests.length;
    const fetched = await source.fetch({ ra: GALAXY.ra, dec: GALAXY.dec, fovArcmin: FOV });
    const request = server.requests[before];
    expect(request.pathname).toBe('/getjpeg');
    expect(Object.fromEntries(request.searchParams)).toEqual({ ra: '150.1', dec: '12.3', scale: '0.25', width: '720', height: '720' });
    expect(fetched.origin).toBe(`${server.url}/getjpeg?ra=150.1&dec=12.3&scale=0.25&width=720&height=720`);
    expect(fetched.image).toMatchObject({ width: 720, height: 720, format: 'jpeg' });
    const s = 0.25 / 3600;
    expect(fetched.wcs).toMatchObject({ crval: [150.1, 12.3], crpix: [359.5, 359.5], cd: [[-s, 0], [0, -s]] });
    expectGalaxyInPlace(fetched);
    expectGalaxyInPlace(fetched, { majorAxisPa: GALAXY.pa });
    expectGalaxyInPlace(fetched, { majorAxisPa: GALAXY.pa, offsetArcsec: [12, -8] });
  });

  it('doubles the scale for a large field', async () => {
    const source = sdssImageSource({ baseUrl: `${server.url}/getjpeg` });
    const before = server.requests.length;
    await source.fetch({ ra: GALAXY.ra, dec: GALAXY.dec, fovArcmin: 14 });
    expect(Object.fromEntries(server.requests[before].searchParams)).toMatchObject({ scale: '0.5', width: '1680', height: '1680' });
  });

  it('says "SDSS DR16 image cutout service" and rejects a base URL that is not http(s)', async () => {
    expect(sdssImageSource().description).toBe('SDSS DR16 image cutout service');
    expect((await rejection(() => sdssImageSource({ baseUrl: 'file:///etc/passwd' }))).code).toBe('E_INVALID_ARGUMENT');
    expect((await rejection(() => sdssImageSource({ baseUrl: 'not a url' }))).code).toBe('E_INVALID_ARGUMENT');
  });

  it('rejects a bad request', async () => {
    const source = sdssImageSource({ baseUrl: `${server.url}/getjpeg` });
    for (const request of [{ ra: NaN, dec: 0, fovArcmin: 1 }, { ra: 0, dec: 95, fovArcmin: 1 }, { ra: 0, dec: 0, fovArcmin: 0 }, { ra: 0, dec: 0, fovArcmin: 5000 }]) {
      expect((await rejection(source.fetch(request))).code).toBe('E_INVALID_ARGUMENT');
    }
  });
});

describe('URL templates', () => {
  it('fill SDSS-style placeholders', async () => {
    const before = server.requests.length;
    const fetched = await urlTemplateImageSource(sdssTemplate).fetch({ ra: GALAXY.ra, dec: GALAXY.dec, fovArcmin: FOV });
    expect(Object.fromEntries(server.requests[before].searchParams)).toEqual({ ra: '150.1', dec: '12.3', scale: '0.25', width: '720', height: '720' });
    expectGalaxyInPlace(fetched, { majorAxisPa: GALAXY.pa, offsetArcsec: [-10, 15] });
  });

  it('fill HiPS-style placeholders: the field of view in degrees', async () => {
    const before = server.requests.length;
    const source = urlTemplateImageSource(`${server.url}/hips?hips=CDS/P/SDSS9/color&width={width}&height={height}&fov={fovdeg}&ra={ra}&dec={dec}&projection=TAN&format=jpg`);
    const fetched = await source.fetch({ ra: GALAXY.ra, dec: GALAXY.dec, fovArcmin: FOV });
    const params = Object.fromEntries(server.requests[before].searchParams);
    expect(params).toMatchObject({ width: '720', height: '720', fov: '0.05', ra: '150.1', dec: '12.3' });
    expectGalaxyInPlace(fetched, { majorAxisPa: GALAXY.pa });
    const before2 = server.requests.length;
    await urlTemplateImageSource(`${server.url}/hips?fov={FOV}&ra={RA}&dec={Dec}&a={fovarcmin}&s={fovarcsec}&width={width}&height={HEIGHT}`).fetch({ ra: GALAXY.ra, dec: GALAXY.dec, fovArcmin: FOV });
    expect(Object.fromEntries(server.requests[before2].searchParams)).toMatchObject({ fov: '0.05', a: '3', s: '180' });
  });

  it('reject unknown placeholders, a template without {ra} and {dec}, and non-http URLs at once', async () => {
    for (const template of [
      `${server.url}/getjpeg?ra={ra}&dec={dec}&size={size}`,
      `${server.url}/getjpeg?ra={ra}&dec={dec}&s={}`,
      `${server.url}/getjpeg?dec={dec}&scale={scale}`,
      'ftp://example.org/{ra}/{dec}.jpg',
      'file:///tmp/{ra}_{dec}.jpg',
      '{ra}{dec}',
    ]) {
      const e = await rejection(() => urlTemplateImageSource(template));
      expect(e.code).toBe('E_INVALID_ARGUMENT');
    }
    expect((await rejection(() => urlTemplateImageSource(`${server.url}/x?ra={ra}&dec={dec}&q={size}`))).message).toMatch(/\{size\}/);
  });

  it('use a FITS answer\'s own WCS', async () => {
    const source = urlTemplateImageSource(`${server.url}/fits?ra={ra}&dec={dec}&scale={scale}`);
    // Asked 40″ west of the galaxy, the server sends its whole raster anyway: only the header
    // says where the galaxy is.
    const fetched = await source.fetch({ ra: GALAXY.ra - 40 / 3600, dec: GALAXY.dec, fovArcmin: FOV });
    expect(fetched.image.format).toBe('fits');
    expect(fetched.wcs.crval).toEqual([GALAXY.ra, GALAXY.dec]);
    expect(fetched.wcs.cd[1][1]).toBeGreaterThan(0);
    expectGalaxyInPlace(fetched);
    expectGalaxyInPlace(fetched, { majorAxisPa: GALAXY.pa, offsetArcsec: [20, 10] });
  });
});

describe('failures', () => {
  const request = { ra: GALAXY.ra, dec: GALAXY.dec, fovArcmin: FOV };
  const at = (path: string) => urlTemplateImageSource(`${server.url}${path}${path.includes('?') ? '&' : '?'}ra={ra}&dec={dec}&width={width}&height={height}`);

  it('an unreachable host: connection refused, and how to configure another source', async () => {
    const port = await closedPort();
    const e = await rejection(sdssImageSource({ baseUrl: `http://127.0.0.1:${port}/getjpeg` }).fetch(request));
    expectSourceError(e, /cannot reach 127\.0\.0\.1:\d+/, /connection refused/);
  });

  it('HTTP 404 and 500', async () => {
    expectSourceError(await rejection(at('/status/404').fetch(request)), /HTTP 404/);
    expectSourceError(await rejection(at('/status/500').fetch(request)), /HTTP 500/);
  });

  it('a blank image: no image at this position', async () => {
    expectSourceError(await rejection(at('/blank').fetch(request)), /no image at this position/);
    // Beyond the edge of the server's sky it answers blank, as SDSS does outside its footprint.
    expectSourceError(await rejection(sdssImageSource({ baseUrl: `${server.url}/getjpeg` }).fetch({ ...request, dec: GALAXY.dec + 1 })), /no image at this position/);
    expectSourceError(await rejection(at('/nan-fits').fetch(request)), /no image at this position/);
  });

  it('an answer that is not an image, quoted', async () => {
    expectSourceError(await rejection(at('/text').fetch(request)), /did not answer with an image/, /text\/html/, /Invalid coordinates/);
  });

  it('an answer larger than the limit', async () => {
    const source = urlTemplateImageSource(`${server.url}/huge?ra={ra}&dec={dec}`, { maxBytes: 1024 * 1024 });
    expectSourceError(await rejection(source.fetch(request)), /larger than 1048576 bytes/);
  });

  it('a timeout: E_TIMEOUT', async () => {
    const started = Date.now();
    const e = await rejection(at('/slow').fetch(request, { timeoutMs: 300 }));
    expect(e.code).toBe('E_TIMEOUT');
    expect(e.message).toMatch(/0\.3 s/);
    expect(Date.now() - started).toBeLessThan(5000);
    // The source's own default applies when the fetch gives none.
    const e2 = await rejection(urlTemplateImageSource(`${server.url}/slow?ra={ra}&dec={dec}`, { timeoutMs: 200 }).fetch(request));
    expect(e2.code).toBe('E_TIMEOUT');
  });

  it('an abort: E_ABORTED, also when aborted before', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    expect((await rejection(at('/slow').fetch(request, { signal: controller.signal }))).code).toBe('E_ABORTED');
    expect((await rejection(at('/getjpeg').fetch(request, { signal: AbortSignal.abort() }))).code).toBe('E_ABORTED');
  });

  it('recognises blank images', async () => {
    const flat = { width: 4, height: 4, luminance: new Float32Array(16).fill(7), pixels: new Float32Array(16).fill(7), channels: 1, bitDepth: 32, format: 'fits' as const };
    expect(isBlankImage(flat)).toBe(true);
    const noisy = { ...flat, luminance: Float32Array.from({ length: 16 }, (_, i) => 7 + (i % 3)) };
    expect(isBlankImage(noisy)).toBe(false);
  });

  it('fetchSkyImage validates its limits', async () => {
    const e = await rejection(fetchSkyImage(new URL(`${server.url}/blank`), 'x', { ra: 0, dec: 0, scaleArcsec: 1, width: 64, height: 64 }, { maxBytes: -1 }));
    expect(e.code).toBe('E_INVALID_ARGUMENT');
  });
});

describe('a directory of images with WCS', () => {
  const plates = join(dir, 'plates');
  const outside = join(dir, 'outside');
  /** Sky raster pixel (x, y) → TAN WCS of a crop starting at (left, top), binned by `bin`. */
  const cropWcs = (left: number, top: number, width: number, height: number, bin: number): Wcs => {
    const s = (SKY_SCALE * bin) / 3600;
    // The crop's centre in sky raster pixels, then in sky coordinates (flat, as the server does).
    const cx = left + (width * bin) / 2 - 0.5, cy = top + (height * bin) / 2 - 0.5;
    const ra = GALAXY.ra - ((cx - 399.5) * SKY_SCALE) / 3600 / Math.cos((GALAXY.dec * Math.PI) / 180);
    const dec = GALAXY.dec - ((cy - 399.5) * SKY_SCALE) / 3600;
    return { crval: [ra, dec], crpix: [(width - 1) / 2, (height - 1) / 2], cd: [[-s, 0], [0, -s]] };
  };

  beforeAll(async () => {
    mkdirSync(join(plates, 'deep', 'er'), { recursive: true });
    mkdirSync(outside, { recursive: true });
    const raw = { raw: { width: sky.width, height: sky.height, channels: 3 as const } };
    // 1. The whole sky binned 2× as grey FITS with its WCS in the header (1″ per pixel).
    const binned = await sharp(sky.data, raw).resize(400, 400).greyscale().raw().toBuffer();
    writeFileSync(join(plates, 'whole.fits'), writeFits(400, 400, new Uint8Array(binned), { extraCards: wcsToFitsCards(cropWcs(0, 0, 400, 400, 2)) }));
    // 2. The middle at full resolution as JPEG with a sidecar .wcs, in a subdirectory (0.5″).
    const middle = await sharp(sky.data, raw).extract({ left: 200, top: 200, width: 400, height: 400 }).jpeg().toBuffer();
    writeFileSync(join(plates, 'deep', 'er', 'middle.jpg'), middle);
    writeFileSync(join(plates, 'deep', 'er', 'middle.wcs'), writeWcsHeaderFile(cropWcs(200, 200, 400, 400, 1)));
    // 3. A PNG without WCS: left out.
    await sharp(sky.data, raw).extract({ left: 0, top: 0, width: 64, height: 64 }).png().toFile(join(plates, 'no-wcs.png'));
    // 4. A finer image of the whole field outside the directory, linked in: it would win, but
    // it must never be read.
    await sharp(sky.data, raw).resize(1600, 1600).png().toFile(join(outside, 'fine.png'));
    writeFileSync(join(outside, 'fine.wcs'), writeWcsHeaderFile({ crval: [GALAXY.ra, GALAXY.dec], crpix: [799.5, 799.5], cd: [[-0.25 / 3600, 0], [0, -0.25 / 3600]] }));
    symlinkSync(join(outside, 'fine.png'), join(plates, 'fine.png'));
    symlinkSync(join(outside, 'fine.wcs'), join(plates, 'fine.wcs'));
    symlinkSync(outside, join(plates, 'elsewhere'));
    // 5. A loop of links must not hang the indexing.
    symlinkSync(plates, join(plates, 'deep', 'loop'));
  });

  it('picks the image that covers the field best, at the finest scale, and places it by its WCS', async () => {
    const source = imageDirectorySource(plates);
    const fetched = await source.fetch({ ra: GALAXY.ra, dec: GALAXY.dec, fovArcmin: FOV });
    // The middle crop covers the 3′ field fully (400 × 0.5″ = 3.3′) at 0.5″: it beats the 1″ FITS.
    expect(fetched.origin).toBe(join(plates, 'deep', 'er', 'middle.jpg'));
    expectGalaxyInPlace(fetched, { majorAxisPa: GALAXY.pa });
    // A field the middle crop does not hold whole: the whole FITS covers it fully.
    const wide = await source.fetch({ ra: GALAXY.ra, dec: GALAXY.dec, fovArcmin: 5 });
    expect(wide.origin).toBe(join(plates, 'whole.fits'));
    expect(wide.image.format).toBe('fits');
    const cutout = skyCutout(wide, { ra: GALAXY.ra, dec: GALAXY.dec, fovArcmin: FOV, majorAxisPa: GALAXY.pa });
    const s = shape(cutout);
    expect(Math.hypot(s.x - 63.5, s.y - 63.5)).toBeLessThan(2.56);
    expect(axisDifference(s.angle, 0)).toBeLessThan(4);
  });

  it('answers a position nothing covers with E_IMAGE_SOURCE, naming what it left out', async () => {
    const e = await rejection(imageDirectorySource(plates).fetch({ ra: GALAXY.ra + 1, dec: GALAXY.dec, fovArcmin: 1 }));
    expectSourceError(e, /no image at this position/, /2 images with a WCS/, /no-wcs\.png: no WCS/);
    expect(e.message).not.toMatch(/fine\.png/);
  });

  it('answers a directory that does not exist with E_IMAGE_SOURCE', async () => {
    const e = await rejection(imageDirectorySource(join(dir, 'nowhere')).fetch({ ra: 1, dec: 1, fovArcmin: 1 }));
    expectSourceError(e, /does not exist/);
  });

  it('honours the abort signal', async () => {
    const e = await rejection(imageDirectorySource(plates).fetch({ ra: GALAXY.ra, dec: GALAXY.dec, fovArcmin: 1 }, { signal: AbortSignal.abort() }));
    expect(e.code).toBe('E_ABORTED');
  });
});

describe('imageSourceFrom', () => {
  it('names SDSS, a template or a directory', () => {
    const saved = process.env.ASTERISM_IMAGE_SOURCE;
    try {
      delete process.env.ASTERISM_IMAGE_SOURCE;
      expect(imageSourceFrom(undefined).description).toBe('SDSS DR16 image cutout service');
      expect(imageSourceFrom('SDSS').description).toBe('SDSS DR16 image cutout service');
      expect(imageSourceFrom(sdssTemplate).description).toBe(sdssTemplate);
      expect(imageSourceFrom(dir).description).toBe(dir);
      process.env.ASTERISM_IMAGE_SOURCE = sdssTemplate;
      expect(imageSourceFrom(undefined).description).toBe(sdssTemplate);
      expect(imageSourceFrom('').description).toBe(sdssTemplate);
      expect(imageSourceFrom('sdss').description).toBe('SDSS DR16 image cutout service');
      process.env.ASTERISM_IMAGE_SOURCE = join(dir, 'missing');
      expect(() => imageSourceFrom(undefined)).toThrow(/from ASTERISM_IMAGE_SOURCE/);
    } finally {
      if (saved === undefined) delete process.env.ASTERISM_IMAGE_SOURCE;
      else process.env.ASTERISM_IMAGE_SOURCE = saved;
    }
  });

  it('rejects what it cannot use', async () => {
    for (const spec of [join(dir, 'missing'), catalogCsv, 'https://example.org/cutout.jpg', `${server.url}/x?ra={ra}&dec={dec}&z={zoom}`]) {
      expect((await rejection(() => imageSourceFrom(spec))).code).toBe('E_INVALID_ARGUMENT');
    }
    expect((await rejection(() => imageSourceFrom(42 as unknown as string))).code).toBe('E_INVALID_ARGUMENT');
    expect((await rejection(() => resolveImageSource({ description: 'x' } as unknown as ImageSource))).code).toBe('E_INVALID_ARGUMENT');
  });
});

describe('inclination by position, PGC number and name', () => {
  const manifest = readModelManifest(join(root, 'models-onnx'));
  const regression = manifest.models.filter((m) => m.kind === 'regression');
  const binary = manifest.models.filter((m) => m.kind === 'binary');

  function expectValid(r: InclineSkyResult): void {
    const groups = [...new Set(regression.map((m) => m.group!))];
    expect(Object.keys(r.result.inclinations)).toEqual([...groups, 'summary']);
    expect(Object.keys(r.result.rejection_likelihood)).toEqual([...binary.map((m) => m.name), 'summary']);
    for (const m of regression) {
      const d = (r.result.inclinations[m.group!] as Record<string, number>)[m.name];
      expect(d).toBeGreaterThanOrEqual(45);
      expect(d).toBeLessThanOrEqual(90);
    }
    for (const m of binary) {
      const p = r.result.rejection_likelihood[m.name] as number;
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThanOrEqual(100);
    }
    expect(JSON.parse(JSON.stringify(r.result))).toEqual(r.result);
  }

  it('inclineAt: the field around a position, turned by the PA given', async () => {
    const r = await inclineAt(GALAXY.ra, GALAXY.dec, FOV, { pa: GALAXY.pa, imageSource: sdssTemplate, keepCutout: true });
    expectValid(r);
    expect(r.galaxy).toEqual({ pgc: null, objname: 'J100024.00+121800.0', ra: GALAXY.ra, dec: GALAXY.dec, fov: FOV, pa: GALAXY.pa });
    expect(r.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/getjpeg\?ra=150\.1&dec=12\.3&scale=0\.25&width=720&height=720$/);
    // The cutout the models saw: 128 × 128, the galaxy centred and horizontal.
    expect(r.cutout).toMatchObject({ width: 128, height: 128, channels: 3 });
    const s = shape(r.cutout!);
    expect(Math.hypot(s.x - 63.5, s.y - 63.5)).toBeLessThan(2.56);
    expect(axisDifference(s.angle, 0)).toBeLessThan(3);
    // The same through an SDSS source object gives the same answer.
    const again = await inclineAt(GALAXY.ra, GALAXY.dec, FOV, { pa: GALAXY.pa, imageSource: sdssImageSource({ baseUrl: `${server.url}/getjpeg` }) });
    expect(again.result).toEqual(r.result);
    expect(again.cutout).toBeUndefined();
  });

  it('inclineByPgc and inclineByName: framed by the catalogue (1.5 × D25, its PA)', async () => {
    const catalog = await loadGalaxyCatalog({ userCatalogs: [catalogCsv], stellarium: false });
    const byPgc = await inclineByPgc(GALAXY.pgc, { catalog, imageSource: sdssTemplate });
    expectValid(byPgc);
    expect(byPgc.galaxy).toMatchObject({ pgc: GALAXY.pgc, objname: GALAXY.name, ra: GALAXY.ra, dec: GALAXY.dec, pa: GALAXY.pa });
    expect(byPgc.galaxy.fov).toBeCloseTo(FOV, 6);
    const byName = await inclineByName('testgal1', { catalogs: [catalogCsv], imageSource: sdssTemplate });
    expect(byName.galaxy).toEqual(byPgc.galaxy);
    expect(byName.result).toEqual(byPgc.result);
    const at = await inclineAt(GALAXY.ra, GALAXY.dec, byPgc.galaxy.fov, { pa: GALAXY.pa, imageSource: sdssTemplate });
    expect(at.result).toEqual(byPgc.result);
  });

  it('inclinetResponse: IncliNET\'s JSON', async () => {
    const r = await inclineByPgc(GALAXY.pgc, { catalogs: [catalogCsv], imageSource: sdssTemplate });
    const response = inclinetResponse(r);
    expect(Object.keys(response)).toEqual(['status', 'galaxy', 'inclinations', 'rejection_likelihood']);
    expect(response.status).toBe('success');
    expect(response.galaxy).toEqual({ pgc: GALAXY.pgc, ra: '150.1000 deg', dec: '12.3000 deg', fov: '3.00 arcmin', pa: '35.0 deg', objname: GALAXY.name });
    expect(response.inclinations).toBe(r.result.inclinations);
  });

  it('errors: unknown galaxy, no image source, bad arguments', async () => {
    expect((await rejection(inclineByName('No Such Galaxy 12345', { catalogs: [catalogCsv], imageSource: sdssTemplate }))).code).toBe('E_NOT_FOUND');
    expect((await rejection(inclineByPgc(987654321, { catalogs: [catalogCsv], imageSource: sdssTemplate }))).code).toBe('E_NOT_FOUND');
    const port = await closedPort();
    expectSourceError(await rejection(inclineAt(GALAXY.ra, GALAXY.dec, FOV, { imageSource: `http://127.0.0.1:${port}/?ra={ra}&dec={dec}` })), /connection refused/);
    for (const work of [
      () => inclineAt(NaN, 0, 1, { imageSource: sdssTemplate }),
      () => inclineAt(0, 0, -1, { imageSource: sdssTemplate }),
      () => inclineAt(0, 0, 1, { imageSource: sdssTemplate, pa: Infinity }),
      () => inclineByPgc(-5, { imageSource: sdssTemplate }),
      () => inclineByPgc(1.5, { imageSource: sdssTemplate }),
      () => inclineByName('  ', { imageSource: sdssTemplate }),
      () => inclineByName('M 31', { catalog: {} as never, imageSource: sdssTemplate }),
    ]) {
      expect((await rejection(work)).code).toBe('E_INVALID_ARGUMENT');
    }
  });

  it('coordinateName: IAU style, rounded as a whole', () => {
    expect(coordinateName(339.2673, 34.4156)).toBe('J223704.15+342456.2');
    expect(coordinateName(0, -0.5)).toBe('J000000.00-003000.0');
    expect(coordinateName(359.99999999, 89.999999999)).toBe('J000000.00+900000.0');
  });
});
