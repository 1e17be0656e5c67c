/**
 * evaluateField() end to end: the real solver, catalogue, cutouts and ONNX models on synthetic
 * wide fields (scripts/synth/galaxy-field.ts) holding galaxies of known inclination drawn by the
 * training generator (run with /usr/bin/python3 and numpy, which .ci/run installs).
 *
 * Two frames of the same galaxies: one with det CD < 0 turned by 117°, one mirrored and turned
 * by −40°. Each is evaluated once in beforeAll and shared by the assertions.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGalaxyCatalog } from '../lib/catalog/galaxies.js';
import type { GalaxyCatalog } from '../lib/catalog/galaxy-types.js';
import { AsterismError } from '../lib/errors.js';
import { closeIncline } from '../lib/incline/incline.js';
import { evaluateField, type FieldGalaxy, type FieldProgress, type FieldResult } from '../lib/pipeline/evaluate-field.js';
import { measurePa } from '../lib/pipeline/measure-pa.js';
import { readModelManifest } from '../lib/incline/manifest.js';
import { renderGalaxy } from '../scripts/synth/galaxy.js';
import { renderFixtureField, type GalaxyField } from '../scripts/synth/galaxy-field.js';
import { nonSkyImage } from '../scripts/synth/sky-frame.js';

/**
 * The bound on |predicted − true| inclination: three times the ensemble's rms on its held-out
 * synthetic test set, as the models' manifest records it (2.16° for the shipped models, README).
 * Three sigmas keep a fixed set of a dozen galaxies from failing by chance, and still catch any
 * pipeline fault that matters (a cutout turned by 90° or off-centre, a wrong framing), which
 * moves the answer by tens of degrees.
 */
const INCLINATION_TOLERANCE_DEG = 3 * readModelManifest().testRmsDeg!;
/** The centring bound: 2 % of the galaxy's size (D25). */
const CENTRE_TOLERANCE = 0.02;
const MIN_D25_PIXELS = 24;
const CUTOUT = 128;

const dir = mkdtempSync(join(tmpdir(), 'asterism-field-'));

interface Case {
  field: GalaxyField;
  catalog: GalaxyCatalog;
  csv: string;
  result: FieldResult;
  progress: FieldProgress[];
}
const cases: Record<'turned' | 'mirrored', Case> = {} as Record<'turned' | 'mirrored', Case>;

async function prepare(name: 'turned' | 'mirrored', rotationDeg: number, parity: 'normal' | 'flipped', pgcBase: number): Promise<void> {
  const field = await renderFixtureField({ rotationDeg, parity, pgcBase });
  const csv = join(dir, `${name}.csv`);
  writeFileSync(csv, field.catalogCsv);
  // Only the synthetic galaxies: the frame's sky has no large real one, but this keeps the test
  // independent of which built-in catalogues are installed.
  const catalog = await loadGalaxyCatalog({ userCatalogs: [csv], openngc: false, stellarium: false });
  const progress: FieldProgress[] = [];
  const result = await evaluateField(field.image, { catalog, cutouts: true, overlay: true, onProgress: (p) => progress.push(p) });
  cases[name] = { field, catalog, csv, result, progress };
}

beforeAll(async () => {
  await prepare('turned', 117, 'normal', 90000000);
  await prepare('mirrored', -40, 'flipped', 90000010);
}, 300_000);

afterAll(async () => {
  await closeIncline();
  rmSync(dir, { recursive: true, force: true });
});

/** Grey levels of an RGB PNG. */
async function greyOf(png: Buffer): Promise<{ grey: Float64Array; width: number; height: number }> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const grey = new Float64Array(info.width * info.height);
  for (let i = 0; i < grey.length; i++) grey[i] = (data[i * info.channels] + data[i * info.channels + 1] + data[i * info.channels + 2]) / 3;
  return { grey, width: info.width, height: info.height };
}

/**
 * Light centroid and major-axis angle (degrees from +x, folded into (−90, 90]) of the pixels
 * above the median inside the D25 circle of a cutout.
 */
