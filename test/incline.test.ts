/**
 * incline(): galaxy inclination with the real onnxruntime and the real models in models-onnx/.
 * The shipped models may be untrained placeholders, so nothing here depends on accuracy: the
 * result's shape and ranges, the preprocessing geometry, determinism, batching, the event loop,
 * bad inputs, broken model installs and the CLI.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsterismError } from '../lib/errors.js';
import { writeFits } from '../lib/image/fits-write.js';
import type { RawPixels } from '../lib/image/load.js';
import { closeIncline, incline, inclineMany, type InclineResult, type InclineSummary } from '../lib/incline/incline.js';
import { readModelManifest } from '../lib/incline/manifest.js';
import { preprocessGalaxy } from '../lib/incline/preprocess.js';
import { renderGalaxy } from '../scripts/synth/galaxy.js';
import { createRng } from '../scripts/synth/random.js';
import { buildIfStale, root, runCli } from './helpers/cli.js';

const modelsDir = join(root, 'models-onnx');
const manifest = readModelManifest(modelsDir);
const regression = manifest.models.filter((m) => m.kind === 'regression');
const binary = manifest.models.filter((m) => m.kind === 'binary');
const dir = mkdtempSync(join(tmpdir(), 'asterism-incline-'));

afterAll(async () => {
  await closeIncline();
  rmSync(dir, { recursive: true, force: true });
});

const SIZE = 128;

/** Recomputes a summary: mean, median, population stdev, rounded to 2 decimals. */
function expectedSummary(values: number[]): InclineSummary {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const s = [...values].sort((a, b) => a - b);
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  const stdev = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / n);
  const r = (v: number) => Math.round(v * 100) / 100;
  return { mean: r(mean), median: r(median), stdev: r(stdev) };
}

function degreesOf(result: InclineResult): number[] {
  return regression.map((m) => (result.inclinations[m.group!] as Record<string, number>)[m.name]);
}

function percentsOf(result: InclineResult): number[] {
  return binary.map((m) => result.rejection_likelihood[m.name] as number);
}

function expectValidResult(result: InclineResult): void {
  // IncliNET's layout: the groups in manifest order, then the summary.
  const groups = [...new Set(regression.map((m) => m.group!))];
  expect(Object.keys(result.inclinations)).toEqual([...groups, 'summary']);
  for (const group of groups) {
    expect(Object.keys(result.inclinations[group])).toEqual(regression.filter((m) => m.group === group).map((m) => m.name));
  }
  expect(Object.keys(result.rejection_likelihood)).toEqual([...binary.map((m) => m.name), 'summary']);
  const degrees = degreesOf(result), percents = percentsOf(result);
  expect(degrees).toHaveLength(regression.length);
  for (const d of degrees) {
    expect(Number.isInteger(d)).toBe(true);
    expect(d).toBeGreaterThanOrEqual(45);
    expect(d).toBeLessThanOrEqual(90);
  }
  for (const p of percents) {
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThanOrEqual(100);
    expect(Math.round(p * 100) / 100).toBe(p);
  }
  expect(result.inclinations.summary).toEqual(expectedSummary(degrees));
  expect(result.rejection_likelihood.summary).toEqual(expectedSummary(percents));
  // Plain data: survives JSON unchanged.
  expect(JSON.parse(JSON.stringify(result))).toEqual(result);
}

/** Per-model agreement within rounding: ±1° and ±0.05 percentage points. */
function expectClose(a: InclineResult, b: InclineResult): void {
  const da = degreesOf(a), db = degreesOf(b);
  da.forEach((d, i) => expect(Math.abs(d - db[i])).toBeLessThanOrEqual(1));
  const pa = percentsOf(a), pb = percentsOf(b);
  pa.forEach((p, i) => expect(Math.abs(p - pb[i])).toBeLessThanOrEqual(0.05));
}

