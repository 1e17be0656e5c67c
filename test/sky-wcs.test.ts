import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AsterismError } from '../lib/errors.js';
import { listFitsHdus } from '../lib/image/fits-table.js';
import { tanDeproject } from '../lib/sky/tan.js';
import {
  fitWcs, wcsCenter, wcsFieldSize, wcsFromFitsCards, wcsParity, wcsPixelScaleArcsec, wcsPixelToSky, wcsRotationDeg,
  wcsSkyToPixel, wcsToFitsCards, writeWcsHeaderFile, type SipDistortion, type Wcs, type WcsFitPair,
} from '../lib/sky/wcs.js';
import { degToRad, radToDeg, separationDeg, vecToRadec } from '../lib/sky/vector.js';
import { createRng, type Rng } from '../scripts/synth/random.js';

const ARCSEC = 1 / 3600;

function zeros(order: number): number[][] {
  return Array.from({ length: order + 1 }, () => new Array<number>(order + 1).fill(0));
}

/** CD for scale (deg/px), rotation (position angle of +y east of north, degrees) and parity. */
function cdFor(scale: number, rotationDeg: number, flipped: boolean): Wcs['cd'] {
  const c = Math.cos(degToRad(rotationDeg)), s = Math.sin(degToRad(rotationDeg));
  // +y points to PA φ: (ξ, η) = scale (sin φ, cos φ); +x 90° west of it (normal) or east (flipped).
  return flipped
    ? [[scale * c, scale * s], [-scale * s, scale * c]]
    : [[-scale * c, scale * s], [scale * s, scale * c]];
}

/** A random SIP whose distortion reaches about `pixels` at radius `r`. */
function randomSip(rng: Rng, order: number, r: number, pixels: number): SipDistortion {
  const a = zeros(order), b = zeros(order);
  const terms = ((order + 1) * (order + 2)) / 2 - 3;
  for (let p = 0; p <= order; p++) {
    for (let q = 0; q <= order - p; q++) {
      if (p + q < 2) continue;
      a[p][q] = (rng.uniform(-1, 1) * pixels) / r ** (p + q) / terms;
      b[p][q] = (rng.uniform(-1, 1) * pixels) / r ** (p + q) / terms;
    }
  }
  return { order, a, b, apOrder: 0, ap: [[0]], bp: [[0]] };
}

function randomWcs(rng: Rng, crval: [number, number], width: number, height: number, sipOrder: number): Wcs {
  const wcs: Wcs = {
    crval,
    crpix: [rng.uniform(0.3, 0.7) * width, rng.uniform(0.3, 0.7) * height],
    cd: cdFor(rng.uniform(0.5, 20) * ARCSEC, rng.uniform(-180, 180), rng.next() < 0.5),
    imageWidth: width,
    imageHeight: height,
  };
  if (sipOrder >= 2) wcs.sip = randomSip(rng, sipOrder, Math.hypot(width, height) / 2, rng.uniform(1, 15));
  return wcs;
}

function grid(width: number, height: number, n: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) out.push([-0.5 + (width * i) / (n - 1), -0.5 + (height * j) / (n - 1)]);
  }
  return out;
}

function pairsFrom(wcs: Wcs, points: Array<[number, number]>): WcsFitPair[] {
  return points.map(([x, y]) => ({ x, y, ...wcsPixelToSky(wcs, x, y) }));
}

function expectCode(f: () => unknown, code: string): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(AsterismError);
    expect((e as AsterismError).code).toBe(code);
    return;
  }
  expect.fail(`expected ${code}`);
}

