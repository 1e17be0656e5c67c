import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AsterismError } from '../lib/errors.js';
import {
  MAX_NSIDE, compassNeighbours, neighbours, nestToRing, nsideForSize, pixelArea, pixelCorners, pixelCount,
  pixelSizeDeg, pixelToVec, queryDisc, ringPixelToVec, ringToNest, vecToPixel,
} from '../lib/sky/healpix.js';
import { angleBetween, degToRad, radecToVec, type Vec3 } from '../lib/sky/vector.js';
import { createRng } from '../scripts/synth/random.js';

/** Made by scripts/data/make-healpix-reference.py with healpy 1.16.1. */
interface Reference {
  points: [number, number, number][];
  perNside: Record<string, {
    nest: number[];
    ring: number[];
    centre: [number, number, number][];
    neighbours: number[][];
    corners: [number, number, number][][];
  }>;
  allPixels: Record<string, { ring: number[]; neighbours: number[][] }>;
  discs: { nside: number; centre: Vec3; radiusRad: number; exact: number[]; inclusive: number[] }[];
}
const reference = JSON.parse(readFileSync(new URL('./fixtures/healpix-reference.json', import.meta.url), 'utf8')) as Reference;

const rng = createRng(4242);
function randomUnit(): Vec3 {
  return radecToVec(rng.uniform(0, 360), (Math.asin(rng.uniform(-1, 1)) * 180) / Math.PI);
}

function expectVecClose(a: Vec3, b: readonly number[], tol: number): void {
  expect(Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2])).toBeLessThan(tol);
}

function expectInvalid(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(AsterismError);
    expect((e as AsterismError).code).toBe('E_INVALID_ARGUMENT');
    return;
  }
  throw new Error('expected E_INVALID_ARGUMENT');
}

const SMALL_NSIDES = [1, 2, 4, 8, 16];

describe('against healpy', () => {
  for (const [key, ref] of Object.entries(reference.perNside)) {
    const nside = Number(key);
    it(`nside ${nside}: pixel of each point, centres, RING index, neighbours, corners`, () => {
      reference.points.forEach((p, i) => {
        const pix = vecToPixel(nside, p);
        expect(pix).toBe(ref.nest[i]);
        expect(nestToRing(nside, pix)).toBe(ref.ring[i]);
        expect(ringToNest(nside, ref.ring[i])).toBe(pix);
        expectVecClose(pixelToVec(nside, pix), ref.centre[i], 1e-14);
        expect(compassNeighbours(nside, pix)).toEqual(ref.neighbours[i]);
        if (i < ref.corners.length) {
          pixelCorners(nside, pix).forEach((c, j) => expectVecClose(c, ref.corners[i][j], 1e-14));
        }
      });
    });
  }

  for (const [key, ref] of Object.entries(reference.allPixels)) {
    const nside = Number(key);
    it(`nside ${nside}: every pixel's RING index and neighbours`, () => {
      for (let pix = 0; pix < pixelCount(nside); pix++) {
        expect(nestToRing(nside, pix)).toBe(ref.ring[pix]);
        expect(compassNeighbours(nside, pix)).toEqual(ref.neighbours[pix]);
      }
    });
  }

  it('queryDisc: exact mode equals healpy; inclusive mode contains healpy\'s exact set', () => {
    for (const d of reference.discs) {
      expect(queryDisc(d.nside, d.centre, d.radiusRad)).toEqual([...d.exact].sort((a, b) => a - b));
      const inclusive = new Set(queryDisc(d.nside, d.centre, d.radiusRad, { inclusive: true }));
      for (const p of d.exact) expect(inclusive.has(p)).toBe(true);
    }
  });
});

