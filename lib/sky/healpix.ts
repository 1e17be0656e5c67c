/**
 * HEALPix (Górski et al. 2005, ApJ 622, 759): equal-area pixels on the sphere, NESTED
 * numbering, with conversion to and from RING numbering.
 *
 * Layout used throughout: 12 base faces, 0–3 around the north pole, 4–7 on the equator,
 * 8–11 around the south pole; face k of each row is centred at longitude φ = (k + ½)·90°
 * for the polar rows and k·90° for the equatorial row. Inside a face a pixel has
 * lattice coordinates (ix, iy) in [0, nside)²; (0, 0) is the face's southern corner, ix
 * grows toward its eastern corner and iy toward its western corner. The NESTED index is
 * face·nside² + the bits of ix and iy interleaved (ix in the even bits).
 *
 * Integers: indices are plain JS numbers, exact below 2^53. 12·nside² < 2^53 holds up to
 * nside = 2^24 ({@link MAX_NSIDE}, pixels of about 12.6 milliarcseconds); larger nside
 * and nside that are not powers of two throw `E_INVALID_ARGUMENT`.
 *
 * Vectors are in the frame of `vector.ts` (x to RA 0°, z to the north pole); HEALPix's
 * longitude φ is the right ascension and its colatitude θ is 90° − Dec.
 *
 * Checked against healpy 1.16 (see `scripts/data/make-healpix-reference.py`).
 *
 * @example
 * ```ts
 * const pix = radecToPixel(1024, 83.82, -5.39);    // NESTED index of the cell holding M42
 * const centre = vecToRadec(pixelToVec(1024, pix));
 * const around = queryDisc(64, radecToVec(83.82, -5.39), degToRad(2), { inclusive: true });
 * ```
 */
import { AsterismError } from '../errors.js';
import { angleBetween, normalize, radecToVec, radToDeg, type Vec3 } from './vector.js';

/** Largest supported nside, 2^24: the largest power of two with 12·nside² below 2^53. */
export const MAX_NSIDE = 2 ** 24;

/** Ring coordinate of each face's southern corner, in units of nside (0 = north pole, 4 = south pole). */
const FACE_RING = [2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4];
/** Longitude of each face's centre in units of 45°. */
const FACE_PHI = [1, 3, 5, 7, 0, 2, 4, 6, 1, 3, 5, 7];

const HALF_PI = Math.PI / 2;
const TWO_THIRDS = 2 / 3;
const TWO_POW_24 = 2 ** 24;

function checkNside(nside: number): void {
  if (!Number.isInteger(nside) || nside < 1 || nside > MAX_NSIDE || (nside & (nside - 1)) !== 0) {
    throw new AsterismError('E_INVALID_ARGUMENT', `HEALPix nside must be a power of two from 1 to 2^24, got ${nside}`);
  }
}

function checkPixel(nside: number, pix: number): void {
  checkNside(nside);
  if (!Number.isInteger(pix) || pix < 0 || pix >= 12 * nside * nside) {
    throw new AsterismError('E_INVALID_ARGUMENT', `HEALPix pixel ${pix} is outside [0, ${12 * nside * nside}) for nside ${nside}`);
  }
}

/** Number of pixels on the sphere: 12·nside². */
export function pixelCount(nside: number): number {
  checkNside(nside);
  return 12 * nside * nside;
}

/** Area of one pixel, steradians: 4π / (12·nside²). */
export function pixelArea(nside: number): number {
  return (4 * Math.PI) / pixelCount(nside);
}

/** Side of a square of the same area as one pixel, degrees: √(pixel area). */
export function pixelSizeDeg(nside: number): number {
  return radToDeg(Math.sqrt(pixelArea(nside)));
}

/**
 * The smallest (coarsest) power-of-two nside whose pixels are no larger than `maxCellDeg`,
 * size measured by {@link pixelSizeDeg}. Sizes above the nside = 1 cell (≈ 58.6°) give 1;
 * sizes that would need nside > {@link MAX_NSIDE} throw `E_INVALID_ARGUMENT`.
 */