/** The raw pixels turned by 180°. */
function turn180(image: RawPixels): RawPixels {
  const { width, height, channels, data } = image;
  const out = new Uint8Array(data.length);
  const n = width * height;
  for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) out[(n - 1 - i) * channels + c] = data[i * channels + c] as number;
  return { width, height, channels, data: out };
}

/** Second moments of the first channel of a CHW tensor: [along x, along y]. */
function moments(tensor: Float32Array): [number, number] {
  let sum = 0, sx = 0, sy = 0;
  for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) { const v = tensor[y * SIZE + x]; sum += v; sx += v * x; sy += v * y; }
  const mx = sx / sum, my = sy / sum;
  let xx = 0, yy = 0;
  for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) { const v = tensor[y * SIZE + x]; xx += v * (x - mx) ** 2; yy += v * (y - my) ** 2; }
  return [xx / sum, yy / sum];
}

function meanAbsDiff(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

const galaxy = renderGalaxy({ width: 256, height: 256, pa: 35, noise: 3, stars: 5, seed: 7 });

describe('the manifest', () => {
  it('lists 12 regression models in 3 groups and 3 rejection models, all present', () => {
    expect(regression).toHaveLength(12);
    expect(binary).toHaveLength(3);
    expect(new Set(regression.map((m) => m.group))).toEqual(new Set(['Group_0', 'Group_1', 'Group_2']));
  });
});

describe('preprocessGalaxy', () => {
  it('gives a 3 × 128 × 128 tensor in [0, 1]', async () => {
    const t = await preprocessGalaxy({ ...galaxy, pixels: galaxy.data, luminance: new Float32Array(1), bitDepth: 8, format: 'raw' });
    expect(t).toHaveLength(3 * SIZE * SIZE);
    expect(Math.min(...t)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...t)).toBeLessThanOrEqual(1);
  });

  const asImage = (raw: RawPixels) => ({ ...raw, pixels: raw.data, luminance: new Float32Array(1), bitDepth: 8, format: 'raw' as const });

  for (const pa of [0, 30, 75, 120, 210, -45]) {
    it(`turns a galaxy at PA ${pa}° to the same tensor as one at PA 0° (and its major axis horizontal)`, async () => {
      const rotated = renderGalaxy({ width: 256, height: 256, pa, axisRatio: 0.3 });
      const reference = renderGalaxy({ width: 256, height: 256, pa: 0, axisRatio: 0.3 });
      const a = await preprocessGalaxy(asImage(rotated), pa);
      const b = await preprocessGalaxy(asImage(reference), 0);
      // Interpolation tolerance: bilinear turning at 256 px, then the shrink to 128.
      expect(meanAbsDiff(a, b)).toBeLessThan(0.004);
      const [xx, yy] = moments(a);
      expect(xx).toBeGreaterThan(4 * yy);
    });
  }

  it('leaves the image unturned without a PA (a vertical galaxy stays vertical)', async () => {
    const t = await preprocessGalaxy(asImage(renderGalaxy({ width: 200, height: 200, pa: 0 })));
    const [xx, yy] = moments(t);
    expect(yy).toBeGreaterThan(4 * xx);
  });

  it('pads a non-square image with black around the centre', async () => {
    const wide = renderGalaxy({ width: 300, height: 100, pa: 90, scale: 30 });
    const t = await preprocessGalaxy(asImage(wide));
    // Rows above and below the 300 × 100 frame, once shrunk into the 128 square, are black.
    const plane = SIZE * SIZE;
    for (const y of [0, 10, 30, 97, 117, 127]) {
      for (let c = 0; c < 3; c++) expect(t[c * plane + y * SIZE + 64]).toBe(0);
    }
    expect(t[64 * SIZE + 64]).toBeGreaterThan(0.5);
  });

  it('stretches 16-bit and float data to the 8-bit range', async () => {
    const g = renderGalaxy({ width: 64, height: 64, pa: 90 });
    const grey16 = Uint16Array.from({ length: 64 * 64 }, (_, i) => g.data[i * 3] * 100 + 1000);
    const t16 = await preprocessGalaxy({ width: 64, height: 64, channels: 1, pixels: grey16, luminance: new Float32Array(1), bitDepth: 16, format: 'raw' });
    expect(Math.max(...t16)).toBeGreaterThan(0.9);
    expect(t16[0]).toBeLessThan(0.05);
  });
});