function lightMoments(grey: Float64Array, size: number): { cx: number; cy: number; angle: number } {
  const sky = Float64Array.from(grey).sort()[grey.length >> 1];
  const c = (size - 1) / 2, r = size / 3;
  let s = 0, sx = 0, sy = 0;
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const v = grey[y * size + x] - sky;
    if (v > 0 && (x - c) ** 2 + (y - c) ** 2 <= r * r) { s += v; sx += v * x; sy += v * y; }
  }
  const cx = sx / s, cy = sy / s;
  let mxx = 0, myy = 0, mxy = 0;
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const v = grey[y * size + x] - sky;
    if (v > 0 && (x - c) ** 2 + (y - c) ** 2 <= r * r) { mxx += v * (x - cx) ** 2; myy += v * (y - cy) ** 2; mxy += v * (x - cx) * (y - cy); }
  }
  return { cx, cy, angle: (0.5 * Math.atan2(2 * mxy, mxx - myy) * 180) / Math.PI };
}

function truthOf(c: Case, g: FieldGalaxy) {
  const t = c.field.galaxies.find((s) => s.pgc === g.pgc);
  expect(t, `${g.name} is not a fixture galaxy`).toBeDefined();
  return t!;
}

describe.each(['turned', 'mirrored'] as const)('evaluateField() on the %s synthetic field', (name) => {
  it('solves it with the frame\'s parity and rotation', () => {
    const { result, field } = cases[name];
    expect(result.solved).toBe(true);
    expect(result.solution.parity).toBe(field.truth.parity);
    expect(Math.abs(((result.solution.rotation! - field.truth.rotationDeg + 540) % 360) - 180)).toBeLessThan(0.1);
    expect([result.width, result.height]).toEqual([1400, 1050]);
  });

  it('finds every galaxy whose D25 spans at least 24 px, and none smaller', () => {
    const { result, field } = cases[name];
    const expected = field.galaxies.filter((g) => g.d25Pixels >= MIN_D25_PIXELS).map((g) => g.pgc).sort();
    expect(field.galaxies.some((g) => g.d25Pixels < MIN_D25_PIXELS)).toBe(true);
    expect(result.galaxies.map((g) => g.pgc).sort()).toEqual(expected);
    // Largest first.
    const sizes = result.galaxies.map((g) => g.d25Pixels);
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    for (const g of result.galaxies) {
      const t = truthOf(cases[name], g);
      expect(g.d25Pixels / t.d25Pixels).toBeCloseTo(1, 2);
      expect(g.d25Arcmin).toBeCloseTo(t.d25Arcmin, 3);
      expect(g.cutoutFovArcmin).toBeCloseTo(1.5 * t.d25Arcmin, 3);
      expect(g.source).toBe('user');
      expect(g.names[0]).toBe(g.name);
    }
  });

  it('centres each cutout on its galaxy within 2 % of D25, with the major axis horizontal', async () => {
    const c = cases[name];
    for (const g of c.result.galaxies) {
      const t = truthOf(c, g);
      // Analytically: the catalogue position under the solved WCS against where the galaxy was drawn.
      expect(Math.hypot(g.x - t.x, g.y - t.y) / t.d25Pixels).toBeLessThan(CENTRE_TOLERANCE);
      const { grey, width, height } = await greyOf(g.cutoutPng!);
      expect([width, height]).toEqual([CUTOUT, CUTOUT]);
      // On the pixels: the light's centroid. D25 spans CUTOUT / 1.5 pixels of the cutout. The
      // galaxy 13 px from the frame's edge has part of its cutout off the image; its light is
      // one-sided, so only the analytic check above applies to it.
      const inside = t.x - 0.75 * t.d25Pixels > 0 && t.x + 0.75 * t.d25Pixels < 1399 && t.y - 0.75 * t.d25Pixels > 0 && t.y + 0.75 * t.d25Pixels < 1049;
      const m = lightMoments(grey, CUTOUT);
      if (inside) {
        const offset = Math.hypot(m.cx - (CUTOUT - 1) / 2, m.cy - (CUTOUT - 1) / 2) / (CUTOUT / 1.5);
        expect(offset, `${g.name} centroid`).toBeLessThan(CENTRE_TOLERANCE);
      }
      // The generator's disks at 60° and more are at most 0.52 as wide as long: a clear axis.
      expect(Math.abs(m.angle), `${g.name} major axis`).toBeLessThan(inside ? 3 : 6);
    }
  });

  it('uses the catalogue PA, and measures one where the catalogue has none', () => {
    const c = cases[name];
    for (const g of c.result.galaxies) {
      const t = truthOf(c, g);
      expect(g.paSource).toBe(t.omitPa ? 'measured' : 'catalog');
      const diff = Math.abs(g.pa - t.pa) % 180;
      expect(Math.min(diff, 180 - diff), g.name).toBeLessThan(t.omitPa ? 3 : 0.11);
    }
    expect(c.result.galaxies.some((g) => g.paSource === 'measured')).toBe(true);
  });

  it('estimates each inclination within 3 × the models\' rms, and does not reject the galaxies wholly in the image', () => {
    const c = cases[name];
    for (const g of c.result.galaxies) {
      const t = truthOf(c, g);
      expect(Math.abs(g.inclinations.summary.median - t.inclination), g.name).toBeLessThanOrEqual(INCLINATION_TOLERANCE_DEG);
      // A cutout (1.5 × D25, turned) that runs off the frame is black there: the classifiers
      // learnt to flag such "cut off" galaxies, so only galaxies wholly inside must pass them.
      const reach = 0.75 * g.d25Pixels * Math.SQRT2;
      const inside = g.x - reach >= -0.5 && g.y - reach >= -0.5 && g.x + reach <= c.result.width - 0.5 && g.y + reach <= c.result.height - 0.5;
      if (inside) expect(g.rejection_likelihood.summary.median, g.name).toBeLessThan(50);
      // IncliNET's blocks, as incline() gives them.
      expect(Object.keys(g.inclinations)).toContain('Group_0');
      expect(Object.keys(g.rejection_likelihood)).toContain('summary');
    }
  });

  it('draws the overlay at the image size', async () => {
    const meta = await sharp(cases[name].result.overlayPng!).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 1400, 1050]);
  });

  it('reports each stage in order, with counts for the galaxy stages', () => {
    const { progress, result } = cases[name];
    const order = ['solve', 'catalog', 'cutouts', 'inference', 'overlay'];
    const stages = progress.map((p) => p.stage);
    expect([...new Set(stages)]).toEqual(order);
    for (let i = 1; i < stages.length; i++) expect(order.indexOf(stages[i])).toBeGreaterThanOrEqual(order.indexOf(stages[i - 1]));
    const n = result.galaxies.length;
    expect(progress.filter((p) => p.stage === 'cutouts').map((p) => p.done)).toEqual(Array.from({ length: n + 1 }, (_, i) => i));
    const inference = progress.filter((p) => p.stage === 'inference');
    expect(inference.at(-1)).toMatchObject({ done: n, total: n });
    expect(progress.some((p) => p.stage === 'solve' && p.solve !== undefined)).toBe(true);
    expect(progress.at(-1)).toMatchObject({ stage: 'overlay', done: 1, total: 1 });
  });

  it('is plain data once the PNGs are set aside', () => {
    const { result } = cases[name];
    const { overlayPng: _o, galaxies, ...rest } = result;
    const plain = { ...rest, galaxies: galaxies.map(({ cutoutPng: _c, ...g }) => g) };
    const back = JSON.parse(JSON.stringify(plain));
    expect(back.galaxies).toEqual(plain.galaxies);
    expect(back.solution.center).toEqual(result.solution.center);
    expect(back.timings.total).toBeGreaterThan(0);
  });
});