describe('pixel counts, areas and sizes', () => {
  it('counts 12·nside² pixels of area 4π/(12·nside²)', () => {
    for (let nside = 1; nside <= MAX_NSIDE; nside *= 2) {
      expect(pixelCount(nside)).toBe(12 * nside * nside);
      expect(pixelArea(nside)).toBeCloseTo((4 * Math.PI) / (12 * nside * nside), 15);
      expect(pixelSizeDeg(nside)).toBeCloseTo((Math.sqrt((4 * Math.PI) / (12 * nside * nside)) * 180) / Math.PI, 12);
    }
    expect(pixelSizeDeg(1)).toBeCloseTo(58.6323, 3);
  });

  it('nsideForSize picks the coarsest grid whose cells are no larger than asked', () => {
    expect(nsideForSize(100)).toBe(1);
    expect(nsideForSize(58.7)).toBe(1);
    expect(nsideForSize(58.6)).toBe(2);
    for (const size of [10, 1, 0.1, 1 / 60, 1 / 3600]) {
      const nside = nsideForSize(size);
      expect(pixelSizeDeg(nside)).toBeLessThanOrEqual(size);
      if (nside > 1) expect(pixelSizeDeg(nside / 2)).toBeGreaterThan(size);
    }
    expectInvalid(() => nsideForSize(1e-6));
    expectInvalid(() => nsideForSize(0));
  });

  it('refuses nside that is not a power of two or above 2^24, and out-of-range pixels', () => {
    for (const bad of [0, 3, 12, 2 ** 25, 2 ** 29, 1.5, -4, Number.NaN]) expectInvalid(() => pixelCount(bad));
    expectInvalid(() => pixelToVec(4, 192));
    expectInvalid(() => pixelToVec(4, -1));
    expectInvalid(() => pixelToVec(4, 2.5));
    expectInvalid(() => vecToPixel(4, [0, 0, 0]));
  });
});

describe('self-consistency', () => {
  it('every pixel centre maps back to its pixel, and NESTED ↔ RING round-trips', () => {
    for (const nside of [...SMALL_NSIDES, 32]) {
      const rings = new Set<number>();
      for (let pix = 0; pix < pixelCount(nside); pix++) {
        expect(vecToPixel(nside, pixelToVec(nside, pix))).toBe(pix);
        const ring = nestToRing(nside, pix);
        rings.add(ring);
        expect(ringToNest(nside, ring)).toBe(pix);
        expectVecClose(ringPixelToVec(nside, ring), pixelToVec(nside, pix), 1e-14);
      }
      expect(rings.size).toBe(pixelCount(nside));
    }
  });

  it('centres of sampled pixels map back at large nside, up to 2^24', () => {
    for (const nside of [2 ** 16, 2 ** 20, MAX_NSIDE]) {
      for (let i = 0; i < 2000; i++) {
        const pix = Math.floor(rng.next() * pixelCount(nside));
        expect(vecToPixel(nside, pixelToVec(nside, pix))).toBe(pix);
      }
      for (const last of [0, pixelCount(nside) - 1, 4 * nside * nside - 1, 8 * nside * nside]) {
        expect(vecToPixel(nside, pixelToVec(nside, last))).toBe(last);
        expect(ringToNest(nside, nestToRing(nside, last))).toBe(last);
      }
    }
  });

  it('random points fall in the pixel whose corners surround them, near its centre', () => {
    for (const nside of [1, 4, 64, 4096]) {
      const maxRadius = Math.max(...Array.from({ length: pixelCount(Math.min(nside, 16)) }, (_, p) => p)
        .map((p) => Math.max(...pixelCorners(Math.min(nside, 16), p).map((c) => angleBetween(c, pixelToVec(Math.min(nside, 16), p))))));
      const scale = Math.min(nside, 16) / nside;
      for (let i = 0; i < 500; i++) {
        const v = randomUnit();
        const pix = vecToPixel(nside, v);
        expect(angleBetween(v, pixelToVec(nside, pix))).toBeLessThan(maxRadius * scale * 1.1);
      }
    }
  });

  it('corners are shared: V = F + 2 distinct corners, 3 or 4 pixels at each, and pixels sharing a corner are neighbours', () => {
    for (const nside of [1, 2, 8]) {
      const key = (v: Vec3) => v.map((c) => Math.round(c * 1e9) + 0).join(',');
      const owners = new Map<string, Set<number>>();
      for (let pix = 0; pix < pixelCount(nside); pix++) {
        for (const c of pixelCorners(nside, pix)) {
          const k = key(c);
          if (!owners.has(k)) owners.set(k, new Set());
          owners.get(k)!.add(pix);
        }
      }
      // Euler: V − E + F = 2 with E = 2F for a quadrilateral mesh, so V = F + 2.
      expect(owners.size).toBe(pixelCount(nside) + 2);
      for (const set of owners.values()) expect([3, 4]).toContain(set.size);
      expect([...owners.values()].filter((s) => s.size === 3).length).toBe(8);
      // Pixels that share a corner are neighbours.
      for (const set of owners.values()) {
        for (const a of set) for (const b of set) if (a !== b) expect(neighbours(nside, a)).toContain(b);
      }
    }
  });

  it('neighbours are symmetric, adjacent and distinct; 7 only beside the 8 three-face vertices (6 everywhere at nside 1)', () => {
    for (const nside of [...SMALL_NSIDES, 64]) {
      let sevens = 0;
      const step = nside === 64 ? 61 : 1;
      const problems: string[] = [];
      const maxStep = 2.5 * degToRad(pixelSizeDeg(nside)) * (nside === 1 ? 1.3 : 1);
      for (let pix = 0; pix < pixelCount(nside); pix += step) {
        const nb = neighbours(nside, pix);
        expect(new Set(nb).size).toBe(nb.length);
        expect(nb).not.toContain(pix);
        if (nside === 1) expect(nb.length).toBe(6);
        else if (nb.length === 7) sevens++;
        else expect(nb.length).toBe(8);
        const centre = pixelToVec(nside, pix);
        for (const q of nb) {
          if (!neighbours(nside, q).includes(pix)) problems.push(`nside ${nside}: ${q} lacks ${pix}`);
          if (angleBetween(centre, pixelToVec(nside, q)) > maxStep) problems.push(`nside ${nside}: ${q} far from ${pix}`);
        }
      }
      expect(problems).toEqual([]);
      if (step === 1 && nside > 1) expect(sevens).toBe(24);
    }
  });
});

