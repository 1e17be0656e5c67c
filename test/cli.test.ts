/**
 * The CLI as a user runs it: `node bin/asterism.js …` in a child process, so exit codes and the
 * split between stdout and stderr are the real ones.
 *
 * bin/asterism.js loads the compiled CLI from dist/. beforeAll compiles it (tsc -p
 * tsconfig.build.json, a few seconds) when any source is newer than dist/lib/cli/main.js, so the
 * suite works on a fresh clone after `npm install` and never tests stale output.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, buildIfStale, root, runCli, type Run } from './helpers/cli.js';
import { createProgressBar, type ProgressStream } from '../lib/cli/progress.js';
import type { DetectResult } from '../lib/detect/types.js';
import { writeFits } from '../lib/image/fits-write.js';
import { stretchForDisplay } from '../lib/render/overlay.js';
import { createRng } from '../scripts/synth/random.js';
import { matchStars, renderStarfield, type Starfield } from '../scripts/synth/starfield.js';

const dir = mkdtempSync(join(tmpdir(), 'asterism-cli-'));


function asterism(args: string[], options: { env?: NodeJS.ProcessEnv; binPath?: string } = {}): Promise<Run> {
  return runCli(args, dir, options);
}

function parseJson(run: Run): DetectResult & { image: { path: string; width: number; height: number; format: string } } {
  expect(run.code, run.stderr).toBe(0);
  // The whole of stdout must be the one object: JSON.parse rejects anything before or after it.
  return JSON.parse(run.stdout);
}

/** Bright, well separated stars only, so every one of them must be found. */
function frame(seed: number, width = 320, height = 240, stars = 30): Starfield {
  return renderStarfield({ width, height, seed, stars, psfSigma: 1.5, noise: 10, sky: 1000, snrRange: [40, 600], margin: 8 });
}

async function writePng16(path: string, f: Starfield): Promise<void> {
  const counts = Uint16Array.from(f.pixels, (v) => Math.max(0, Math.min(65535, Math.round(v))));
  await sharp(counts, { raw: { width: f.width, height: f.height, channels: 1 } }).toColourspace('grey16').png().toFile(path);
}

/** Float FITS in small arbitrary units, as calibrated frames often are. */
function writeFloatFits(path: string, f: Starfield, scale: number): void {
  writeFileSync(path, writeFits(f.width, f.height, Float32Array.from(f.pixels, (v) => v * scale)));
}

function expectStarsMatch(found: Array<{ x: number; y: number }>, truth: Starfield): void {
  const { pairs, unmatchedFound } = matchStars(truth.stars, found, 1.5);
  // Two stars landing within a PSF of each other can merge; allow for one such blend.
  expect(pairs.length).toBeGreaterThanOrEqual(truth.stars.length - 2);
  expect(unmatchedFound.length).toBeLessThanOrEqual(2);
  const errors = pairs.map(([t, f]) => Math.hypot(truth.stars[t].x - found[f].x, truth.stars[t].y - found[f].y)).sort((a, b) => a - b);
  expect(errors[errors.length >> 1]).toBeLessThan(0.2);
}

const png = join(dir, 'stars.png');
const fits = join(dir, 'stars.fits');
const wideFits = join(dir, 'wide.fits');
const pngTruth = frame(101);
const fitsTruth = frame(102);

beforeAll(async () => {
  buildIfStale();
  await writePng16(png, pngTruth);
  writeFloatFits(fits, fitsTruth, 1e-4);
  writeFloatFits(wideFits, frame(103, 4400, 300, 60), 1);
  writeFileSync(join(dir, 'notes.png'), 'this is not an image\n');
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('help and version', () => {
  it('prints the main help with the commands and exit statuses', async () => {
    const run = await asterism(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Usage: asterism <command>/);
    expect(run.stdout).toMatch(/^\s+detect\s/m);
    for (const status of ['0', '1', '2', '3', '130']) expect(run.stdout).toMatch(new RegExp(`^\\s+${status}\\s`, 'm'));
    expect(run.stderr).toBe('');
  });

  it('prints the version from package.json', async () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const run = await asterism([flag]);
      expect(run.code).toBe(0);
      expect(run.stdout.trim()).toBe(version);
    }
  });

  it('prints each command\'s help, listing every option', async () => {
    for (const args of [['detect', '--help'], ['detect', '-h'], ['help', 'detect'], ['--help', 'detect']]) {
      const run = await asterism(args);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/Usage: asterism detect <image>/);
      for (const option of ['--json', '--overlay', '--max-stars', '--threshold', '--psf-sigma', '--background-box', '--limit', '--max-pixels', '--help']) {
        expect(run.stdout).toContain(option);
      }
    }
  });

  it('shows the help on stderr with status 2 when no command is given', async () => {
    const run = await asterism([]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/Usage: asterism <command>/);
  });
});