describe('pixel ↔ sky', () => {
  const rng = createRng(7);
  const tangents: Array<[string, [number, number]]> = [
    ['mid-sky', [150.1, 2.2]],
    ['across RA = 0', [0.05, -30]],
    ['just below RA = 360', [359.97, 45]],
    ['near the north pole', [123, 89.95]],
    ['at the south pole', [0, -90]],
  ];
  for (const sipOrder of [0, 2, 3, 5]) {
    for (const [label, crval] of tangents) {
      it(`round-trips pixel → sky → pixel to < 1e-6 px: ${sipOrder ? `SIP order ${sipOrder}` : 'TAN'}, ${label}`, () => {
        for (let trial = 0; trial < 4; trial++) {
          const wcs = randomWcs(rng, crval, 4000, 3000, sipOrder);
          let worst = 0;
          for (const [x, y] of grid(4000, 3000, 15)) {
            const { ra, dec } = wcsPixelToSky(wcs, x, y);
            const p = wcsSkyToPixel(wcs, ra, dec)!;
            worst = Math.max(worst, Math.hypot(p.x - x, p.y - y));
          }
          expect(worst).toBeLessThan(1e-6);
        }
      });
    }
  }

  it('puts crval at crpix and applies no distortion there', () => {
    const wcs = randomWcs(rng, [10, 20], 1000, 1000, 3);
    const s = wcsPixelToSky(wcs, wcs.crpix[0], wcs.crpix[1]);
    expect(separationDeg(s, { ra: 10, dec: 20 })).toBeLessThan(1e-12);
  });

  it('shifts sky positions by the SIP terms: u′ = u + A(u, v), then CD', () => {
    const wcs: Wcs = { crval: [0, 0], crpix: [100, 100], cd: [[-1e-4, 0], [0, 1e-4]] };
    const plain = wcsPixelToSky(wcs, 150, 100);
    const a = zeros(2);
    a[2][0] = 1e-3; // at u = 50: +2.5 px along x
    const distorted = wcsPixelToSky({ ...wcs, sip: { order: 2, a, b: zeros(2), apOrder: 0, ap: [[0]], bp: [[0]] } }, 150, 100);
    const shiftedPlain = wcsPixelToSky(wcs, 152.5, 100);
    expect(separationDeg(distorted, shiftedPlain)).toBeLessThan(1e-12);
    expect(separationDeg(distorted, plain)).toBeCloseTo(2.5e-4, 9);
  });

  it('returns null on the far hemisphere', () => {
    const wcs = randomWcs(rng, [10, 20], 1000, 1000, 2);
    expect(wcsSkyToPixel(wcs, 190, -20)).toBeNull();
  });
});

describe('astropy cross-check (test/fixtures/wcs-reference.json, made by scripts/data/make-wcs-reference.py)', () => {
  const reference = JSON.parse(readFileSync(new URL('./fixtures/wcs-reference.json', import.meta.url), 'utf8')) as {
    cases: Array<{ name: string; header: Array<[string, string | number]>; pixels: Array<[number, number]>; sky: Array<[number, number]> }>;
  };
  for (const c of reference.cases) {
    it(`matches astropy all_pix2world to < 1e-9° and inverts it: ${c.name}`, () => {
      const wcs = wcsFromFitsCards(c.header.map(([keyword, value]) => ({ keyword, value })));
      let worstSky = 0, worstPixel = 0;
      c.pixels.forEach(([x, y], i) => {
        const [ra, dec] = c.sky[i];
        worstSky = Math.max(worstSky, separationDeg(wcsPixelToSky(wcs, x, y), { ra, dec }));
        const p = wcsSkyToPixel(wcs, ra, dec)!;
        worstPixel = Math.max(worstPixel, Math.hypot(p.x - x, p.y - y));
      });
      expect(worstSky).toBeLessThan(1e-9);
      expect(worstPixel).toBeLessThan(1e-6);
    });
  }
});