describe('evaluateField() across rotation and parity', () => {
  it('cuts the same galaxy out the same way from the turned and the mirrored frame, never mirrored', async () => {
    const turned = cases.turned.result.galaxies, mirrored = cases.mirrored.result.galaxies;
    expect(turned.length).toBe(mirrored.length);
    for (const [k, a] of turned.entries()) {
      const b = mirrored[k];
      // Same spec, PGC numbers 10 apart, same order (largest first).
      expect(b.pgc! - a.pgc!).toBe(10);
      const [ga, gb] = [(await greyOf(a.cutoutPng!)).grey, (await greyOf(b.cutoutPng!)).grey];
      let same = 0, flipped = 0;
      for (let y = 0; y < CUTOUT; y++) for (let x = 0; x < CUTOUT; x++) {
        same += Math.abs(ga[y * CUTOUT + x] - gb[y * CUTOUT + x]);
        flipped += Math.abs(ga[y * CUTOUT + x] - gb[(CUTOUT - 1 - y) * CUTOUT + x]);
      }
      // Measured: 0.4–1.0 grey levels on average (the sky noise differs), against 1.0–3.0 for
      // the mirror image (dust lane and arms on the other side).
      expect(same / CUTOUT ** 2, a.name).toBeLessThan(1.5);
      expect(same, a.name).toBeLessThan(flipped);
      expect(Math.abs(a.inclinations.summary.median - b.inclinations.summary.median), a.name).toBeLessThanOrEqual(1.5);
    }
  });
});

