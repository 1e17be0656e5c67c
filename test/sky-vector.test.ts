import { describe, expect, it } from 'vitest';
import { AsterismError } from '../lib/errors.js';
import {
  angleBetween, angleToChordSq, arcminToDeg, arcsecToDeg, arcsecToRad, centroid, chordSqToAngle, cross, degToArcmin,
  degToArcsec, degToRad, distSq, dot, fieldSizeDeg, midpoint, normalize, normalizeRa, pixelScaleArcsec, positionAngleDeg,
  radToArcsec, radToDeg, radecToVec, separationDeg, vecToRadec, type Vec3,
} from '../lib/sky/vector.js';
import { createRng } from '../scripts/synth/random.js';

const rng = createRng(7);

function expectInvalid(f: () => unknown): void {
  expect(f).toThrow(AsterismError);
  try {
    f();
  } catch (e) {
    expect((e as AsterismError).code).toBe('E_INVALID_ARGUMENT');
  }
}

/** Difference of two right ascensions, degrees in (−180, 180]. */
function raDiff(a: number, b: number): number {
  const d = (((a - b) % 360) + 540) % 360 - 180;
  return d === -180 ? 180 : d;
}

describe('unit conversions', () => {
  it('converts between degrees, radians, arcminutes and arcseconds', () => {
    expect(degToRad(180)).toBe(Math.PI);
    expect(radToDeg(Math.PI / 2)).toBe(90);
    expect(arcsecToDeg(3600)).toBe(1);
    expect(degToArcsec(1.5)).toBe(5400);
    expect(arcminToDeg(30)).toBe(0.5);
    expect(degToArcmin(2)).toBe(120);
    expect(radToArcsec(1)).toBeCloseTo(206264.806, 3);
    expect(arcsecToRad(206264.80624709636)).toBeCloseTo(1, 12);
  });

  it('computes plate scales and field sizes', () => {
    // 3.76 µm pixels at 1000 mm: 206.265 × 3.76 / 1000.
    expect(pixelScaleArcsec(3.76, 1000)).toBeCloseTo(0.775556, 5);
    expect(fieldSizeDeg(3600, 2)).toBe(2);
    expectInvalid(() => pixelScaleArcsec(0, 1000));
    expectInvalid(() => pixelScaleArcsec(3.76, -1));
  });
});

describe('RA/Dec ↔ vector', () => {
  it('puts x at RA 0 Dec 0, y at RA 90, z at the north pole', () => {
    const close = (v: Vec3, w: Vec3) => v.forEach((c, i) => expect(c).toBeCloseTo(w[i], 15));
    close(radecToVec(0, 0), [1, 0, 0]);
    close(radecToVec(90, 0), [0, 1, 0]);
    close(radecToVec(180, 0), [-1, 0, 0]);
    close(radecToVec(123, 90), [0, 0, 1]);
    close(radecToVec(0, -90), [0, 0, -1]);
  });

  it('round-trips random positions to 1e-9 arcsec, with RA in [0, 360)', () => {
    for (let i = 0; i < 2000; i++) {
      const ra = rng.uniform(0, 360);
      const dec = (Math.asin(rng.uniform(-1, 1)) * 180) / Math.PI;
      const back = vecToRadec(radecToVec(ra, dec));
      expect(back.ra).toBeGreaterThanOrEqual(0);
      expect(back.ra).toBeLessThan(360);
      expect(Math.abs(back.dec - dec) * 3600).toBeLessThan(1e-9);
      expect(Math.abs(raDiff(back.ra, ra)) * Math.cos(degToRad(dec)) * 3600).toBeLessThan(1e-9);
    }
  });

  it('handles the poles, the RA wrap and unnormalised vectors', () => {
    expect(vecToRadec([0, 0, 1])).toEqual({ ra: 0, dec: 90 });
    expect(vecToRadec([0, 0, -5])).toEqual({ ra: 0, dec: -90 });
    expect(vecToRadec([0, 0, 1e-300]).dec).toBe(90);
    expect(vecToRadec([2, 0, 0])).toEqual({ ra: 0, dec: 0 });
    const nearWrap = vecToRadec(radecToVec(-1e-12, 0));
    expect(nearWrap.ra).toBeLessThan(360);
    expect(Math.abs(raDiff(nearWrap.ra, 0))).toBeLessThan(1e-11);
    expect(vecToRadec(radecToVec(359.9999999, 10)).ra).toBeCloseTo(359.9999999, 9);
    expect(vecToRadec(radecToVec(-30, 0)).ra).toBeCloseTo(330, 12);
    // Near the pole, dec keeps precision (atan2, not asin).
    expect(90 - vecToRadec([1e-12, 0, 1]).dec).toBeCloseTo(radToDeg(1e-12), 13);
    expectInvalid(() => vecToRadec([0, 0, 0]));
  });

  it('normalizes RA into [0, 360)', () => {
    expect(normalizeRa(360)).toBe(0);
    expect(normalizeRa(720.5)).toBeCloseTo(0.5, 12);
    expect(normalizeRa(-90)).toBe(270);
    expect(normalizeRa(-1e-15)).toBeLessThan(360);
    expect(normalizeRa(-1e-300)).toBe(0);
    expect(normalizeRa(-0)).toBe(0);
    expectInvalid(() => normalizeRa(Number.NaN));
  });
});