describe('fitWcs', () => {
  const rng = createRng(11);

  it('recovers a TAN WCS exactly from noiseless pairs', () => {
    for (const crval of [[150, 2], [0.01, -45], [200, 89.9]] as Array<[number, number]>) {
      const truth = randomWcs(rng, crval, 2000, 1500, 0);
      const points = Array.from({ length: 60 }, () => [rng.uniform(0, 2000), rng.uniform(0, 1500)] as [number, number]);
      const { wcs, rmsPixels, residuals } = fitWcs(pairsFrom(truth, points), { crpix: truth.crpix });
      expect(wcs.sip).toBeUndefined();
      expect(separationDeg({ ra: wcs.crval[0], dec: wcs.crval[1] }, { ra: crval[0], dec: crval[1] })).toBeLessThan(1e-10);
      for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) expect(Math.abs(wcs.cd[i][j] - truth.cd[i][j])).toBeLessThan(1e-10 * 1e-3);
      expect(rmsPixels).toBeLessThan(1e-6);
      expect(residuals.length).toBe(60);
    }
  });

  it('moves a distant initial tangent point to the sky position of crpix', () => {
    const truth = randomWcs(rng, [80, 10], 2000, 1500, 0);
    const points = Array.from({ length: 30 }, () => [rng.uniform(0, 2000), rng.uniform(0, 1500)] as [number, number]);
    const { wcs, rmsPixels } = fitWcs(pairsFrom(truth, points), { crpix: truth.crpix, tangent: { ra: 60, dec: 30 } });
    expect(separationDeg({ ra: wcs.crval[0], dec: wcs.crval[1] }, { ra: 80, dec: 10 })).toBeLessThan(1e-10);
    expect(rmsPixels).toBeLessThan(1e-6);
    // With crpix elsewhere a TAN about another point only approximates the truth, but crval is
    // still the sky position of crpix under the fit.
    const moved = fitWcs(pairsFrom(truth, points), { crpix: [1700, 200] });
    const at = wcsPixelToSky(moved.wcs, 1700, 200);
    expect(separationDeg(at, { ra: moved.wcs.crval[0], dec: moved.wcs.crval[1] })).toBeLessThan(1e-12);
  });

  it('recovers radial distortion with sipOrder 3 to < 0.01 px', () => {
    // Truth: barrel distortion r′ = r (1 + k r²) about the image centre, exactly a cubic SIP.
    const width = 3000, height = 2000, crpix: [number, number] = [(width - 1) / 2, (height - 1) / 2];
    const k = -3e-9; // ≈ −5 px at the corners
    const cd = cdFor(2.5 * ARCSEC, 35, false);
    const crval = { ra: 266.4, dec: -29 };
    const truthSky = (x: number, y: number) => {
      const u = x - crpix[0], v = y - crpix[1];
      const f = 1 + k * (u * u + v * v);
      const uu = u * f, vv = v * f;
      return vecToRadec(tanDeproject(crval, cd[0][0] * uu + cd[0][1] * vv, cd[1][0] * uu + cd[1][1] * vv));
    };
    const pairs = Array.from({ length: 200 }, () => {
      const x = rng.uniform(0, width), y = rng.uniform(0, height);
      return { x, y, ...truthSky(x, y) };
    });
    const tan = fitWcs(pairs, { crpix, imageWidth: width, imageHeight: height });
    expect(tan.rmsPixels).toBeGreaterThan(0.5);
    const { wcs, rmsPixels, residuals } = fitWcs(pairs, { crpix, sipOrder: 3, imageWidth: width, imageHeight: height });
    expect(rmsPixels).toBeLessThan(0.01);
    expect(Math.max(...residuals)).toBeLessThan(0.01);
    expect(wcs.sip!.order).toBe(3);
    expect(wcs.sip!.apOrder).toBe(4);
    expect(wcs.imageWidth).toBe(width);
    expect(wcs.sip!.a[3][0]).toBeCloseTo(k, 12);
    expect(wcs.sip!.a[1][2]).toBeCloseTo(k, 12);
    expect(wcs.sip!.b[2][1]).toBeCloseTo(k, 12);
    // Everywhere in the image, not only at the pairs.
    for (const [x, y] of grid(width, height, 9)) {
      expect(separationDeg(wcsPixelToSky(wcs, x, y), truthSky(x, y)) / (2.5 * ARCSEC)).toBeLessThan(0.01);
    }
    // The fitted inverse polynomial alone is already close: u ≈ U + AP(U, V) (Newton only polishes;
    // the order-4 inverse of a 17 px cubic is good to a few tenths of a pixel in the corners).
    const sip = wcs.sip!;
    const poly = (c: number[][], order: number, u: number, v: number) => {
      let sum = 0;
      for (let p = 0; p <= order; p++) for (let q = 0; q <= order - p; q++) sum += (c[p]?.[q] ?? 0) * u ** p * v ** q;
      return sum;
    };
    for (const [x, y] of grid(width, height, 7)) {
      const u = x - crpix[0], v = y - crpix[1];
      const U = u + poly(sip.a, sip.order, u, v), V = v + poly(sip.b, sip.order, u, v);
      const back = [U + poly(sip.ap, sip.apOrder, U, V), V + poly(sip.bp, sip.apOrder, U, V)];
      expect(Math.hypot(back[0] - u, back[1] - v)).toBeLessThan(0.5);
    }
  });

  it('honours weights: a down-weighted outlier barely moves the fit', () => {
    const truth = randomWcs(rng, [30, 60], 2000, 2000, 0);
    const points = Array.from({ length: 40 }, () => [rng.uniform(0, 2000), rng.uniform(0, 2000)] as [number, number]);
    const pairs = pairsFrom(truth, points);
    const outlier = { ...pairs[0], x: pairs[0].x + 50, y: pairs[0].y - 30 };
    const shift = (weight: number) => {
      const { wcs, residuals } = fitWcs([{ ...outlier, weight }, ...pairs.slice(1)], { crpix: truth.crpix });
      const s = wcsPixelToSky(wcs, 1000, 1000);
      return { px: separationDeg(s, wcsPixelToSky(truth, 1000, 1000)) / wcsPixelScaleArcsec(truth) * 3600, residuals };
    };
    const full = shift(1), light = shift(1e-6), none = shift(0);
    expect(full.px).toBeGreaterThan(0.5);
    expect(light.px).toBeLessThan(1e-4);
    expect(none.px).toBeLessThan(1e-9);
    expect(light.residuals[0]).toBeCloseTo(Math.hypot(50, 30), 3);
  });

  it('gives each pair its leverage: residual / (1 − leverage) is its residual when left out', () => {
    const own = createRng(29);
    const truth = randomWcs(own, [120, -35], 1400, 1050, 0);
    const points = Array.from({ length: 14 }, () => [own.uniform(100, 1300), own.uniform(100, 950)] as [number, number]);
    points.push([10, 1040]);
    const pairs = pairsFrom(truth, points).map((p, i) => ({ ...p, weight: 0.2 + (i % 4) * 0.3 }));
    // The last pair, alone in a corner and bright (heavy), is 7 px off: a wrong match at the edge of a frame.
    pairs[14] = { ...pairs[14], x: pairs[14].x + 6, y: pairs[14].y - 4, weight: 1.1 };
    for (const sipOrder of [1, 2]) {
      const fit = fitWcs(pairs, { crpix: truth.crpix, sipOrder, imageWidth: 1400, imageHeight: 1050 });
      const terms = ((sipOrder + 1) * (sipOrder + 2)) / 2;
      expect(fit.leverage.reduce((s, h) => s + h, 0)).toBeCloseTo(terms, 9);
      expect(fit.leverage[14]).toBeGreaterThan(terms / pairs.length);
      for (const i of [3, 14]) {
        const without = fitWcs(pairs.filter((_, j) => j !== i), { crpix: truth.crpix, sipOrder, imageWidth: 1400, imageHeight: 1050 });
        const p = wcsSkyToPixel(without.wcs, pairs[i].ra, pairs[i].dec)!;
        const heldOut = Math.hypot(p.x - pairs[i].x, p.y - pairs[i].y);
        // Exact in the tangent plane; in pixels to first order: the pair also moves the CD
        // matrix that turns residuals into pixels (by 1–2 % here, for a 7 px error).
        expect(Math.abs(fit.residuals[i] / (1 - fit.leverage[i]) - heldOut)).toBeLessThan(0.03 * heldOut + 1e-3);
      }
      // Held out, the wrong pair shows its whole 7 px, which the fit through it hides.
      const heldOut = fit.residuals[14] / (1 - fit.leverage[14]);
      expect(heldOut).toBeGreaterThan(6.5);
      expect(fit.residuals[14]).toBeLessThan(sipOrder === 2 ? 2 : 5);
    }
  });

  it('rejects too few pairs, bad orders and collinear pairs', () => {
    const truth = randomWcs(rng, [30, 10], 1000, 1000, 0);
    const pairs = pairsFrom(truth, Array.from({ length: 9 }, (_, i) => [i * 100, (i * i * 53) % 1000] as [number, number]));
    expectCode(() => fitWcs(pairs, { crpix: truth.crpix, sipOrder: 3 }), 'E_INVALID_ARGUMENT'); // 10 unknowns
    expect(() => fitWcs(pairs, { crpix: truth.crpix, sipOrder: 2 })).not.toThrow(); // 6 unknowns
    expectCode(() => fitWcs(pairs, { crpix: truth.crpix, sipOrder: 6 }), 'E_INVALID_ARGUMENT');
    expectCode(() => fitWcs(pairs, { crpix: truth.crpix, sipOrder: 1.5 }), 'E_INVALID_ARGUMENT');
    expectCode(() => fitWcs(pairs.map((p, i) => ({ ...p, weight: i < 7 ? 0 : 1 })), { crpix: truth.crpix }), 'E_INVALID_ARGUMENT');
    expectCode(() => fitWcs([{ ...pairs[0], weight: -1 }, ...pairs], { crpix: truth.crpix }), 'E_INVALID_ARGUMENT');
    const line = pairsFrom(truth, Array.from({ length: 10 }, (_, i) => [i * 100, i * 50] as [number, number]));
    expectCode(() => fitWcs(line, { crpix: truth.crpix }), 'E_INVALID_ARGUMENT');
  });
});