describe('evaluateField() options and failures', () => {
  it('reads user catalogues by path, with the built-in ones, and honours minD25Pixels', async () => {
    const { field, csv } = cases.turned;
    const result = await evaluateField(field.image, { catalogs: [csv], minD25Pixels: 60, position: { ...field.truth.center, radius: 1 } });
    // The fixture's sky has no real galaxy anywhere near 60 px (6′): only the two largest synthetic ones.
    expect(result.galaxies.map((g) => g.pgc).sort()).toEqual(field.galaxies.filter((g) => g.d25Pixels >= 60).map((g) => g.pgc).sort());
    expect(result.overlayPng).toBeUndefined();
    expect(result.galaxies.every((g) => g.cutoutPng === undefined)).toBe(true);
  });

  it('returns solved: false and no galaxies for an image that does not solve', async () => {
    const progress: string[] = [];
    const result = await evaluateField(nonSkyImage('noise', 600, 400, 3), { catalog: cases.turned.catalog, timeLimit: 5000, onProgress: (p) => progress.push(p.stage) });
    expect(result.solved).toBe(false);
    expect(result.reason).toBeTruthy();
    expect(result.galaxies).toEqual([]);
    expect(result.solution.solved).toBe(false);
    expect(new Set(progress)).toEqual(new Set(['solve']));
  });

  it('rejects with E_ABORTED when the signal fires, before or during the work', async () => {
    const { field, catalog } = cases.turned;
    const before = new AbortController();
    before.abort();
    await expect(evaluateField(field.image, { catalog, signal: before.signal })).rejects.toMatchObject({ code: 'E_ABORTED' });
    const during = new AbortController();
    const run = evaluateField(field.image, {
      catalog, signal: during.signal,
      onProgress: (p) => { if (p.stage === 'cutouts' && p.done === 2) during.abort(); },
    });
    await expect(run).rejects.toMatchObject({ code: 'E_ABORTED' });
    await expect(run).rejects.toBeInstanceOf(AsterismError);
  });

  it('rejects with E_TIMEOUT when the time limit runs out after the solve', async () => {
    const { field, catalog } = cases.turned;
    // Hints make the solve take well under a second; then the first cutout's report holds the
    // thread past the deadline (nothing else in the pipeline is slow enough to wait for).
    const timeLimit = 3000;
    const started = performance.now();
    const run = evaluateField(field.image, {
      catalog, timeLimit, scale: { low: 2, high: 3, units: 'degwidth' }, position: { ...field.truth.center, radius: 1 },
      onProgress: (p) => {
        if (p.stage === 'cutouts' && p.done === 1) while (performance.now() - started < timeLimit + 10);
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'E_TIMEOUT' });
  });

  it('turns bad options into E_INVALID_ARGUMENT', async () => {
    const { field, catalog, csv } = cases.turned;
    for (const bad of [{ minD25Pixels: -1 }, { catalog, catalogs: [csv] }, { catalog: {} as GalaxyCatalog }, { timeLimit: 0 }, { catalogs: 'x.csv' as unknown as string[] }]) {
      await expect(evaluateField(field.image, bad)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    }
  });

  it('passes catalogue errors on', async () => {
    await expect(evaluateField(cases.turned.field.image, { catalogs: [join(dir, 'missing.csv')] })).rejects.toMatchObject({ code: 'E_IO' });
  });
});

describe('measurePa', () => {
  it('finds the position angle of a galaxy in a north-up, east-left image', () => {
    for (const pa of [0, 25, 90, 133, 170]) {
      const image = renderGalaxy({ width: 128, height: 128, pa, axisRatio: 0.35, noise: 4, stars: 3, seed: pa + 1 });
      const measured = measurePa(image, 128 / 3)!;
      const diff = Math.abs(measured - pa) % 180;
      // A star inside the aperture turns the moments by a degree or two.
      expect(Math.min(diff, 180 - diff), `PA ${pa}`).toBeLessThan(3);
      expect(measured).toBeGreaterThanOrEqual(0);
      expect(measured).toBeLessThan(180);
    }
    expect(measurePa({ data: new Uint8Array(16 * 16 * 3), width: 16, height: 16, channels: 3 }, 5)).toBeNull();
  });
});
