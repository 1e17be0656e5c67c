import { describe, expect, it } from 'vitest';
import { AsterismError } from '../lib/errors.js';
import {
  pixelToSky, skyToPixel, tanDeproject, tanProject, tanWcsFromFits, tanWcsPixelScaleArcsec, tanWcsToFits, type TanWcs,
} from '../lib/sky/tan.js';
import { angleBetween, degToRad, radToDeg, radecToVec, separationDeg, vecToRadec } from '../lib/sky/vector.js';
import { createRng } from '../scripts/synth/random.js';

const rng = createRng(99);
const sin = (d: number) => Math.sin(degToRad(d));
const cos = (d: number) => Math.cos(degToRad(d));

/** The textbook gnomonic ξ, η (degrees) from spherical trigonometry, independent of the vector code. */
function standardCoordinates(ra0: number, dec0: number, ra: number, dec: number): { x: number; y: number } {
  const da = ra - ra0;
  const denom = sin(dec) * sin(dec0) + cos(dec) * cos(dec0) * cos(da);
  return {
    x: radToDeg((cos(dec) * sin(da)) / denom),
    y: radToDeg((sin(dec) * cos(dec0) - cos(dec) * sin(dec0) * cos(da)) / denom),
  };
}

describe('gnomonic projection', () => {
  it('has x toward east (increasing RA) and y toward north, in degrees', () => {
    const t = { ra: 0, dec: 0 };
    const tan1 = radToDeg(Math.tan(degToRad(1)));
    expect(tanProject(t, { ra: 1, dec: 0 })!.x).toBeCloseTo(tan1, 14);
    expect(tanProject(t, { ra: 1, dec: 0 })!.y).toBeCloseTo(0, 14);
    expect(tanProject(t, { ra: 359, dec: 0 })!.x).toBeCloseTo(-tan1, 14);
    expect(tanProject(t, { ra: 0, dec: 1 })!.y).toBeCloseTo(tan1, 14);
    expect(tanProject(t, { ra: 0, dec: 0 })).toEqual({ x: 0, y: 0 });
  });

  it('matches the spherical-trigonometry formulas, from vectors or RA/Dec', () => {
    for (let i = 0; i < 500; i++) {
      const ra0 = rng.uniform(0, 360), dec0 = rng.uniform(-89, 89);
      const ra = ra0 + rng.uniform(-20, 20), dec = Math.max(-90, Math.min(90, dec0 + rng.uniform(-20, 20)));
      const want = standardCoordinates(ra0, dec0, ra, dec);
      const got = tanProject({ ra: ra0, dec: dec0 }, { ra, dec })!;
      const gotVec = tanProject(radecToVec(ra0, dec0), radecToVec(ra, dec))!;
      for (const p of [got, gotVec]) {
        expect(p.x).toBeCloseTo(want.x, 10);
        expect(p.y).toBeCloseTo(want.y, 10);
      }
    }
  });

  it('at a pole tangent point measures north along the tangent RA meridian', () => {
    const p = tanProject({ ra: 0, dec: 90 }, { ra: 90, dec: 89 })!;
    expect(p.x).toBeCloseTo(radToDeg(1 / Math.tan(degToRad(89))), 12);
    expect(p.y).toBeCloseTo(0, 12);
    // RA 0 lies "below" the pole on the RA 0 meridian, i.e. toward −y.
    expect(tanProject({ ra: 0, dec: 90 }, { ra: 0, dec: 89 })!.y).toBeLessThan(0);
  });

  it('returns null on the horizon and the far hemisphere', () => {
    expect(tanProject({ ra: 0, dec: 0 }, { ra: 90, dec: 0 })).toBeNull();
    expect(tanProject({ ra: 0, dec: 0 }, { ra: 180, dec: 0 })).toBeNull();
    expect(tanProject({ ra: 10, dec: 45 }, { ra: 190, dec: -30 })).toBeNull();
    expect(tanProject({ ra: 10, dec: 45 }, { ra: 10, dec: -44 })).not.toBeNull();
  });

  it('deprojects back to the same star', () => {
    for (let i = 0; i < 1000; i++) {
      const t = radecToVec(rng.uniform(0, 360), rng.uniform(-90, 90));
      const s = radecToVec(rng.uniform(0, 360), rng.uniform(-90, 90));
      if (angleBetween(t, s) > degToRad(80)) continue;
      const p = tanProject(t, s)!;
      expect(angleBetween(tanDeproject(t, p.x, p.y), s)).toBeLessThan(1e-13);
    }
    // A point at (x, y) lies atan(√(x² + y²)) from the tangent point.
    const v = tanDeproject({ ra: 50, dec: 20 }, 3, 4);
    expect(separationDeg(vecToRadec(v), { ra: 50, dec: 20 })).toBeCloseTo(radToDeg(Math.atan(degToRad(5))), 12);
  });
});

