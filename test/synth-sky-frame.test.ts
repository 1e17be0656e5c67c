import { describe, expect, it } from 'vitest';
import { detect } from '../lib/detect/detect.js';
import { pixelToSky, skyToPixel } from '../lib/sky/tan.js';
import { positionAngleDeg, radecToVec, separationDeg, vecToRadec } from '../lib/sky/vector.js';
import { loadDefaultIndex } from '../lib/skyindex/default-index.js';
import { starVector } from '../lib/skyindex/subindex.js';
import { nonSkyImage, randomStarField, renderSkyFrame, renderSkyStars, type SkyFrameTruth } from '../scripts/synth/sky-frame.js';
import { matchStars } from '../scripts/synth/starfield.js';

/** Where the truth puts a sky position: the TAN WCS, then the radial distortion about the centre. */
function expectedPixel(truth: SkyFrameTruth, ra: number, dec: number): { x: number; y: number } {
  const p = skyToPixel(truth.wcs, ra, dec)!;
  const [cx, cy] = truth.wcs.crpix;
  const f = 1 + truth.distortionK1 * ((p.x - cx) ** 2 + (p.y - cy) ** 2);
  return { x: cx + (p.x - cx) * f, y: cy + (p.y - cy) * f };
}

describe('renderSkyStars', () => {
  it('puts every catalogue star where the truth WCS and distortion put it', async () => {
    const field = await renderSkyStars({ seed: 3, widthDeg: 12, centroidNoise: false });
    const { truth } = field;
    const catalogue = field.stars.filter((s) => s.ra !== undefined);
    expect(catalogue.length).toBeGreaterThan(100);
    const corner = Math.hypot((field.width - 1) / 2, (field.height - 1) / 2);
    const cornerShift = Math.abs(truth.distortionK1) * corner ** 3;
    expect(cornerShift).toBeGreaterThanOrEqual(1);
    expect(cornerShift).toBeLessThanOrEqual(2);
    for (const s of catalogue) {
      const e = expectedPixel(truth, s.ra!, s.dec!);
      expect(Math.hypot(e.x - s.x, e.y - s.y)).toBeLessThan(1e-6);
      const undistorted = skyToPixel(truth.wcs, s.ra!, s.dec!)!;
      expect(Math.hypot(undistorted.x - s.x, undistorted.y - s.y)).toBeLessThanOrEqual(cornerShift + 1e-9);
    }
  });

  it('takes the stars from the index: every star of a sub-index inside the frame is in the catalogue count', async () => {
    const field = await renderSkyStars({ seed: 8, widthDeg: 6, missingFraction: 0, spuriousFraction: 0, centroidNoise: false });
    const set = await loadDefaultIndex();
    const sub = set.subIndices[2].index;
    const inside = [];
    for (let t = 0; t < sub.stars.count; t++) {
      const { ra, dec } = vecToRadec(starVector(sub, t));
      if (separationDeg({ ra, dec }, field.truth.center) > 6) continue;
      const p = expectedPixel(field.truth, ra, dec);
      if (p.x >= 0.01 && p.x <= field.width - 1.01 && p.y >= 0.01 && p.y <= field.height - 1.01) inside.push({ ra, dec });
    }
    expect(inside.length).toBeGreaterThan(5);
    for (const star of inside) {
      const v = radecToVec(star.ra, star.dec);
      const near = field.stars.some((s) => separationDeg(vecToRadec(v), { ra: s.ra!, dec: s.dec! }) * 3600 < 1);
      expect(near).toBe(true);
    }
    expect(field.stars.length).toBe(field.catalogStars);
  });

  it('leaves out and adds the requested fractions', async () => {
    for (const [missingFraction, spuriousFraction] of [[0.2, 0.2], [0.5, 0.1], [0, 0]]) {
      const field = await renderSkyStars({ seed: 21, widthDeg: 15, missingFraction, spuriousFraction });
      const drawn = field.stars.filter((s) => s.ra !== undefined).length;
      expect(drawn).toBe(field.catalogStars - Math.round(missingFraction * field.catalogStars));
      expect(field.spuriousStars).toBe(Math.round(spuriousFraction * drawn));
      expect(field.stars.length).toBe(drawn + field.spuriousStars);
    }
  });

  it('orients the frame as the truth says: rotation is the position angle of +y, parity the sign of det CD', async () => {
    for (const parity of ['normal', 'flipped'] as const) {
      const { truth, width, height } = await renderSkyStars({ seed: 4, widthDeg: 3, rotationDeg: 37, parity });
      const [[a, b], [c, d]] = truth.wcs.cd;
      expect(Math.sign(a * d - b * c)).toBe(parity === 'normal' ? -1 : 1);
      const centre = pixelToSky(truth.wcs, (width - 1) / 2, (height - 1) / 2);
      expect(separationDeg(centre, truth.center)).toBeLessThan(1e-9);
      const up = pixelToSky(truth.wcs, (width - 1) / 2, (height - 1) / 2 + 10);
      expect(positionAngleDeg(centre, up)).toBeCloseTo(37, 3);
      expect(truth.pixelScaleArcsec).toBeCloseTo((3 / Math.max(width, height)) * 3600, 9);
    }
  });

  it('is reproducible by seed, and seeds differ', async () => {
    const a = await renderSkyStars({ seed: 99 });
    const b = await renderSkyStars({ seed: 99 });
    const c = await renderSkyStars({ seed: 100 });
    expect(b).toEqual(a);
    expect(c.truth.center).not.toEqual(a.truth.center);
  });

  it('without centroid noise gives the same stars as renderSkyFrame', async () => {
    const options = { seed: 12, widthDeg: 4, width: 320, height: 240 };
    const list = await renderSkyStars({ ...options, centroidNoise: false });
    const frame = await renderSkyFrame(options);
    expect(frame.stars).toEqual(list.stars);
    const noisy = await renderSkyStars(options);
    const shifts = noisy.stars.map((s, i) => Math.hypot(s.x - list.stars[i].x, s.y - list.stars[i].y));
    expect(Math.max(...shifts)).toBeGreaterThan(0);
    expect(Math.max(...shifts)).toBeLessThan(2);
  });
});