describe('incline', () => {
  let first: InclineResult;

  beforeAll(async () => {
    first = await incline(galaxy, { pa: 35 });
  });

  it('returns 12 whole-degree inclinations in 3 groups and 3 rejection percentages, with summaries', () => {
    expectValidResult(first);
  });

  it('is deterministic', async () => {
    expect(await incline(galaxy, { pa: 35 })).toEqual(first);
    expect(await incline(galaxy, { pa: 35 })).toEqual(first);
  });

  it('reads paths, encoded bytes, raw pixels and decoded images alike', async () => {
    const png = await sharp(galaxy.data, { raw: { width: 256, height: 256, channels: 3 } }).png().toBuffer();
    const path = join(dir, 'galaxy.png');
    writeFileSync(path, png);
    expect(await incline(path, { pa: 35 })).toEqual(first);
    expect(await incline(png, { pa: 35 })).toEqual(first);
    expect(await incline(new Uint8Array(png), { pa: 35 })).toEqual(first);
    const { loadImage } = await import('../lib/image/load.js');
    expect(await incline(await loadImage(path), { pa: 35 })).toEqual(first);
  });

  it('gives a galaxy and its 180° turn the same answer (each model sees both views)', async () => {
    const plain = renderGalaxy({ width: 256, height: 256, pa: 90, noise: 3, stars: 6, seed: 3 });
    const a = await incline(plain), b = await incline(turn180(plain));
    expectClose(a, b);
    // PA and PA + 180° describe the same axis.
    expectClose(await incline(galaxy, { pa: 35 }), await incline(galaxy, { pa: 215 }));
  });

  it('inclineMany equals incline one by one, in input order', async () => {
    const inputs = [galaxy, renderGalaxy({ width: 180, height: 120, pa: 80, axisRatio: 0.6, seed: 2 }), turn180(galaxy), renderGalaxy({ width: 64, height: 64, pa: 10, axisRatio: 0.15 })];
    const pas = [35, 80, 215, undefined];
    const many = await inclineMany(inputs, { pa: pas });
    expect(many).toHaveLength(4);
    for (let i = 0; i < inputs.length; i++) {
      const one = await incline(inputs[i], { pa: pas[i] });
      expectValidResult(many[i]);
      // Batched and single runs may differ in the last float bits; rounding then moves by at most one step.
      expectClose(many[i], one);
    }
    expect(await inclineMany([], {})).toEqual([]);
  });

  it('reports progress through both stages', async () => {
    const seen: string[] = [];
    await inclineMany(Array(20).fill(galaxy), { onProgress: (p) => seen.push(`${p.stage} ${p.done}/${p.total}`) });
    expect(seen.filter((s) => s.startsWith('preprocess'))).toHaveLength(20);
    expect(seen.at(-1)).toBe('inference 20/20');
  });

  it('keeps the event loop responsive during a batch of 20', async () => {
    const inputs = Array.from({ length: 20 }, (_, i) => renderGalaxy({ width: 256, height: 256, pa: i * 9, seed: i }));
    let ticks = 0, last = performance.now(), worstGap = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      worstGap = Math.max(worstGap, now - last);
      last = now;
      ticks++;
    }, 5);
    const started = performance.now();
    try {
      await inclineMany(inputs, { pa: inputs.map((_, i) => i * 9) });
    } finally {
      clearInterval(timer);
    }
    const elapsed = performance.now() - started;
    // The models run in the worker: the timer keeps firing while they do.
    expect(ticks).toBeGreaterThan(elapsed / 5 / 4);
    expect(worstGap).toBeLessThan(150);
  });

  it('aborts: before the start, and in the middle of a batch', async () => {
    const before = new AbortController();
    before.abort();
    await expect(incline(galaxy, { signal: before.signal })).rejects.toMatchObject({ code: 'E_ABORTED' });
    const during = new AbortController();
    const run = inclineMany(Array(40).fill(galaxy), { signal: during.signal, onProgress: (p) => { if (p.stage === 'inference' || p.done === 10) during.abort(); } });
    await expect(run).rejects.toMatchObject({ code: 'E_ABORTED' });
    // The worker is still fine afterwards.
    expect(await incline(galaxy, { pa: 35 })).toEqual(first);
  });

  it('starts again after closeIncline', async () => {
    await closeIncline();
    expect(await incline(galaxy, { pa: 35 })).toEqual(first);
  });

  it('runs with 2 intra-op threads to the same answer', async () => {
    expectClose(await incline(galaxy, { pa: 35, intraOpThreads: 2 }), first);
  });
});