export function nsideForSize(maxCellDeg: number): number {
  if (!(maxCellDeg > 0) || !Number.isFinite(maxCellDeg)) {
    throw new AsterismError('E_INVALID_ARGUMENT', `cell size must be a positive number of degrees, got ${maxCellDeg}`);
  }
  for (let nside = 1; nside <= MAX_NSIDE; nside *= 2) {
    if (pixelSizeDeg(nside) <= maxCellDeg) return nside;
  }
  throw new AsterismError('E_INVALID_ARGUMENT', `cells of ${maxCellDeg}° need nside above the supported 2^24`);
}

/** Spreads the low 12 bits of `v` to the even bit positions (bit i → bit 2i). */
function spread12(v: number): number {
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  return (v | (v << 1)) & 0x55555555;
}

/** Inverse of {@link spread12}: gathers the even bits of a 24-bit value. */
function compact12(v: number): number {
  v &= 0x555555;
  v = (v | (v >>> 1)) & 0x33333333;
  v = (v | (v >>> 2)) & 0x0f0f0f0f;
  v = (v | (v >>> 4)) & 0x00ff00ff;
  return (v | (v >>> 8)) & 0x0000ffff;
}

/** Bits of an integer below 2^24 spread to the even positions of a 48-bit integer. */
function spread24(v: number): number {
  return spread12(v & 0xfff) + spread12(v >>> 12) * TWO_POW_24;
}

function xyfToNest(nside: number, ix: number, iy: number, face: number): number {
  return face * nside * nside + spread24(ix) + 2 * spread24(iy);
}

function nestToXyf(nside: number, pix: number): [number, number, number] {
  const npface = nside * nside;
  const face = Math.floor(pix / npface);
  const rem = pix - face * npface;
  const lo = rem % TWO_POW_24, hi = Math.floor(rem / TWO_POW_24);
  const ix = compact12(lo) + compact12(hi) * 4096;
  const iy = compact12(lo >>> 1) + compact12(hi >>> 1) * 4096;
  return [ix, iy, face];
}

/**
 * Unit vector at continuous face coordinates (`x`, `y`) in [0, 1]² of `face`
 * ((0, 0) the southern corner, (1, 1) the northern one).
 */
function faceXyToVec(face: number, x: number, y: number): Vec3 {
  // Ring coordinate in units of nside: 0 at the north pole, 2 on the equator, 4 at the south pole.
  const jr = FACE_RING[face] - x - y;
  let nr: number, z: number, sinTheta: number;
  if (jr < 1) {
    nr = jr;
    const oneMinusZ = (nr * nr) / 3;
    z = 1 - oneMinusZ;
    sinTheta = Math.sqrt(oneMinusZ * (2 - oneMinusZ));
  } else if (jr > 3) {
    nr = 4 - jr;
    const onePlusZ = (nr * nr) / 3;
    z = onePlusZ - 1;
    sinTheta = Math.sqrt(onePlusZ * (2 - onePlusZ));
  } else {
    nr = 1;
    z = (2 - jr) * TWO_THIRDS;
    sinTheta = Math.sqrt((1 - z) * (1 + z));
  }
  // Longitude in units of 45° / nr: the ring has 4·nr steps of 90°/nr each, halved by x − y.
  let t = FACE_PHI[face] * nr + x - y;
  if (t < 0) t += 8;
  if (t >= 8) t -= 8;
  const phi = nr < 1e-15 ? 0 : ((Math.PI / 4) * t) / nr;
  return [sinTheta * Math.cos(phi), sinTheta * Math.sin(phi), z];
}

/**
 * NESTED index of the pixel containing direction `v` (need not be normalised; a zero or
 * non-finite vector throws `E_INVALID_ARGUMENT`).
 */
