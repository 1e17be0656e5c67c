/**
 * The web page as a person uses it: the real server on 127.0.0.1 (real catalogue, real ONNX
 * models, real solver) and a real headless Chromium (test/helpers/browser.ts). Galaxy images
 * come from a cutout server on 127.0.0.1 (test/helpers/cutout-server.ts) drawing a synthetic
 * M31 (scripts/synth/galaxy.ts) where OpenNGC puts it, so lookups never leave the machine.
 *
 * Each scenario saves a screenshot to test-results/screenshots/<name>.png, CI's artefacts.
 * Scenarios share one server and one browser page but each starts from a fresh load of the page.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page, Request, Response } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findGalaxy, inclinetFraming, loadGalaxyCatalog } from '../lib/catalog/galaxies.js';
import { writeFits } from '../lib/image/fits-write.js';
import { closeIncline } from '../lib/incline/incline.js';
import { readModelManifest } from '../lib/incline/manifest.js';
import { createServer } from '../lib/server/server.js';
import { renderGalaxy } from '../scripts/synth/galaxy.js';
import { renderFixtureField } from '../scripts/synth/galaxy-field.js';
import { launchChromium, screenshot, watchProblems, type PageProblems } from './helpers/browser.js';
import { startCutoutServer, type CutoutServer } from './helpers/cutout-server.js';

/** Generous: the first inference loads 15 ONNX models, and a field solve takes 10–30 s on a busy 2-core machine. */
const SLOW_MS = 120_000;
/** IncliNET's note for an upload it will not take, with the server's default 1 MiB limit. */
const UPLOAD_NOTE = '[Note] Please upload jpg, png, jpeg, and gif files no larger than 1 MB !';

const dir = mkdtempSync(join(tmpdir(), 'asterism-browser-'));
const regressionModels = readModelManifest().models.filter((m) => m.kind === 'regression').length;
const binaryModels = readModelManifest().models.filter((m) => m.kind === 'binary').length;

/** The parts of the browser's DOM the page functions below use: the project's TypeScript has no DOM library. */
interface ImageElement {
  src: string;
  naturalWidth: number;
  naturalHeight: number;
  style: { transform: string };
}
interface BusyRecord {
  disabled: boolean;
  busy: boolean;
  /** What the busy indicator said, in order (progress reports change it). */
  texts: string[];
}
declare const document: {
  activeElement: { id: string } | null;
  body: unknown;
  getElementById(id: string): { id: string; hidden: boolean; disabled: boolean; getBoundingClientRect(): { width: number } } | null;
};
declare const MutationObserver: new (callback: (records: Array<{ target: { id: string; hidden: boolean; disabled: boolean; textContent: string | null } }>) => void) => {
  observe(target: unknown, options: { attributes: boolean; subtree: boolean; childList: boolean }): void;
};

let cutouts: CutoutServer;
let server: Awaited<ReturnType<typeof createServer>>;
let baseUrl: string;
let browser: Browser;
let page: Page;
let problems: PageProblems;
let galaxyJpeg: string;
let fieldFits: string;

/**
 * A sky centred on M31 at 30″/px, 800 × 800 (6.7°): it holds the whole 1.5 × D25 field OpenNGC
 * gives M31 (about 4.4°), so whatever cutout the server asks for is answered with the galaxy.
 */
async function startM31Sky(): Promise<CutoutServer> {
  const m31 = findGalaxy(await loadGalaxyCatalog(), 'M31');
  if (m31.majorArcmin === null) throw new Error('the built-in catalogue has no size for M31');
  const scaleArcsec = 30;
  const d25Pixels = (m31.majorArcmin * 60) / scaleArcsec;
  const raster = renderGalaxy({
    width: 800, height: 800, pa: m31.positionAngle ?? 35, scale: d25Pixels / 8,
    axisRatio: (m31.minorArcmin ?? 70) / m31.majorArcmin, noise: 3, stars: 30, seed: 31,
  });
  return startCutoutServer({ ra: m31.ra, dec: m31.dec, scaleArcsec, width: 800, height: 800, data: raster.data });
}

