import { describe, expect, it } from 'vitest';
import { detect } from '../lib/detect/detect.js';
import { detectStarsJs } from '../lib/detect/detect.js.js';
import type { Image } from '../lib/image/image.js';
import { nativeAddon } from '../lib/native/addon.js';
import { AsterismError } from '../lib/errors.js';
import { matchStars, renderStarfield, type StarfieldOptions } from '../scripts/synth/starfield.js';
import { requireNative, withBackend } from './helpers/backend.js';

function asImage(pixels: Float32Array, width: number, height: number): Image {
  return { width, height, luminance: pixels, pixels, channels: 1, bitDepth: 32, format: 'raw' };
}

function frame(options: Partial<StarfieldOptions> & { seed: number }) {
  return renderStarfield({ width: 1024, height: 1024, stars: 300, psfSigma: 1.5, ...options });
}

const addon = nativeAddon();

describe('native addon', () => {
  it('loads (required in CI)', () => {
    if (requireNative) expect(addon).not.toBeNull();
  });
});

describe('native and TypeScript detection agree', () => {
  const cases: Array<[string, Partial<StarfieldOptions> & { seed: number }]> = [
    ['plain', { seed: 11 }],
    ['hot pixels and strong gradient', { seed: 12, hotPixels: 40, gradient: 0.8, vignetting: 0.4 }],
    ['saturated with a galaxy', { seed: 13, saturation: 3000, galaxyRadius: 150 }],
    ['small odd-sized frame', { seed: 14, width: 333, height: 211, stars: 40 }],
  ];
  for (const [name, options] of cases) {
    it.skipIf(!addon)(name, () => {
      const f = frame(options);
      // NaN holes and black padding exercise the masked paths too.
      for (let i = 0; i < 2000; i++) f.pixels[(i * 7919) % f.pixels.length] = NaN;
      for (let y = 0; y < f.height; y++) for (let x = 0; x < Math.min(40, f.width); x++) f.pixels[y * f.width + x] = 0;
      const params = { psfSigma: 1.5 };
      const n = addon!.detectSync(f.pixels, f.width, f.height, params);
      const j = detectStarsJs(f.pixels, f.width, f.height, params);
      expect(n.x.length).toBe(j.x.length);
      for (let i = 0; i < n.x.length; i++) {
        expect(Math.abs(n.x[i] - j.x[i])).toBeLessThan(0.01);
        expect(Math.abs(n.y[i] - j.y[i])).toBeLessThan(0.01);
        expect(n.flux[i]).toBeCloseTo(j.flux[i], 2);
      }
      expect(n.stats.noise).toBeCloseTo(j.stats.noise, 4);
      expect(n.stats.smoothedNoise).toBeCloseTo(j.stats.smoothedNoise, 4);
    });
  }
});