export function vecToPixel(nside: number, v: Vec3): number {
  checkNside(nside);
  const [x, y, z] = normalize(v);
  const za = Math.abs(z);
  let tt = Math.atan2(y, x) / HALF_PI; // longitude in units of 90°, (−2, 2]
  if (tt < 0) tt += 4;
  if (tt >= 4) tt = 0;
  if (za <= TWO_THIRDS) {
    // Equatorial belt: pixel edges are straight lines in (φ, z); count them.
    const along = nside * (0.5 + tt);
    const up = nside * z * 0.75;
    const jAscending = Math.floor(along - up); // index of the edge line rising to the east
    const jDescending = Math.floor(along + up); // index of the edge line falling to the east
    const fAsc = Math.floor(jAscending / nside);
    const fDesc = Math.floor(jDescending / nside);
    let face: number;
    if (fAsc === fDesc) face = (fAsc % 4) + 4;
    else if (fAsc < fDesc) face = fAsc % 4;
    else face = (fDesc % 4) + 8;
    const ix = jDescending - fDesc * nside;
    const iy = nside - (jAscending - fAsc * nside) - 1;
    return xyfToNest(nside, ix, iy, face);
  }
  // Polar caps: distance from the pole scaled so that edges are again straight lines.
  const column = Math.min(3, Math.floor(tt));
  const tp = tt - column;
  const sinTheta = Math.hypot(x, y);
  const fromPole = za < 0.99 ? nside * Math.sqrt(3 * (1 - za)) : (nside * sinTheta) / Math.sqrt((1 + za) / 3);
  const jp = Math.min(nside - 1, Math.floor(tp * fromPole));
  const jm = Math.min(nside - 1, Math.floor((1 - tp) * fromPole));
  if (z > 0) return xyfToNest(nside, nside - jm - 1, nside - jp - 1, column);
  return xyfToNest(nside, jp, jm, column + 8);
}

/** NESTED index of the pixel containing the sky position (`raDeg`, `decDeg`). */
export function radecToPixel(nside: number, raDeg: number, decDeg: number): number {
  return vecToPixel(nside, radecToVec(raDeg, decDeg));
}

/** Unit vector to the centre of NESTED pixel `pix`. */
export function pixelToVec(nside: number, pix: number): Vec3 {
  checkPixel(nside, pix);
  const [ix, iy, face] = nestToXyf(nside, pix);
  return faceXyToVec(face, (ix + 0.5) / nside, (iy + 0.5) / nside);
}

/**
 * The four corners of NESTED pixel `pix` as unit vectors, in the order north, west,
 * south, east (healpy's `boundaries(step=1)` order). Pixel edges are not great circles.
 */
export function pixelCorners(nside: number, pix: number): [Vec3, Vec3, Vec3, Vec3] {
  checkPixel(nside, pix);
  const [ix, iy, face] = nestToXyf(nside, pix);
  const x0 = ix / nside, x1 = (ix + 1) / nside, y0 = iy / nside, y1 = (iy + 1) / nside;
  return [faceXyToVec(face, x1, y1), faceXyToVec(face, x0, y1), faceXyToVec(face, x0, y0), faceXyToVec(face, x1, y0)];
}

/**
 * Maps lattice coordinates at most one pixel outside `face` onto the face that holds them.
 * Returns null where only three faces meet at the crossed corner (no pixel there).
 *
 * Derived from the face layout: polar faces meet their row neighbours along the edges that
 * run to the pole (with x and y exchanged), meet the equatorial faces with the same lattice
 * orientation, and touch the face across the pole at their polar corner.
 */