describe('queryDisc', () => {
  function bruteForce(nside: number, centre: Vec3, radius: number): number[] {
    const out: number[] = [];
    for (let pix = 0; pix < pixelCount(nside); pix++) if (angleBetween(centre, pixelToVec(nside, pix)) <= radius) out.push(pix);
    return out;
  }

  it('equals brute force over all pixels for small nside, including poles and tiny/huge radii', () => {
    const centres: Vec3[] = [[0, 0, 1], [0, 0, -1], radecToVec(359.9, 0.1), ...Array.from({ length: 20 }, randomUnit)];
    for (const nside of [1, 2, 8, 32]) {
      for (const c of centres) {
        for (const r of [1e-4, 0.05, 0.3, 1.2, 3, Math.PI]) {
          expect(queryDisc(nside, c, r)).toEqual(bruteForce(nside, c, r));
        }
      }
    }
  });

  it('inclusive mode covers every pixel that any point of the disc falls in', () => {
    for (const nside of [4, 32, 1024]) {
      for (let k = 0; k < 6; k++) {
        const c = randomUnit();
        const r = rng.uniform(0.2, 4) * degToRad(pixelSizeDeg(nside));
        const got = new Set(queryDisc(nside, c, r, { inclusive: true }));
        for (const p of queryDisc(nside, c, r)) expect(got.has(p)).toBe(true);
        // Sample the disc densely, including its rim.
        const [u, w] = tangentBasis(c);
        for (let i = 0; i < 2000; i++) {
          const rho = i < 500 ? r * 0.999999 : r * Math.sqrt(rng.next());
          const a = rng.uniform(0, 2 * Math.PI);
          const t = Math.tan(rho);
          const v: Vec3 = [c[0] + t * (Math.cos(a) * u[0] + Math.sin(a) * w[0]), c[1] + t * (Math.cos(a) * u[1] + Math.sin(a) * w[1]), c[2] + t * (Math.cos(a) * u[2] + Math.sin(a) * w[2])];
          expect(got.has(vecToPixel(nside, v))).toBe(true);
        }
      }
    }
  });

  it('returns every pixel for radius ≥ π and one ascending list at high nside', () => {
    expect(queryDisc(4, [1, 0, 0], Math.PI)).toEqual(Array.from({ length: 192 }, (_, i) => i));
    const got = queryDisc(2 ** 20, radecToVec(83.8, -5.4), degToRad(0.01));
    expect(got.every((p, i) => i === 0 || p > got[i - 1])).toBe(true);
    // ≈ disc area / pixel area.
    const expected = (2 * Math.PI * (1 - Math.cos(degToRad(0.01)))) / pixelArea(2 ** 20);
    expect(got.length / expected).toBeGreaterThan(0.97);
    expect(got.length / expected).toBeLessThan(1.03);
    expectInvalid(() => queryDisc(4, [1, 0, 0], -1));
  });
});

function tangentBasis(c: Vec3): [Vec3, Vec3] {
  const a: Vec3 = Math.abs(c[2]) < 0.9 ? [0, 0, 1] : [1, 0, 0];
  const u0: Vec3 = [a[1] * c[2] - a[2] * c[1], a[2] * c[0] - a[0] * c[2], a[0] * c[1] - a[1] * c[0]];
  const n = Math.hypot(...u0);
  const u: Vec3 = [u0[0] / n, u0[1] / n, u0[2] / n];
  const w: Vec3 = [c[1] * u[2] - c[2] * u[1], c[2] * u[0] - c[0] * u[2], c[0] * u[1] - c[1] * u[0]];
  return [u, w];
}