describe('distances', () => {
  it('measures tiny angles to full relative precision', () => {
    for (const tiny of [1e-3, 1e-6, 1e-9, 1e-12, 1e-15]) {
      // acos(dot) would return 0 for every one of these below ~1e-8 rad.
      expect(angleBetween([1, 0, 0], [Math.cos(tiny), Math.sin(tiny), 0]) / tiny).toBeCloseTo(1, 12);
      expect(separationDeg({ ra: 10, dec: 0 }, { ra: 10, dec: tiny }) / tiny).toBeCloseTo(1, 12);
    }
    // Along a parallel at high Dec, ΔRA cos Dec for small ΔRA.
    expect(separationDeg({ ra: 359.99999, dec: 80 }, { ra: 0.00001, dec: 80 }) / (2e-5 * Math.cos(degToRad(80)))).toBeCloseTo(1, 6);
  });

  it('measures angles near 180° without losing precision', () => {
    expect(separationDeg({ ra: 10, dec: 20 }, { ra: 190, dec: -20 })).toBeCloseTo(180, 12);
    for (const tiny of [1e-4, 1e-7, 1e-9]) {
      const d = separationDeg({ ra: 10, dec: 20 }, { ra: 190, dec: -20 + tiny });
      expect((180 - d) / tiny).toBeCloseTo(1, 4);
    }
    expect(angleBetween([0, 0, 1], [0, 0, -1])).toBe(Math.PI);
    expect(angleBetween([1, 0, 0], [0, 3, 0])).toBeCloseTo(Math.PI / 2, 15);
  });

  it('converts between chord and angle (kd-tree radii)', () => {
    expect(angleToChordSq(Math.PI)).toBeCloseTo(4, 15);
    expect(angleToChordSq(Math.PI / 2)).toBeCloseTo(2, 15);
    expect(chordSqToAngle(2)).toBeCloseTo(Math.PI / 2, 15);
    expect(chordSqToAngle(4 + 1e-15)).toBe(Math.PI);
    expect(chordSqToAngle(0)).toBe(0);
    for (let i = 0; i < 500; i++) {
      const a = radecToVec(rng.uniform(0, 360), rng.uniform(-90, 90));
      const b = radecToVec(rng.uniform(0, 360), rng.uniform(-90, 90));
      const theta = angleBetween(a, b);
      expect(angleToChordSq(theta)).toBeCloseTo(distSq(a, b), 13);
      expect(chordSqToAngle(distSq(a, b))).toBeCloseTo(theta, 7);
    }
    const arcsec = arcsecToRad(1);
    expect(chordSqToAngle(angleToChordSq(arcsec)) / arcsec).toBeCloseTo(1, 12);
    expectInvalid(() => chordSqToAngle(-1));
  });

  it('has consistent vector helpers', () => {
    expect(dot([1, 2, 3], [4, 5, 6])).toBe(32);
    expect(cross([1, 0, 0], [0, 1, 0])).toEqual([0, 0, 1]);
    expect(normalize([3, 0, 4])).toEqual([0.6, 0, 0.8]);
    expectInvalid(() => normalize([0, 0, 0]));
    expectInvalid(() => normalize([Number.NaN, 0, 0]));
  });
});

describe('position angle', () => {
  it('is measured from north through east', () => {
    const o = { ra: 0, dec: 0 };
    expect(positionAngleDeg(o, { ra: 0, dec: 1 })).toBeCloseTo(0, 12);
    expect(positionAngleDeg(o, { ra: 1, dec: 0 })).toBeCloseTo(90, 12);
    expect(positionAngleDeg(o, { ra: 0, dec: -1 })).toBeCloseTo(180, 12);
    expect(positionAngleDeg(o, { ra: 359, dec: 0 })).toBeCloseTo(270, 12);
    expect(positionAngleDeg(o, o)).toBe(0);
    // From the north pole along the RA = from.ra meridian every step is southward: 180.
    expect(positionAngleDeg({ ra: 30, dec: 90 }, { ra: 30, dec: 80 })).toBeCloseTo(180, 10);
  });

  it('matches the local east/north offsets for small separations, across the RA wrap', () => {
    for (let i = 0; i < 200; i++) {
      const from = { ra: rng.uniform(0, 360), dec: rng.uniform(-80, 80) };
      const pa = rng.uniform(0, 360);
      const r = 1e-4; // degrees
      const to = {
        ra: normalizeRa(from.ra + (r * Math.sin(degToRad(pa))) / Math.cos(degToRad(from.dec))),
        dec: from.dec + r * Math.cos(degToRad(pa)),
      };
      const got = positionAngleDeg(from, to);
      expect(got).toBeGreaterThanOrEqual(0);
      expect(got).toBeLessThan(360);
      expect(Math.abs(raDiff(got, pa))).toBeLessThan(1e-3);
    }
  });
});

describe('centroid and midpoint', () => {
  it('gives the arc midpoint, also across RA 0', () => {
    const m = vecToRadec(midpoint(radecToVec(0, 0), radecToVec(90, 0)));
    expect(m.ra).toBeCloseTo(45, 12);
    expect(m.dec).toBeCloseTo(0, 12);
    const w = vecToRadec(midpoint(radecToVec(359, 10), radecToVec(1, 10)));
    expect(Math.abs(raDiff(w.ra, 0))).toBeLessThan(1e-12);
    expect(w.dec).toBeGreaterThan(10);
    const c = centroid([radecToVec(0, 0), radecToVec(120, 0), radecToVec(240, 0), radecToVec(0, 90)]);
    expect(vecToRadec(c).dec).toBeCloseTo(90, 10);
    const mm = midpoint(radecToVec(10, 10), radecToVec(20, 30));
    expect(angleBetween(mm, radecToVec(10, 10))).toBeCloseTo(angleBetween(mm, radecToVec(20, 30)), 14);
  });

  it('refuses empty lists and vectors that cancel', () => {
    expectInvalid(() => centroid([]));
    expectInvalid(() => midpoint([1, 0, 0], [-1, 0, 0]));
  });
});