describe('renderSkyFrame', () => {
  it('draws the stars where the star list says: detect() finds the bright isolated ones within 0.2 px', async () => {
    const frame = await renderSkyFrame({ seed: 5, widthDeg: 10, width: 640, height: 480 });
    const { image } = frame;
    expect(image.format).toBe('raw');
    expect(image.channels).toBe(1);
    expect(image.bitDepth).toBe(32);
    expect(image.pixels).toBe(image.luminance);
    const faintest = Math.min(...frame.stars.map((s) => s.flux));
    const isolated = frame.stars.filter((s) =>
      s.flux > 5 * faintest && s.x > 6 && s.y > 6 && s.x < image.width - 7 && s.y < image.height - 7 &&
      frame.stars.every((o) => o === s || Math.hypot(o.x - s.x, o.y - s.y) > 10 || o.flux < 0.01 * s.flux));
    expect(isolated.length).toBeGreaterThan(20);
    const found = await detect(image);
    const { pairs } = matchStars(isolated, found.stars, 0.2);
    expect(pairs.length / isolated.length).toBeGreaterThan(0.9);
  });
});

describe('false-positive fixtures', () => {
  it('randomStarField: n stars inside the frame, reproducible', () => {
    const a = randomStarField(200, 1024, 768, 7);
    expect(a.stars).toHaveLength(200);
    for (const s of a.stars) {
      expect(s.x).toBeGreaterThanOrEqual(0);
      expect(s.x).toBeLessThanOrEqual(1023);
      expect(s.y).toBeGreaterThanOrEqual(0);
      expect(s.y).toBeLessThanOrEqual(767);
      expect(s.flux).toBeGreaterThan(0);
    }
    expect(randomStarField(200, 1024, 768, 7)).toEqual(a);
    expect(randomStarField(200, 1024, 768, 8)).not.toEqual(a);
  });

  it('nonSkyImage makes the three kinds at the requested size', () => {
    for (const kind of ['gradient', 'noise', 'checkerboard'] as const) {
      const image = nonSkyImage(kind, 64, 48, 1);
      expect(image.luminance).toHaveLength(64 * 48);
      expect(image.luminance.every(Number.isFinite)).toBe(true);
    }
  });
});
