/**
 * The HTTP API on a real server on 127.0.0.1: every endpoint and every documented answer,
 * with the real catalogue, models and solver. Galaxy images for lookups come from the cutout
 * server of ./helpers/cutout-server.ts (a synthetic galaxy, as test/cli-incline-sky.test.ts);
 * sky images are the synthetic field of test/evaluate-field.test.ts.
 */
import { createServer as createTcpServer, type Server } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inclineByPgc } from '../lib/cutout/incline-sky.js';
import { writeFits } from '../lib/image/fits-write.js';
import { closeIncline, incline } from '../lib/incline/incline.js';
import { createServer, type AsterismServer, type ServerOptions } from '../lib/server/server.js';
import { renderGalaxy } from '../scripts/synth/galaxy.js';
import { renderFixtureField, type GalaxyField } from '../scripts/synth/galaxy-field.js';
import { closedPort, startCutoutServer, type CutoutServer } from './helpers/cutout-server.js';
import { randomStarsFits } from './helpers/random-stars.js';

const GALAXY = { pgc: 999101, name: 'Apitest 1', ra: 150.5, dec: 12.25, pa: 60, d25Arcmin: 2 };
const NOTE = '[Note] Please upload jpg, png, jpeg, and gif files no larger than 1 MB !';
const dir = mkdtempSync(join(tmpdir(), 'asterism-server-'));
const csv = join(dir, 'galaxies.csv');
const fieldCsv = join(dir, 'field-galaxies.csv');
let cutouts: CutoutServer;
let template: string;
let server: AsterismServer;
let url: string;
let galaxyJpeg: Buffer;
let field: GalaxyField;
let fieldFits: Buffer;
const extra: AsterismServer[] = [];

/** Another server for one test's settings; closed in afterAll. */
async function startServer(options: ServerOptions): Promise<string> {
  const s = await createServer({ catalogs: [csv], builtinCatalogs: false, imageSource: template, ...options });
  extra.push(s);
  return s.listen({ port: 0 });
}

function form(field: string, bytes: Uint8Array | string, filename: string, fields: Record<string, string> = {}): FormData {
  const body = new FormData();
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  body.append(field, new Blob([bytes]), filename);
  return body;
}

async function call(path: string, init?: RequestInit, base = url): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(base + path, init);
  const text = await response.text();
  return { status: response.status, body: text.startsWith('{') ? JSON.parse(text) : text, headers: response.headers };
}