describe.each(['native', 'js'] as const)('detect() through the %s backend', (backend) => {
  const run = <T>(fn: () => Promise<T>) => withBackend(backend, fn);

  it('finds stars accurately on a synthetic frame', async () => {
    const f = renderStarfield({ width: 1536, height: 1536, seed: 21, stars: 800, psfSigma: 1.5 });
    const result = await run(() => detect(asImage(f.pixels, f.width, f.height), { psfSigma: 1.5 }));
    expect(result.backend).toBe(backend === 'native' && !addon ? 'js' : backend);
    const { pairs, unmatchedFound } = matchStars(f.stars, result.stars, 2);
    const bright = pairs.filter(([t]) => f.stars[t].snr > 50);
    const rms = Math.sqrt(bright.reduce((s, [t, d]) => s + (f.stars[t].x - result.stars[d].x) ** 2 + (f.stars[t].y - result.stars[d].y) ** 2, 0) / bright.length);
    expect(rms).toBeLessThan(0.1);
    const detectable = f.stars.filter((s) => s.snr >= 10).length;
    const found = pairs.filter(([t]) => f.stars[t].snr >= 10).length;
    expect(found / detectable).toBeGreaterThanOrEqual(0.95);
    expect(unmatchedFound.length / result.stars.length).toBeLessThanOrEqual(0.01);
    // brightest first
    for (let i = 1; i < result.stars.length; i++) expect(result.stars[i].flux).toBeLessThanOrEqual(result.stars[i - 1].flux);
    expect(result.noise).toBeGreaterThan(9);
    expect(result.noise).toBeLessThan(11);
  });

  it('finds almost nothing in pure noise with a moderate gradient and vignetting', async () => {
    const f = renderStarfield({ width: 1024, height: 1024, seed: 22, stars: 0, gradient: 0.5, vignetting: 0.3 });
    const result = await run(() => detect(asImage(f.pixels, f.width, f.height)));
    // 1 % of the ~190 stars such a frame holds at the benchmark's density
    expect(result.stars.length).toBeLessThanOrEqual(2);
  });

  // Known gaps of issue 2, left open in the session note: strong vignetting (0.5) still leaves
  // ~40 false detections per 1024² frame, saturated flat tops can split or miss their centroid,
  // padding edges and large galaxies add a few spurious peaks.
  it('finds nothing in pure noise with strong vignetting', async () => {
    const f = renderStarfield({ width: 1024, height: 1024, seed: 22, stars: 0, gradient: 1, vignetting: 0.5 });
    const result = await run(() => detect(asImage(f.pixels, f.width, f.height)));
    expect(result.stars.length).toBeLessThanOrEqual(1);
  });

  it('rejects hot pixels and keeps saturated stars whole', async () => {
    const f = renderStarfield({ width: 512, height: 512, seed: 23, stars: 60, hotPixels: 50, saturation: 2500, snrRange: [50, 20000] });
    const result = await run(() => detect(asImage(f.pixels, f.width, f.height), { psfSigma: 1.5 }));
    const hot = matchStars(f.hotPixels, result.stars, 1.5);
    const isStarNear = (x: number, y: number) => f.stars.some((s) => Math.hypot(s.x - x, s.y - y) < 4);
    expect(hot.pairs.filter(([h]) => !isStarNear(f.hotPixels[h].x, f.hotPixels[h].y)).length).toBe(0);
    expect(result.hotPixels).toBeGreaterThan(30);
    // each saturated star is one detection: no extra detections near any star
    const { pairs, unmatchedFound } = matchStars(f.stars, result.stars, 3);
    expect(pairs.length).toBeGreaterThanOrEqual(f.stars.length - 3);
    expect(unmatchedFound.length).toBeLessThanOrEqual(1);
  });

  it('ignores black padding and NaN regions', async () => {
    const f = renderStarfield({ width: 800, height: 600, seed: 24, stars: 150, psfSigma: 1.5 });
    for (let y = 0; y < f.height; y++) {
      for (let x = 0; x < f.width; x++) {
        const i = y * f.width + x;
        if (x + y < 300) f.pixels[i] = 0; // rotated-frame corner
        if (x > 700) f.pixels[i] = NaN;
      }
    }
    const result = await run(() => detect(asImage(f.pixels, f.width, f.height), { psfSigma: 1.5 }));
    expect(result.maskedPixels).toBeGreaterThan(100 * 600);
    // A false detection is one far from every rendered star (stars right at the mask edges count as real).
    const falseOnes = result.stars.filter((d) => !f.stars.some((s) => Math.hypot(s.x - d.x, s.y - d.y) < 3));
    expect(falseOnes.length).toBeLessThanOrEqual(1);
    const visible = f.stars.filter((s) => s.x + s.y > 310 && s.x < 690 && s.snr >= 10);
    expect(matchStars(visible, result.stars, 2).pairs.length).toBeGreaterThanOrEqual(visible.length * 0.95);
    for (const s of result.stars) expect(s.x).toBeLessThan(701);
  });

  it('keeps a large galaxy from flooding the list', async () => {
    const f = renderStarfield({ width: 1024, height: 1024, seed: 25, stars: 200, galaxyRadius: 200 });
    const result = await run(() => detect(asImage(f.pixels, f.width, f.height), { psfSigma: 1.5 }));
    const { unmatchedFound } = matchStars(f.stars, result.stars, 2);
    expect(unmatchedFound.length).toBeLessThan(10);
  });

  it('gives a typed error for an all-NaN frame and an empty list for a constant one', async () => {
    const nan = new Float32Array(64 * 64).fill(NaN);
    await expect(run(() => detect(asImage(nan, 64, 64)))).rejects.toMatchObject({ code: 'E_IMAGE_EMPTY' });
    const flat = new Float32Array(64 * 64).fill(7);
    const result = await run(() => detect(asImage(flat, 64, 64)));
    expect(result.stars).toEqual([]);
  });

  it('handles degenerate sizes', async () => {
    for (const [w, h] of [[1, 1], [1, 50], [50, 1], [3, 3], [7, 9]]) {
      const px = Float32Array.from({ length: w * h }, (_, i) => (i * 37) % 11);
      const result = await run(() => detect(asImage(px, w, h)));
      expect(Array.isArray(result.stars)).toBe(true);
    }
  });

  it('refuses bad options with E_INVALID_ARGUMENT', async () => {
    const px = new Float32Array(100).fill(1);
    for (const options of [{ psfSigma: 0 }, { threshold: -1 }, { backgroundBox: 2 }, { maxStars: -3 }, { psfSigma: Number.NaN }, { hotPixelRatio: 1.5 }]) {
      await expect(run(() => detect(asImage(px, 10, 10), options))).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    }
  });

  it('honours maxStars and an AbortSignal', async () => {
    const f = frame({ seed: 26 });
    const limited = await run(() => detect(asImage(f.pixels, f.width, f.height), { maxStars: 10 }));
    expect(limited.stars.length).toBe(10);
    const controller = new AbortController();
    controller.abort();
    const error = await run(() => detect(asImage(f.pixels, f.width, f.height), { signal: controller.signal })).catch((e) => e);
    expect(error).toBeInstanceOf(AsterismError);
    expect(error.code).toBe('E_ABORTED');
  });
});

describe.skipIf(!addon)('native detection off the event loop', () => {
  it('lets timers run while a large frame is processed', async () => {
    const f = renderStarfield({ width: 4096, height: 2048, seed: 31, stars: 1500 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const result = await detect(asImage(f.pixels, f.width, f.height));
    clearInterval(timer);
    expect(result.backend).toBe('native');
    expect(ticks).toBeGreaterThan(3);
  });

  it('stops when aborted mid-way', async () => {
    const f = renderStarfield({ width: 4096, height: 4096, seed: 32, stars: 100 });
    const controller = new AbortController();
    const pending = detect(asImage(f.pixels, f.width, f.height), { signal: controller.signal });
    setTimeout(() => controller.abort(), 5);
    await expect(pending).rejects.toMatchObject({ code: 'E_ABORTED' });
  });
});