describe('bad input', () => {
  it('answers for tiny, blank, grey, float and non-galaxy images', async () => {
    const rng = createRng(11);
    const inputs: RawPixels[] = [
      { data: Uint8Array.from({ length: 27 }, () => Math.floor(rng.uniform(0, 256))), width: 3, height: 3, channels: 3 },
      { data: new Uint8Array([200]), width: 1, height: 1, channels: 1 },
      { data: new Uint8Array(256 * 256 * 3), width: 256, height: 256, channels: 3 },
      { data: new Uint8Array(100 * 50).fill(255), width: 100, height: 50, channels: 1 },
      { data: Uint8Array.from({ length: 128 * 128 * 3 }, () => Math.floor(rng.uniform(0, 256))), width: 128, height: 128, channels: 3 },
      { data: new Float32Array(64 * 64).fill(3.5), width: 64, height: 64, channels: 1 },
      // Transparent but for one pixel.
      { data: new Uint8Array(64 * 64 * 4).fill(255, 0, 4), width: 64, height: 64, channels: 4 },
    ];
    for (const input of inputs) expectValidResult(await incline(input, { pa: 17 }));
    const fits = join(dir, 'galaxy.fits');
    writeFileSync(fits, writeFits(64, 64, Float32Array.from({ length: 64 * 64 }, (_, i) => galaxy.data[i * 3] * 1e-3 - 0.01)));
    expectValidResult(await incline(fits));
  });

  it('throws typed errors for undecodable data, frames without a valid pixel, missing files and bad options', async () => {
    await expect(incline({ data: new Uint8Array(64 * 64 * 4), width: 64, height: 64, channels: 4 })).rejects.toMatchObject({ code: 'E_IMAGE_EMPTY' });
    await expect(incline({ data: new Float32Array(16).fill(NaN), width: 4, height: 4, channels: 1 })).rejects.toMatchObject({ code: 'E_IMAGE_EMPTY' });
    await expect(incline(new TextEncoder().encode('not an image at all'))).rejects.toMatchObject({ code: 'E_IMAGE_FORMAT' });
    await expect(incline(new Uint8Array(0))).rejects.toMatchObject({ code: 'E_IMAGE_FORMAT' });
    const png = await sharp(galaxy.data, { raw: { width: 256, height: 256, channels: 3 } }).png().toBuffer();
    await expect(incline(png.subarray(0, 200))).rejects.toMatchObject({ code: 'E_IMAGE_TRUNCATED' });
    await expect(incline(join(dir, 'no-such.png'))).rejects.toMatchObject({ code: 'E_IO' });
    await expect(incline(galaxy, { pa: NaN })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(incline(galaxy, { intraOpThreads: 0 })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    await expect(inclineMany([galaxy, galaxy], { pa: [1] })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    const e = await incline(new Uint8Array([1, 2, 3])).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AsterismError);
  });
});

describe('broken model installs', () => {
  /** A copy of models-onnx/ (files linked, manifest copied) to break. */
  function modelsCopy(name: string): string {
    const copy = join(dir, name);
    mkdirSync(copy);
    for (const m of manifest.models) symlinkSync(m.file, join(copy, m.file.split('/').pop()!));
    cpSync(join(modelsDir, 'manifest.json'), join(copy, 'manifest.json'));
    return copy;
  }

  it('E_MODEL when the manifest names a missing file', async () => {
    const copy = modelsCopy('missing');
    const m = JSON.parse(readFileSync(join(copy, 'manifest.json'), 'utf8'));
    m.models[4].file = 'model-that-was-never-exported.onnx';
    writeFileSync(join(copy, 'manifest.json'), JSON.stringify(m));
    const e = await incline(galaxy, { modelsDir: copy }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AsterismError);
    expect(e).toMatchObject({ code: 'E_MODEL', message: expect.stringContaining('model-that-was-never-exported.onnx') });
  });

  it('E_MODEL when a model file is corrupt, and when the manifest is missing or malformed', async () => {
    const copy = modelsCopy('corrupt');
    const victim = join(copy, binary[0].file.split('/').pop()!);
    rmSync(victim);
    writeFileSync(victim, 'this is not protobuf');
    await expect(incline(galaxy, { modelsDir: copy })).rejects.toMatchObject({ code: 'E_MODEL', message: expect.stringContaining(binary[0].name) });
    // The failed worker is dropped; the next call tries again and fails the same way.
    await expect(incline(galaxy, { modelsDir: copy })).rejects.toMatchObject({ code: 'E_MODEL' });
    await expect(incline(galaxy, { modelsDir: join(dir, 'nowhere') })).rejects.toMatchObject({ code: 'E_MODEL' });
    const malformed = modelsCopy('malformed');
    writeFileSync(join(malformed, 'manifest.json'), '{"formatVersion": 1, "models": [');
    await expect(incline(galaxy, { modelsDir: malformed })).rejects.toMatchObject({ code: 'E_MODEL' });
    // The good install still works.
    expectValidResult(await incline(galaxy));
  });
});

describe('asterism incline (CLI)', () => {
  let png: string;

  beforeAll(async () => {
    buildIfStale();
    png = join(dir, 'cli-galaxy.png');
    await sharp(galaxy.data, { raw: { width: 256, height: 256, channels: 3 } }).png().toFile(png);
  });

  it('--json prints IncliNET\'s object, equal to the library\'s answer', async () => {
    const run = await runCli(['incline', png, '--pa', '35', '--json'], dir);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as InclineResult;
    expectValidResult(result);
    expect(result).toEqual(await incline(png, { pa: 35 }));
  });

  it('prints a summary; negative angles as --pa=-30', async () => {
    const run = await runCli(['incline', png, '--pa=-30'], dir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/inclination \d+(\.\d+)?° ± [\d.]+°/);
    expect(run.stdout).toMatch(/rejection likelihood [\d.]+ %/);
  });

  it('exits 2 on unreadable images, bad options and missing models', async () => {
    const bad = join(dir, 'bad.jpg');
    writeFileSync(bad, 'hello');
    const unreadable = await runCli(['incline', bad], dir);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toContain('E_IMAGE_FORMAT');
    expect((await runCli(['incline', png, '--pa', 'north'], dir)).code).toBe(2);
    expect((await runCli(['incline'], dir)).code).toBe(2);
    const noModels = await runCli(['incline', png], dir, { env: { ASTERISM_MODELS_DIR: join(dir, 'nowhere') } });
    expect(noModels.code).toBe(2);
    expect(noModels.stderr).toContain('E_MODEL');
    expect((await runCli(['incline', '--help'], dir)).code).toBe(0);
  });
});