const post = (path: string, body: FormData, base = url) => call(path, { method: 'POST', body }, base);
const postJson = (path: string, body: string) => call(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

beforeAll(async () => {
  const raster = renderGalaxy({ width: 600, height: 600, pa: GALAXY.pa, scale: 26, axisRatio: 0.35, noise: 3, seed: 11 });
  cutouts = await startCutoutServer({ ra: GALAXY.ra, dec: GALAXY.dec, scaleArcsec: 0.5, width: 600, height: 600, data: raster.data });
  template = `${cutouts.url}/getjpeg?ra={ra}&dec={dec}&scale={scale}&width={width}&height={height}`;
  field = await renderFixtureField({ rotationDeg: 117, parity: 'normal', pgcBase: 90000000 });
  fieldFits = Buffer.from(writeFits(field.width, field.height, field.image.luminance));
  writeFileSync(csv, `pgc,objname,ra,dec,logd25,pa\n${GALAXY.pgc},${GALAXY.name},${GALAXY.ra},${GALAXY.dec},${Math.log10(GALAXY.d25Arcmin * 10)},${GALAXY.pa}\n`);
  writeFileSync(fieldCsv, field.catalogCsv);
  const stamp = renderGalaxy({ width: 200, height: 200, pa: 90, scale: 9, axisRatio: 0.3, noise: 3, seed: 12 });
  galaxyJpeg = await sharp(stamp.data, { raw: { width: 200, height: 200, channels: 3 } }).jpeg().toBuffer();
  server = await createServer({ catalogs: [csv, fieldCsv], imageSource: template });
  url = await server.listen({ port: 0 });
}, 300_000);

afterAll(async () => {
  await Promise.all([server, ...extra].map((s) => s?.close()));
  await cutouts?.close();
  await closeIncline();
  rmSync(dir, { recursive: true, force: true });
});

describe('IncliNET endpoints', () => {
  it('GET /api/pgc/:pgc answers as IncliNET, with the library\'s numbers', async () => {
    const { status, body } = await call(`/api/pgc/${GALAXY.pgc}`);
    expect(status).toBe(200);
    expect(Object.keys(body)).toEqual(['status', 'galaxy', 'inclinations', 'rejection_likelihood']);
    expect(body.status).toBe('success');
    expect(body.galaxy).toEqual({ pgc: GALAXY.pgc, ra: '150.5000 deg', dec: '12.2500 deg', fov: '3.00 arcmin', pa: '60.0 deg', objname: GALAXY.name });
    const library = await inclineByPgc(GALAXY.pgc, { catalogs: [csv], imageSource: template });
    expect(body.inclinations).toEqual(library.result.inclinations);
    expect(body.rejection_likelihood).toEqual(library.result.rejection_likelihood);
    expect(body.inclinations.summary.median).toBeGreaterThan(60);
  }, 60_000);

  it('GET /api/pgc/:pgc for an unknown number, or not a number, gives IncliNET\'s message', async () => {
    expect(await call('/api/pgc/123456789')).toMatchObject({ status: 200, body: { message: 'Could not find PGC123456789 in the database. ', status: 'failed' } });
    expect((await call('/api/pgc/abc')).body).toEqual({ message: 'Could not find PGCabc in the database. ', status: 'failed' });
    expect((await call('/api/pgc/0')).body).toEqual({ message: 'Could not find PGC0 in the database. ', status: 'failed' });
  });

  it('GET /api/objname/:name resolves the name through the catalogue, and ?image=1 adds the cutout', async () => {
    const { body } = await call(`/api/objname/${encodeURIComponent('apitest 1')}?image=1`);
    expect(body.status).toBe('success');
    expect(body.galaxy.pgc).toBe(GALAXY.pgc);
    expect(body.image).toMatch(/^data:image\/png;base64,/);
    const meta = await sharp(Buffer.from(body.image.split(',')[1], 'base64')).metadata();
    expect(meta).toMatchObject({ width: 128, height: 128, format: 'png' });
    expect((await call('/api/objname/NoSuchGalaxy%2099')).body).toEqual({ message: 'Could not find NoSuchGalaxy 99 in the database. ', status: 'failed' });
  }, 60_000);

  it('GET /api/coord frames a position; bad numbers are a 400 with a code', async () => {
    const { body } = await call(`/api/coord?ra=${GALAXY.ra}&dec=${GALAXY.dec}&fov=3&pa=60`);
    expect(body.galaxy).toEqual({ pgc: null, ra: '150.5000 deg', dec: '12.2500 deg', fov: '3.00 arcmin', pa: '60.0 deg', objname: 'J100200.00+121500.0' });
    const bad = await call('/api/coord?ra=abc&dec=1&fov=3');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ status: 'failed', code: 'E_INVALID_ARGUMENT' });
    expect((await call('/api/coord?ra=1&dec=1')).body.message).toMatch(/fov is required/);
    expect((await call('/api/coord?ra=1&dec=95&fov=3')).status).toBe(400);
  }, 60_000);

  it('POST /api/file: a JPEG, PNG or GIF gets the models\' answer for it', async () => {
    const expected = await incline(galaxyJpeg);
    const jpeg = await post('/api/file', form('file', galaxyJpeg, 'NGC_4579.jpg'));
    expect(jpeg.status).toBe(200);
    expect(jpeg.body).toEqual({ filename: 'NGC_4579.jpg', inclinations: expected.inclinations, rejection_likelihood: expected.rejection_likelihood, status: 'success' });
    const png = await sharp(galaxyJpeg).png().toBuffer();
    expect((await post('/api/file', form('file', png, 'galaxy.PNG'))).body.status).toBe('success');
    const gif = await sharp(galaxyJpeg).gif().toBuffer();
    expect((await post('/api/file', form('file', gif, 'galaxy.gif'))).body.status).toBe('success');
  }, 60_000);

  it('POST /api/file refuses by content and by suffix, with IncliNET\'s note', async () => {
    const text = await post('/api/file', form('file', 'just some text', 'notes.jpg'));
    expect(text).toMatchObject({ status: 200, body: { filename: 'notes.jpg', message: NOTE, status: 'failed' } });
    expect(Object.keys(text.body)).toEqual(['filename', 'message', 'status']);
    expect((await post('/api/file', form('file', galaxyJpeg, 'galaxy.txt'))).body).toEqual({ filename: 'galaxy.txt', message: NOTE, status: 'failed' });
    const tiff = await sharp(galaxyJpeg).tiff().toBuffer();
    expect((await post('/api/file', form('file', tiff, 'galaxy.jpg'))).body.message).toBe(NOTE);
    expect((await post('/api/file', form('image', galaxyJpeg, 'galaxy.jpg'))).body).toEqual({ filename: null, message: NOTE, status: 'failed' });
    const notMultipart = await call('/api/file', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(notMultipart.status).toBe(400);
    expect(notMultipart.body).toMatchObject({ status: 'failed', code: 'E_INVALID_ARGUMENT' });
  });

  it('POST /api/file: over the limit gets the note with the configured limit; the default is 1 MB', async () => {
    const big = Buffer.concat([galaxyJpeg, Buffer.alloc(1024 * 1024)]);
    expect((await post('/api/file', form('file', big, 'big.jpg'))).body).toEqual({ filename: 'big.jpg', message: NOTE, status: 'failed' });
    const small = await startServer({ uploadLimitBytes: 20 * 1024 });
    const over = await post('/api/file', form('file', Buffer.concat([galaxyJpeg, Buffer.alloc(20 * 1024)]), 'over.jpg'), small);
    expect(over.body).toEqual({ filename: 'over.jpg', message: '[Note] Please upload jpg, png, jpeg, and gif files no larger than 20 KB !', status: 'failed' });
    expect((await post('/api/file', form('file', galaxyJpeg, 'fits.jpg'), small)).body.status).toBe('success');
  }, 60_000);

  it('POST /api/file: a JPEG signature over bytes the decoder cannot read is a 400, and the server carries on', async () => {
    const broken = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(500, 7)]);
    const { status, body } = await post('/api/file', form('file', broken, 'broken.jpg'));
    expect(status).toBe(400);
    expect(body).toMatchObject({ filename: 'broken.jpg', status: 'failed' });
    expect(body.code).toMatch(/^E_IMAGE_/);
    expect((await call('/healthz')).body.status).toBe('ok');
  });

  it('POST /getPGC and /getObj give the catalogue\'s framing, or {"status":"error"}', async () => {
    const record = { dec: 12.25, fov: 3, objname: GALAXY.name, pa: 60, pgc: GALAXY.pgc, ra: 150.5, status: 'success' };
    const byPgc = await postJson('/getPGC', JSON.stringify({ pgc: GALAXY.pgc }));
    expect(byPgc.body).toEqual(record);
    expect(Object.keys(byPgc.body)).toEqual(['dec', 'fov', 'objname', 'pa', 'pgc', 'ra', 'status']);
    expect((await postJson('/getPGC', JSON.stringify({ pgc: String(GALAXY.pgc) }))).body).toEqual(record);
    expect((await postJson('/getObj', JSON.stringify({ objname: 'APITEST 1' }))).body).toEqual(record);
    // M 31 from the built-in OpenNGC catalogue.
    expect((await postJson('/getObj', JSON.stringify({ objname: 'M31' }))).body).toMatchObject({ pgc: 2557, status: 'success' });
    for (const [path, body] of [['/getPGC', '{"pgc": 123456789}'], ['/getPGC', '{"pgc": "x"}'], ['/getPGC', '{}'], ['/getObj', '{"objname": "No Such"}'], ['/getObj', '{"objname": 5}'], ['/getObj', '{not json']]) {
      expect((await postJson(path, body)).body, `${path} ${body}`).toEqual({ status: 'error' });
    }
  });
});