describe('usage errors exit with status 2', () => {
  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['--frobnicate'], /unknown option --frobnicate/],
    [['--version', 'detect'], /unexpected argument 'detect'/],
    [['help', 'frobnicate'], /unknown command 'frobnicate'/],
    [['detect', png, '--bogus'], /asterism detect: unknown option --bogus/],
    [['detect'], /missing <image>/],
    [['detect', png, png], /expected <image>, got 2 arguments/],
    [['detect', png, '--max-stars', 'many'], /--max-stars expects a whole number ≥ 0, got 'many'/],
    [['detect', png, '--threshold', '0'], /--threshold expects a number > 0/],
    [['detect', png, '--limit'], /--limit/],
  ])('%j', async (args, message) => {
    const run = await asterism(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
  });

  it('reports unreadable input with the library\'s error code', async () => {
    const notAnImage = await asterism(['detect', 'notes.png']);
    expect(notAnImage.code).toBe(2);
    expect(notAnImage.stderr).toMatch(/^asterism: .*\(E_IMAGE_FORMAT\)$/m);
    const missing = await asterism(['detect', 'no-such-file.fits', '--json']);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/\(E_IO\)/);
    const tooBig = await asterism(['detect', png, '--max-pixels', '1000']);
    expect(tooBig.code).toBe(2);
    expect(tooBig.stderr).toMatch(/\(E_IMAGE_TOO_LARGE\)/);
  });

  it('passes option values to the library, which rejects out-of-range ones', async () => {
    const run = await asterism(['detect', png, '--psf-sigma', '50']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/psfSigma.*\(E_INVALID_ARGUMENT\)/);
  });
});