beforeAll(async () => {
  cutouts = await startM31Sky();
  const galaxy = renderGalaxy({ width: 256, height: 256, pa: 90, axisRatio: 0.3, noise: 3, stars: 4, seed: 5 });
  galaxyJpeg = join(dir, 'edge-on.jpg');
  await sharp(galaxy.data, { raw: { width: 256, height: 256, channels: 3 } }).jpeg({ quality: 90 }).toFile(galaxyJpeg);

  const field = await renderFixtureField({ rotationDeg: 30, parity: 'normal', pgcBase: 90000100 });
  fieldFits = join(dir, 'field.fits');
  writeFileSync(fieldFits, writeFits(field.width, field.height, field.image.luminance));
  const fieldCsv = join(dir, 'field.csv');
  writeFileSync(fieldCsv, field.catalogCsv);

  server = await createServer({
    imageSource: `${cutouts.url}/getjpeg?ra={ra}&dec={dec}&scale={scale}&width={width}&height={height}`,
    catalogs: [fieldCsv],
    logger: false,
  });
  baseUrl = await server.listen({ port: 0, host: '127.0.0.1' });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  problems = watchProblems(page);
}, SLOW_MS);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await cutouts?.close();
  await closeIncline();
  rmSync(dir, { recursive: true, force: true });
}, SLOW_MS);