describe('solving endpoints', () => {
  it('POST /api/solve solves the field and returns its WCS as FITS cards', async () => {
    const { status, body } = await post('/api/solve', form('image', fieldFits, 'field.fits'));
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'success', solved: true, parity: 'normal' });
    const truth = field.truth.center;
    expect(Math.abs(body.center.ra - truth.ra) * Math.cos((truth.dec * Math.PI) / 180)).toBeLessThan(0.01);
    expect(Math.abs(body.center.dec - truth.dec)).toBeLessThan(0.01);
    expect(body.wcs.fits).toMatchObject({ CTYPE1: expect.stringMatching(/^RA---TAN/) });
    expect(body.matches.length).toBeGreaterThan(10);
  }, 120_000);

  it('POST /api/field finds the field\'s galaxies with inclinations, cutouts and an overlay', async () => {
    const hints = { scale_low: '1', scale_high: '5', scale_units: 'degwidth', ra: String(field.truth.center.ra), dec: String(field.truth.center.dec), radius: '2' };
    const { status, body } = await post('/api/field', form('image', fieldFits, 'field.fits', hints));
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'success', solved: true, width: field.width, height: field.height, parity: 'normal' });
    const expected = field.galaxies.filter((g) => g.d25Pixels >= 24).map((g) => g.pgc).sort();
    expect(body.galaxies.map((g: { pgc: number }) => g.pgc).sort()).toEqual(expected);
    for (const g of body.galaxies) {
      expect(g.cutout).toMatch(/^data:image\/png;base64,/);
      expect(g.inclinations.summary.median).toBeGreaterThanOrEqual(45);
    }
    const overlay = await sharp(Buffer.from(body.overlay.split(',')[1], 'base64')).metadata();
    expect(overlay).toMatchObject({ format: 'png', width: field.width, height: field.height });
  }, 180_000);

  it('streams progress lines and then the answer as NDJSON when the client accepts it', async () => {
    const response = await fetch(`${url}/api/field`, { method: 'POST', body: form('image', fieldFits, 'field.fits'), headers: { accept: 'application/x-ndjson' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = (await response.text()).trim().split('\n').map((l) => JSON.parse(l));
    const progress = lines.slice(0, -1).map((l) => l.progress);
    expect(progress.every((p) => typeof p?.stage === 'string' && typeof p.elapsedMs === 'number')).toBe(true);
    const stages = [...new Set(progress.map((p) => p.stage))];
    expect(stages).toEqual(['solve', 'catalog', 'cutouts', 'inference', 'overlay']);
    expect(progress.some((p) => typeof p.solve?.quadsTried === 'number')).toBe(true);
    const answer = lines.at(-1);
    expect(answer).toMatchObject({ status: 'success', solved: true });
    expect(answer.galaxies.length).toBe(field.galaxies.filter((g) => g.d25Pixels >= 24).length);
    // A failure found by the solving thread comes as the last line of a stream already begun.
    const bad = await fetch(`${url}/api/solve`, { method: 'POST', body: form('image', 'plain text', 'x.fits'), headers: { accept: 'application/x-ndjson' } });
    expect(bad.status).toBe(200);
    const badLines = (await bad.text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(badLines.at(-1)).toMatchObject({ status: 'failed', code: 'E_IMAGE_FORMAT' });
    // One found before the work starts is an ordinary answer with its status.
    const missing = await fetch(`${url}/api/solve`, { method: 'POST', body: form('other', fieldFits, 'x.fits'), headers: { accept: 'application/x-ndjson' } });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ code: 'E_INVALID_ARGUMENT' });
  }, 180_000);

  it('a field that cannot be solved is solved: false with the reason, not an error', async () => {
    const noise = Buffer.from(writeFits(300, 200, Float32Array.from({ length: 300 * 200 }, (_, i) => (i * 7919) % 251)));
    const { status, body } = await post('/api/field', form('image', noise, 'noise.fits', { time_limit: '5' }));
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'success', solved: false, galaxies: [], overlay: null });
    expect(typeof body.reason).toBe('string');
  }, 60_000);

  it('a search that runs out of time is an answer (solved: false, time limit), also at the server\'s own limit', async () => {
    const started = performance.now();
    const asked = await post('/api/solve', form('image', randomStarsFits(), 'random.fits', { time_limit: '2' }));
    expect(asked).toMatchObject({ status: 200, body: { status: 'success', solved: false, reason: 'time limit' } });
    expect(performance.now() - started).toBeLessThan(20_000);
    const strict = await startServer({ requestTimeoutMs: 3000 });
    const capped = await post('/api/field', form('image', randomStarsFits(), 'random.fits'), strict);
    expect(capped).toMatchObject({ status: 200, body: { status: 'success', solved: false, reason: 'time limit' } });
  }, 60_000);

  it('bad uploads and hints are 4xx answers with codes', async () => {
    const notImage = await post('/api/solve', form('image', 'hello, world', 'x.fits'));
    expect(notImage.status).toBe(400);
    expect(notImage.body).toMatchObject({ status: 'failed', code: 'E_IMAGE_FORMAT' });
    const missing = await post('/api/solve', form('other', fieldFits, 'x.fits'));
    expect(missing).toMatchObject({ status: 400, body: { code: 'E_INVALID_ARGUMENT', message: expect.stringMatching(/field 'image'/) } });
    for (const fields of [{ scale_low: '1' }, { scale_low: 'a', scale_high: '2' }, { scale_units: 'furlongs', scale_low: '1', scale_high: '2' }, { ra: '10' }, { parity: 'sideways' }, { bogus: '1' }, { time_limit: '-1' }] as Array<Record<string, string>>) {
      const r = await post('/api/solve', form('image', fieldFits, 'x.fits', fields));
      expect(r.status, JSON.stringify(fields)).toBe(400);
      expect(r.body.code).toBe('E_INVALID_ARGUMENT');
    }
    const small = await startServer({ solveUploadLimitBytes: 100 * 1024, maxPixels: 10_000 });
    expect(await post('/api/solve', form('image', fieldFits, 'x.fits'), small)).toMatchObject({ status: 413, body: { code: 'E_IMAGE_TOO_LARGE' } });
    const png = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#000' } }).png().toBuffer();
    expect(await post('/api/solve', form('image', png, 'x.png'), small)).toMatchObject({ status: 413, body: { code: 'E_IMAGE_TOO_LARGE' } });
  }, 60_000);
});

