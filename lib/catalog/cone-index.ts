/**
 * Cone search over a fixed list of sky positions, shared by the object catalogue
 * (./objects.ts) and the galaxy catalogue (./galaxies.ts).
 *
 * The index is a set of declination bands, each holding its entries sorted by right ascension
 * (CSR layout); a cone reads the bands it overlaps over the RA interval it spans, then checks
 * the exact angular distance. With 1° bands a field-sized cone reads a few short RA runs: about
 * 1 µs for a warm 1° cone (4 µs at 5°) over OpenNGC on a shared 2-core machine, against about
 * 30 µs for a scan of all objects and 100–250 µs for a HEALPix `queryDisc` at nside 16 alone,
 * which is why the index is not a HEALPix one.
 */
import { AsterismError } from '../errors.js';
import { angleToChordSq, degToRad, normalizeRa, radecToVec } from '../sky/vector.js';

/** Height of the declination bands, degrees (see the module comment for why 1°). */
const BAND_DEG = 1;
const BAND_COUNT = Math.round(180 / BAND_DEG);

/**
 * A cone search: the entries within `radiusDeg` of (`ra`, `dec`) (all degrees; the radius is
 * clamped to 180), in the order of the list the index was built from. The declination must lie
 * in [−90, 90]; non-finite or negative arguments throw `E_INVALID_ARGUMENT`.
 */
export type ConeSearch<T> = (ra: number, dec: number, radiusDeg: number) => T[];

function checkFinite(name: string, value: number): void {
  if (!Number.isFinite(value)) throw new AsterismError('E_INVALID_ARGUMENT', `${name} must be a finite number of degrees, got ${value}`);
}

function bandOf(dec: number): number {
  return Math.min(BAND_COUNT - 1, Math.max(0, Math.floor((dec + 90) / BAND_DEG)));
}

/** First position in `sorted[lo, hi)` whose value is ≥ `x`. */
function lowerBound(sorted: Float64Array, lo: number, hi: number, x: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Half-width in right ascension, degrees, of a cone of radius `radiusDeg` centred at
 * declination `dec`: asin(sin r / cos δ), or 180 when the cone reaches a pole. Slightly widened
 * so rounding cannot drop an entry on the rim (the exact distance test follows).
 */
function raHalfWidthDeg(dec: number, radiusDeg: number): number {
  if (radiusDeg + Math.abs(dec) >= 90 - 1e-9) return 180;
  const s = Math.sin(degToRad(radiusDeg)) / Math.cos(degToRad(dec));
  return s >= 1 ? 180 : (Math.asin(s) * 180) / Math.PI + 1e-9;
}

/**
 * Builds the cone-search index over `entries`, whose `ra` must lie in [0, 360) and `dec` in
 * [−90, 90] (J2000 degrees). The list must not change afterwards: the index keeps positions
 * into it.
 *
 * @example
 * ```ts
 * const cone = createConeSearch(galaxies);
 * const near = cone(10.68, 41.27, 1); // entries within 1° of M 31, in list order
 * ```
 */
export function createConeSearch<T extends { readonly ra: number; readonly dec: number }>(entries: readonly T[]): ConeSearch<T> {
  const n = entries.length;
  const xyz = new Float64Array(3 * n);
  const start = new Int32Array(BAND_COUNT + 1);
  const band = new Int16Array(n);
  const ras = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const { ra, dec } = entries[i];
    xyz.set(radecToVec(ra, dec), 3 * i);
    ras[i] = ra;
    band[i] = bandOf(dec);
    start[band[i] + 1]++;
  }
  for (let b = 0; b < BAND_COUNT; b++) start[b + 1] += start[b];
  // Counting sort into bands (stable, so entries keep list order), then each band by RA:
  // many short sorts cost far less than one sort of everything with a two-key comparator.
  const order = new Int32Array(n);
  const fill = start.slice(0, BAND_COUNT);
  for (let i = 0; i < n; i++) order[fill[band[i]]++] = i;
  for (let b = 0; b < BAND_COUNT; b++) order.subarray(start[b], start[b + 1]).sort((x, y) => ras[x] - ras[y] || x - y);
  const bandRa = Float64Array.from(order, (i) => ras[i]);

  return (ra: number, dec: number, radiusDeg: number): T[] => {
    checkFinite('right ascension', ra);
    checkFinite('declination', dec);
    checkFinite('cone radius', radiusDeg);
    if (Math.abs(dec) > 90) throw new AsterismError('E_INVALID_ARGUMENT', `declination must be in [-90, 90] degrees, got ${dec}`);
    if (radiusDeg < 0) throw new AsterismError('E_INVALID_ARGUMENT', `cone radius must be ≥ 0 degrees, got ${radiusDeg}`);
    const r = Math.min(radiusDeg, 180);
    const centre = radecToVec(ra, dec);
    const maxChordSq = angleToChordSq(degToRad(r));
    const half = raHalfWidthDeg(dec, r);
    const raLo = normalizeRa(ra) - half, raHi = normalizeRa(ra) + half;
    // RA intervals to read in each band, with the wrap at 0°/360° split off.
    const intervals: [number, number][] = half >= 180 ? [[0, 360]]
      : raLo < 0 ? [[raLo + 360, 360], [0, raHi]]
      : raHi >= 360 ? [[raLo, 360], [0, raHi - 360]]
      : [[raLo, raHi]];
    const hits: number[] = [];
    for (let b = bandOf(dec - r); b <= bandOf(dec + r); b++) {
      for (const [lo, hi] of intervals) {
        for (let k = lowerBound(bandRa, start[b], start[b + 1], lo); k < start[b + 1] && bandRa[k] <= hi; k++) {
          const i = order[k];
          const dx = xyz[3 * i] - centre[0], dy = xyz[3 * i + 1] - centre[1], dz = xyz[3 * i + 2] - centre[2];
          if (dx * dx + dy * dy + dz * dz <= maxChordSq) hits.push(i);
        }
      }
    }
    hits.sort((a, b) => a - b);
    return hits.map((i) => entries[i]);
  };
}