beforeEach(async () => {
  problems.clear();
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${baseUrl}/`);
});

/** The text of an element, trimmed. */
async function text(selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? '').trim();
}

/** Chooses how to name the galaxy (the radio buttons above the galaxy form). */
async function chooseSource(source: 'pgc' | 'name' | 'coord' | 'file'): Promise<void> {
  await page.locator(`input[name="source"][value="${source}"]`).check();
}

/**
 * Clicks submit (`button` is its id) and checks that the page showed it was busy (indicator up,
 * button disabled) while the request ran and stopped once the answer came: returns the server's
 * response the page received. A MutationObserver in the page records the busy state, since a
 * quick answer can come and go between two of the test's own looks at the page.
 */
async function submitAndWait(button: string, urlPart: string): Promise<Response> {
  await page.evaluate((id) => {
    const seen: BusyRecord = { disabled: false, busy: false, texts: [] };
    (globalThis as unknown as { busySeen: BusyRecord }).busySeen = seen;
    new MutationObserver((records) => {
      for (const { target } of records) {
        if (target.id === id && target.disabled) seen.disabled = true;
        if (target.id === 'busy' && !target.hidden) seen.busy = true;
        if (target.id === 'busy-text') seen.texts.push(target.textContent ?? '');
      }
    }).observe(document.body, { attributes: true, subtree: true, childList: true });
  }, button.slice(1));
  const response = page.waitForResponse((r) => r.url().includes(urlPart), { timeout: SLOW_MS });
  await page.locator(button).click();
  const answered = await response;
  await page.locator(`${button}:enabled`).waitFor({ timeout: SLOW_MS });
  expect(await page.locator('#busy').isVisible()).toBe(false);
  expect(await page.evaluate(() => (globalThis as unknown as { busySeen: BusyRecord }).busySeen)).toMatchObject({ disabled: true, busy: true });
  return answered;
}

/** What the busy indicator said during the last {@link submitAndWait}. */
function busyTexts(): Promise<string[]> {
  return page.evaluate(() => (globalThis as unknown as { busySeen: BusyRecord }).busySeen.texts);
}

/**
 * The answer of a solving endpoint as the page asks for it (application/x-ndjson): progress
 * lines, then the answer's line. Returns both.
 */
async function streamedAnswer(response: Response): Promise<{ answer: any; progress: Array<{ stage: string }> }> {
  expect(response.headers()['content-type']).toMatch(/^application\/x-ndjson/);
  const lines = (await response.text()).trim().split('\n').map((line) => JSON.parse(line));
  return { answer: lines.at(-1), progress: lines.slice(0, -1).map((line) => line.progress) };
}

/** The error box's text once it is visible. */
async function shownError(): Promise<string> {
  await page.locator('#error').waitFor({ state: 'visible', timeout: SLOW_MS });
  expect(await page.getByRole('alert').isVisible()).toBe(true);
  return text('#error');
}

/** Checks the inclination table, histogram, median and rejection against the JSON the page received. */
async function expectInclinationResult(body: { inclinations: Record<string, unknown>; rejection_likelihood: Record<string, unknown> }): Promise<void> {
  const inclinations = body.inclinations as Record<string, Record<string, number>> & { summary: { median: number; mean: number; stdev: number } };
  const perModel = Object.entries(inclinations).filter(([k]) => k !== 'summary').flatMap(([, models]) => Object.entries(models));
  expect(perModel).toHaveLength(regressionModels);

  const cells = await page.locator('#inclination-table tbody tr:not(.group-row)').evaluateAll((rows) =>
    rows.map((row) => [row.children[0].textContent, row.children[1].textContent]));
  expect(cells).toEqual(perModel.map(([model, degrees]) => [model, `${degrees}°`]));

  expect(await text('#median')).toBe(`${inclinations.summary.median.toFixed(1)}°`);
  expect(await text('#mean-stdev')).toContain(`${inclinations.summary.mean.toFixed(1)}° ± ${inclinations.summary.stdev.toFixed(1)}°`);

  // One bar per 5° bin from 45° to 90°, holding every model between them, and the median's line.
  const counts = await page.locator('#histogram svg rect.bar').evaluateAll((bars) => bars.map((b) => Number(b.getAttribute('data-count'))));
  expect(counts).toHaveLength(9);
  expect(counts.reduce((a, b) => a + b, 0)).toBe(regressionModels);
  expect(await page.locator('#histogram svg .median-marker line').count()).toBe(1);

  const rejection = body.rejection_likelihood as Record<string, number> & { summary: { median: number } };
  expect(await text('#rejection-value')).toBe(`${rejection.summary.median.toFixed(1)} %`);
  const flagged = rejection.summary.median >= 50;
  expect(await page.locator('#rejection').evaluate((e) => e.classList.contains('reject-high'))).toBe(flagged);
  expect(await page.locator('#reject-note').count()).toBe(flagged ? 1 : 0);
  expect(await page.locator('#rejection-table tbody tr').count()).toBe(binaryModels);
}

/** The inline transform of the result's image. */
function imageTransform(): Promise<string> {
  return page.locator('#image').evaluate((img: ImageElement) => img.style.transform);
}

describe('the web page in a browser', () => {
  it('loads: title, form, API link, no console errors', async () => {
    expect(await page.title()).toMatch(/asterism/);
    expect(await page.locator('#galaxy-form').isVisible()).toBe(true);
    expect(await page.locator('#objname').isVisible()).toBe(true);
    expect(await page.locator('#error').isVisible()).toBe(false);
    expect(await page.locator('#result').isVisible()).toBe(false);
    expect(await page.locator('footer a[href="/api/docs"]').count()).toBe(1);
    // Every input has a label a screen reader can read.
    const unlabelled = await page.locator('input:not([type="radio"]), select').evaluateAll((inputs) =>
      inputs.filter((i) => (i as { labels: unknown[] | null }).labels?.length === 0).map((i) => i.id));
    expect(unlabelled).toEqual([]);
    await screenshot(page, 'loaded');
    // A narrow screen (a phone) too.
    await page.setViewportSize({ width: 390, height: 800 });
    await screenshot(page, 'loaded-narrow');
    expect(problems.list).toEqual([]);
  });

  it('looks up M31 by name: record, cutout, per-model table, histogram, median, rejection', async () => {
    const framing = inclinetFraming(findGalaxy(await loadGalaxyCatalog(), 'M31'));
    const before = cutouts.requests.length;
    await chooseSource('name');
    await page.locator('#objname').fill('M31');
    const response = await submitAndWait('#galaxy-submit', '/api/objname/');
    expect(response.url()).toBe(`${baseUrl}/api/objname/M31?image=1`);
    const body = await response.json();
    expect(body.status).toBe('success');
    expect(cutouts.requests.length).toBeGreaterThan(before);

    await page.locator('#inclination-table').waitFor();
    await expectInclinationResult(body);
    const record = await text('#galaxy-record');
    expect(record).toContain(framing.objname);
    expect(record).toContain(String(framing.pgc));
    expect(record).toContain(`${framing.ra.toFixed(4)}°`);
    expect(record).toContain(`${framing.fov.toFixed(2)}′`);
    expect(record).toContain(`${framing.pa.toFixed(1)}°`);
    const image = await page.locator('#image').evaluate((img: ImageElement) => ({ src: img.src.slice(0, 22), width: img.naturalWidth, height: img.naturalHeight }));
    expect(image).toEqual({ src: 'data:image/png;base64,', width: 128, height: 128 });
    expect(await page.locator('#error').isVisible()).toBe(false);
    await screenshot(page, 'lookup-m31');
    await page.setViewportSize({ width: 390, height: 800 });
    await screenshot(page, 'lookup-m31-narrow');
    expect(problems.list).toEqual([]);
  }, SLOW_MS);

  it('looks up a position: the record has no PGC number and a coordinate name', async () => {
    await chooseSource('coord');
    await page.locator('#ra').fill('10.6848');
    await page.locator('#dec').fill('41.2691');
    await page.locator('#fov').fill('240');
    await page.locator('#pa').fill('35');
    const response = await submitAndWait('#galaxy-submit', '/api/coord');
    expect(new URL(response.url()).searchParams.toString()).toBe('ra=10.6848&dec=41.2691&fov=240&pa=35&image=1');
    const body = await response.json();
    await page.locator('#inclination-table').waitFor();
    await expectInclinationResult(body);
    expect(await text('#galaxy-record')).toContain(body.galaxy.objname);
    expect(body.galaxy.objname).toMatch(/^J004244/);
    await screenshot(page, 'lookup-coordinates');
    expect(problems.list).toEqual([]);
  }, SLOW_MS);

  it('measures an uploaded galaxy image, shown from the local file', async () => {
    await chooseSource('file');
    await page.locator('#galaxy-file').setInputFiles(galaxyJpeg);
    const response = await submitAndWait('#galaxy-submit', '/api/file');
    const body = await response.json();
    expect(body).toMatchObject({ status: 'success', filename: 'edge-on.jpg' });
    await page.locator('#inclination-table').waitFor();
    await expectInclinationResult(body);
    expect(await text('#galaxy-record')).toContain('edge-on.jpg');
    const image = await page.locator('#image').evaluate((img: ImageElement) => ({ blob: img.src.startsWith('blob:'), width: img.naturalWidth }));
    expect(image).toEqual({ blob: true, width: 256 });
    await screenshot(page, 'upload-galaxy');
    expect(problems.list).toEqual([]);
  }, SLOW_MS);

  it('shows IncliNET\'s upload note for a text file named .jpg, not raw JSON', async () => {
    await chooseSource('file');
    await page.locator('#galaxy-file').setInputFiles({ name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('these are not pixels\n') });
    const response = await submitAndWait('#galaxy-submit', '/api/file');
    expect(await response.json()).toEqual({ filename: 'notes.jpg', message: UPLOAD_NOTE, status: 'failed' });
    expect(await shownError()).toContain(UPLOAD_NOTE);
    expect(await page.locator('#result').isVisible()).toBe(false);
    const visible = await page.locator('body').innerText();
    expect(visible).not.toMatch(/"status"|"message"|\{/);
    await screenshot(page, 'upload-not-an-image');
    expect(problems.list).toEqual([]);
  }, SLOW_MS);

  it('says in the page when a PGC number or a name is not in the catalogue', async () => {
    await chooseSource('pgc');
    await page.locator('#pgc').fill('1');
    await submitAndWait('#galaxy-submit', '/api/pgc/');
    expect(await shownError()).toContain('Could not find PGC1 in the database.');
    expect(await page.locator('#result').isVisible()).toBe(false);
    await screenshot(page, 'unknown-pgc');

    await chooseSource('name');
    await page.locator('#objname').fill('Nonesuch 999');
    await submitAndWait('#galaxy-submit', '/api/objname/');
    expect(await shownError()).toMatch(/Could not find .*Nonesuch 999/);
    expect(await page.locator('#result').isVisible()).toBe(false);
    await screenshot(page, 'unknown-name');
    expect(problems.list).toEqual([]);
  }, SLOW_MS);

  it('says in the page what is missing before asking the server', async () => {
    let requests = 0;
    const count = (r: Request) => { if (r.url().includes('/api/')) requests++; };
    page.on('request', count);
    await chooseSource('name');
    await page.locator('#galaxy-submit').click();
    expect(await shownError()).toMatch(/Galaxy name/);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('objname');
    await chooseSource('coord');
    await page.locator('#ra').fill('400');
    await page.locator('#dec').fill('10');
    await page.locator('#fov').fill('3');
    await page.locator('#galaxy-submit').click();
    expect(await shownError()).toMatch(/^Check the form\. RA: /);
    await page.locator('#tab-field').click();
    await page.locator('#field-submit').click();
    expect(await shownError()).toMatch(/^Check the form\. Sky image: /);
    await page.locator('#sky-file').setInputFiles(galaxyJpeg);
    await page.locator('.hints summary').click();
    await page.locator('#scale-low').fill('1');
    await page.locator('#field-submit').click();
    expect(await shownError()).toBe('Check the form. Give both ends of the scale range, or neither.');
    page.off('request', count);
    expect(requests).toBe(0);
    expect(problems.list).toEqual([]);
  });

  it('says in the page when the server cannot be reached or answers something that is not JSON', async () => {
    // Faults the real server does not make: a dropped connection and a proxy's HTML error page.
    await page.route('**/api/objname/**', (route) => route.abort('connectionrefused'));
    await page.route('**/getObj', (route) => route.abort('connectionrefused'));
    await chooseSource('name');
    await page.locator('#objname').fill('M31');
    await page.locator('#galaxy-submit').click();
    expect(await shownError()).toContain('Could not reach the server');
    await page.locator('#galaxy-submit:enabled').waitFor();
    expect(await page.locator('#busy').isVisible()).toBe(false);
    await page.unrouteAll();

    await page.route('**/api/pgc/**', (route) => route.fulfill({ status: 502, contentType: 'text/html', body: '<html><body><h1>502 Bad Gateway</h1></body></html>' }));
    await chooseSource('pgc');
    await page.locator('#pgc').fill('2557');
    await page.locator('#galaxy-submit').click();
    const message = await shownError();
    expect(message).toContain('HTTP 502');
    expect(message).toContain('not JSON');
    expect(message).not.toContain('<html>');
    await page.unrouteAll();
    await screenshot(page, 'network-error');
  });

  it('rotates and zooms the image with the buttons and the slider', async () => {
    await chooseSource('file');
    await page.locator('#galaxy-file').setInputFiles(galaxyJpeg);
    await submitAndWait('#galaxy-submit', '/api/file');
    await page.locator('#image').waitFor();
    expect(await imageTransform()).toBe('translate(0px, 0px) rotate(0deg) scale(1)');
    const width = async () => page.locator('#image').evaluate((img) => img.getBoundingClientRect().width);
    const unzoomed = await width();

    await page.locator('#image-rotate-right').click();
    await page.locator('#image-rotate-right').click();
    expect(await imageTransform()).toContain('rotate(30deg)');
    await page.locator('#image-rotate-left').click();
    expect(await imageTransform()).toContain('rotate(15deg)');
    expect(await page.locator('#image-rotation').inputValue()).toBe('15');
    await page.locator('#image-rotation').fill('-90');
    expect(await imageTransform()).toContain('rotate(-90deg)');

    await page.locator('#image-zoom-in').click();
    expect(await imageTransform()).toContain('scale(1.25)');
    // The transform is animated: wait for the drawn size to follow.
    await page.waitForFunction((w) => Math.abs(document.getElementById('image')!.getBoundingClientRect().width - 1.25 * w) < 1, unzoomed);
    await page.locator('#image-zoom-out').click();
    await page.locator('#image-zoom-out').click();
    expect(await imageTransform()).toContain('scale(0.8)');
    expect(await text('#image-readout')).toBe('-90° · 80 %');
    await screenshot(page, 'rotate-zoom');

    await page.locator('#image-reset').click();
    expect(await imageTransform()).toBe('translate(0px, 0px) rotate(0deg) scale(1)');
    expect(problems.list).toEqual([]);
  }, SLOW_MS);

  it('sends the solver hints filled in and says why a sky image was not solved', async () => {
    const dark = join(dir, 'dark.png');
    await sharp({ create: { width: 200, height: 150, channels: 3, background: { r: 20, g: 20, b: 20 } } }).png().toFile(dark);
    await page.locator('#tab-field').click();
    await page.locator('#sky-file').setInputFiles(dark);
    await page.locator('.hints summary').click();
    await page.locator('#scale-low').fill('1');
    await page.locator('#scale-high').fill('10');
    await page.locator('#scale-units').selectOption('arcsecperpix');
    // Chromium does not report a body holding a file: record the form the page hands to fetch().
    await page.evaluate(() => {
      const sent: Array<Array<[string, string]>> = [];
      (globalThis as unknown as { sentForms: typeof sent }).sentForms = sent;
      const original = globalThis.fetch;
      globalThis.fetch = (input, init) => {
        if (init?.body instanceof FormData) sent.push([...init.body.entries()].map(([k, v]) => [k, typeof v === 'string' ? v : `file ${v.name}`]));
        return original(input, init);
      };
    });
    const response = await submitAndWait('#field-submit', '/api/field');
    const forms = await page.evaluate(() => (globalThis as unknown as { sentForms: Array<Array<[string, string]>> }).sentForms);
    expect(forms).toEqual([[['image', 'file dark.png'], ['scale_low', '1'], ['scale_high', '10'], ['scale_units', 'arcsecperpix']]]);
    const { answer: body } = await streamedAnswer(response);
    expect(body).toMatchObject({ status: 'success', solved: false });
    await page.locator('#unsolved').waitFor();
    expect(await text('#unsolved-reason')).toBe(`The solver found no position for this image: ${body.reason}.`);
    expect(await page.locator('#error').isVisible()).toBe(false);
    await screenshot(page, 'field-not-solved');
    expect(problems.list).toEqual([]);
  }, SLOW_MS);

  it('solves a sky image: solution, overlay, galaxies found, and one galaxy\'s answer', async () => {
    await page.locator('#tab-field').click();
    expect(await page.locator('#panel-field').isVisible()).toBe(true);
    expect(await page.locator('#panel-galaxy').isVisible()).toBe(false);
    await page.locator('#sky-file').setInputFiles(fieldFits);
    const response = await submitAndWait('#field-submit', '/api/field');
    const { answer: body, progress } = await streamedAnswer(response);
    expect(body, JSON.stringify(body).slice(0, 500)).toMatchObject({ status: 'success', solved: true });
    // The page said what the server was doing as its progress came in.
    expect(new Set(progress.map((p) => p.stage))).toEqual(new Set(['solve', 'catalog', 'cutouts', 'inference', 'overlay']));
    const said = await busyTexts();
    expect(said.some((t) => /^Solving/.test(t)), said.join(' | ')).toBe(true);
    expect(said.some((t) => /^Running the models on galaxies/.test(t)), said.join(' | ')).toBe(true);
    expect(body.galaxies.length).toBeGreaterThanOrEqual(5);

    await page.locator('#field-table').waitFor();
    const rows = await page.locator('#field-table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    expect(rows).toHaveLength(body.galaxies.length);
    expect(rows.map((r) => r[0])).toEqual(body.galaxies.map((g: { name: string }) => g.name));
    expect(rows.map((r) => r[4])).toEqual(body.galaxies.map((g: { inclinations: { summary: { median: number } } }) => `${g.inclinations.summary.median.toFixed(1)}°`));
    const summary = await text('#field-summary');
    expect(summary).toContain(body.parity);
    expect(summary).toContain(`${body.pixelScale.toFixed(3)} ″/px`);
    expect(summary).toContain(`${body.center.ra.toFixed(4)}°`);
    expect(await page.locator('#overlay').evaluate((img: ImageElement) => img.src.slice(0, 22))).toBe('data:image/png;base64,');
    await screenshot(page, 'field-solved');

    await page.locator('#field-table tbody tr').first().locator('button').click();
    await page.locator('#field-galaxy #inclination-table').waitFor();
    await expectInclinationResult(body.galaxies[0]);
    expect(await text('#field-galaxy #galaxy-record')).toContain(body.galaxies[0].name);
    await screenshot(page, 'field-galaxy');
    expect(problems.list).toEqual([]);
  }, SLOW_MS);
});