describe('asterism detect', () => {
  it('prints one JSON object with the stars of a 16-bit PNG', async () => {
    const result = parseJson(await asterism(['detect', 'stars.png', '--json', '--psf-sigma', '1.5']));
    expect(result.image).toMatchObject({ path: 'stars.png', width: 320, height: 240, format: 'png' });
    expect(result.width).toBe(320);
    expect(['native', 'js']).toContain(result.backend);
    // The PNG holds counts with a sky of ~1000 and noise 10: the values must arrive unscaled
    // (a loader that rescaled 16 bits to 8 would give a noise near 0.04).
    expect(result.noise).toBeGreaterThan(7);
    expect(result.noise).toBeLessThan(15);
    expectStarsMatch(result.stars, pngTruth);
    for (let i = 1; i < result.stars.length; i++) expect(result.stars[i].flux).toBeLessThanOrEqual(result.stars[i - 1].flux);
  });

  it('reads float FITS in arbitrary units', async () => {
    const result = parseJson(await asterism(['detect', 'stars.fits', '--json', '--psf-sigma', '1.5']));
    expect(result.image.format).toBe('fits');
    expect(result.noise).toBeGreaterThan(7e-4);
    expect(result.noise).toBeLessThan(15e-4);
    expectStarsMatch(result.stars, fitsTruth);
  });

  it('honours --max-stars and the detection options', async () => {
    const result = parseJson(await asterism(['detect', 'stars.png', '--json', '--max-stars', '5', '--threshold', '8', '--background-box', '64']));
    expect(result.stars).toHaveLength(5);
  });

  it('prints a summary and a table of the brightest stars in text mode', async () => {
    const run = await asterism(['detect', 'stars.png', '--limit', '7', '--psf-sigma', '1.5']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^stars\.png: 320 × 240, PNG 16-bit grey$/m);
    expect(run.stdout).toMatch(/^\d+ stars/m);
    expect(run.stdout).toMatch(/(native|js) backend: detect \d+/);
    expect(run.stdout).toMatch(/^\s+#\s+x\s+y\s+flux\s+snr$/m);
    const rows = run.stdout.split('\n').filter((line) => /^\s+\d+\s+[\d.]+\s+[\d.]+\s/.test(line));
    expect(rows).toHaveLength(7);
    expect(run.stdout).toMatch(/more \(--limit N to show more/);
  });

  it('keeps stdout clean JSON when the addon is missing and the fallback warns on stderr', async () => {
    // A copy of the package without build/ or prebuilds/: the addon cannot load there.
    const copy = join(dir, 'package-without-addon');
    mkdirSync(join(copy, 'bin'), { recursive: true });
    cpSync(join(root, 'dist'), join(copy, 'dist'), { recursive: true });
    cpSync(bin, join(copy, 'bin', 'asterism.js'));
    cpSync(join(root, 'package.json'), join(copy, 'package.json'));
    writeFileSync(join(copy, 'binding.gyp'), '{}\n');
    symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');
    const env = { ASTERISM_FORCE_JS: '' };
    const run = await asterism(['detect', 'stars.png', '--json', '--psf-sigma', '1.5'], { binPath: join(copy, 'bin', 'asterism.js'), env });
    expect(run.stderr).toMatch(/native addon could not be loaded/);
    const result = parseJson(run);
    expect(result.backend).toBe('js');
    expectStarsMatch(result.stars, pngTruth);
  });
});

async function rgbPixels(path: string) {
  const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number) => {
    const o = (Math.floor(y) * info.width + Math.floor(x)) * info.channels;
    return [data[o], data[o + 1], data[o + 2]];
  };
  const greys: number[] = [];
  for (let o = 0; o < data.length; o += info.channels) if (data[o] === data[o + 1] && data[o + 1] === data[o + 2]) greys.push(data[o]);
  greys.sort((a, b) => a - b);
  return { info, at, skyGrey: greys[greys.length >> 1] };
}

describe('asterism detect --overlay', () => {
  it('writes a PNG the size of the image: dark sky, bright stars, coloured circles', async () => {
    const run = await asterism(['detect', 'stars.png', '--json', '--psf-sigma', '1.5', '--overlay', 'stars-overlay.png']);
    const result = parseJson(run);
    const meta = await sharp(join(dir, 'stars-overlay.png')).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 320, height: 240, channels: 3 });
    const { at, skyGrey } = await rgbPixels(join(dir, 'stars-overlay.png'));
    expect(skyGrey).toBeGreaterThan(5);
    expect(skyGrey).toBeLessThan(80);
    const brightest = result.stars[0];
    expect(at(brightest.x + 0.5, brightest.y + 0.5)[0]).toBeGreaterThan(200);
    // The brightest star's ring (radius 14 display pixels) is amber, not grey.
    const [r, g, b] = at(brightest.x + 0.5 + 14, brightest.y + 0.5);
    expect(r).toBeGreaterThan(150);
    expect(r - b).toBeGreaterThan(80);
    expect(g).toBeGreaterThan(b);
  });

  it('stretches float FITS in small units the same way', async () => {
    const run = await asterism(['detect', 'stars.fits', '--overlay', 'fits-overlay.png', '--limit', '0']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('overlay written to fits-overlay.png');
    const { info, at, skyGrey } = await rgbPixels(join(dir, 'fits-overlay.png'));
    expect(info.width).toBe(320);
    expect(skyGrey).toBeGreaterThan(5);
    expect(skyGrey).toBeLessThan(80);
    const star = fitsTruth.stars[0];
    expect(at(star.x + 0.5, star.y + 0.5)[0]).toBeGreaterThan(200);
  });

  it('shrinks large images to 2000 pixels on the long side', async () => {
    const run = await asterism(['detect', 'wide.fits', '--overlay', 'wide-overlay.png', '--limit', '0']);
    expect(run.code, run.stderr).toBe(0);
    const meta = await sharp(join(dir, 'wide-overlay.png')).metadata();
    expect(meta.width).toBe(2000);
    expect(meta.height).toBe(Math.round((300 * 2000) / 4400));
  });

  it('fails with E_IO when the overlay cannot be written, printing nothing on stdout', async () => {
    const run = await asterism(['detect', 'stars.png', '--json', '--overlay', join(dir, 'no-such-dir', 'o.png')]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/cannot write the overlay.*\(E_IO\)/);
  });
});