describe('TanWcs', () => {
  const scale = 1.5 / 3600; // 1.5″ per pixel
  const northUp: TanWcs = { crval: [150, 2], crpix: [511.5, 383.5], cd: [[-scale, 0], [0, scale]] };

  it('maps crpix to crval and orients a north-up, east-left image the FITS way', () => {
    const c = pixelToSky(northUp, 511.5, 383.5);
    expect(c.ra).toBeCloseTo(150, 12);
    expect(c.dec).toBeCloseTo(2, 12);
    const right = pixelToSky(northUp, 521.5, 383.5);
    expect(right.ra).toBeLessThan(150); // x right → west: CD1_1 < 0
    expect(pixelToSky(northUp, 511.5, 393.5).dec).toBeGreaterThan(2); // y along rows → north: CD2_2 > 0
    expect(separationDeg(c, right) * 3600).toBeCloseTo(15, 6);
    expect(tanWcsPixelScaleArcsec(northUp)).toBeCloseTo(1.5, 12);
  });

  it('uses 0-based pixel centres: crpix = FITS CRPIX − 1', () => {
    const header = { CRVAL1: 210.5, CRVAL2: -33.25, CRPIX1: 1, CRPIX2: 1, CD1_1: -scale, CD1_2: 0, CD2_1: 0, CD2_2: scale };
    const wcs = tanWcsFromFits(header);
    expect(wcs.crpix).toEqual([0, 0]);
    // FITS pixel (1, 1), the centre of the first pixel, is asterism (0, 0).
    const first = pixelToSky(wcs, 0, 0);
    expect(first.ra).toBeCloseTo(210.5, 12);
    expect(first.dec).toBeCloseTo(-33.25, 12);
    const origin = skyToPixel(wcs, 210.5, -33.25)!;
    expect(origin.x).toBeCloseTo(0, 9);
    expect(origin.y).toBeCloseTo(0, 9);
    // One FITS pixel to the right is asterism x = 1.
    const next = skyToPixel(wcs, pixelToSky(wcs, 1, 0).ra, -33.25)!;
    expect(next.x).toBeCloseTo(1, 6);
    const back = tanWcsToFits(wcs);
    expect(back).toMatchObject({ ...header, CTYPE1: 'RA---TAN', CTYPE2: 'DEC--TAN' });
    expect(tanWcsFromFits({ CRVAL1: 1, CRVAL2: 2, CRPIX1: 1024.5, CRPIX2: 768.5 }).crpix).toEqual([1023.5, 767.5]);
    expect(() => tanWcsFromFits({ CRVAL1: 1, CRVAL2: 2, CRPIX1: Number.NaN, CRPIX2: 1 })).toThrow(AsterismError);
  });

  it('round-trips pixels through the sky for rotated, flipped and polar WCS', () => {
    for (let k = 0; k < 50; k++) {
      const theta = rng.uniform(0, 2 * Math.PI), s = rng.uniform(0.2, 30) / 3600, flip = rng.next() < 0.5 ? -1 : 1;
      const wcs: TanWcs = {
        crval: [rng.uniform(0, 360), k < 5 ? 90 - k * 1e-3 : rng.uniform(-90, 90)],
        crpix: [rng.uniform(0, 4000), rng.uniform(0, 3000)],
        cd: [[flip * -s * Math.cos(theta), s * Math.sin(theta)], [flip * s * Math.sin(theta), s * Math.cos(theta)]],
      };
      for (let i = 0; i < 20; i++) {
        const x = rng.uniform(-100, 4100), y = rng.uniform(-100, 3100);
        const { ra, dec } = pixelToSky(wcs, x, y);
        expect(ra).toBeGreaterThanOrEqual(0);
        expect(ra).toBeLessThan(360);
        const p = skyToPixel(wcs, ra, dec)!;
        expect(Math.abs(p.x - x)).toBeLessThan(1e-6);
        expect(Math.abs(p.y - y)).toBeLessThan(1e-6);
      }
    }
  });

  it('agrees with the FITS linear step followed by the textbook projection', () => {
    const wcs: TanWcs = { crval: [359.5, 60], crpix: [100, 200], cd: [[-2e-4, 1e-4], [1.2e-4, 2.1e-4]] };
    const sky = { ra: 0.3, dec: 60.4 };
    const xy = standardCoordinates(359.5, 60, sky.ra, sky.dec);
    const [[a, b], [c, d]] = wcs.cd;
    const det = a * d - b * c;
    const p = skyToPixel(wcs, sky.ra, sky.dec)!;
    expect(p.x).toBeCloseTo(100 + (d * xy.x - b * xy.y) / det, 8);
    expect(p.y).toBeCloseTo(200 + (-c * xy.x + a * xy.y) / det, 8);
  });

  it('returns null for the far hemisphere and refuses a singular CD', () => {
    expect(skyToPixel(northUp, 330, -2)).toBeNull();
    const singular: TanWcs = { crval: [0, 0], crpix: [0, 0], cd: [[1e-4, 2e-4], [2e-4, 4e-4]] };
    try {
      skyToPixel(singular, 0.01, 0);
      throw new Error('expected a throw');
    } catch (e) {
      expect((e as AsterismError).code).toBe('E_INVALID_ARGUMENT');
    }
  });
});