describe('FITS cards', () => {
  const rng = createRng(5);
  const toCards = (wcs: Wcs) => wcsToFitsCards(wcs).map(([keyword, value]) => ({ keyword, value: value ?? null }));

  it('round-trips TAN and TAN-SIP through wcsToFitsCards → wcsFromFitsCards', () => {
    const tan = randomWcs(rng, [12, -34], 1024, 768, 0);
    expect(wcsFromFitsCards(toCards(tan))).toEqual(tan);
    const pairs = pairsFrom(randomWcs(rng, [12, -34], 1024, 768, 3), grid(1024, 768, 8));
    const { wcs } = fitWcs(pairs, { crpix: [511.5, 383.5], sipOrder: 3, imageWidth: 1024, imageHeight: 768 });
    expect(wcsFromFitsCards(toCards(wcs))).toEqual(wcs);
  });

  it('writes the keywords solve-field writes, CRPIX 1-based, only nonzero SIP terms', () => {
    const { wcs } = fitWcs(pairsFrom(randomWcs(rng, [1, 2], 800, 600, 2), grid(800, 600, 6)), {
      crpix: [399.5, 299.5], sipOrder: 2, imageWidth: 800, imageHeight: 600,
    });
    const cards = new Map(wcsToFitsCards(wcs).map(([k, v]) => [k, v]));
    expect(cards.get('CTYPE1')).toBe('RA---TAN-SIP');
    expect(cards.get('CTYPE2')).toBe('DEC--TAN-SIP');
    expect(cards.get('CUNIT1')).toBe('deg');
    expect(cards.get('RADESYS')).toBe('ICRS');
    expect(cards.get('EQUINOX')).toBe(2000);
    expect(cards.get('CRPIX1')).toBe(400.5);
    expect(cards.get('CRPIX2')).toBe(300.5);
    expect(cards.get('A_ORDER')).toBe(2);
    expect(cards.get('AP_ORDER')).toBe(3);
    expect(cards.has('A_1_0')).toBe(false);
    expect(cards.has('A_2_0')).toBe(true);
    expect(cards.get('IMAGEW')).toBe(800);
    const plain = new Map(wcsToFitsCards({ crval: [1, 2], crpix: [0, 0], cd: [[-1e-4, 0], [0, 1e-4]] }).map(([k, v]) => [k, v]));
    expect(plain.get('CTYPE1')).toBe('RA---TAN');
    expect(plain.has('A_ORDER')).toBe(false);
  });

  it('writes a header-only FITS file that the FITS reader reads back', () => {
    const pairs = pairsFrom(randomWcs(rng, [300, 70], 2000, 1000, 4), grid(2000, 1000, 10));
    const { wcs } = fitWcs(pairs, { crpix: [999.5, 499.5], sipOrder: 4, imageWidth: 2000, imageHeight: 1000 });
    const bytes = writeWcsHeaderFile(wcs);
    expect(bytes.length % 2880).toBe(0);
    expect(new TextDecoder().decode(bytes.subarray(0, 30))).toBe('SIMPLE  =                    T');
    const [hdu] = listFitsHdus(bytes);
    const value = (k: string) => hdu.cards.find((c) => c.keyword === k)?.value;
    expect(value('NAXIS')).toBe(0);
    expect(value('BITPIX')).toBe(8);
    expect(wcsFromFitsCards(hdu.cards)).toEqual(wcs);
  });

  it('reads CDELT + PC and CDELT + CROTA2 headers', () => {
    const base = [
      { keyword: 'CTYPE1', value: 'RA---TAN' }, { keyword: 'CTYPE2', value: 'DEC--TAN' },
      { keyword: 'CRVAL1', value: 10 }, { keyword: 'CRVAL2', value: 20 },
      { keyword: 'CRPIX1', value: 101 }, { keyword: 'CRPIX2', value: 51 },
      { keyword: 'CDELT1', value: -2e-4 }, { keyword: 'CDELT2', value: 2e-4 },
    ];
    const pc = wcsFromFitsCards([...base, { keyword: 'PC1_2', value: 0.5 }, { keyword: 'PC2_1', value: -0.25 }]);
    expect(pc.crpix).toEqual([100, 50]);
    expect(pc.cd).toEqual([[-2e-4, -1e-4], [-0.5e-4, 2e-4]]);
    const rot = wcsFromFitsCards([...base, { keyword: 'CROTA2', value: 30 }]);
    const c = Math.cos(degToRad(30)), s = Math.sin(degToRad(30));
    expect(rot.cd[0][0]).toBeCloseTo(-2e-4 * c, 18);
    expect(rot.cd[0][1]).toBeCloseTo(-2e-4 * s, 18);
    expect(rot.cd[1][0]).toBeCloseTo(-2e-4 * s, 18);
    expect(rot.cd[1][1]).toBeCloseTo(2e-4 * c, 18);
    expect(wcsRotationDeg(rot)).toBeCloseTo(-30, 10);
  });

  it('rejects missing or unsupported keywords with E_INVALID_ARGUMENT', () => {
    const cards = toCards({ crval: [1, 2], crpix: [0, 0], cd: [[-1e-4, 0], [0, 1e-4]] });
    expectCode(() => wcsFromFitsCards(cards.filter((c) => c.keyword !== 'CRVAL2')), 'E_INVALID_ARGUMENT');
    expectCode(() => wcsFromFitsCards(cards.filter((c) => c.keyword !== 'CTYPE1')), 'E_INVALID_ARGUMENT');
    expectCode(() => wcsFromFitsCards(cards.filter((c) => !c.keyword.startsWith('CD'))), 'E_INVALID_ARGUMENT');
    expectCode(() => wcsFromFitsCards(cards.map((c) => (c.keyword === 'CTYPE1' ? { ...c, value: 'RA---SIN' } : c))), 'E_INVALID_ARGUMENT');
    expectCode(() => wcsFromFitsCards(cards.map((c) => (c.keyword === 'CRPIX1' ? { ...c, value: 'x' } : c))), 'E_INVALID_ARGUMENT');
    const sipWithoutOrder = cards.map((c) => (c.keyword.startsWith('CTYPE') ? { ...c, value: `${c.value}-SIP` } : c));
    expectCode(() => wcsFromFitsCards(sipWithoutOrder), 'E_INVALID_ARGUMENT');
  });
});