function crossFace(face: number, x: number, y: number, n: number): [number, number, number] | null {
  const k = face & 3;
  const xLow = x < 0, xHigh = x >= n, yLow = y < 0, yHigh = y >= n;
  if (!(xLow || xHigh || yLow || yHigh)) return [face, x, y];
  const east = (k + 1) & 3, west = (k + 3) & 3;
  switch (face >> 2) {
    case 0: // north polar face k: pole at (n, n)
      if (xHigh && yHigh) return [(k + 2) & 3, 2 * n - 1 - x, 2 * n - 1 - y];
      if ((xHigh && yLow) || (xLow && yHigh)) return null;
      if (xLow && yLow) return [8 + k, x + n, y + n];
      if (xHigh) return [east, y, 2 * n - 1 - x];
      if (yHigh) return [west, 2 * n - 1 - y, x];
      if (xLow) return [4 + k, x + n, y];
      return [4 + east, x, y + n];
    case 1: // equatorial face 4 + k
      if ((xHigh && yHigh) || (xLow && yLow)) return null;
      if (xHigh && yLow) return [4 + east, x - n, y + n];
      if (xLow && yHigh) return [4 + west, x + n, y - n];
      if (xHigh) return [k, x - n, y];
      if (yHigh) return [west, x, y - n];
      if (xLow) return [8 + west, x + n, y];
      return [8 + k, x, y + n];
    default: // south polar face 8 + k: pole at (−1, −1)
      if (xLow && yLow) return [8 + ((k + 2) & 3), -1 - x, -1 - y];
      if ((xHigh && yLow) || (xLow && yHigh)) return null;
      if (xHigh && yHigh) return [k, x - n, y - n];
      if (yLow) return [8 + east, -1 - y, x];
      if (xLow) return [8 + west, y, -1 - x];
      if (xHigh) return [4 + east, x - n, y];
      return [4 + k, x, y - n];
  }
}

/** Lattice steps (dx, dy) of the compass directions SW, W, NW, N, NE, E, SE, S. */
const COMPASS_STEPS: ReadonlyArray<readonly [number, number]> = [
  [-1, 0], [-1, 1], [0, 1], [1, 1], [1, 0], [1, -1], [0, -1], [-1, -1],
];

/**
 * The eight neighbours of NESTED pixel `pix` in the compass order SW, W, NW, N, NE, E, SE, S
 * (healpy's `get_all_neighbours` order), with −1 where there is no pixel: at the 8 vertices
 * where only three faces meet (the E and W corners of polar faces, the N and S corners of
 * equatorial ones), the 3 pixels touching each such vertex lack one neighbour. At nside = 1
 * every pixel lacks two.
 */
export function compassNeighbours(nside: number, pix: number): number[] {
  checkPixel(nside, pix);
  const [ix, iy, face] = nestToXyf(nside, pix);
  return COMPASS_STEPS.map(([dx, dy]) => {
    const moved = crossFace(face, ix + dx, iy + dy, nside);
    return moved === null ? -1 : xyfToNest(nside, moved[1], moved[2], moved[0]);
  });
}

/**
 * The neighbours of NESTED pixel `pix` that exist, in compass order SW…S: 8, or 7 for the 24
 * pixels beside a three-face vertex (6 for every pixel at nside = 1). See {@link compassNeighbours}.
 */
export function neighbours(nside: number, pix: number): number[] {
  return compassNeighbours(nside, pix).filter((p) => p >= 0);
}

/** NESTED → RING index. */
export function nestToRing(nside: number, pix: number): number {
  checkPixel(nside, pix);
  const [ix, iy, face] = nestToXyf(nside, pix);
  const n = nside;
  const ring = FACE_RING[face] * n - ix - iy - 1; // 1 … 4n − 1 from north to south
  let nr: number, start: number, shift: number;
  if (ring < n) {
    nr = ring;
    start = 2 * nr * (nr - 1);
    shift = 0;
  } else if (ring > 3 * n) {
    nr = 4 * n - ring;
    start = 12 * n * n - 2 * nr * (nr + 1);
    shift = 0;
  } else {
    nr = n;
    start = 2 * n * (n - 1) + (ring - n) * 4 * n;
    shift = (ring - n) & 1;
  }
  let jp = (FACE_PHI[face] * nr + ix - iy + 1 + shift) / 2; // 1-based position in the ring
  if (jp > 4 * nr) jp -= 4 * nr;
  if (jp < 1) jp += 4 * nr;
  return start + jp - 1;
}