describe('the service', () => {
  it('GET /healthz reports the version and the queues', async () => {
    const { status, body } = await call('/healthz');
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ok', queues: { inference: { running: 0, waiting: 0 }, solve: { concurrency: 1 } } });
    expect(body.galaxies).toBeGreaterThan(10_000);
  });

  it('GET /api/docs is valid OpenAPI and describes every route', async () => {
    const { body } = await call('/api/docs');
    const validator = new Validator();
    const result = await validator.validate(body);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const documented = Object.entries(body.paths as Record<string, object>)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`));
    const served = server.routes.filter((r) => !r.includes('/web/'));
    expect([...served].sort()).toEqual([...documented].sort());
    expect(JSON.stringify(body)).toContain(NOTE);
  });

  it('GET / serves the page, and nothing outside its directory is reachable', async () => {
    const page = await call('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.body).toContain('/web/app.js');
    expect((await call('/web/app.js')).status).toBe(200);
    for (const path of ['/web/../package.json', '/web/%2e%2e/%2e%2e/package.json', '/web/..%2f..%2f..%2fpackage.json', '/web/%2e%2e%2f%2e%2e%2f%2e%2e%2fpackage.json', '/web/', '/web/.hidden', '/..%2f..%2fetc%2fpasswd']) {
      const r = await call(path);
      expect(r.status, path).toBeGreaterThanOrEqual(400);
      expect(String(JSON.stringify(r.body)), path).not.toContain('"dependencies"');
    }
    expect((await call('/api/objname/..%2F..%2F..%2Fetc%2Fpasswd')).body.status).toBe('failed');
    const unknown = await call('/api/nothing');
    expect(unknown).toMatchObject({ status: 404, body: { status: 'failed', code: 'E_NOT_FOUND' } });
  });

  it('sends no CORS headers by default, and those allowed when configured', async () => {
    const origin = { headers: { origin: 'https://example.org' } };
    expect((await call('/healthz', origin)).headers.get('access-control-allow-origin')).toBeNull();
    const open = await startServer({ cors: 'https://example.org' });
    expect((await call('/healthz', origin, open)).headers.get('access-control-allow-origin')).toBe('https://example.org');
  });

  it('answers 503 with a JSON message when the queue is full, and serves again afterwards', async () => {
    const tight = await startServer({ inferenceQueue: 0 });
    const answers = await Promise.all(Array.from({ length: 8 }, () => post('/api/file', form('file', galaxyJpeg, 'g.jpg'), tight)));
    const busy = answers.filter((a) => a.status === 503);
    const served = answers.filter((a) => a.status === 200);
    expect(busy.length).toBeGreaterThan(0);
    expect(served.length).toBeGreaterThanOrEqual(2);
    expect(busy.length + served.length).toBe(8);
    expect(busy[0].body).toMatchObject({ status: 'failed', code: 'E_BUSY' });
    expect(busy[0].headers.get('retry-after')).toBe('5');
    for (const a of served) expect(a.body.status).toBe('success');
    expect((await post('/api/file', form('file', galaxyJpeg, 'g.jpg'), tight)).body.status).toBe('success');
  }, 60_000);

  it('an image source that fails is a 502; one that never answers runs into the time limit, a 504', async () => {
    const unreachable = await startServer({ imageSource: `http://127.0.0.1:${await closedPort()}/cut?ra={ra}&dec={dec}&scale={scale}&width={width}&height={height}` });
    expect(await call(`/api/pgc/${GALAXY.pgc}`, undefined, unreachable)).toMatchObject({ status: 502, body: { status: 'failed', code: 'E_IMAGE_SOURCE' } });
    const silent: Server = createTcpServer(() => undefined);
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    try {
      const port = (silent.address() as { port: number }).port;
      const slow = await startServer({ requestTimeoutMs: 1500, imageSource: `http://127.0.0.1:${port}/cut?ra={ra}&dec={dec}&scale={scale}&width={width}&height={height}` });
      const started = performance.now();
      expect(await call(`/api/pgc/${GALAXY.pgc}`, undefined, slow)).toMatchObject({ status: 504, body: { status: 'failed', code: 'E_TIMEOUT' } });
      expect(performance.now() - started).toBeLessThan(10_000);
    } finally {
      silent.close();
    }
  }, 60_000);

  it('refuses bad options with E_INVALID_ARGUMENT, and a missing index path with E_IO', async () => {
    for (const bad of [{ uploadLimitBytes: 0 }, { solveWorkers: 1.5 }, { cors: 5 }, { index: 'not-a-list' }, { builtinCatalogs: 'yes' }] as ServerOptions[]) {
      await expect(createServer(bad), JSON.stringify(bad)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    }
    await expect(createServer({ index: [join(dir, 'no-such-index')] })).rejects.toMatchObject({ code: 'E_IO' });
  });
});