describe('stretchForDisplay', () => {
  it('flattens a sky gradient of many sigmas so both sides show the same dark grey', () => {
    const width = 400, height = 100;
    const rng = createRng(7);
    const plane = new Float32Array(width * height);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) plane[y * width + x] = 1000 + x + 10 * rng.normal();
    const side = (data: Uint8Array, x0: number) => {
      const values: number[] = [];
      for (let y = 0; y < height; y++) for (let x = x0; x < x0 + 50; x++) values.push(data[y * width + x]);
      return values.sort((a, b) => a - b)[values.length >> 1];
    };
    const flat = stretchForDisplay(plane, width, height);
    expect(Math.abs(side(flat.data, 0) - side(flat.data, 350))).toBeLessThanOrEqual(3);
    const raw = stretchForDisplay(plane, width, height, { flatten: false });
    expect(side(raw.data, 350) - side(raw.data, 0)).toBeGreaterThan(50);
  });

  it('shows masked pixels black and copes with a constant image', () => {
    const plane = new Float32Array(64).fill(5);
    plane[3] = NaN;
    const out = stretchForDisplay(plane, 8, 8);
    expect(out.data[3]).toBe(0);
    expect(new Set(Array.from(out.data).filter((_, i) => i !== 3)).size).toBe(1);
  });
});

describe('createProgressBar', () => {
  function stream(isTTY: boolean): ProgressStream & { text: string } {
    return { isTTY, columns: 60, text: '', write(chunk: string) { this.text += chunk; } };
  }

  it('redraws one line on a terminal and erases it when done', () => {
    let t = 0;
    const out = stream(true);
    const bar = createProgressBar('indexing', { stream: out, now: () => t });
    bar.update(0.5, 'tile 3/6');
    t += 10;
    bar.update(0.6, 'tile 4/6');
    t += 1000;
    bar.update(0.75, 'tile 5/6');
    bar.done();
    expect(out.text).not.toContain('\n');
    expect(out.text).toContain('50%');
    // Redraws are throttled: the update 10 ms later was skipped.
    expect(out.text).not.toContain('60%');
    expect(out.text).toContain('75%');
    expect(out.text.endsWith('\r\x1b[2K')).toBe(true);
    for (const line of out.text.split('\r\x1b[2K')) expect(line.length).toBeLessThan(60);
  });

  it('writes occasional whole lines to a pipe, and nothing for short jobs', () => {
    let t = 0;
    const long = stream(false);
    const bar = createProgressBar('building', { stream: long, now: () => t, logEveryMs: 1000 });
    for (let i = 1; i <= 30; i++) {
      t += 100;
      bar.update(i / 30);
    }
    bar.done();
    const lines = long.text.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^building +33%/);
    expect(lines[3]).toBe('building done in 3.0 s');
    expect(long.text).not.toContain('\r');

    const short = stream(false);
    const quick = createProgressBar('quick', { stream: short, now: () => t });
    quick.update(0.5);
    quick.done();
    expect(short.text).toBe('');
  });

  it('shows unknown progress without a bar and stays silent when asked', () => {
    const out = stream(true);
    const bar = createProgressBar('loading', { stream: out, now: () => 0 });
    bar.update(NaN, 'reading header');
    expect(out.text).toContain('loading 0.0 s reading header');
    expect(out.text).not.toMatch(/\[[#-]/);
    const quiet = stream(true);
    const silent = createProgressBar('loading', { stream: quiet, silent: true });
    silent.update(0.5);
    silent.done();
    expect(quiet.text).toBe('');
  });
});