/** Centre of RING pixel `pix` as a unit vector. */
export function ringPixelToVec(nside: number, pix: number): Vec3 {
  checkPixel(nside, pix);
  const n = nside;
  const npix = 12 * n * n;
  const ncap = 2 * n * (n - 1);
  let z: number, sinTheta: number, phi: number;
  if (pix < ncap || pix >= npix - ncap) {
    const north = pix < ncap;
    const p = north ? pix : npix - 1 - pix; // mirror the southern cap onto the northern one
    let i = Math.floor((1 + Math.sqrt(1 + 2 * p)) / 2);
    while (2 * i * (i - 1) > p) i--;
    while (2 * (i + 1) * i <= p) i++;
    const j = p - 2 * i * (i - 1); // 0-based position in ring i
    const fromPole = (i * i) / (3 * n * n);
    z = 1 - fromPole;
    sinTheta = Math.sqrt(fromPole * (2 - fromPole));
    phi = ((j + 0.5) * HALF_PI) / i;
    if (!north) {
      z = -z;
      phi = 2 * Math.PI - phi; // ring order runs east in both caps; mirroring reverses it
    }
  } else {
    const p = pix - ncap;
    const i = Math.floor(p / (4 * n)) + n;
    const j = p - (i - n) * 4 * n;
    const offset = ((i + n) & 1) === 1 ? 0 : 0.5; // alternate rings are shifted by half a pixel
    z = ((2 * n - i) * 2) / (3 * n);
    sinTheta = Math.sqrt((1 - z) * (1 + z));
    phi = ((j + offset) * HALF_PI) / n;
  }
  return [sinTheta * Math.cos(phi), sinTheta * Math.sin(phi), z];
}

/** RING → NESTED index. */
export function ringToNest(nside: number, pix: number): number {
  return vecToPixel(nside, ringPixelToVec(nside, pix));
}

/** Options of {@link queryDisc}. */
export interface QueryDiscOptions {
  /**
   * false (default): pixels whose centres lie within the disc. true: every pixel that
   * overlaps the disc, plus possibly a few near its edge that do not (a superset: a pixel is
   * kept when its centre is within radius + 1.05 × its largest centre-to-edge distance).
   */
  inclusive?: boolean;
}

/** Largest angle from a pixel's centre to its boundary, radians, with a 5 % margin for the curved edges between samples. */
function pixelRadiusBound(nside: number, face: number, ix: number, iy: number, centre: Vec3): number {
  let max = 0;
  for (const s of [0, 0.25, 0.5, 0.75]) {
    for (const [x, y] of [[ix + s, iy], [ix + 1, iy + s], [ix + 1 - s, iy + 1], [ix, iy + 1 - s]]) {
      max = Math.max(max, angleBetween(centre, faceXyToVec(face, x / nside, y / nside)));
    }
  }
  return max * 1.05;
}

/**
 * NESTED indices, ascending, of the pixels within `radiusRad` of `centre` (see
 * {@link QueryDiscOptions.inclusive}). Walks the nested hierarchy from the 12 faces,
 * dropping cells that cannot reach the disc and taking whole index ranges of cells inside it,
 * so the cost grows with the disc's perimeter in pixels, plus the size of the output.
 */
export function queryDisc(nside: number, centre: Vec3, radiusRad: number, options: QueryDiscOptions = {}): number[] {
  checkNside(nside);
  if (!(radiusRad >= 0) || !Number.isFinite(radiusRad)) {
    throw new AsterismError('E_INVALID_ARGUMENT', `disc radius must be a finite angle ≥ 0 radians, got ${radiusRad}`);
  }
  const c = normalize(centre);
  const inclusive = options.inclusive ?? false;
  const order = Math.log2(nside);
  const out: number[] = [];
  const visit = (level: number, pix: number): void => {
    const n = 2 ** level;
    const [ix, iy, face] = nestToXyf(n, pix);
    const centreVec = faceXyToVec(face, (ix + 0.5) / n, (iy + 0.5) / n);
    const dist = angleBetween(c, centreVec);
    const reach = pixelRadiusBound(n, face, ix, iy, centreVec);
    if (dist > radiusRad + reach) return;
    if (level === order) {
      if (inclusive || dist <= radiusRad) out.push(pix);
      return;
    }
    if (dist + reach <= radiusRad) {
      const count = 4 ** (order - level);
      for (let p = pix * count, end = p + count; p < end; p++) out.push(p);
      return;
    }
    for (let child = 0; child < 4; child++) visit(level + 1, pix * 4 + child);
  };
  for (let face = 0; face < 12; face++) visit(0, face);
  return out;
}