describe('scale, rotation, parity, size and centre (astrometry.net definitions)', () => {
  const s = 1.5 * ARCSEC;
  const base = { crval: [150, 30] as [number, number], crpix: [499.5, 399.5] as [number, number] };

  it('north up, east left: rotation 0, parity normal', () => {
    const wcs: Wcs = { ...base, cd: [[-s, 0], [0, s]] };
    expect(wcsRotationDeg(wcs)).toBe(0);
    expect(wcsParity(wcs)).toBe('normal');
    expect(wcsPixelScaleArcsec(wcs)).toBeCloseTo(1.5, 12);
    // +y is north, +x is west (RA decreases).
    const c = wcsPixelToSky(wcs, 499.5, 399.5), up = wcsPixelToSky(wcs, 499.5, 409.5), right = wcsPixelToSky(wcs, 509.5, 399.5);
    expect(up.dec).toBeGreaterThan(c.dec);
    expect(right.ra).toBeLessThan(c.ra);
  });

  it('rotated 30°: up is 30° east of north, both parities', () => {
    for (const flipped of [false, true]) {
      for (const angle of [30, -75, 150, 180]) {
        const wcs: Wcs = { ...base, cd: cdFor(s, angle, flipped) };
        expect(wcsRotationDeg(wcs)).toBeCloseTo(angle, 10);
        expect(wcsParity(wcs)).toBe(flipped ? 'flipped' : 'normal');
        expect(wcsPixelScaleArcsec(wcs)).toBeCloseTo(1.5, 12);
      }
    }
    // Check the meaning on the sky: +y from the tangent point heads 30° east of north.
    const wcs: Wcs = { ...base, crval: [150, 0], cd: cdFor(s, 30, false) };
    const c = wcsPixelToSky(wcs, base.crpix[0], base.crpix[1]), up = wcsPixelToSky(wcs, base.crpix[0], base.crpix[1] + 1);
    expect(Math.atan2(up.ra - c.ra, up.dec - c.dec) * (180 / Math.PI)).toBeCloseTo(30, 6);
  });

  it('flipped: north up, east right', () => {
    const wcs: Wcs = { ...base, cd: [[s, 0], [0, s]] };
    expect(wcsParity(wcs)).toBe('flipped');
    expect(wcsRotationDeg(wcs)).toBe(0);
  });

  it('centre is the middle of the pixel grid and size spans pixel edges', () => {
    const wcs: Wcs = { ...base, crpix: [0, 0], cd: [[-s, 0], [0, s]] };
    const centre = wcsCenter(wcs, 1000, 800);
    expect(separationDeg(centre, wcsPixelToSky(wcs, 499.5, 399.5))).toBe(0);
    const { widthDeg, heightDeg } = wcsFieldSize({ ...wcs, crpix: [499.5, 399.5] }, 1000, 800);
    // Gnomonic: 500 px either side of the centre is atan(500 s) on the sky.
    expect(widthDeg).toBeCloseTo(2 * radToDeg(Math.atan(degToRad(500 * s))), 12);
    expect(heightDeg).toBeCloseTo(2 * radToDeg(Math.atan(degToRad(400 * s))), 12);
    expectCode(() => wcsCenter(wcs, 0, 800), 'E_INVALID_ARGUMENT');
  });
});
